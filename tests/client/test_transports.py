# -*- coding: utf-8 -*-
"""Which transport a client uses, and compas objects sent from the client (every client runtime; Python 2.7 safe)."""
from __future__ import absolute_import

import os
import subprocess
import sys

import pytest

from compas_cloud import Proxy
from compas_cloud.client.transports import select_transport, transport_names
from compas_cloud.client.transports.dotnet import DotNetTransport
from compas_cloud.client.transports.wsclient import WebSocketClientTransport
from compas_cloud.errors import TransportUnavailable

from helpers import ROOT

# pythonnet on Debian's Mono 6.8 warns that Mono < 6.12 "is known to be problematic"; it works here.
pytestmark = pytest.mark.filterwarnings("ignore:Hosting Mono versions")

EXPECTED = os.environ.get("COMPAS_CLOUD_TRANSPORT") or "websocket-client"


def test_the_transport_under_test_is_the_one_in_use(proxy):
    # The dotnet stage sets COMPAS_CLOUD_TRANSPORT=dotnet: every Proxy of the suite must then use .NET.
    assert proxy.connection.transport.name == EXPECTED
    assert proxy.server_info is not None


def test_explicit_override_wins_over_the_environment(server):
    other = "dotnet" if EXPECTED == "websocket-client" else "websocket-client"
    cls = {"dotnet": DotNetTransport, "websocket-client": WebSocketClientTransport}[other]
    missing = cls.available()
    if missing:
        with pytest.raises(TransportUnavailable) as info:
            Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, transport=other)
        assert missing in str(info.value) and other in str(info.value)
    else:
        proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, transport=other)
        try:
            assert proxy.connection.transport.name == other
            assert proxy.call("operator.add", [u"\u00e9", u"\u20ac"]) == u"\u00e9\u20ac"
        finally:
            proxy.close()


def test_unknown_transport_names_the_choices():
    with pytest.raises(TransportUnavailable) as info:
        select_transport("carrier-pigeon")
    assert "carrier-pigeon" in str(info.value)
    assert "dotnet" in str(info.value) and "websocket-client" in str(info.value)


def test_preference_order_on_cpython():
    # IronPython prefers .NET; CPython prefers websocket-client (Rhino 8's CPython falls back to .NET).
    assert transport_names() == ["websocket-client", "dotnet"]
    assert WebSocketClientTransport.available() is None  # installed on every runtime of the suite


def _select_in_child(block):
    """Run select_transport() in a fresh interpreter where the modules in ``block`` cannot be imported."""
    code = (
        "import sys\n"
        "for name in {0!r}: sys.modules[name] = None\n"
        "from compas_cloud.client.transports import select_transport\n"
        "from compas_cloud.errors import TransportUnavailable\n"
        "try:\n"
        "    print('selected ' + select_transport().name)\n"
        "except TransportUnavailable as error:\n"
        "    print('unavailable ' + str(error))\n"
    ).format(list(block))
    env = dict(os.environ)
    env.pop("COMPAS_CLOUD_TRANSPORT", None)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONWARNINGS"] = "ignore"
    output = subprocess.check_output([sys.executable, "-c", code], env=env, cwd=ROOT)
    return output.decode("utf-8").strip().splitlines()[-1]


def _pythonnet_installed():
    # Looked up without importing it: importing clr would load a .NET runtime into this process.
    if "clr" in sys.modules:
        return True
    try:
        from importlib.util import find_spec
    except ImportError:  # Python 2.7
        import imp

        try:
            imp.find_module("clr")
        except ImportError:
            return False
        return True
    return find_spec("clr") is not None


def test_without_websocket_client_dotnet_is_used_if_present_else_a_clear_error():
    line = _select_in_child(["websocket"])
    if _pythonnet_installed():
        assert line == "selected dotnet"  # CPython with pythonnet, as in Rhino 8
    else:
        assert line.startswith("unavailable no websocket transport can be used")
        assert "pip install pythonnet" in line


def test_with_no_transport_at_all_the_error_says_what_to_install():
    line = _select_in_child(["websocket", "clr"])
    assert line.startswith("unavailable no websocket transport can be used")
    assert "pip install websocket-client" in line
    assert "pip install pythonnet" in line


def test_compas_objects_sent_from_the_client_arrive_as_compas_objects(proxy):
    try:
        from compas.geometry import Point, Translation
    except ImportError:
        compas = False
    else:
        compas = True
    if compas:
        point = Point(1.0, 2.0, 3.0)
        assert proxy.call("builtins.repr", [point]).startswith("Point(")  # a compas object on the server
        moved = proxy.call("compas.geometry.Point.transformed", [point, Translation.from_vector([1.0, 0.0, 0.0])])
        assert isinstance(moved, Point) and list(moved) == [2.0, 2.0, 3.0]
    else:
        # Without compas the client sends and receives COMPAS's JSON form as plain data.
        data = {"dtype": "compas.geometry/Point", "data": [1.0, 2.0, 3.0]}
        assert proxy.call("builtins.repr", [data]).startswith("Point(")
        moved = proxy.call("compas.geometry.Point.transformed", [data, {"dtype": "compas.geometry/Translation",
                                                                        "data": {"matrix": [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0],
                                                                                            [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]}}])
        assert moved["dtype"] == "compas.geometry/Point" and moved["data"] == [2.0, 2.0, 3.0]
