"""The one address module: defaults, URL formatting and parsing, the one meaning of loopback."""
import sys

import pytest

from compas_cloud.client import launcher
from compas_cloud.protocol import address

server_only = pytest.mark.skipif(sys.version_info < (3,), reason="the server runs on Python 3 only")


def is_loopback_on_the_server(host):
    if sys.version_info < (3,):
        return address.is_loopback(host)
    from compas_cloud.server import security

    return security.is_loopback(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::0:1"])
def test_loopback(host):
    assert address.is_loopback(host)
    assert is_loopback_on_the_server(host)
    assert launcher.is_local(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "example.org", "128.0.0.1", "127.0.0.256", "::2",
                                  "1::1", "", "127.0.0", ":::1"])
def test_not_loopback(host):
    assert not address.is_loopback(host)
    assert not is_loopback_on_the_server(host)


def test_every_interface_is_this_machine_but_not_loopback():
    for host in ("0.0.0.0", "::"):
        assert launcher.is_local(host) and address.is_wildcard(host) and not address.is_loopback(host)
    assert not launcher.is_local("10.1.2.3") and not launcher.is_local("example.org")
    assert address.connect_host("0.0.0.0") == "127.0.0.1" and address.connect_host("::") == "::1"
    assert launcher.local_address("localhost") == "127.0.0.1"


def test_urls():
    assert address.make_url() == "ws://127.0.0.1:9009"
    assert address.make_url("::1", 80, secure=True) == "wss://[::1]:80"
    assert address.format_hostport("[::1]", 5) == "[::1]:5"
    assert address.parse_url("ws://[::1]:9009/x") == ("ws", "::1", 9009, "/x")
    assert address.parse_url("wss://example.org") == ("wss", "example.org", 443, "/")
    assert address.parse_url("WS://h:1") == ("ws", "h", 1, "/")


@pytest.mark.parametrize("url", ["http://h:1", "h:1", "ws://:1", "ws://h:x", "ws://h:70000", "ws://[::1", None])
def test_bad_urls_are_named(url):
    with pytest.raises(address.InvalidAddress) as info:
        address.parse_url(url)
    assert repr(url) in str(info.value)


@server_only
def test_defaults_are_shared():
    from compas_cloud.client.proxy import Proxy
    from compas_cloud.ghpython import proxies
    from compas_cloud.server.config import ServerConfig

    config = ServerConfig()
    assert (config.host, config.port) == (address.DEFAULT_HOST, address.DEFAULT_PORT)
    assert (proxies.DEFAULT_HOST, proxies.DEFAULT_PORT) == (address.DEFAULT_HOST, address.DEFAULT_PORT)
    assert Proxy.__init__.__defaults__[:2] == (address.DEFAULT_HOST, address.DEFAULT_PORT)
