# -*- coding: utf-8 -*-
"""wss:// end to end: a CA and a server certificate made by the test (openssl), a real TLS server,
the Python client (every runtime of this suite, Python 2.7 included)."""
from __future__ import absolute_import

import shutil
import os
import subprocess
import sys
import tempfile

import pytest

from compas_cloud import Proxy
from compas_cloud.client.proxy import parse_url
from compas_cloud.errors import ConnectionFailed

from helpers import OPENSSL, ServerProcess, make_certificates, server_env, server_python

TOKEN = "tls-suite-token-0123456789"
DOTNET = os.environ.get("COMPAS_CLOUD_TRANSPORT") == "dotnet"  # the dotnet stage: every Proxy uses ClientWebSocket

@pytest.fixture(scope="module")
def certificates():
    if not OPENSSL:
        pytest.fail("the openssl command is needed to make the test certificates (apt-get install openssl)")
    folder = tempfile.mkdtemp(prefix="compas_cloud-tls-")
    yield make_certificates(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_server(certificates):
    ca, cert, key = certificates
    server = ServerProcess("--certfile", cert, "--keyfile", key, "--token", TOKEN)
    yield server
    server.stop()


def test_parse_url():
    assert parse_url("wss://example.org:9443") == ("wss", "example.org", 9443)
    assert parse_url("ws://[::1]:9009/") == ("ws", "::1", 9009)
    assert parse_url("WSS://host") == ("wss", "host", 443)
    with pytest.raises(ValueError):
        parse_url("http://host:1")


def test_dotnet_refuses_cafile_and_verify_false_naming_the_trust_store(tls_server, certificates):
    """ClientWebSocket checks certificates against the system's trust store only (docs/deploy.md)."""
    if not DOTNET:
        pytest.skip("the .NET transport (dotnet stage)")
    url = "wss://127.0.0.1:{0}".format(tls_server.port)
    for options in ({"cafile": certificates[0]}, {"verify": False}):
        with pytest.raises(ConnectionFailed) as info:
            Proxy(url=url, token=TOKEN, autolaunch=False, verbose=False, **options)
        assert "trust store" in str(info.value)


#: The .NET round trip, run in a child process whose HOME holds Mono's user trust store.
_DOTNET_CHILD = """
import sys
from compas_cloud import Proxy
with Proxy(url=sys.argv[1], token=sys.argv[2], autolaunch=False, verbose=False) as proxy:
    assert type(proxy._connection.transport).__name__ == "DotNetTransport"
    big = list(range(20000))
    print(proxy.function("numpy.linalg.norm")([3, 4]), proxy.function("builtins.sum")(big) == sum(big))
"""


def test_a_wss_round_trip_with_the_test_ca(tls_server, certificates):
    if DOTNET:
        _dotnet_round_trip(tls_server, certificates)
        return
    ca = certificates[0]
    # Python 2.7's ssl.match_hostname ignores IP addresses in a certificate: name the server by DNS name there.
    host = "localhost" if sys.version_info[0] == 2 else "127.0.0.1"
    url = "wss://{0}:{1}".format(host, tls_server.port)
    with Proxy(url=url, cafile=ca, token=TOKEN, autolaunch=False, verbose=False) as proxy:
        assert proxy.url == url
        assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0
        big = list(range(20000))
        assert proxy.function("builtins.sum")(big) == sum(big)
        assert proxy.status()["clients"] >= 1
    assert any("TLS: yes" in line for line in tls_server.lines)


def _dotnet_round_trip(tls_server, certificates):
    """ClientWebSocket trusts the platform's store: Mono's is per user, so a throwaway HOME gets the test CA
    (``cert-sync --user``, as docs/deploy.md tells Mono users) and this machine's stores stay untouched."""
    cert_sync = shutil.which("cert-sync")
    if not cert_sync:
        pytest.fail("cert-sync (Mono) is needed to trust the test CA for the .NET transport")
    home = tempfile.mkdtemp(prefix="compas_cloud-mono-home-")
    try:
        env = server_env()
        env["HOME"] = home
        env.pop("XDG_CONFIG_HOME", None)
        url = "wss://localhost:{0}".format(tls_server.port)  # Mono matches host names, not IP addresses
        child = [sys.executable, "-c", _DOTNET_CHILD, url, TOKEN]
        untrusted = subprocess.run(child, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   universal_newlines=True, timeout=300)
        assert untrusted.returncode != 0 and "not accepted" in untrusted.stderr and "trust store" in untrusted.stderr
        subprocess.run([cert_sync, "--user", certificates[0]], env=env, stdout=subprocess.DEVNULL, check=True,
                       timeout=120)
        trusted = subprocess.run(child, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 universal_newlines=True, timeout=300)
        assert trusted.returncode == 0, trusted.stderr
        assert trusted.stdout.split() == ["5.0", "True"]
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_an_untrusted_certificate_is_refused(tls_server):
    url = "wss://127.0.0.1:{0}".format(tls_server.port)
    with pytest.raises(ConnectionFailed) as info:
        Proxy(url=url, token=TOKEN, autolaunch=False, verbose=False)  # the test CA is in no trust store
    assert ("trust store" if DOTNET else "cafile") in str(info.value)


def test_verify_false_accepts_any_certificate(tls_server):
    if DOTNET:
        pytest.skip("verify=False is refused on the .NET transport (see the dotnet test above)")
    url = "wss://localhost:{0}".format(tls_server.port)
    with Proxy(url=url, verify=False, token=TOKEN, autolaunch=False, verbose=False) as proxy:
        assert proxy.function("numpy.linalg.norm")([6, 8]) == 10.0


def test_python27_names_the_ip_address_limit(tls_server, certificates):
    """Python 2.7 cannot match an IP address against a certificate: the error says what to do."""
    if sys.version_info[0] != 2:
        pytest.skip("Python 2.7 only")
    with pytest.raises(ConnectionFailed) as info:
        Proxy(url="wss://127.0.0.1:{0}".format(tls_server.port), cafile=certificates[0], token=TOKEN,
              autolaunch=False, verbose=False)
    assert "DNS name" in str(info.value)


def test_plain_ws_to_a_tls_server_fails_clearly(tls_server):
    with pytest.raises(ConnectionFailed):
        Proxy(port=tls_server.port, token=TOKEN, autolaunch=False, verbose=False, connect_timeout=5)


def test_a_non_loopback_tls_server_still_needs_a_token(certificates):
    ca, cert, key = certificates
    env = server_env()
    env.pop("COMPAS_CLOUD_TOKEN", None)
    process = subprocess.Popen(
        [server_python(), "-m", "compas_cloud.server", "--host", "0.0.0.0", "--port", "0", "--certfile", cert,
         "--keyfile", key], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, universal_newlines=True)
    out, err = process.communicate()
    assert process.returncode == 2
    assert "no token is set" in err


def test_a_missing_certificate_file_refuses_to_start(certificates):
    process = subprocess.Popen(
        [server_python(), "-m", "compas_cloud.server", "--port", "0", "--certfile", "/nonexistent/cert.pem"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=server_env(), universal_newlines=True)
    out, err = process.communicate()
    assert process.returncode == 2
    assert "--certfile /nonexistent/cert.pem: no such file" in err
