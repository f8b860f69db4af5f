"""``python -m compas_cloud.install`` and compas's install hooks, against a temporary fake Rhino folder tree.

Python 2.7 safe; the compas hook tests need compas_rhino (CPython 3 .venv) and skip elsewhere.
"""
from __future__ import absolute_import

import os
import subprocess
import sys

import pytest

from helpers import ROOT

PACKAGE_DIR = os.path.join(ROOT, "compas_cloud")
PLUGIN = "compas_cloud {aff4b598-2925-4145-9a72-232984d129ca}"
USEROBJECTS = ["Cloud_Call.ghuser", "Cloud_Proxy.ghuser"]


def environment(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    for name in ("COMPAS_CLOUD_PYTHON", "COMPAS_CLOUD_GHUSER_DIR", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "CONDA_EXE"):
        env.pop(name, None)
    env.update(extra)
    return env


def run(args, **extra):
    process = subprocess.Popen(
        [sys.executable] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment(**extra), cwd=ROOT,
        universal_newlines=True,
    )
    output = process.communicate()[0]
    return process.returncode, output


class FakeRhino(object):
    """A per-user Rhino 7 folder and a Grasshopper folder under ``tmpdir``, and built user objects."""

    def __init__(self, tmpdir):
        self.rhino = str(tmpdir.join("McNeel", "Rhinoceros"))
        self.grasshopper = str(tmpdir.join("Grasshopper"))
        self.ghuser = str(tmpdir.join("build"))
        for folder in (os.path.join(self.rhino, "7.0", "scripts"), os.path.join(self.rhino, "7.0", "Plug-ins"),
                       os.path.join(self.grasshopper, "UserObjects"), self.ghuser):
            os.makedirs(folder)
        for name in USEROBJECTS:
            with open(os.path.join(self.ghuser, name), "wb") as handle:
                handle.write(b"ghuser " + name.encode("ascii"))
        # someone else's user object: must survive the uninstall
        with open(os.path.join(self.userobjects, "Other_Thing.ghuser"), "wb") as handle:
            handle.write(b"not ours")

    @property
    def scripts(self):
        return os.path.join(self.rhino, "7.0", "scripts")

    @property
    def userobjects(self):
        return os.path.join(self.grasshopper, "UserObjects")

    @property
    def plugin(self):
        return os.path.join(self.rhino, "7.0", "Plug-ins", "PythonPlugins", PLUGIN)

    def bootstrapper(self):
        values = {}
        with open(os.path.join(self.scripts, "compas_bootstrapper.py")) as handle:
            exec(handle.read(), values)
        return values

    def arguments(self):
        return ["--rhino-dir", self.rhino, "--grasshopper-dir", self.grasshopper, "--ghuser-dir", self.ghuser]


@pytest.fixture
def fake(tmpdir):
    return FakeRhino(tmpdir)


def test_install_links_copies_and_records_the_interpreter(fake):
    python = os.path.abspath(sys.executable)
    code, output = run(["-m", "compas_cloud.install", "--python", python] + fake.arguments())
    assert code == 0, output
    link = os.path.join(fake.scripts, "compas_cloud")
    assert os.path.islink(link) and os.path.realpath(link) == os.path.realpath(PACKAGE_DIR)
    assert os.path.isfile(os.path.join(fake.plugin, "dev", "__plugin__.py"))
    assert os.path.isfile(os.path.join(fake.plugin, "dev", "CloudStatus_cmd.py"))
    for name in USEROBJECTS:
        with open(os.path.join(fake.userobjects, name), "rb") as handle:
            assert handle.read() == b"ghuser " + name.encode("ascii")
    values = fake.bootstrapper()
    assert values["PYTHON_DIRECTORY"] == os.path.dirname(python)
    assert "compas_cloud" in values["INSTALLED_PACKAGES"]


def test_rhino_side_finds_package_and_interpreter_through_the_install(fake):
    code, output = run(["-m", "compas_cloud.install", "--python", sys.executable] + fake.arguments())
    assert code == 0, output
    # What Rhino's IronPython sees: only the scripts folder on sys.path (not this checkout).
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import compas_cloud, os; from compas_cloud.client import launcher;"
        "print(os.path.realpath(compas_cloud.__file__)); print(launcher.find_python()[1])"
    )
    process = subprocess.Popen([sys.executable, "-c", probe, fake.scripts], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, cwd=fake.scripts, env=environment(PYTHONPATH=""),
                               universal_newlines=True)
    lines = process.communicate()[0].strip().splitlines()
    assert process.returncode == 0, lines
    assert lines[0].startswith(os.path.realpath(PACKAGE_DIR))
    assert lines[1] == "compas_bootstrapper.PYTHON_DIRECTORY"


