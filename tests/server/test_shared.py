"""Shared values between two connections of a real server: share, shared, unshare, memory, status."""
import pytest

from compas_cloud import Proxy
from compas_cloud.errors import AccessDenied, LimitExceeded, MalformedMessage, ReferenceNotFound, SharingNotAllowed

from helpers import ServerProcess

TASKS = "tests.beyond_tasks."


def _connect(process, **options):
    return Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False, **options)


@pytest.fixture
def two(own_server):
    a, b = _connect(own_server), _connect(own_server)
    yield a, b
    a.close()
    b.close()


def test_two_connections_work_on_one_model(two):
    pytest.importorskip("compas")
    grasshopper, rhino = two
    model = grasshopper.call("compas.datastructures.Mesh", cache=True)
    grasshopper.call(TASKS + "add_vertex", [model, 0, 0, 0])
    assert grasshopper.share(model, "site model") == "site model"
    mine = rhino.shared("site model")
    rhino.call(TASKS + "add_vertex", [mine, 1, 0, 0])
    assert grasshopper.call(TASKS + "vertex_count", [model]) == 2  # one object, seen by both
    status = rhino.status()
    assert [item["name"] for item in status["shared"]["names"]] == ["site model"]
    assert status["shared"]["names"][0]["type"] == "Mesh"
    # the name outlives the connection that shared it
    grasshopper.close()
    assert rhino.call(TASKS + "vertex_count", [rhino.shared("site model")]) == 2
    assert rhino.unshare("site model") is True
    with pytest.raises(ReferenceNotFound) as error:
        rhino.shared("site model")
    assert "site model" in str(error.value)
    assert rhino.call(TASKS + "vertex_count", [mine]) == 2  # references taken stay valid
    assert rhino.status()["shared"] == {"names": [], "bytes": 0}


def test_bad_names_and_references_get_typed_errors(two):
    a, b = two
    ref = a.cache([1, 2, 3])
    with pytest.raises(MalformedMessage):
        a.share(ref, "")
    with pytest.raises(ReferenceNotFound):
        b.share(ref, "not mine")  # a reference of another connection
    with pytest.raises(ReferenceNotFound):
        b.unshare("never shared")
    a.share(ref, "numbers")
    a.share(a.cache([4]), "numbers")  # replaces
    assert b.get(b.shared("numbers")) == [4]
    assert a.check() and b.check()


def test_shared_values_count_against_the_total_memory_limit():
    process = ServerProcess("--max-total-memory", "1", "--max-connection-memory", "1")
    try:
        a, b = _connect(process), _connect(process)
        try:
            ref = a.cache(list(range(8000)))  # about 0.28 MiB (estimated)
            before = a.status()["stored_bytes"]
            a.share(ref, "big")
            assert a.status()["stored_bytes"] > before
            other = b.cache(list(range(8000)))
            with pytest.raises(LimitExceeded):
                b.share(other, "big too")
            b.free(other)
            a.close()  # the connection's references go; the shared value stays counted
            assert b.status()["stored_bytes"] > 0
            b.unshare("big")
            assert b.status()["stored_bytes"] == 0
        finally:
            a.close()
            b.close()
    finally:
        process.stop()


def test_connections_presenting_the_servers_token_share_values():
    token = "shared-values-token-0123456789"
    process = ServerProcess("--token", token)
    try:
        a, b = _connect(process, token=token), _connect(process, token=token)
        try:
            a.share(a.cache({"floors": 3}), "brief")
            assert b.get(b.shared("brief")) == {"floors": 3}
            assert b.status()["shared"]["names"][0]["name"] == "brief"
        finally:
            a.close()
            b.close()
        with pytest.raises(AccessDenied):  # without the token there is no connection, so nothing to share
            _connect(process).check()
    finally:
        process.stop()


def test_a_server_on_a_network_address_without_a_token_shares_nothing():
    """The rule itself: the tests bind loopback only, so the server object is built, not started."""
    from compas_cloud.server.app import Server
    from compas_cloud.server.config import ServerConfig
    from compas_cloud.server.extra_ops import check_sharing

    for host, token, allowed in (("127.0.0.1", None, True), ("::1", None, True), ("localhost", None, True),
                                 ("0.0.0.0", "a-token-0123456789", True), ("192.0.2.10", "a-token-0123456789", True),
                                 ("0.0.0.0", None, False), ("192.0.2.10", None, False)):
        server = Server(ServerConfig(host=host, token=token))
        if allowed:
            check_sharing(server)
        else:
            with pytest.raises(SharingNotAllowed) as error:
                check_sharing(server)
            assert host in str(error.value) and "--token-file" in str(error.value)
