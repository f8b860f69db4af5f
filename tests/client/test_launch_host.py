# -*- coding: utf-8 -*-
"""The launcher as users' machines are: Windows interpreter choice, the host's Python settings, private logs,
IronPython's file modes on posix, and restart.

Python 2.7 safe (the py27 stage runs it too); the servers are real, started by the launcher.
"""
from __future__ import absolute_import

import os
import stat
import threading

import pytest

from compas_cloud import CloudError, Proxy, ServerStartError, auth
from compas_cloud.client import interpreter, launcher

from helpers import free_port, server_python

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes and symlinks are posix behaviour")


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _kill(server):
    if server is not None and server.running():
        server.process.kill()
        server.process.wait()


def _shut_down(proxy):
    """Clean-up: ask the launched server to stop (it may already be gone), then make sure it is."""
    try:
        proxy.shutdown()
    except CloudError:
        pass
    _kill(proxy.launched)


@pytest.fixture
def config(tmpdir, monkeypatch):
    """A fresh per-user folder (not yet created), as on a first launch."""
    folder = str(tmpdir.join("home", "compas_cloud"))
    monkeypatch.setenv(auth.CONFIG_DIR_ENV, folder)
    monkeypatch.delenv(auth.TOKEN_ENV, raising=False)
    monkeypatch.delenv(launcher.ENV_PYTHON, raising=False)
    return folder


# -- Windows: the interpreter ----------------------------------------------------------------


def _executable(path):
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        os.makedirs(folder)
    with open(path, "w") as handle:
        handle.write("")
    os.chmod(path, 0o755)
    return path


@pytest.fixture
def windows(tmpdir, monkeypatch):
    """A Windows-like tree: the Store stubs in WindowsApps, a real python.org install elsewhere."""
    root = str(tmpdir)
    apps = os.path.join(root, "Users", "ada", "AppData", "Local", "Microsoft", "WindowsApps")
    for name in ("python.exe", "python3.exe"):
        _executable(os.path.join(apps, name))
    monkeypatch.setenv("PATHEXT", ".COM;.EXE;.BAT;.CMD")
    monkeypatch.delenv(launcher.ENV_PYTHON, raising=False)
    monkeypatch.setattr(interpreter, "_bootstrapper_python", lambda: None)
    monkeypatch.setattr(interpreter, "_running_python_fits", lambda: False)
    for name in ("LOCALAPPDATA", "ProgramFiles", "ProgramW6432"):
        monkeypatch.delenv(name, raising=False)
    return root, apps


def test_windows_store_stubs_are_never_picked_from_path(windows):
    root, apps = windows
    real = _executable(os.path.join(root, "Python311", "python.exe"))
    path = ";".join([apps, os.path.join(root, "Python311")])
    found, how = launcher.find_python(path=path, windows=True)
    assert found == real and how == "PATH (python)"
    assert launcher.is_store_stub(os.path.join(apps, "python3.exe"))
    assert not launcher.is_store_stub(real)


def test_windows_install_folders_are_used_when_path_has_only_the_stubs(windows, monkeypatch):
    root, apps = windows
    local = os.path.join(root, "Users", "ada", "AppData", "Local")
    monkeypatch.setenv("LOCALAPPDATA", local)
    for version in ("Python39", "Python312", "Python310"):
        _executable(os.path.join(local, "Programs", "Python", version, "python.exe"))
    found, how = launcher.find_python(path=apps, windows=True)
    assert found == os.path.join(local, "Programs", "Python", "Python312", "python.exe")
    assert how == "the Windows install folders"


def test_windows_with_only_the_stubs_is_a_clear_server_start_error(windows):
    root, apps = windows
    with pytest.raises(ServerStartError) as info:
        launcher.find_python(path=apps, windows=True)
    assert "Microsoft Store stubs skipped" in str(info.value)


# -- the host's Python settings ---------------------------------------------------------------


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the server's environment from /proc")
def test_launched_server_does_not_inherit_the_hosts_python_settings(config, tmpdir, monkeypatch):
    # What Rhino/pyRevit set for their own Python: would break (or hijack) the server's CPython.
    planted = tmpdir.join("host-lib").ensure(dir=True)
    planted.join("websockets").ensure(dir=True).join("__init__.py").write("raise ImportError('the host library')\n")
    monkeypatch.setenv("PYTHONPATH", str(planted))
    monkeypatch.setenv("PYTHONHOME", str(tmpdir.join("no-such-home")))
    monkeypatch.setenv("IRONPYTHONPATH", str(planted))
    monkeypatch.setenv(auth.TOKEN_ENV, "a-token-of-the-host")
    server = launcher.launch("127.0.0.1", free_port(), python=server_python(), auto_stop=30, timeout=60)
    try:
        with open("/proc/{0}/environ".format(server.pid), "rb") as handle:
            pairs = [item.split(b"=", 1) for item in handle.read().split(b"\0") if b"=" in item]
        env = dict((key.decode("utf-8"), value.decode("utf-8")) for key, value in pairs)
        for name in ("PYTHONPATH", "PYTHONHOME", "IRONPYTHONPATH"):
            assert name not in env
        assert env["PYTHONNOUSERSITE"] == "1"
        assert env[auth.TOKEN_ENV] == server.token  # the launch's own token, not the host's
        proxy = Proxy(port=server.options.port, token=server.token, autolaunch=False, verbose=False)
        try:
            assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0
        finally:
            proxy.close()
    finally:
        _kill(server)


# -- IronPython on posix ------------------------------------------------------------------------


