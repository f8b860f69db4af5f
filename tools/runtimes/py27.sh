#!/usr/bin/env bash
# Stage: the client suite (tests/client, tests/protocol) on CPython 2.7 with
# websocket-client 0.59 and pytest 4.6; the servers it starts run on CPython 3.
# Sets up .venv27 itself; FAILS (never skips) when Python 2.7 cannot be found.
set -u
source "$(dirname "$0")/../env.sh"
cd "$ROOT"

VENV27="$ROOT/.venv27"
PY27="$VENV27/bin/python"

find_python27() {
  local candidate
  for candidate in "${COMPAS_CLOUD_PYTHON27:-}" \
                   "$( (pyenv root) 2>/dev/null)/versions/2.7.18/bin/python" \
                   "$HOME/.pyenv/versions/2.7.18/bin/python" \
                   "$(command -v python2.7 2>/dev/null)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

setup_venv || { echo "py27: set-up of $VENV failed"; exit 1; }

if [ ! -x "$PY27" ] || ! "$PY27" -c 'import websocket, pytest' 2>/dev/null; then
  if ! PY2=$(find_python27); then
    echo "py27: FAILED: no CPython 2.7 found (looked for \$COMPAS_CLOUD_PYTHON27, pyenv's 2.7.18, python2.7 on PATH)." >&2
    echo "py27: install it with: pyenv install 2.7.18" >&2
    exit 1
  fi
  say "creating $VENV27 with $PY2"
  rm -rf "$VENV27"
  "$PY" -m pip install --quiet 'virtualenv<20.22' || exit 1
  "$PY" -m virtualenv --quiet --python "$PY2" "$VENV27" || exit 1
  "$PY27" -m pip install --quiet --disable-pip-version-check 'websocket-client<1' 'pytest<5' || exit 1
fi

say "compile check: every client module and host example with Python 2.7"
# Everything a Rhino/Revit/Dynamo script may import (all of compas_cloud except the server),
# and the IronPython host examples.
files=$( (find compas_cloud -name '*.py' -not -path 'compas_cloud/server/*'; \
          find examples/rhino examples/pyrevit examples/dynamo -name '*.py' 2>/dev/null) | sort)
"$PY27" - $files <<'PYEOF' || exit 1
import sys
failed = []
for path in sys.argv[1:]:
    with open(path) as handle:
        source = handle.read()
    try:
        compile(source, path, "exec")
    except SyntaxError as error:
        failed.append("%s:%s: %s" % (path, error.lineno, error.msg))
if failed:
    print("not Python 2.7 syntax:\n  " + "\n  ".join(failed))
    sys.exit(1)
print("%d client modules and host examples compile with Python 2.7" % len(sys.argv[1:]))
PYEOF

say "client suite on $("$PY27" --version 2>&1) + websocket-client $("$PY27" -c 'import websocket; print(websocket.__version__)')"
export COMPAS_CLOUD_TEST_SERVER_PYTHON="$PY"
unset COMPAS_CLOUD_TRANSPORT
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
  "$PY27" -m pytest -p no:cacheprovider -q tests/client tests/protocol tests/ghpython tests/rhino_plugin tests/install "$@"
