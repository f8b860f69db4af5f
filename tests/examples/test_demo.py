"""tools/demo.sh, run as a new user runs it: on a free port, and on a port something else holds."""
import os
import re
import socket
import subprocess

import pytest

from helpers import ROOT, ServerProcess, free_port


def demo(port):
    env = dict(os.environ, PORT=str(port))
    return subprocess.run(["bash", "tools/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_demo_runs_on_the_port_it_is_given():
    result = demo(free_port())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "moved ten times: [[0.0, 0.0, 5.0], [0.0, 1.0, 5.0]] ..." in result.stdout
    assert "lifted: [[0,0,2],[1,0,2],[1,1,2],[0,1,2]]" in result.stdout
    assert "=== done" in result.stdout


class _Listener(object):
    """Another program listening on a port (accepts connections, never answers)."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        return self

    def __exit__(self, *exc):
        self.sock.close()


@pytest.mark.parametrize("holder", [_Listener, ServerProcess], ids=["another program", "a compas_cloud server"])
def test_a_taken_port_stops_the_demo_before_it_runs_anything(holder):
    with holder() as taken:
        result = demo(taken.port)
        assert result.returncode == 1
        assert "=== starting a server" not in result.stdout
        assert "=== Python" not in result.stdout and "=== done" not in result.stdout
        line = [text for text in result.stderr.splitlines() if text.startswith("demo:")]
        assert len(line) == 1, result.stderr
        assert "port {0} on 127.0.0.1 is already taken".format(taken.port) in line[0]
        suggested = int(re.search(r"run the demo on a free port: PORT=(\d+) bash tools/demo.sh$", line[0]).group(1))
        assert suggested != taken.port
        check = socket.socket()  # the port it offers is free indeed
        check.bind(("127.0.0.1", suggested))
        check.close()
