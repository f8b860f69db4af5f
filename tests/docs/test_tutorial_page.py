"""Every Python block of docs/tutorial.md, run in order in one namespace against a real server.

The page says ``Proxy()`` (the default address, or a launched server); here each ``Proxy()`` is pointed
at the test's own server on a free port instead. Nothing else of the text is changed.
"""
import io
import os
import re
import sys

from helpers import ROOT, ServerProcess

PAGE = os.path.join(ROOT, "docs", "tutorial.md")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks(path):
    with io.open(path, encoding="utf-8") as handle:
        return BLOCK.findall(handle.read())


def test_the_tutorial_has_a_block_per_topic():
    code = "\n".join(blocks(PAGE))
    for needle in ("proxy.function(", "proxy.cache(", "cache=True", "proxy.get(", "callback=", "progress=",
                   ".submit(", "proxy.batch(", "ServerSideError"):
        assert needle in code, needle


def test_every_block_of_the_tutorial_runs(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    saved_path = list(sys.path)
    namespace = {"__name__": "tutorial"}
    try:
        with ServerProcess() as server:
            target = "Proxy(host=%r, port=%d, autolaunch=False, verbose=False)" % (server.host, server.port)
            for index, block in enumerate(blocks(PAGE)):
                assert "Proxy()" not in block or block.count("Proxy()") == 1
                code = compile(block.replace("Proxy()", target), "docs/tutorial.md block %d" % (index + 1), "exec")
                exec(code, namespace)
            assert namespace["proxy"]._connection is None  # the last block closed it
    finally:
        sys.path[:] = saved_path
    printed = capsys.readouterr().out
    assert "5.0" in printed
    assert "ValueError" in printed  # the block on errors printed the remote math domain error
