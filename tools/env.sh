# Shared set-up for the tools/ scripts: sourced, not run.
# Creates (once) the project's CPython 3 virtual environment in .venv with the
# package in development mode, and the Node.js test client's node_modules.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\n=== %s\n' "$*"; }

pick_python3() {
  for candidate in "${COMPAS_CLOUD_PYTHON3:-}" python3.11 python3.12 python3.10 python3.9 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info >= (3, 9)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "no CPython >= 3.9 found; install one (apt-get install python3 python3-venv)" >&2
  return 1
}

setup_venv() {
  local stamp="$VENV/.compas_cloud-installed"
  if [ ! -x "$PY" ]; then
    say "creating $VENV"
    "$(pick_python3)" -m venv "$VENV" || return 1
  fi
  if [ ! -f "$stamp" ] || [ "$ROOT/setup.py" -nt "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    say "installing compas_cloud and its test dependencies into $VENV"
    "$PY" -m pip install --quiet --upgrade pip "setuptools>=77" wheel || return 1
    "$PY" -m pip install --quiet -e "$ROOT[test]" || return 1
    touch "$stamp"
  fi
}

setup_node() {
  if ! command -v node >/dev/null 2>&1; then
    say "installing Node.js (apt)"
    (apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm) || return 1
  fi
  if [ ! -d "$ROOT/tests/js/node_modules/ws" ]; then
    say "installing the ws package for the Node.js tests"
    (cd "$ROOT/tests/js" && npm install --silent --no-audit --no-fund) || return 1
  fi
}

# The checkers tools/test.sh runs besides pytest: the [lint] extra (ruff at its pinned version, PyYAML for
# the workflow test) and the documentation site's builder (the [docs] extra: mkdocs, mkdocs-material,
# mkdocstrings). Installed once, and again when pyproject.toml changes.
setup_check_tools() {
  local stamp="$VENV/.compas_cloud-check-tools"
  if [ ! -f "$stamp" ] || [ "$ROOT/tools/env.sh" -nt "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    say "installing ruff, PyYAML and the documentation tools into $VENV"
    "$PY" -m pip install --quiet -e "$ROOT[docs,lint]" || return 1
    touch "$stamp"
  fi
}
