# -*- coding: utf-8 -*-
"""docs/tutorial.md, block by block, on the client runtime of the stage that runs this test.

tests/docs/test_tutorial_page.py runs the tutorial on CPython 3; the tutorial says the client is the same
everywhere, so this runs its blocks again wherever the client suite runs: CPython 2.7 with
websocket-client 0.59 (the py27 stage), .NET's ClientWebSocket through pythonnet (the dotnet stage, the
transport of Rhino, Revit and Dynamo), and Windows and macOS (the client workflow). Each ``Proxy()`` of
the page is pointed at the test's server; nothing else of the text is changed.
"""
from __future__ import absolute_import

import io
import os
import re
import sys

from helpers import ROOT, ServerProcess

PAGE = os.path.join(ROOT, "docs", "tutorial.md")


def test_every_block_of_the_tutorial_runs_here(monkeypatch):
    with io.open(PAGE, encoding="utf-8") as handle:
        blocks = re.findall(r"^```python\n(.*?)^```", handle.read(), re.S | re.M)
    assert len(blocks) >= 6
    monkeypatch.chdir(ROOT)
    saved_path = list(sys.path)
    namespace = {"__name__": "tutorial"}
    try:
        with ServerProcess() as server:
            target = "Proxy(host='{0}', port={1}, autolaunch=False, verbose=False)".format(server.host, server.port)
            for number, block in enumerate(blocks, 1):
                code = compile(block.replace("Proxy()", target), "docs/tutorial.md block {0}".format(number), "exec")
                exec(code, namespace)
    finally:
        sys.path[:] = saved_path
    assert "proxy" in namespace and "batch" in namespace
