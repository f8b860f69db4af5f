#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up what it needs, runs every
# stage, and exits non-zero if any stage fails (or cannot be set up).
set -u
source "$(dirname "$0")/env.sh"
cd "$ROOT"

failed=()
stage() {
  local name="$1"; shift
  say "$name"
  if "$@"; then echo "--- $name: passed"; else echo "--- $name: FAILED"; failed+=("$name"); fi
}

setup_venv || { echo "set-up of $VENV failed"; exit 1; }
setup_node || failed+=("Node.js set-up")
setup_check_tools || failed+=("ruff/docs tools set-up")

stage "ruff (lint)" "$VENV/bin/ruff" check .
stage "documentation site (mkdocs build --strict)" env NO_MKDOCS_2_WARNING=1 "$VENV/bin/mkdocs" build --strict --quiet --site-dir "$ROOT/site"

stage "CPython 3: protocol, server, client (websocket-client), tutorial, JavaScript" \
  "$PY" -m pytest -p no:cacheprovider tests "$@"

for runtime in tools/runtimes/*.sh; do
  [ -e "$runtime" ] || continue
  stage "$(basename "$runtime" .sh)" bash "$runtime"
done

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all test stages passed"
