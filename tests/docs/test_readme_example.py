"""The README's "Using it" block runs as written against a real server, and its loop frees as it goes."""
import io
import os
import re

from helpers import ROOT, ServerProcess


def using_it_block():
    with io.open(os.path.join(ROOT, "README.rst"), encoding="utf-8") as handle:
        text = handle.read()
    section = text[text.index("Using it\n========"):]
    block = re.search(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", section).group(1)
    return "\n".join(line[4:] for line in block.splitlines())


def test_the_readme_example_runs_and_keeps_one_step_stored():
    code = using_it_block()
    body, last = code.rstrip().rsplit("\n", 1)
    assert last == "proxy.free([matrix, points])"
    assert "proxy.replace(points, move(points, matrix))" in body
    with ServerProcess() as server:
        target = "Proxy(host=%r, port=%d, autolaunch=False, verbose=False)" % (server.host, server.port)
        namespace = {}
        exec(compile(body.replace("Proxy()", target), "README.rst", "exec"), namespace)
        proxy = namespace["proxy"]
        try:
            assert proxy.status()["connection"]["references"] == 2  # the matrix and the last step, not five
            assert [[float(x) for x in p] for p in proxy.get(namespace["points"])] == [[0.0, 0.0, 5.0], [1.0, 0.0, 5.0]]
            exec(compile(last, "README.rst", "exec"), namespace)
            assert proxy.status()["connection"]["references"] == 0
        finally:
            proxy.close()
