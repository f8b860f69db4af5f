"""Every Python block of the documentation site and of README.rst runs, against a real server.

docs/tutorial.md and docs/sharing.md have their own tests (tests/docs/test_tutorial_page.py: its blocks
share one session and check their results; tests/docs/test_sharing_page.py: its blocks need a result cache,
two servers and the Grasshopper side's names set up). Here each
other page runs its blocks in order in one namespace of its own. A page says ``Proxy()`` or
``Proxy(python=r"C:\\...")`` for its reader's machine; here every ``Proxy(...)`` is pointed at the test's
server instead. Nothing else of the text is changed. A line ``print(...)  # value`` (a number, list or
text) promises what it prints: the value must be in the page's output.
"""
import io
import os
import re
import sys
import textwrap

import pytest

from helpers import ROOT, ServerProcess

DOCS = os.path.join(ROOT, "docs")
FENCE = re.compile(r"^( *)```python\n(.*?)^\1```", re.S | re.M)
RST_BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?: {4}.*)?\n)+)", re.M)
PROXY = re.compile(r"\bProxy\([^()]*\)")
PROMISE = re.compile(r"^\s*print\(.*\)\s+#\s*([-\d\[\]'\"][^\s,]*)")
#: Pages whose blocks run in a test of their own.
OWN_TESTS = ("tutorial.md", "sharing.md")


def read(path):
    with io.open(path, encoding="utf-8") as handle:
        return handle.read()


def markdown_blocks(path):
    return [textwrap.dedent(body) for _, body in FENCE.findall(read(path))]


def readme_blocks():
    return [textwrap.dedent(body) for body in RST_BLOCK.findall(read(os.path.join(ROOT, "README.rst")))]


def pages():
    """(name, blocks) of every page with Python blocks, but those of OWN_TESTS."""
    found = []
    for folder, _, names in sorted(os.walk(DOCS)):
        for name in sorted(names):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, DOCS).replace(os.sep, "/")
            if name.endswith(".md") and relative not in OWN_TESTS:
                blocks = markdown_blocks(path)
                if blocks:
                    found.append(("docs/" + relative, blocks))
    found.append(("README.rst", readme_blocks()))
    return found


PAGES = pages()


def test_the_pages_that_show_python_are_all_found():
    names = [name for name, _ in PAGES]
    for expected in ("docs/index.md", "docs/getting-started/rhino7.md", "docs/getting-started/rhino8.md",
                     "docs/getting-started/pyrevit.md", "docs/getting-started/dynamo.md",
                     "docs/getting-started/python.md", "docs/batch.md", "README.rst"):
        assert expected in names
    assert all(blocks for _, blocks in PAGES)


@pytest.fixture(scope="module")
def doc_server():
    with ServerProcess() as server:
        yield server


@pytest.mark.parametrize("name,blocks", PAGES, ids=[name for name, _ in PAGES])
def test_every_python_block_runs(name, blocks, doc_server, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    target = "Proxy(host=%r, port=%d, autolaunch=False, verbose=False)" % (doc_server.host, doc_server.port)
    namespace = {"__name__": "doc_snippets"}
    saved_path = list(sys.path)
    try:
        for index, block in enumerate(blocks):
            code = compile(PROXY.sub(target, block), "%s block %d" % (name, index + 1), "exec")
            exec(code, namespace)
    finally:
        sys.path[:] = saved_path
        for value in list(namespace.values()):
            if type(value).__name__ == "Proxy" and type(value).__module__.startswith("compas_cloud"):
                value.close()
    printed = capsys.readouterr().out
    for block in blocks:
        for line in block.splitlines():
            promise = PROMISE.match(line)
            if promise:
                assert promise.group(1) in printed, "%s promises %s: %s\nprinted:\n%s" % (name, promise.group(1), line, printed)
