#!/usr/bin/env bash
# The side-by-side benchmark, from a fresh clone: sets up one virtual environment per peer
# in bench/.venvs/ (once), then runs bench/bench.py. Arguments go to bench.py
# (for example --quick, --systems ours,floor, --workloads small,transform).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
VENVS="$HERE/.venvs"
mkdir -p "$VENVS"

say() { printf '=== %s\n' "$*"; }

pyenv_python() {  # pyenv_python 3.10 -> the newest installed 3.10.x under pyenv, if any
  local root
  root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
  ls -d "$root"/versions/"$1".* 2>/dev/null | sort -V | tail -n 1 | sed 's|$|/bin/python|'
}

python_for() {  # a CPython of the given minor version: pyenv, then PATH
  local found
  found="$(pyenv_python "$1")"
  if [ -n "$found" ] && [ -x "$found" ]; then echo "$found"; return; fi
  if command -v "python$1" >/dev/null 2>&1; then command -v "python$1"; return; fi
  echo "no Python $1 found (install it with pyenv: pyenv install $1)" >&2
  return 1
}

make_venv() {  # make_venv NAME PYTHON STAMP PIP-ARGS...
  local name="$1" python="$2" stamp="$3"; shift 3
  local venv="$VENVS/$name"
  if [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "$stamp" ]; then return; fi
  say "setting up $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  echo "$stamp" > "$venv/.stamp"
}

# compas_cloud 0.4.1 (the system the tutorial describes), with the pins that work here.
OLD_PINS=(compas_cloud==0.4.1 compas==1.17.10 websockets==10.4 autobahn==22.7.1 txaio==22.2.1
          setuptools==65.5.0 numpy==1.26.4 scipy==1.11.4 jsonschema==4.17.3)
make_venv old "$(python_for 3.10)" "${OLD_PINS[*]}" "${OLD_PINS[@]}"

# compas.rpc from COMPAS 2.x.
make_venv rpc "$(python_for 3.11)" "compas>=2,<3" "compas>=2,<3"

# This project (editable: the working tree), the floor's websockets/websocket-client, matplotlib.
make_venv bench "$(python_for 3.11)" "editable[server]+matplotlib+pythonnet+py-spy" -e "$ROOT[server]" matplotlib "pythonnet>=3" py-spy

# The .NET transport's runtime: Debian's Mono (what tools/runtimes/dotnet.sh installs for the tests).
if [ -f "$ROOT/compas_cloud/client/transports/dotnet.py" ] && ! command -v mono >/dev/null 2>&1; then
  say "installing Mono for the .NET transport (apt)"
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends mono-devel) || say "no Mono: the .NET column will fail"
fi

export PYTHONNET_RUNTIME=mono
exec "$VENVS/bench/bin/python" "$HERE/bench.py" "$@"
