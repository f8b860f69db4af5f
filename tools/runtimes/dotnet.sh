#!/usr/bin/env bash
# Stage: the client suite (tests/client, tests/protocol, the components' .NET value
# conversions in tests/ghpython/test_dotnet_values.py, and the installer's user-object
# build loading GH_IO through pythonnet in tests/install/test_userobjects.py) on CPython 3 with the
# .NET transport (System.Net.WebSockets.ClientWebSocket through pythonnet on
# Mono): the code IronPython hosts run. Installs Mono (apt) and pythonnet (the
# setup.py extra "dotnet") when missing; FAILS (never skips) when it cannot.
set -u
source "$(dirname "$0")/../env.sh"
cd "$ROOT"

setup_venv || { echo "dotnet: set-up of $VENV failed"; exit 1; }

if ! command -v mono >/dev/null 2>&1; then
  say "installing Mono (apt-get install mono-devel)"
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mono-devel) >/tmp/compas_cloud-mono-install.log 2>&1; then
    tail -20 /tmp/compas_cloud-mono-install.log >&2
    echo "dotnet: FAILED: Mono could not be installed (apt-get install mono-devel)" >&2
    exit 1
  fi
fi

if ! "$PY" -c 'import pythonnet' 2>/dev/null; then
  say "installing pythonnet (pip install -e .[dotnet])"
  "$PY" -m pip install --quiet -e "$ROOT[dotnet]" || { echo "dotnet: FAILED: pip install pythonnet" >&2; exit 1; }
fi

export PYTHONNET_RUNTIME=mono
export COMPAS_CLOUD_TRANSPORT=dotnet
# pythonnet warns that Mono < 6.12 "is known to be problematic" (Debian 12 has 6.8); it works for this.
export PYTHONWARNINGS="ignore:Hosting Mono versions:UserWarning"

say "checking that the .NET transport can be used"
"$PY" - <<'PYEOF' || { echo "dotnet: FAILED: the .NET transport cannot be used here" >&2; exit 1; }
import sys
from compas_cloud.client.transports.dotnet import DotNetTransport
missing = DotNetTransport.available()
if missing:
    sys.exit("the .NET transport is unavailable: needs " + missing)
import System
print("pythonnet on " + str(System.Environment.Version) + " (Mono " + str(System.Type.GetType("Mono.Runtime") is not None) + ")")
PYEOF

say "client suite on CPython 3 + .NET ClientWebSocket (pythonnet, Mono $(mono --version | head -1 | sed 's/.*version \([0-9.]*\).*/\1/'))"
"$PY" -m pytest -p no:cacheprovider -q -W "ignore:Hosting Mono versions:UserWarning" tests/client tests/protocol \
  tests/ghpython/test_dotnet_values.py tests/install/test_userobjects.py "$@"
