"""Starting and stopping real server processes."""
import json
import os
import signal
import subprocess
import sys

import websocket

from helpers import ServerProcess, server_env, server_python


def test_start_lines_say_starting_and_the_address():
    with ServerProcess() as server:
        assert server.lines[0] == "starting compas_cloud server"
        assert server.lines[1] == "Listenning at 127.0.0.1:{0}".format(server.port)


def test_ctrl_c_stops_cleanly():
    with ServerProcess() as server:
        os.kill(server.pid, signal.SIGINT)
        # On failure, what the server printed and logged says which step of the shutdown it was in.
        assert server.wait(15) == 0, "\n".join(server.lines) + "\n" + server.read_log()


def test_shutdown_request_stops_the_server_and_tells_clients():
    with ServerProcess() as server:
        bystander = websocket.create_connection(server.url, timeout=20, suppress_origin=True)
        ws = websocket.create_connection(server.url, timeout=20, suppress_origin=True)
        ws.send(json.dumps({"v": 1, "id": 1, "op": "shutdown"}))
        assert json.loads(ws.recv()) == {"v": 1, "id": 1, "ok": True, "result": True}
        assert server.wait(20) == 0
        notice = json.loads(bystander.recv())
        assert notice["v"] == 1 and notice["event"] == "shutdown"
        opcode, frame = bystander.recv_data_frame(True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert frame.data[:2] == b"\x03\xe9"  # 1001: going away


def test_auto_stop_waits_for_the_last_client():
    with ServerProcess("--auto-stop", "1") as server:
        first = websocket.create_connection(server.url, timeout=20, suppress_origin=True)
        second = websocket.create_connection(server.url, timeout=20, suppress_origin=True)
        first.close()
        assert server.wait(2.5) is None  # still serving the second client
        second.send(json.dumps({"v": 1, "id": 1, "op": "ping"}))
        assert json.loads(second.recv())["result"] == "pong"
        second.close()
        assert server.wait(20) == 0


def test_help_lists_the_options():
    out = subprocess.check_output([server_python(), "-m", "compas_cloud.server", "--help"], env=server_env())
    for option in (b"--host", b"--port", b"--auto-stop", b"--max-message-size", b"--workers"):
        assert option in out


def test_port_in_use_is_a_clear_error():
    with ServerProcess() as server:
        result = subprocess.run(
            [server_python(), "-m", "compas_cloud.server", "--port", str(server.port)],
            env=server_env(), capture_output=True, text=True, timeout=60,
        )
        assert result.returncode != 0
        assert "could not start" in result.stderr
        assert sys.executable  # the first server is unaffected:
        assert server.alive()


def _start_a_long_call(server, seconds):
    """A client whose call to time.sleep(seconds) is running on the server when this returns."""
    ws = websocket.create_connection(server.url, timeout=20, suppress_origin=True)
    ws.send(json.dumps({"v": 1, "id": 1, "op": "call", "function": "time.sleep", "args": [seconds], "kwargs": {}}))
    ws.send(json.dumps({"v": 1, "id": 2, "op": "ping"}))  # answered after the call has started
    assert json.loads(ws.recv())["id"] == 2
    return ws


def test_ctrl_c_says_what_still_runs_and_a_second_one_stops_now():
    with ServerProcess("--shutdown-grace", "120") as server:
        ws = _start_a_long_call(server, 100)
        os.kill(server.pid, signal.SIGINT)
        said = server.wait_line("stopping:", 15)
        assert said == ("stopping: 1 call still running; waiting up to 120 s for them to finish "
                        "(Ctrl-C again to stop now)")
        assert server.alive()  # the first Ctrl-C waits for the call
        os.kill(server.pid, signal.SIGINT)
        assert server.wait(30) == 0  # long before the call (100 s) or the grace period (120 s) ends
        assert "stopping now: 1 call abandoned" in server.lines
        assert "compas_cloud server stopped" in server.lines
        ws.close()


#: Windows' event loops have no add_signal_handler; this makes the server's loop behave the same.
_NO_LOOP_SIGNAL_HANDLERS = """
import asyncio
def refused(self, *args):
    raise NotImplementedError('as on Windows')
asyncio.AbstractEventLoop.add_signal_handler = refused
asyncio.SelectorEventLoop.add_signal_handler = refused
"""


def test_ctrl_c_twice_also_without_the_loops_signal_handlers():
    """Windows: the signal reaches the loop through a plain signal handler; the first waits, the second stops."""
    with ServerProcess("--shutdown-grace", "120", prelude=_NO_LOOP_SIGNAL_HANDLERS) as server:
        ws = _start_a_long_call(server, 100)
        os.kill(server.pid, signal.SIGINT)
        assert server.wait_line("stopping:", 15) is not None
        assert server.alive()
        os.kill(server.pid, signal.SIGINT)
        assert server.wait(30) == 0
        assert "stopping now: 1 call abandoned" in server.lines
        ws.close()


def test_the_grace_period_ends_the_wait_by_itself():
    with ServerProcess("--shutdown-grace", "1") as server:
        ws = _start_a_long_call(server, 100)
        os.kill(server.pid, signal.SIGINT)
        assert server.wait(30) == 0
        assert "stopping: 1 call still running; waiting up to 1 s for them to finish (Ctrl-C again to stop now)" in server.lines
        assert "the grace period (1 s) is over: 1 call abandoned" in server.lines
        ws.close()


def _troubleshooting_quotes(line):
    import io
    import re

    from helpers import ROOT

    with io.open(os.path.join(ROOT, "docs", "troubleshooting.md"), encoding="utf-8") as handle:
        text = handle.read()
    quoted = [entry for block in re.findall(r"^```text\n(.*?)^```", text, re.S | re.M) for entry in block.splitlines()]
    patterns = [".+?".join(re.escape(part) for part in re.split(r"<[^<>]+>", entry)) + r"\Z" for entry in quoted if entry]
    return any(re.match(pattern, line) for pattern in patterns)


def test_a_server_started_by_hand_without_its_dependencies_says_what_to_install(tmp_path):
    from helpers import ROOT

    folder = str(tmp_path / "bare")
    subprocess.check_call([server_python(), "-m", "venv", "--without-pip", folder])
    bare = os.path.join(folder, "bin", "python")
    result = subprocess.run([bare, "-m", "compas_cloud.server", "--port", "0"], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "compas_cloud server will not start: {0} lacks the server's dependencies (No module named 'websockets'); "
        "install them with: \"{0}\" -m pip install \"compas_cloud[server]\"".format(bare)]
    assert _troubleshooting_quotes(result.stderr.strip())


def test_a_server_started_by_hand_with_an_old_python_says_so():
    from helpers import ROOT

    old = os.environ.get("COMPAS_CLOUD_PYTHON27") or os.path.expanduser("~/.pyenv/versions/2.7.18/bin/python")
    if not os.path.isfile(old):
        import pytest

        pytest.skip("no Python 2.7 here to play the old interpreter")
    result = subprocess.run([old, "-m", "compas_cloud.server"], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 2
    assert result.stderr.startswith("compas_cloud server will not start: it needs Python >= 3.9, not Python 2.7.")
    assert len(result.stderr.splitlines()) == 1
    assert _troubleshooting_quotes(result.stderr.strip())
