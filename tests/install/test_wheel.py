"""The wheel built from this checkout: what it holds, and what ``pip install`` of it gives a user.

Builds the wheel (``python -m build``) into a temporary folder and installs it into fresh virtual
environments: the client alone (no numpy, compas or websockets), then ``[server]``. CPython 3 only.
"""
import email
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import pytest

from compas_cloud import __version__
from helpers import ROOT

pytestmark = pytest.mark.skipif(sys.version_info < (3, 9), reason="builds with the CPython 3 .venv")

PLUGIN = "compas_cloud {aff4b598-2925-4145-9a72-232984d129ca}"
COMPONENTS = ["Cloud_Cache", "Cloud_Call", "Cloud_Free", "Cloud_Get", "Cloud_Proxy", "Cloud_Server"]


def _run(command, **kwargs):
    process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, **kwargs)
    assert process.returncode == 0, "{0} failed:\n{1}".format(" ".join(command), process.stdout[-4000:])
    return process.stdout


@pytest.fixture(scope="module")
def workdir():
    folder = tempfile.mkdtemp(prefix="compas_cloud-wheel-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def wheel(workdir):
    # Build from a copy, so the checkout gets no build/ or .egg-info folders.
    source = os.path.join(workdir, "source")
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "node_modules", "__pycache__", "*.egg-info", "build", "dist", "bench", ".pytest_cache"))
    # user objects as the ghuser workflow leaves them (the componentizer cannot run here: stand-in files)
    for kind in ("cpython", "ironpython"):
        folder = os.path.join(source, "ghpython", "ghuser", kind)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "Cloud_Proxy.ghuser"), "wb") as handle:
            handle.write(kind.encode("ascii"))
    dist = os.path.join(workdir, "dist")
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source])
    wheels = [name for name in os.listdir(dist) if name.endswith(".whl")]
    assert wheels == ["compas_cloud-{0}-py2.py3-none-any.whl".format(__version__)]
    return os.path.join(dist, wheels[0])


def _venv(workdir, name):
    # No pip of its own (seeding one takes seconds): this test's pip installs into it with --python.
    folder = os.path.join(workdir, name)
    _run([sys.executable, "-m", "venv", "--without-pip", folder])
    python = os.path.join(folder, "Scripts" if os.name == "nt" else "bin", "python")
    env = dict(os.environ)
    for variable in ("PYTHONPATH", "PYTHONHOME", "COMPAS_CLOUD_PYTHON"):
        env.pop(variable, None)
    env["PYTHONNOUSERSITE"] = "1"
    return python, env


def _pip_install(python, env, requirement):
    # --no-compile: byte-compiling numpy and scipy would double the time, and proves nothing here.
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-compile",
          "--disable-pip-version-check", requirement], env=env)


@pytest.fixture(scope="module")
def client_venv(workdir, wheel):
    python, env = _venv(workdir, "client")
    _pip_install(python, env, wheel)
    return python, env


def test_wheel_holds_the_package_components_and_plugin(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = email.message_from_string(
            archive.read("compas_cloud-{0}.dist-info/METADATA".format(__version__)).decode("utf-8"))
    print("\n".join(sorted(names)))
    # every module of the package, and the server's dashboard page
    for folder, _, files in os.walk(os.path.join(ROOT, "compas_cloud")):
        for name in files:
            if name.endswith((".py", ".html", ".js", ".css")):
                relative = os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
                assert relative in names
    # both component sets, with their metadata and icons
    for kind in ("components", "components_cpython"):
        for component in COMPONENTS:
            for name in ("code.py", "metadata.json", "icon.png"):
                assert "compas_cloud/data/ghpython/{0}/{1}/{2}".format(kind, component, name) in names
    # built user objects of both sets
    for kind in ("cpython", "ironpython"):
        assert "compas_cloud/data/ghpython/ghuser/{0}/Cloud_Proxy.ghuser".format(kind) in names
    # the RhinoPython plugin and its commands
    for command in ("__plugin__", "CloudStart_cmd", "CloudStop_cmd", "CloudRestart_cmd", "CloudStatus_cmd", "CloudLog_cmd"):
        assert "compas_cloud/data/rhino_plugin/{0}/dev/{1}.py".format(PLUGIN, command) in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc") or name.startswith("tests/")]
    # the client alone is required; the server is an extra
    requires = metadata.get_all("Requires-Dist")
    unconditional = [req for req in requires if "extra ==" not in req]
    assert sorted(req.split(";")[0].split(">")[0].split("<")[0].strip() for req in unconditional) == [
        "websocket-client", "websocket-client"]
    assert set(metadata.get_all("Provides-Extra")) >= {"server", "dask", "dotnet", "test", "docs"}
    server = [req for req in requires if 'extra == "server"' in req]
    for package in ("websockets", "numpy", "compas"):
        assert any(req.startswith(package) for req in server), package
    assert metadata["Version"] == __version__


def test_the_client_alone_installs_without_the_server_and_talks_to_a_server(client_venv, server, workdir):
    python, env = client_venv
    script = """
import importlib.util, sys
missing = [name for name in ("numpy", "compas", "websockets", "scipy") if importlib.util.find_spec(name) is not None]
assert not missing, "installed with the client: %s" % missing
import compas_cloud, websocket
from compas_cloud import Proxy, host_files
assert compas_cloud.__file__.startswith(sys.prefix), compas_cloud.__file__
assert host_files.rhino_plugin_dir().startswith(sys.prefix)
assert host_files.components_dir("cpython").startswith(sys.prefix)
from compas_cloud.install import ghuser_sources, plugin_source
assert [p.startswith(sys.prefix) for p in ghuser_sources(kind="cpython")] == [True], ghuser_sources(kind="cpython")
assert plugin_source().startswith(sys.prefix)
proxy = Proxy(host="127.0.0.1", port=PORT, autolaunch=False, verbose=False)
print("norm", proxy.function("numpy.linalg.norm")([3, 4]))
proxy.close()
""".replace("PORT", str(server.port))
    output = _run([python, "-c", script], env=env, cwd=workdir)
    assert "norm 5.0" in output


def test_auto_launch_with_a_client_only_interpreter_names_the_fix(client_venv, workdir):
    python, env = client_venv
    env = dict(env, COMPAS_CLOUD_CONFIG_DIR=os.path.join(workdir, "config"))
    script = """
import socket, sys
from compas_cloud import Proxy, ServerStartError
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
try:
    Proxy(port=port, python=sys.executable, verbose=False, launch_timeout=60)
except ServerStartError as error:
    print("ERROR", error)
"""
    output = _run([python, "-c", script], env=env, cwd=workdir)
    assert "ERROR" in output
    assert '"{0}" -m pip install "compas_cloud[server]"'.format(python) in output


def test_the_server_extra_adds_the_server(client_venv, wheel, workdir):
    python, env = client_venv
    _pip_install(python, env, wheel + "[server]")
    env = dict(env, COMPAS_CLOUD_CONFIG_DIR=os.path.join(workdir, "config-server"))
    script = """
import socket, sys
from compas_cloud import Proxy
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
proxy = Proxy(port=port, verbose=False, auto_stop=1, launch_timeout=120)
print("launched with", proxy.launched.python)
print("norm", proxy.function("numpy.linalg.norm")([3, 4]))
print("compas", proxy.version()["compas"])
proxy.shutdown()
"""
    output = _run([python, "-c", script], env=env, cwd=workdir)
    assert "launched with " + python in output
    assert "norm 5.0" in output
