"""What docs/security.md says a server prints when it starts is what a real server prints.

The page shows the lines of ``python -m compas_cloud.server`` at 127.0.0.1:9009; a real server here
starts on a free port, so the port is the one difference allowed.
"""
import io
import os
import re

from helpers import ROOT, ServerProcess

PAGE = os.path.join(ROOT, "docs", "security.md")


def page_lines():
    with io.open(PAGE, encoding="utf-8") as handle:
        text = handle.read()
    block = re.search(r"prints its address, its status\npage and its policy:\n\n```text\n(.*?)^```", text, re.S | re.M)
    assert block, "docs/security.md no longer shows the server's start lines where this test looks"
    return block.group(1).strip().splitlines()


def test_the_start_lines_on_the_page_are_the_servers():
    expected = page_lines()
    assert expected[0] == "starting compas_cloud server" and len(expected) >= 5
    with ServerProcess() as server:
        assert server.wait_line(expected[-1].split(":")[0], timeout=30)
        printed = [line for line in server.lines if not re.match(r"\d{4}-\d\d-\d\d ", line)][:len(expected)]
    assert [line.replace(":%d" % server.port, ":9009") for line in printed] == expected
