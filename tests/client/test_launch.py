# -*- coding: utf-8 -*-
"""Auto-launch: a Proxy with no server running starts one, and says clearly when it cannot."""
from __future__ import absolute_import

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from compas_cloud import ConnectionFailed, Proxy, ServerStartError
from compas_cloud.errors import ReferenceNotFound
from compas_cloud.client import launcher

from helpers import free_port, server_python


def _stop(proxy):
    if proxy.launched is not None and proxy.launched.running():
        proxy.launched.process.kill()
        proxy.launched.process.wait()


def test_autolaunch_starts_a_server_that_stops_after_its_last_client(capsys):
    port = free_port()
    proxy = Proxy(port=port, python=server_python(), auto_stop=1)
    try:
        out = capsys.readouterr().out
        assert "Started a new server at 127.0.0.1:{0}".format(port) in out
        assert proxy.launched is not None and proxy.launched.running()
        assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0
        assert os.path.isfile(proxy.launched.log_path)
        second = Proxy(port=port, python=server_python(), verbose=False)
        assert second.launched is None  # it found the running server
        proxy.close()
        assert not proxy.launched.wait(2.5)  # still running: another client is connected
        assert second.check()
        second.close()
        assert proxy.launched.wait(30)  # the last client left: it stops by itself
    finally:
        _stop(proxy)


def test_no_launch_when_disabled():
    with pytest.raises(ConnectionFailed):
        Proxy(port=free_port(), autolaunch=False, verbose=False)


def test_interpreter_without_server_dependencies_is_named_in_the_error():
    folder = tempfile.mkdtemp(prefix="compas_cloud-bare-")
    try:
        subprocess.check_call([server_python(), "-m", "venv", "--without-pip", folder])
        bare = launcher._python_in(folder)
        with pytest.raises(ServerStartError) as info:
            Proxy(port=free_port(), python=bare, verbose=False, launch_timeout=60)
        message = str(info.value)
        assert bare in message
        assert "websockets" in message
        assert '"{0}" -m pip install "compas_cloud[server]"'.format(bare) in message
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_an_old_python_is_refused_with_a_clear_message():
    with pytest.raises(ServerStartError) as info:
        launcher.launch("127.0.0.1", free_port(), python=sys.executable if sys.version_info < (3, 9) else _py27())
    assert "Python >= 3.9" in str(info.value)


def _py27():
    candidate = os.path.expanduser("~/.pyenv/versions/2.7.18/bin/python")
    if not os.path.isfile(candidate):
        pytest.skip("no Python 2.7 interpreter here to play the old Python")
    return candidate


def test_missing_interpreter_argument():
    with pytest.raises(ServerStartError) as info:
        launcher.find_python("/no/such/python")
    assert "/no/such/python" in str(info.value)


def test_interpreter_choice_order(monkeypatch):
    folder = tempfile.mkdtemp(prefix="compas_cloud-env-")
    try:
        fake = os.path.join(folder, "bin", "python")
        os.makedirs(os.path.dirname(fake))
        with open(fake, "w") as handle:
            handle.write("#!/bin/sh\n")
        os.chmod(fake, 0o755)
        # 1. an explicit argument (an environment folder works too)
        assert launcher.find_python(folder) == (fake, "the python argument")
        # 2. the environment variable
        monkeypatch.setenv(launcher.ENV_PYTHON, fake)
        assert launcher.find_python() == (fake, "the environment variable " + launcher.ENV_PYTHON)
        monkeypatch.delenv(launcher.ENV_PYTHON)
        # 3. the COMPAS bootstrapper written into Rhino by compas_rhino.install
        bootstrapper = type(sys)("compas_bootstrapper")
        bootstrapper.PYTHON_DIRECTORY = folder
        monkeypatch.setitem(sys.modules, "compas_bootstrapper", bootstrapper)
        assert launcher.find_python() == (fake, "compas_bootstrapper.PYTHON_DIRECTORY")
        monkeypatch.delitem(sys.modules, "compas_bootstrapper")
        # 4./5. the running CPython 3 with websockets, else PATH
        path, how = launcher.find_python()
        if launcher._running_python_fits():
            assert (path, how) == (sys.executable, "the running interpreter")
        else:
            assert how.startswith("PATH")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_only_local_hosts_are_launched_for():
    assert launcher.is_local("127.0.0.1") and launcher.is_local("localhost") and launcher.is_local("::1")
    assert not launcher.is_local("10.1.2.3") and not launcher.is_local("example.org")


def test_restart_gives_a_fresh_server():
    port = free_port()
    proxy = Proxy(port=port, python=server_python(), auto_stop=5, verbose=False)
    first = proxy.launched
    try:
        ref = proxy.cache([1])
        first_pid = proxy.status()["pid"]
        proxy.restart()
        assert first.wait(30)  # the first server is gone
        assert proxy.status()["pid"] != first_pid
        assert proxy.function("builtins.len")([1, 2]) == 2
        with pytest.raises(ReferenceNotFound):
            proxy.get(ref)
    finally:
        try:
            proxy.shutdown()
        except Exception:
            pass
        _stop(proxy)
        if first is not None and first.running():
            first.process.kill()
            first.process.wait()


def test_the_server_environment_holds_native_strings():
    # CPython 2.7 on Windows refuses unicode in a child's environment ("environment can only contain
    # strings"); the token is unicode there (read from its file, or made by new_token). Checked for real
    # by the py27 stage.
    env = launcher.server_environment({"PATH": os.environ.get("PATH", "")}, token=u"0123abcd")
    assert all(type(name) is str and type(value) is str for name, value in env.items()), env
    assert env["COMPAS_CLOUD_TOKEN"] == "0123abcd"


def test_handles_are_closed_in_the_server_where_windows_allows_it_with_redirected_output():
    # Windows before Python 3.7 raises ValueError for close_fds=True with redirected streams.
    assert launcher.close_fds_allowed(windows=True, version=(2, 7)) is False
    assert launcher.close_fds_allowed(windows=True, version=(3, 6)) is False
    assert launcher.close_fds_allowed(windows=True, version=(3, 7)) is True
    assert launcher.close_fds_allowed(windows=False, version=(2, 7)) is True
