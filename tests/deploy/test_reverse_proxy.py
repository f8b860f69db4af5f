"""The reverse-proxy configurations of docs/deploy.md, run for real: nginx and Caddy terminate TLS (with a
certificate authority made by the test) in front of a real compas_cloud server on loopback, and the Python
client, /healthz, the dashboard and its data go through them.

The configurations are taken from the guide's code blocks; only addresses, ports and certificate paths are
changed (each change is checked to apply, so a rewritten guide cannot silently escape the test). nginx and
Caddy are Debian packages: tools/runtimes/proxies.sh installs them and fails without them; elsewhere the
test is skipped where they are missing.
"""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

from compas_cloud import Proxy
from helpers import ROOT, ServerProcess, free_port, http_get, make_certificates

TOKEN = "reverse-proxy-token-0123456789"
REQUIRED = bool(os.environ.get("COMPAS_CLOUD_REQUIRE_PROXIES"))  # the proxies stage: missing means failed


def _missing(what):
    if REQUIRED:
        pytest.fail("{0} is required (tools/runtimes/proxies.sh installs it) but is not installed".format(what))
    pytest.skip("{0} is not installed (tools/runtimes/proxies.sh installs it)".format(what))


def _block(language):
    with open(os.path.join(ROOT, "docs", "deploy.md")) as handle:
        text = handle.read()
    (block,) = re.findall(r"```{0}\n(.*?)```".format(language), text, re.S)
    return block


def _replace(text, old, new):
    assert old in text, "docs/deploy.md changed: {0!r} is no longer in the configuration".format(old)
    return text.replace(old, new)


def _wait_port(port, process, log, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert process.poll() is None, "the proxy exited:\n" + _read(log)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the proxy does not listen:\n" + _read(log))


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()[-4000:]
    except OSError:
        return ""


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(str(tmp_path_factory.mktemp("certificates")))


@pytest.fixture(scope="module")
def server():
    process = ServerProcess("--token", TOKEN)  # on loopback, as the guide says, without a certificate
    yield process
    process.stop()


def _https_get(port, ca, path, headers=None):
    return http_get("localhost", port, path, headers, ssl.create_default_context(cafile=ca))


def _check_through(port, ca, server):
    """What an operator checks behind the proxy: the client, /healthz, the dashboard and its data."""
    with Proxy(url="wss://localhost:{0}".format(port), cafile=ca, token=TOKEN, autolaunch=False, verbose=False) as proxy:
        assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0
        big = list(range(100000))  # about 600 kB: more than one proxy buffer
        assert proxy.function("builtins.sum")(big) == sum(big)
        assert proxy.dashboard_url == "https://localhost:{0}/".format(port)
        status, _, body = _https_get(port, ca, "/healthz")
        assert status == 200 and json.loads(body)["connections"] >= 1
        status, headers, body = _https_get(port, ca, "/")
        assert status == 200 and headers["Content-Type"].startswith("text/html") and "app.js" in body
        assert _https_get(port, ca, "/api/state")[0] == 401
        # the dashboard's own request: same origin, so the browser sends Sec-Fetch-Site and no Origin
        status, _, body = _https_get(port, ca, "/api/state",
                                     {"Authorization": "Bearer " + TOKEN, "Sec-Fetch-Site": "same-origin"})
        assert status == 200, body
        clients = json.loads(body)["clients"]
        assert any(client["address"].startswith("127.0.0.1:") for client in clients)  # the proxy connects
        assert _https_get(port, ca, "/api/state", {"Authorization": "Bearer " + TOKEN,
                                                   "Origin": "https://evil.example"})[0] == 403
        # browsers name the proxy's public host; the loopback server only answers loopback names (no DNS
        # rebinding), so the proxy must pass its upstream's address as Host, as the guide's configurations do
        public = {"Authorization": "Bearer " + TOKEN, "Host": "compute.example.org", "Sec-Fetch-Site": "same-origin"}
        assert _https_get(port, ca, "/api/state", public)[0] == 200
        assert _https_get(port, ca, "/metrics", public)[0] == 200


def test_nginx_as_in_the_guide(tmp_path, certificates, server):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        _missing("nginx")
    ca, cert, key = certificates
    port = free_port()
    site = _block("nginx")
    assert re.search(r"proxy_read_timeout (\d+)s", site) and int(re.search(r"proxy_read_timeout (\d+)s", site).group(1)) >= 3600
    site = _replace(site, "listen 443 ssl;", "listen 127.0.0.1:{0} ssl;".format(port))
    site = _replace(site, "server_name compute.example.org;", "server_name localhost;")
    site = _replace(site, "/etc/letsencrypt/live/compute.example.org/fullchain.pem", cert)
    site = _replace(site, "/etc/letsencrypt/live/compute.example.org/privkey.pem", key)
    site = _replace(site, "proxy_pass http://127.0.0.1:9009;", "proxy_pass http://127.0.0.1:{0};".format(server.port))
    prefix = str(tmp_path)
    temp = os.path.join(prefix, "temp")
    os.makedirs(temp)
    os.chmod(temp, 0o777)  # nginx's workers run as nobody when the test runs as root
    paths = "".join("{0}_temp_path {1}/{0};\n".format(kind, temp)
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = os.path.join(prefix, "nginx.conf")
    log = os.path.join(prefix, "error.log")
    with open(config, "w") as handle:
        handle.write("worker_processes 1;\nerror_log {0} warn;\npid {1}/nginx.pid;\nevents {{}}\n"
                     "http {{\naccess_log off;\n{2}{3}\n}}\n".format(log, prefix, paths, site))
    checked = subprocess.run([nginx, "-t", "-p", prefix, "-c", config], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True)
    assert checked.returncode == 0, checked.stdout
    process = subprocess.Popen([nginx, "-p", prefix, "-c", config, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_port(port, process, log)
        _check_through(port, ca, server)
    finally:
        _stop(process)


def test_caddy_as_in_the_guide(tmp_path, certificates, server):
    caddy = shutil.which("caddy")
    if caddy is None:
        _missing("caddy")
    ca, cert, key = certificates
    port = free_port()
    site = _block("caddy")
    site = _replace(site, "compute.example.org {",  # any host name on this port: the test sends the public one
                    ":{0} {{\n    bind 127.0.0.1\n    tls {1} {2}".format(port, cert, key))
    site = _replace(site, "reverse_proxy 127.0.0.1:9009 {", "reverse_proxy 127.0.0.1:{0} {{".format(server.port))
    config = os.path.join(str(tmp_path), "Caddyfile")
    log = os.path.join(str(tmp_path), "caddy.log")
    with open(config, "w") as handle:
        handle.write("{\n    admin off\n    auto_https disable_redirects\n    skip_install_trust\n}\n\n" + site)
    env = dict(os.environ)
    env["HOME"] = str(tmp_path)
    env["XDG_DATA_HOME"] = os.path.join(str(tmp_path), "data")
    env["XDG_CONFIG_HOME"] = os.path.join(str(tmp_path), "config")
    with open(log, "w") as output:
        process = subprocess.Popen([caddy, "run", "--config", config, "--adapter", "caddyfile"], env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_port(port, process, log)
        _check_through(port, ca, server)
    finally:
        _stop(process)
