#!/usr/bin/env bash
# The main job, from a fresh clone: set everything up, start a compas_cloud server at
# 127.0.0.1:${PORT:-9009}, run the Python and JavaScript examples against it, stop it.
# Another port: PORT=9010 bash tools/demo.sh
# To keep a server running instead: .venv/bin/python -m compas_cloud.server
set -eu
source "$(dirname "$0")/env.sh"
cd "$ROOT"
setup_venv
setup_node
PORT="${PORT:-9009}"

# The examples must talk to the server started here, never to whatever else answers at the port.
if ! "$PY" - "$PORT" <<'PYEOF'; then exit 1; fi
import socket, sys

def free(port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
    try:
        sock.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        sock.close()

port = int(sys.argv[1])
if not free(port):
    other = next((p for p in range(port + 1, port + 200) if p < 65536 and free(p)), None)
    fix = "PORT={0} bash tools/demo.sh".format(other) if other else "PORT=<a free port> bash tools/demo.sh"
    sys.stderr.write(
        "demo: port {0} on 127.0.0.1 is already taken (another program, or a compas_cloud server still "
        "running): stop it, or run the demo on a free port: {1}\n".format(port, fix))
    sys.exit(1)
PYEOF

say "starting a server at 127.0.0.1:$PORT"
"$PY" -m compas_cloud.server --port "$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 300); do
  kill -0 "$SERVER" 2>/dev/null || break
  "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
  sleep 0.1
done
if ! kill -0 "$SERVER" 2>/dev/null; then
  echo "demo: the server did not start (its message is above); nothing was run" >&2
  exit 1
fi

say "Python: examples/python/transform_points.py"
"$PY" examples/python/transform_points.py "$PORT"
say "JavaScript: examples/js/plain_client.js"
NODE_PATH="$ROOT/tests/js/node_modules" node examples/js/plain_client.js "$PORT"
say "JavaScript: examples/js/rpc_client.js"
NODE_PATH="$ROOT/tests/js/node_modules" node examples/js/rpc_client.js "$PORT"
say "done"
