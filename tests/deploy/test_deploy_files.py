"""Dockerfile, compose.yaml and docs/deploy.md: they parse, agree with each other, and the image's
command line (run here, outside a container) starts a real server that its HEALTHCHECK accepts."""
import fnmatch
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

import pytest
import yaml

from compas_cloud.server.cli import build_parser, config_from_args
from helpers import ROOT, free_port, make_certificates, server_env


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


def dockerfile():
    """Return the Dockerfile's instructions as (NAME, argument text), continuation lines joined."""
    text = re.sub(r"\\\n", " ", read("Dockerfile"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, rest = line.partition(" ")
            instructions.append((name.upper(), rest.strip()))
    return instructions


def instruction(name):
    found = [rest for key, rest in dockerfile() if key == name]
    assert len(found) == 1, (name, found)
    return found[0]


def exec_form(name):
    value = instruction(name)
    if name == "HEALTHCHECK":
        value = value.split(" CMD ", 1)[1]
    command = json.loads(value)
    assert isinstance(command, list) and all(isinstance(item, str) for item in command), value
    return command


def test_the_image_is_slim_runs_as_a_user_and_installs_server_and_dask():
    assert re.match(r"^python:3\.\d+-slim$", instruction("FROM"))
    user = instruction("USER")
    assert user not in ("root", "0") and user.split(":")[0] != "0"
    install = [rest for key, rest in dockerfile() if key == "RUN" and "pip install" in rest]
    assert len(install) == 1 and "[server,dask]" in install[0]
    extras = re.search(r"^\[project\.optional-dependencies\]\n(.*?)\n\[", read("pyproject.toml"), re.S | re.M).group(1)
    assert re.search(r"^server = \[", extras, re.M) and re.search(r"^dask = \[", extras, re.M)
    assert exec_form("HEALTHCHECK") == ["python", "-m", "compas_cloud.server.healthcheck"]  # GET /healthz
    assert instruction("EXPOSE") == "9009"


def _image_env(tmp_path, port, token=None):
    env = server_env()
    env.pop("COMPAS_CLOUD_TOKEN", None)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # "python" as in the image
    env["COMPAS_CLOUD_PORT"] = str(port)
    env["COMPAS_CLOUD_TOKEN_SECRET"] = str(tmp_path / "no-secret")
    if token is not None:
        secret = tmp_path / "compas_cloud_token"
        secret.write_text(token + "\n")
        env["COMPAS_CLOUD_TOKEN_SECRET"] = str(secret)
    return env


def _healthcheck(env):
    return subprocess.call(exec_form("HEALTHCHECK"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _start_healthy(command, env, cwd, what):
    """Start the image's command line; return the process once the image's HEALTHCHECK passes (60 s at most)."""
    process = subprocess.Popen(command, env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True)
    try:
        deadline = time.time() + 60
        while _healthcheck(env) != 0:
            assert process.poll() is None, process.stdout.read()
            assert time.time() < deadline, what + " never became healthy"
            time.sleep(0.2)
    except BaseException:
        process.kill()
        process.wait(30)
        raise
    return process


def test_the_image_command_serves_with_the_secret_and_passes_its_healthcheck(tmp_path):
    token = "image-secret-token-0123456789"
    port = free_port()
    env = _image_env(tmp_path, port, token)
    env["COMPAS_CLOUD_HOST"] = "127.0.0.1"  # tests bind loopback; the image's default is 0.0.0.0
    command = exec_form("ENTRYPOINT") + exec_form("CMD")
    process = _start_healthy(command, env, tmp_path, "the server of the image's command line")
    try:
        url = "http://127.0.0.1:{0}/metrics".format(port)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert b"compas_cloud_up 1" in answer.read()
    finally:
        process.terminate()
        process.wait(30)
    output = process.stdout.read()
    assert "token required: yes (from the environment variable COMPAS_CLOUD_TOKEN)" in output
    assert _healthcheck(env) != 0  # nothing listens any more


def test_the_image_healthcheck_follows_the_server_to_tls(tmp_path):
    """docs/deploy.md: mount a certificate and add --certfile/--keyfile; the HEALTHCHECK then asks https://."""
    ca, cert, key = make_certificates(str(tmp_path))
    port = free_port()
    env = _image_env(tmp_path, port, "image-tls-token-0123456789")
    env["COMPAS_CLOUD_HOST"] = "127.0.0.1"
    command = exec_form("ENTRYPOINT") + exec_form("CMD") + ["--certfile", cert, "--keyfile", key]
    process = _start_healthy(command, env, tmp_path, "the TLS server of the image's command line")
    try:
        probe = subprocess.run(exec_form("HEALTHCHECK"), env=env, stdout=subprocess.PIPE, universal_newlines=True,
                               timeout=60)
        assert probe.stdout.startswith("healthy: https://127.0.0.1:{0}/healthz 200".format(port))
    finally:
        process.terminate()
        process.wait(30)
    assert "TLS: yes" in process.stdout.read()


def test_the_image_command_names_a_secret_it_cannot_read():
    folder = tempfile.mkdtemp(prefix="compas_cloud-secret-")
    try:
        os.chmod(folder, 0o755)
        secret = os.path.join(folder, "compas_cloud_token")
        with open(secret, "w") as handle:
            handle.write("unreadable-secret-0123456789\n")
        os.chmod(secret, 0)
        env = _image_env(pathlib.Path(folder), free_port())
        env["COMPAS_CLOUD_TOKEN_SECRET"] = secret
        command = exec_form("ENTRYPOINT") + exec_form("CMD")
        if os.geteuid() == 0:  # root reads any file: run it as nobody, as the image runs as its own user
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        result = subprocess.run(command, env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=60)
        assert result.returncode == 2
        assert "the token secret {0} cannot be read by user".format(secret) in result.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_image_command_without_a_token_refuses_to_listen_on_all_addresses(tmp_path):
    env = _image_env(tmp_path, free_port())
    result = subprocess.run(exec_form("ENTRYPOINT") + exec_form("CMD"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr


def compose():
    return yaml.safe_load(read("compose.yaml"))


def _published(service):
    ports = []
    for item in service.get("ports", []):
        parts = str(item).split(":")
        ports.append(int(parts[-1]))
    return ports


def _documented_services():
    """The services table of docs/deploy.md: {service: text of its ports cell}."""
    table = {}
    for line in read("docs", "deploy.md").splitlines():
        match = re.match(r"^\| `([a-z0-9_-]+)` \| (.*) \| (.*) \|$", line)
        if match:
            table[match.group(1)] = match.group(3)
    return table


def test_compose_runs_the_server_on_dask_with_a_scheduler_and_two_workers():
    services = compose()["services"]
    assert sorted(services) == ["compas_cloud", "scheduler", "worker-1", "worker-2"]
    server = services["compas_cloud"]
    args = server["command"]
    parsed = build_parser().parse_args(["--host", "0.0.0.0"] + args)
    assert parsed.executor == "dask"
    os.environ["COMPAS_CLOUD_TOKEN"], saved = "x" * 24, os.environ.get("COMPAS_CLOUD_TOKEN")
    try:
        config = config_from_args(parsed)  # the server accepts these arguments
    finally:
        if saved is None:
            del os.environ["COMPAS_CLOUD_TOKEN"]
        else:
            os.environ["COMPAS_CLOUD_TOKEN"] = saved
    scheduler_port = services["scheduler"]["entrypoint"][services["scheduler"]["entrypoint"].index("--port") + 1]
    assert config.scheduler == "tcp://scheduler:{0}".format(scheduler_port)
    for name in ("worker-1", "worker-2"):
        entrypoint = services[name]["entrypoint"]
        assert entrypoint[:2] == ["dask", "worker"] and config.scheduler in entrypoint
    image = server["image"]
    assert all(service["image"] == image for service in services.values())  # same packages everywhere
    assert "compas_cloud_token" in server["secrets"] and "compas_cloud_token" in compose()["secrets"]


def test_compose_ports_match_the_deploy_guide():
    services = compose()["services"]
    documented = _documented_services()
    assert sorted(documented) == sorted(services)
    for name, service in services.items():
        cell = documented[name]
        published = _published(service)
        mentioned = [int(number) for number in re.findall(r"\b(\d{4,5})\b", cell)]
        for port in published:
            assert port in mentioned, (name, port, cell)
        if not published:
            assert cell.startswith("none") or "inside the stack" in cell, (name, cell)
    assert "9009" in documented["compas_cloud"] and _published(services["compas_cloud"]) == [9009]


def test_the_deploy_guide_covers_what_operators_need():
    text = read("docs", "deploy.md")
    for needed in ("[Service]", "ExecStart=", "proxy_set_header Upgrade", "proxy_read_timeout", "reverse_proxy",
                   "readinessProbe", "/healthz", "Dask Kubernetes Operator", "Helm", "## Sizing",
                   "## Security settings on a shared network", "--certfile", "cafile=", "images/dashboard.png"):
        assert needed in text, needed
    assert os.path.exists(os.path.join(ROOT, "docs", "images", "dashboard.png"))


def _substitute(command, replacements):
    return [replacements.get(item, item) for item in command]


def test_the_compose_stack_runs_as_processes(tmp_path):
    """compose.yaml's command lines, run here as plain processes on loopback (service names -> 127.0.0.1):
    the Dask scheduler (and its healthcheck), two workers, and the server on --executor dask running a batch."""
    distributed = pytest.importorskip("distributed")
    services = compose()["services"]
    scheduler_port, dask_dashboard, port = free_port(), free_port(), free_port()
    address = "tcp://127.0.0.1:{0}".format(scheduler_port)
    replacements = {"8786": str(scheduler_port), ":8787": "127.0.0.1:{0}".format(dask_dashboard),
                    "tcp://scheduler:8786": address}
    token = "compose-stack-token-0123456789"
    env = _image_env(tmp_path, port, token)
    env["COMPAS_CLOUD_HOST"] = "127.0.0.1"
    commands = {
        "scheduler": _substitute(services["scheduler"]["entrypoint"], replacements) + ["--host", "127.0.0.1"],
        "worker-1": _substitute(services["worker-1"]["entrypoint"], replacements) + ["--host", "127.0.0.1"],
        "worker-2": _substitute(services["worker-2"]["entrypoint"], replacements) + ["--host", "127.0.0.1"],
        "compas_cloud": exec_form("ENTRYPOINT") + _substitute(services["compas_cloud"]["command"], replacements),
    }
    logs, processes = {}, {}
    try:
        for name in ("scheduler", "worker-1", "worker-2", "compas_cloud"):
            logs[name] = open(str(tmp_path / (name + ".log")), "w+")
            processes[name] = subprocess.Popen(commands[name], env=env, cwd=ROOT, stdout=logs[name],
                                               stderr=subprocess.STDOUT, start_new_session=True)
        check = _substitute(services["scheduler"]["healthcheck"]["test"][1:], {})
        check = [item.replace("8787", str(dask_dashboard)) for item in check]
        deadline = time.time() + 120
        while subprocess.call(check, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
            assert processes["scheduler"].poll() is None and time.time() < deadline, _logs(logs)
            time.sleep(0.5)
        with distributed.Client(address, timeout=60) as dask_client:
            dask_client.wait_for_workers(2, timeout=120)
            names = {info["name"] for info in dask_client.scheduler_info()["workers"].values()}
            assert names == {"worker-1", "worker-2"}
            workers = set(dask_client.scheduler_info()["workers"])
        while _healthcheck(env) != 0:
            assert processes["compas_cloud"].poll() is None and time.time() < deadline, _logs(logs)
            time.sleep(0.2)
        from compas_cloud import Proxy

        with Proxy(host="127.0.0.1", port=port, token=token, autolaunch=False, verbose=False) as proxy:
            batch = proxy.batch([("numpy.linalg.norm", [[3 * i, 4 * i]], {}) for i in range(6)])
            status = batch.wait(120)
            assert status["state"] == "finished", status
            assert batch.results() == [5.0 * i for i in range(6)]
            assert {task["worker"] for task in status["tasks"]} <= workers
            executor = proxy.status()["executor"]
            assert executor["name"] == "dask" and executor["scheduler"] == address
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for handle in logs.values():
            handle.close()


def _logs(logs):
    text = []
    for name, handle in logs.items():
        handle.flush()
        handle.seek(0)
        text.append("--- {0}\n{1}".format(name, handle.read()[-3000:]))
    return "\n".join(text)


def _docker_context(destination):
    """Copy what ``docker build .`` sends (the checkout minus .dockerignore's patterns) to ``destination``."""
    patterns = [line.strip() for line in read(".dockerignore").splitlines() if line.strip() and not line.startswith("#")]

    def ignored(relative):
        for pattern in patterns:
            if pattern.startswith("**/"):
                if fnmatch.fnmatch(os.path.basename(relative), pattern[3:]):
                    return True
            elif fnmatch.fnmatch(relative, pattern):
                return True
        return False

    for folder, dirs, files in os.walk(ROOT):
        relative_folder = os.path.relpath(folder, ROOT)
        dirs[:] = [d for d in dirs if not ignored(os.path.normpath(os.path.join(relative_folder, d)))]
        for name in files:
            relative = os.path.normpath(os.path.join(relative_folder, name))
            if not ignored(relative):
                target = os.path.join(destination, relative)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(os.path.join(ROOT, relative), target)


def test_the_image_build_context_makes_a_package_with_the_server_the_dashboard_and_the_probe(tmp_path):
    """The Dockerfile's ``pip install /tmp/compas_cloud[server,dask]`` builds from the context docker sends:
    build that wheel here and check it carries what the image runs."""
    context = tmp_path / "context"
    _docker_context(str(context))
    assert not (context / ".git").exists() and not (context / ".venv").exists()
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist),
                            str(context)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert build.returncode == 0, build.stdout[-4000:]
    (wheel,) = os.listdir(str(dist))
    with zipfile.ZipFile(str(dist / wheel)) as archive:
        names = set(archive.namelist())
        metadata = archive.read([n for n in names if n.endswith(".dist-info/METADATA")][0]).decode("utf-8")
    for needed in ("compas_cloud/server/__main__.py", "compas_cloud/server/healthcheck.py",
                   "compas_cloud/server/dashboard/index.html", "compas_cloud/server/dashboard/app.js",
                   "compas_cloud/server/dashboard/style.css", "compas_cloud/server/executors/dask.py"):
        assert needed in names, needed
    assert "Provides-Extra: server" in metadata and "Provides-Extra: dask" in metadata
