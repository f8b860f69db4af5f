# -*- coding: utf-8 -*-
"""Auto-launch the way IronPython hosts do it: System.Diagnostics.Process (Python 2.7 safe).

IronPython cannot run here; pythonnet reaches the same System.Diagnostics.Process
API, so the dotnet stage (COMPAS_CLOUD_TRANSPORT=dotnet) runs these through the
launcher's IronPython branch. Elsewhere only the pure-Python parts run.
"""
from __future__ import absolute_import

import os
import shutil
import tempfile

import pytest

from compas_cloud import Proxy, ServerStartError
from compas_cloud.client import dotnet_process, launcher

from helpers import free_port, server_python

pytestmark = pytest.mark.filterwarnings("ignore:Hosting Mono versions")

ON_DOTNET_STAGE = os.environ.get("COMPAS_CLOUD_TRANSPORT") == "dotnet"
needs_dotnet = pytest.mark.skipif(
    not ON_DOTNET_STAGE, reason=".NET process start runs in the dotnet stage (tools/runtimes/dotnet.sh)"
)


@pytest.fixture
def folder():
    path = tempfile.mkdtemp(prefix="compas_cloud-dotnet-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_quoting_follows_the_windows_rules():
    assert dotnet_process.quote("plain") == "plain"
    assert dotnet_process.quote("C:\\Program Files\\python.exe") == '"C:\\Program Files\\python.exe"'
    assert dotnet_process.quote('say "hi"') == '"say \\"hi\\""'
    assert dotnet_process.quote("ends with \\") == '"ends with \\\\"'
    assert dotnet_process.quote("") == '""'


def test_the_program_moves_into_a_script_next_to_the_log(folder):
    log = os.path.join(folder, u"server-1.log")
    command = launcher.server_command("python3", "127.0.0.1", 1234, auto_stop=5)
    parts = dotnet_process.script_command(command, log)
    assert parts[0] == "python3" and parts[2:] == ["--host", "127.0.0.1", "--port", "1234", "--auto-stop", "5"]
    assert os.path.dirname(parts[1]) == folder
    with open(parts[1], "rb") as handle:
        source = handle.read()
    compile(source, parts[1], "exec")  # valid Python on this runtime too
    script = source.decode("utf-8")
    assert "os.dup2" in script and "server-1.log" in script


@needs_dotnet
def test_launch_through_the_ironpython_branch_starts_a_server_without_pipes(monkeypatch, folder):
    monkeypatch.setattr(launcher, "IPY", True)  # the branch IronPython hosts take
    port = free_port()
    log = os.path.join(folder, u"server \u00e9.log")  # a space and a non-ASCII character in the path
    server = launcher.launch("127.0.0.1", port, python=server_python(), auto_stop=30, timeout=60, log_path=log)
    try:
        assert isinstance(server.process, dotnet_process.DotNetProcess)
        assert server.running() and server.process.poll() is None and server.pid > 0
        proxy = Proxy(port=port, autolaunch=False, verbose=False)
        assert proxy.call("numpy.linalg.norm", [[3, 4]]) == 5.0
        proxy.shutdown()
        assert server.wait(30)
        assert server.process.poll() == 0
        with open(log, "rb") as handle:
            text = handle.read().decode("utf-8")
        assert str(port) in text  # the server's own output went to the log file
    finally:
        server.process.kill()


@needs_dotnet
def test_a_server_that_cannot_start_reports_its_log(monkeypatch, folder):
    monkeypatch.setattr(launcher, "IPY", True)
    port = free_port()
    log = os.path.join(folder, "server.log")
    with pytest.raises(ServerStartError) as info:
        launcher.launch("127.0.0.1", port, python=server_python(), timeout=60, log_path=log,
                        extra_args=["--workers", "not-a-number"])
    assert "exited with code 2" in str(info.value)
    assert "--workers" in str(info.value)  # argparse's complaint, read back from the log


@needs_dotnet
def test_an_interpreter_that_cannot_run_is_a_server_start_error(monkeypatch, folder):
    monkeypatch.setattr(launcher, "IPY", True)
    python = os.path.join(folder, "python")
    with open(python, "w") as handle:
        handle.write("not a program\n")  # a file, but not executable
    with pytest.raises(ServerStartError) as info:
        launcher.launch("127.0.0.1", free_port(), python=python, timeout=10, log_path=os.path.join(folder, "server.log"))
    assert "cannot run " + python in str(info.value)


@needs_dotnet
def test_kill_ends_the_process(folder):
    command = launcher.server_command(server_python(), "127.0.0.1", free_port(), auto_stop=60)
    process = dotnet_process.spawn(command, os.path.join(folder, "server.log"))
    try:
        assert process.poll() is None
    finally:
        process.kill()
    assert process.wait(30) is not None


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX symlinks")
def test_the_script_is_never_written_through_a_symlink(folder):
    # Another local user pre-creates the script's name as a symlink to a file of ours: it must stay untouched.
    victim = os.path.join(folder, "victim.txt")
    with open(victim, "w") as handle:
        handle.write("precious")
    log = os.path.join(folder, "server-2.log")
    os.symlink(victim, os.path.join(folder, "server-2-launch.py"))
    command = launcher.server_command("python3", "127.0.0.1", 1234, auto_stop=5)
    with pytest.raises(OSError):
        dotnet_process.script_command(command, log)
    with open(victim) as handle:
        assert handle.read() == "precious"


def test_the_script_is_private(folder):
    log = os.path.join(folder, "server-3.log")
    parts = dotnet_process.script_command(launcher.server_command("python3", "127.0.0.1", 1234), log)
    if os.name == "posix":
        assert os.stat(parts[1]).st_mode & 0o077 == 0
