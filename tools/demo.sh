#!/usr/bin/env bash
# The main job, from a fresh clone: set everything up, start a compas_cloud server at
# 127.0.0.1:${PORT:-9009}, run the Python and JavaScript examples against it, stop it.
# To keep a server running instead: .venv/bin/python -m compas_cloud.server
set -eu
source "$(dirname "$0")/env.sh"
cd "$ROOT"
setup_venv
setup_node
PORT="${PORT:-9009}"

say "starting a server at 127.0.0.1:$PORT"
"$PY" -m compas_cloud.server --port "$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do
  "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
  sleep 0.1
done

say "Python: examples/python/transform_points.py"
"$PY" examples/python/transform_points.py "$PORT"
say "JavaScript: examples/js/plain_client.js"
NODE_PATH="$ROOT/tests/js/node_modules" node examples/js/plain_client.js "$PORT"
say "JavaScript: examples/js/rpc_client.js"
NODE_PATH="$ROOT/tests/js/node_modules" node examples/js/rpc_client.js "$PORT"
say "done"
