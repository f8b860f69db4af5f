"""describe and functions against a real server: what they report, and that they refuse what calls refuse."""
import pytest

from compas_cloud import Proxy
from compas_cloud.errors import FunctionNotAllowed, FunctionNotFound, NotCallable

from helpers import ServerProcess

TASKS = "tests.beyond_tasks."


@pytest.fixture(scope="module")
def restricted():
    process = ServerProcess("--allow", "tests", "--allow", "numpy", "--deny", "numpy.linalg")
    yield process
    process.stop()


@pytest.fixture
def restricted_proxy(restricted):
    proxy = Proxy(host=restricted.host, port=restricted.port, autolaunch=False, verbose=False)
    yield proxy
    proxy.close()


def test_describe_reports_parameters_defaults_annotations_and_numpydoc(proxy):
    info = proxy.describe(TASKS + "scaled_sum")
    assert info["name"] == TASKS + "scaled_sum"
    assert info["summary"] == "Add up values and scale the total."
    params = {p["name"]: p for p in info["parameters"]}
    assert [p["name"] for p in info["parameters"]] == ["values", "scale", "label"]
    assert params["values"]["has_default"] is False
    assert params["values"]["kind"] == "positional_or_keyword"
    assert params["values"]["annotation"] == "list[float]"
    assert params["values"]["type"] == "list of float"
    assert params["values"]["description"] == "The numbers to add."
    assert params["scale"]["has_default"] is True and params["scale"]["default"] == 1.0
    assert params["scale"]["type"] == "float, optional"
    assert params["label"]["default"] == "sum"
    assert info["returns"]["annotation"] == "list"
    assert info["returns"]["type"] == "list"
    assert info["returns"]["description"] == "``[label, total]``."
    assert info["returns"]["items"] == [{"name": None, "type": "list", "description": "``[label, total]``."}]
    named = proxy.describe(TASKS + "sum_and_count")["returns"]
    assert named["items"] == [{"name": "total", "type": "float", "description": "Their sum."},
                              {"name": "count", "type": "int", "description": "How many there are."}]
    assert named["type"] == "float" and named["description"] == "Their sum."


def test_describe_a_library_function_and_a_default_that_is_not_json(proxy):
    info = proxy.describe("numpy.linspace")
    names = [p["name"] for p in info["parameters"]]
    assert names[:3] == ["start", "stop", "num"]
    num = info["parameters"][2]
    assert num["default"] == 50 and num["description"]
    dtype = [p for p in info["parameters"] if p["name"] == "dtype"][0]
    assert dtype["default"] is None
    info = proxy.describe("json.dumps")
    cls = [p for p in info["parameters"] if p["name"] == "cls"][0]
    assert cls["default"] is None and cls["kind"] == "keyword_only"


def test_functions_lists_the_public_callables_of_a_module(proxy):
    names = proxy.functions("tests.beyond_tasks")
    assert names == sorted(
        ["add_vertex", "count_and_name", "grow", "opaque", "pid_after", "runs", "scaled_sum", "sum_and_count",
         "total", "uses_callback",
         "vertex_count"]
    )


def test_describe_and_functions_refuse_what_calls_refuse(restricted_proxy):
    for name in ("os.system", "numpy.linalg.norm"):
        with pytest.raises(FunctionNotAllowed) as called:
            restricted_proxy.call(name, [[1]])
        with pytest.raises(FunctionNotAllowed) as described:
            restricted_proxy.describe(name)
        assert str(described.value) == str(called.value)
    with pytest.raises(FunctionNotAllowed):
        restricted_proxy.functions("os")
    with pytest.raises(FunctionNotAllowed):
        restricted_proxy.functions("numpy.linalg")
    # tests.beyond_tasks.threading is the module threading: refused by describe as by a call
    with pytest.raises(FunctionNotAllowed) as called:
        restricted_proxy.call(TASKS + "threading.Lock")
    with pytest.raises(FunctionNotAllowed) as described:
        restricted_proxy.describe(TASKS + "threading.Lock")
    assert str(described.value) == str(called.value)
    listed = restricted_proxy.functions("numpy")
    assert "linspace" in listed and "os" not in listed
    assert restricted_proxy.describe("numpy.linspace")["parameters"][0]["name"] == "start"
    assert restricted_proxy.check()


def test_unknown_names_get_the_errors_of_a_call(proxy):
    with pytest.raises(FunctionNotFound):
        proxy.describe("tests.beyond_tasks.nothing_here")
    with pytest.raises(FunctionNotFound):
        proxy.describe("no_such_module_anywhere.f")
    with pytest.raises(NotCallable):
        proxy.describe("math.pi")
    with pytest.raises(FunctionNotFound):
        proxy.functions("no_such_module_anywhere")
    with pytest.raises(FunctionNotFound):
        proxy.functions("not a name")
    assert proxy.check()