def test_install_keeps_other_packages_in_the_bootstrapper_and_is_repeatable(fake):
    with open(os.path.join(fake.scripts, "compas_bootstrapper.py"), "w") as handle:
        handle.write('ENVIRONMENT_NAME = r""\nPYTHON_DIRECTORY = r"/old"\nCONDA_EXE = r""\n'
                     "INSTALLED_PACKAGES = ['compas', 'compas_rhino']\n")
    for _ in range(2):
        code, output = run(["-m", "compas_cloud.install"] + fake.arguments())
        assert code == 0, output
    values = fake.bootstrapper()
    assert sorted(values["INSTALLED_PACKAGES"]) == ["compas", "compas_cloud", "compas_rhino"]
    assert values["PYTHON_DIRECTORY"] == os.path.dirname(os.path.abspath(sys.executable))


def test_uninstall_removes_only_what_it_installed(fake):
    assert run(["-m", "compas_cloud.install"] + fake.arguments())[0] == 0
    code, output = run(["-m", "compas_cloud.install", "--uninstall"] + fake.arguments())
    assert code == 0, output
    assert not os.path.lexists(os.path.join(fake.scripts, "compas_cloud"))
    assert os.path.isdir(PACKAGE_DIR)  # the link went, not the package
    assert not os.path.exists(fake.plugin)
    assert sorted(os.listdir(fake.userobjects)) == ["Other_Thing.ghuser"]
    assert "compas_cloud" not in fake.bootstrapper()["INSTALLED_PACKAGES"]


def test_install_refuses_to_replace_a_real_folder(fake):
    os.makedirs(os.path.join(fake.scripts, "compas_cloud"))
    code, output = run(["-m", "compas_cloud.install"] + fake.arguments())
    assert code == 1 and "is not a link" in output


def test_missing_rhino_version_is_reported(fake):
    code, output = run(["-m", "compas_cloud.install", "-v", "6.0"] + fake.arguments())
    assert code == 1 and "no Rhino 6.0 folder" in output


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Rhino's folders exist on this system")
def test_without_rhino_dir_on_linux_the_message_says_what_to_pass():
    code, output = run(["-m", "compas_cloud.install"])
    assert code == 1 and "--rhino-dir" in output and "nothing was installed" in output
    assert "OK" not in output


def test_without_built_user_objects_the_install_fails_and_says_what_to_do(fake):
    arguments = [argument for argument in fake.arguments()]
    index = arguments.index("--ghuser-dir")
    del arguments[index:index + 2]
    empty = os.path.join(os.path.dirname(fake.ghuser), "empty")
    os.makedirs(empty)
    code, output = run(["-m", "compas_cloud.install"] + arguments, COMPAS_CLOUD_GHUSER_DIR=empty)
    assert code == 1, output
    assert "FAILED" in output and "NOT installed" in output and "Package Manager" in output
    assert "skipped" not in output and "OK     user objects" not in output
    assert "install is incomplete" in output
    assert os.listdir(fake.userobjects) == ["Other_Thing.ghuser"]