@pytest.fixture
def ironpython_posix(monkeypatch):
    """IronPython 2.7 on Mono: os.open and os.makedirs ignore the mode, no os.fchmod, os.chmod sets no mode bits."""
    real_open, real_makedirs = os.open, os.makedirs

    def open_ignoring_mode(path, flags, mode=0o777):
        return real_open(path, flags, 0o644)

    def makedirs_ignoring_mode(path, mode=0o777, *args, **kwargs):
        return real_makedirs(path, 0o755)

    old_umask = os.umask(0o022)
    monkeypatch.setattr(os, "open", open_ignoring_mode)
    monkeypatch.setattr(os, "makedirs", makedirs_ignoring_mode)
    monkeypatch.delattr(os, "fchmod")
    monkeypatch.setattr(os, "chmod", lambda path, mode: None)
    yield
    os.umask(old_umask)


@posix_only
def test_ironpython_posix_launch_gets_its_token_privately(config, ironpython_posix):
    # Here the modes come from running chmod; in the dotnet stage (pythonnet on Mono) from Mono.Posix.
    port = free_port()
    proxy = Proxy(port=port, python=server_python(), auto_stop=5, verbose=False)
    try:
        assert proxy.launched is not None
        assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0
        for folder in (config, launcher.log_dir()):
            assert _mode(folder) == 0o700, folder
        assert _mode(proxy.launched.log_path) == 0o600
        token_file = auth.launched_token_file(port)
        assert proxy.launched.token_file == token_file
        assert _mode(token_file) == 0o600
        assert auth.read_token(token_file) == proxy.launched.token
        # another client of the same user finds the token there
        other = Proxy(port=port, autolaunch=False, verbose=False)
        other.close()
    finally:
        _shut_down(proxy)


@posix_only
def test_ironpython_posix_without_any_way_to_set_modes_keeps_the_token_off_disk(config, ironpython_posix, monkeypatch):
    monkeypatch.setattr(auth, "_chmod_command", lambda path, mode: False)
    monkeypatch.setattr(auth, "_chmod_dotnet", lambda path, mode: False)  # the dotnet stage has Mono.Posix
    port = free_port()
    # The token still reaches the server (environment) and the proxy; no readable token file is left behind.
    token, path = launcher.prepare_token(port)
    assert token and path is None
    assert not os.path.exists(auth.launched_token_file(port))
    # A log that cannot be made private is a ServerStartError, not an OSError.
    with pytest.raises(ServerStartError) as info:
        launcher.launch("127.0.0.1", port, python=server_python(), timeout=30)
    assert "cannot create the log file" in str(info.value)


# -- logs ----------------------------------------------------------------------------------------


@posix_only
def test_logs_are_private_and_never_follow_a_planted_symlink(config, tmpdir):
    target = tmpdir.join("victim.txt")
    target.write("keep me")
    planted = str(tmpdir.join("server.log"))
    os.symlink(str(target), planted)
    with pytest.raises(ServerStartError):
        launcher.launch("127.0.0.1", free_port(), python=server_python(), timeout=30, log_path=planted)
    assert target.read() == "keep me"
    # the default logs folder replaced by a symlink (to a folder others can write) is refused too
    auth.makedirs_private(config)
    elsewhere = tmpdir.join("elsewhere").ensure(dir=True)
    os.symlink(str(elsewhere), launcher.log_dir())
    with pytest.raises(ServerStartError) as info:
        launcher.create_log(free_port())
    assert "symlink" in str(info.value)
    assert elsewhere.listdir() == []


def test_an_unusable_config_folder_is_a_server_start_error(tmpdir, monkeypatch):
    blocker = tmpdir.join("a-file")
    blocker.write("")
    monkeypatch.setenv(auth.CONFIG_DIR_ENV, str(blocker))
    with pytest.raises(ServerStartError) as info:
        launcher.launch("127.0.0.1", free_port(), python=server_python(), timeout=30)
    assert "log file" in str(info.value)


def test_two_clients_launching_at_once_keep_their_own_logs(config):
    port = free_port()
    servers, errors = [], []

    def start():
        try:
            servers.append(launcher.launch("127.0.0.1", port, python=server_python(), auto_stop=5, timeout=60))
        except Exception as error:  # noqa: BLE001 -- reported below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    try:
        assert errors == []
        assert len(servers) == 2
        first, second = [server.log_path for server in servers]
        assert first != second
        assert os.path.isfile(first) and os.path.isfile(second)
        if os.name == "posix":
            assert _mode(first) == 0o600 and _mode(second) == 0o600 and _mode(launcher.log_dir()) == 0o700
        assert launcher.default_log_path(port) in (first, second)
    finally:
        for server in servers:
            _kill(server)


# -- restart -------------------------------------------------------------------------------------


def test_restart_brings_the_server_back_with_its_options(config):
    port = free_port()
    proxy = Proxy(port=port, python=server_python(), auto_stop=7, verbose=False, server_options=["--deny", "numpy.linalg"])
    first = proxy.launched
    try:
        token = first.token
        with pytest.raises(CloudError):
            proxy.function("numpy.linalg.norm")([3, 4])
        assert proxy.function("numpy.add")(1, 2) == 3
        proxy.restart()
        assert first.wait(30)
        assert proxy.launched is not first
        assert proxy.launched.token == token
        status = proxy.status()
        assert status["auto_stop"] == 7
        with pytest.raises(CloudError):
            proxy.function("numpy.linalg.norm")([3, 4])  # still denied
        other = Proxy(port=port, token=token, autolaunch=False, verbose=False)  # same token
        other.close()
    finally:
        _shut_down(proxy)
        _kill(first)


def test_restart_refuses_a_server_it_did_not_launch(server):
    proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
    try:
        with pytest.raises(CloudError) as info:
            proxy.restart()
        assert "did not launch it" in str(info.value)
        assert proxy.check()  # untouched
    finally:
        proxy.close()
