"""The user's tutorial works exactly as written, Python and JavaScript, against a real server."""
import os
import subprocess
import tempfile

import pytest

from compas_cloud import Proxy
from replay import javascript_scripts, normalise, python_session, run_session, tutorial_path

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MODULES = os.path.join(os.path.dirname(HERE), "js", "node_modules")


@pytest.fixture(scope="module")
def tutorial():
    path = tutorial_path()
    if not os.path.isfile(path):
        # A plain clone has no ../shared folder: the tutorial is the project's spec, kept beside the checkout.
        pytest.skip("the tutorial is not at {0} (a plain clone has no ../shared folder): set "
                    "COMPAS_CLOUD_TUTORIAL to its path to replay it".format(path))
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_python_session_prints_what_the_tutorial_shows(tutorial, server):
    session = python_session(tutorial)
    assert len(session) == 5, "the tutorial's Python session has five blocks"
    # The tutorial's third block calls translation_from_vector without importing it (compas 2
    # names it matrix_from_translation); an interactive user would have imported it.
    from compas.geometry import matrix_from_translation

    namespace = {"__name__": "__main__", "translation_from_vector": matrix_from_translation}
    outputs = run_session(session, server.port, namespace)
    for (statements, expected), output in zip(session, outputs):
        assert normalise(output, server.port) == normalise(expected, server.port), statements
    assert isinstance(namespace["proxy"], Proxy)
    namespace["proxy"].close()


@pytest.mark.parametrize("index, name", [(0, "client.js"), (1, "client_async.js")])
def test_javascript_clients_print_what_the_tutorial_shows(tutorial, server, index, name):
    if not os.path.isdir(os.path.join(NODE_MODULES, "ws")):
        pytest.fail("the ws package is missing: run tools/test.sh (it runs npm install in tests/js)")
    # client.js waits a fixed 300 ms for its answer: warm the server's import of compas.geometry first.
    with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
        proxy.function("compas.geometry.transform_points")([[0, 0, 0]], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    script = javascript_scripts(tutorial)[index].replace("9009", str(server.port))
    folder = tempfile.mkdtemp(prefix="compas_cloud-js-")
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(script)
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    result = subprocess.run(["node", path], capture_output=True, text=True, timeout=60, env=env, cwd=folder)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines == [
        "connected",
        "received: [[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [2.0, 0.0, 1.0], [3.0, 0.0, 1.0]]",
        "[ [ 0, 0, 1 ], [ 1, 0, 1 ], [ 2, 0, 1 ], [ 3, 0, 1 ] ]",
    ], result.stdout + result.stderr