# -- compas's own installer, calling the hooks -----------------------------------------------------

# compas_rhino finds Rhino's folders on Windows and macOS only: this runs its real installer
# with compas's platform flag set to Windows and APPDATA pointing at the fake tree.
AS_WINDOWS = (
    "import sys, runpy, compas; compas.WINDOWS, compas.OSX = True, False;"
    "sys.argv = [sys.argv[1]] + sys.argv[2:]; runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)"
)


def compas_rhino_available():
    code, _ = run(["-c", "import compas_rhino.install, compas.plugins"])
    return code == 0


@pytest.mark.skipif(not compas_rhino_available(), reason="needs compas (CPython 3 .venv)")
def test_compas_rhino_install_and_uninstall_use_the_hooks(tmpdir):
    appdata = str(tmpdir)
    fake = FakeRhino(tmpdir)
    assert fake.rhino == os.path.join(appdata, "McNeel", "Rhinoceros")
    env = dict(APPDATA=appdata, COMPAS_CLOUD_GHUSER_DIR=fake.ghuser)

    code, output = run(["-c", "import compas_rhino.install as i; print(sorted(set(sum(i.installable_rhino_packages(), []))))"], **env)
    assert code == 0 and "'compas_cloud'" in output, output

    code, output = run(["-c", AS_WINDOWS, "compas_rhino.install", "-v", "7.0", "-p", "compas_cloud"], **env)
    assert code == 0, output
    assert "compas_cloud (plugin)" in output and "compas_cloud (user objects)" in output
    link = os.path.join(fake.scripts, "compas_cloud")
    assert os.path.islink(link) and os.path.realpath(link) == os.path.realpath(PACKAGE_DIR)
    assert os.path.isfile(os.path.join(fake.plugin, "dev", "__plugin__.py"))
    assert sorted(os.listdir(fake.userobjects)) == sorted(USEROBJECTS + ["Other_Thing.ghuser"])
    assert "compas_cloud" in fake.bootstrapper()["INSTALLED_PACKAGES"]  # written by compas itself

    code, output = run(["-c", AS_WINDOWS, "compas_rhino.uninstall", "-v", "7.0", "-p", "compas_cloud"], **env)
    assert code == 0, output
    assert not os.path.lexists(link)
    assert not os.path.exists(fake.plugin)
    assert sorted(os.listdir(fake.userobjects)) == ["Other_Thing.ghuser"]


# -- the folders found without --rhino-dir --------------------------------------------------------


def test_default_folders_on_windows_and_macos(tmpdir, monkeypatch):
    from compas_cloud import install

    appdata = str(tmpdir.join("AppData", "Roaming"))
    monkeypatch.setenv("APPDATA", appdata)
    monkeypatch.setattr(install.os, "name", "nt")
    folders = install.RhinoFolders("7.0")
    assert folders.scripts == os.path.join(appdata, "McNeel", "Rhinoceros", "7.0", "scripts")
    assert folders.userobjects == os.path.join(appdata, "Grasshopper", "UserObjects")
    assert folders.python_plugins == os.path.join(appdata, "McNeel", "Rhinoceros", "7.0", "Plug-ins", "PythonPlugins")

    monkeypatch.setattr(install.os, "name", "posix")
    monkeypatch.setattr(install.sys, "platform", "darwin")
    monkeypatch.setenv("HOME", str(tmpdir))
    folders = install.RhinoFolders("8.0")
    rhino = os.path.join(str(tmpdir), "Library", "Application Support", "McNeel", "Rhinoceros")
    assert folders.scripts == os.path.join(rhino, "8.0", "scripts")
    assert folders.userobjects == os.path.join(rhino, "8.0", "Plug-ins", "Grasshopper (b45a29b1-4343-4035-989e-044e8580d9cf)",
                                               "UserObjects")
    assert install.userobject_kind(folders.version) == "cpython"
