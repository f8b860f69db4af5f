"""The compas_cloud RhinoPython plugin: layout, and every command against a real server."""
from __future__ import absolute_import

import os
import re

from helpers import ServerProcess, free_port, server_python

import compas_cloud
from compas_cloud.ghpython import rhino_commands

SUCCESS, FAILURE = 0, 3
COMMANDS = set(["CloudStart", "CloudStop", "CloudRestart", "CloudStatus", "CloudLog"])


def test_plugin_layout(rhino):
    folder_name = os.path.basename(os.path.dirname(rhino.folder))
    match = re.match(r"^(\S+) (\{[0-9a-f-]{36}\})$", folder_name)
    assert match and match.group(1) == "compas_cloud"
    assert rhino.plugin["id"] == match.group(2)
    assert rhino.plugin["version"] == compas_cloud.__version__
    assert rhino.plugin["title"] == "compas_cloud"
    assert set(rhino.commands) == COMMANDS
    for name, (path, namespace) in rhino.commands.items():
        assert os.path.basename(path) == name + "_cmd.py"
        assert callable(namespace["RunCommand"])
        assert namespace.get("__doc__")


def test_status_shows_address_version_clients_and_memory(rhino, server):
    rhino_commands.configure(host=server.host, port=server.port)
    code, text = rhino.run("CloudStatus")
    assert code == SUCCESS, text
    assert "compas_cloud server at {0}:{1}".format(server.host, server.port) in text
    assert "version: " + compas_cloud.__version__ in text
    assert "dashboard: http://{0}:{1}/".format(server.host, server.port) in text
    assert re.search(r"connected clients: [1-9]", text)
    assert re.search(r"stored references: \d+ \(\d+\.\d MB\)", text)


def test_commands_fail_cleanly_without_a_server(rhino):
    rhino_commands.configure(host="127.0.0.1", port=free_port())
    for name in ("CloudStatus", "CloudStop"):
        code, text = rhino.run(name)
        assert code == FAILURE
        assert "failed" in text


def test_start_connects_to_a_running_server_and_stop_stops_it(rhino, own_server):
    rhino_commands.configure(host="127.0.0.1", port=own_server.port)
    code, text = rhino.run("CloudStart")
    assert code == SUCCESS and "connected to the server" in text
    code, text = rhino.run("CloudStop")
    assert code == SUCCESS and "stopped the server" in text
    assert own_server.wait(30) is not None


def test_restart_refuses_a_server_it_did_not_launch_and_leaves_it_running(rhino, own_server):
    rhino_commands.configure(host="127.0.0.1", port=own_server.port)
    assert rhino.run("CloudStart")[0] == SUCCESS
    code, text = rhino.run("CloudRestart")
    assert code == FAILURE and "did not launch it" in text, text
    assert "Traceback" not in text
    code, text = rhino.run("CloudStatus")
    assert code == SUCCESS and "compas_cloud server at 127.0.0.1:{0}".format(own_server.port) in text, text


def test_start_status_log_restart_stop_a_launched_server(rhino):
    port = free_port()
    rhino_commands.configure(host="127.0.0.1", port=port, python=server_python())
    launched = []
    try:
        code, text = rhino.run("CloudStart")
        assert code == SUCCESS and "started a server" in text, text
        proxy = rhino.sticky["compas_cloud.rhino.proxy"]
        launched.append(proxy.launched)
        first_pid = proxy.launched.pid

        code, text = rhino.run("CloudStatus")
        assert code == SUCCESS and "pid: {0}".format(first_pid) in text

        code, text = rhino.run("CloudLog")
        assert code == SUCCESS
        assert proxy.launched.log_path in text and "Listenning at" in text

        code, text = rhino.run("CloudRestart")
        assert code == SUCCESS and "restarted" in text, text
        launched.append(proxy.launched)
        assert launched[0].wait(30)
        assert proxy.launched.pid != first_pid
        code, text = rhino.run("CloudStatus")
        assert "pid: {0}".format(proxy.launched.pid) in text

        code, text = rhino.run("CloudStop")
        assert code == SUCCESS
        assert launched[-1].wait(30)
    finally:
        for server in launched:
            if server.running():
                server.process.kill()
                server.process.wait()


def test_log_without_a_log_file_fails_cleanly(rhino, monkeypatch, tmpdir):
    # A per-user folder of its own: the shared one keeps the logs of servers other tests launched, and a
    # free port may be one of theirs.
    monkeypatch.setenv("COMPAS_CLOUD_CONFIG_DIR", str(tmpdir))
    rhino_commands.configure(host="127.0.0.1", port=free_port())
    code, text = rhino.run("CloudLog")
    assert code == FAILURE and "no server log" in text


def test_a_second_server_on_the_same_port_reuses_nothing_stale(rhino, own_server):
    port = own_server.port
    rhino_commands.configure(host="127.0.0.1", port=port)
    assert rhino.run("CloudStatus")[0] == SUCCESS
    own_server.kill()
    assert rhino.run("CloudStatus")[0] == FAILURE
    comeback = ServerProcess("--port", str(port))
    try:
        code, text = rhino.run("CloudStatus")
        assert code == SUCCESS and "pid: {0}".format(comeback.pid) in text
    finally:
        rhino.run("CloudStop")
        comeback.stop()
