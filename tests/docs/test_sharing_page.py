"""The Python blocks of docs/sharing.md, run in order against real servers.

The page's ``Proxy()`` is pointed at the test's own server, its two pool addresses at two real servers;
the names the page leaves to the reader (the Grasshopper side's ``proxy`` and ``ref``, ``points``,
``token``) are set up here. Nothing else of the text is changed.
"""
import io
import os
import re

import pytest

from compas_cloud import Proxy
from helpers import ROOT, ServerProcess

PAGE = os.path.join(ROOT, "docs", "sharing.md")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks():
    with io.open(PAGE, encoding="utf-8") as handle:
        return BLOCK.findall(handle.read())


def test_every_block_of_the_sharing_page_runs():
    pytest.importorskip("compas")
    found = blocks()
    assert len(found) == 6
    share, rhino, unshare, cached, described, pool_block = found
    with ServerProcess("--result-cache", "8") as server, ServerProcess() as second:
        def connect(process):
            return Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False)

        # the Grasshopper side: a Cloud Call with keep = True made a mesh with one vertex
        grasshopper = connect(server)
        ref = grasshopper.call("compas.datastructures.Mesh", cache=True)
        grasshopper.call("compas.datastructures.Mesh.add_vertex", [ref], {"x": 0.0, "y": 0.0, "z": 0.0})
        exec(compile(share, "docs/sharing.md block 1", "exec"), {"proxy": grasshopper, "ref": ref})
        target = "Proxy(host=%r, port=%d, autolaunch=False, verbose=False)" % (server.host, server.port)
        assert rhino.count("Proxy()") == 1
        rhino_side = {}
        exec(compile(rhino.replace("Proxy()", target), "docs/sharing.md block 2", "exec"), rhino_side)
        assert rhino_side["count"] == 2
        # the next solve of the definition sees the vertex added by the script
        assert grasshopper.call("compas.datastructures.Mesh.number_of_vertices", [ref]) == 2
        exec(compile(unshare, "docs/sharing.md block 3", "exec"), rhino_side)
        assert rhino_side["proxy"].status()["shared"]["names"] == []
        assert rhino_side["proxy"].call("compas.datastructures.Mesh.number_of_vertices", [rhino_side["model"]]) == 2

        points = [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.5, 3.0]]
        namespace = {"proxy": grasshopper, "points": points}
        for _ in range(2):
            exec(compile(cached, "docs/sharing.md block 4", "exec"), namespace)
        figures = grasshopper.status()["result_cache"]
        assert figures["hits"] == 1 and figures["misses"] == 1
        assert namespace["smooth"].cache_result is True

        lines = described.strip().splitlines()
        exec(compile(lines[0], "docs/sharing.md block 5", "exec"), namespace)
        expression, _, shown = lines[1].partition("#")
        assert eval(expression, namespace) == eval(shown.strip())

        addresses = re.findall(r'"ws://[^"]+"', pool_block)
        assert len(addresses) == 2
        code = pool_block.replace(addresses[0], repr(server.url)).replace(addresses[1], repr(second.url))
        namespace = {"Proxy": Proxy, "token": None}
        exec(compile(code, "docs/sharing.md block 6", "exec"), namespace)
        pool = namespace["pool"]
        try:
            assert [entry["alive"] for entry in pool.status()["servers"]] == [True, True]
        finally:
            pool.close()
        grasshopper.close()
        rhino_side["proxy"].close()
