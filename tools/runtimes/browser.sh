#!/usr/bin/env bash
# Stage: real headless Chromium: a page from another origin tries to reach the server
# (tests/security/test_security_browser.py), the dashboard against a real server (tests/dashboard/), and
# the browser example (examples/browser) against a real server (tests/docs/test_browser_example.py).
# Installs Debian's chromium when it is missing (CI runs as root on a fresh machine).
set -u
source "$(dirname "$0")/../env.sh"
cd "$ROOT"
setup_venv || exit 1
if ! command -v chromium >/dev/null 2>&1; then
  say "installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get -o DPkg::Lock::Timeout=600 update -qq &&
   apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium) >/dev/null || {
    echo "could not install chromium"; exit 1; }
fi
COMPAS_CLOUD_REQUIRE_BROWSER=1 "$PY" -m pytest -p no:cacheprovider tests/security/test_security_browser.py tests/dashboard tests/docs/test_browser_example.py -q
