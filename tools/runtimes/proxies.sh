#!/usr/bin/env bash
# Stage: the reverse-proxy configurations of docs/deploy.md, run for real: nginx and Caddy terminate TLS in
# front of a real server, and the client, /healthz, /metrics and the dashboard's data go through them
# (tests/deploy/test_reverse_proxy.py). Installs Debian's nginx-light and caddy when they are missing
# (CI runs as root on a fresh machine); FAILS (never skips) when it cannot.
set -u
source "$(dirname "$0")/../env.sh"
cd "$ROOT"
setup_venv || exit 1
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] || ! command -v caddy >/dev/null 2>&1; then
  say "installing nginx-light and caddy (apt)"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get -o DPkg::Lock::Timeout=600 update -qq &&
   apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nginx-light caddy) >/dev/null || {
    echo "proxies: FAILED: could not install nginx-light and caddy"; exit 1; }
fi
COMPAS_CLOUD_REQUIRE_PROXIES=1 "$PY" -m pytest -p no:cacheprovider tests/deploy/test_reverse_proxy.py -q
