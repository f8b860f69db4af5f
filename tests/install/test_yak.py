"""The Rhino package (Yak) and the Rhino 8 component set: built by tools/build_yak.py, checked here.

CPython 3 only (the build script is a CPython 3 tool).
"""
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from compas_cloud import __version__
from helpers import ROOT

pytestmark = pytest.mark.skipif(sys.version_info < (3, 9), reason="tools/build_yak.py runs on CPython 3")

SCRIPT = os.path.join(ROOT, "tools", "build_yak.py")
PLUGIN = "compas_cloud {aff4b598-2925-4145-9a72-232984d129ca}"
IRONPYTHON = os.path.join(ROOT, "ghpython", "components")
CPYTHON = os.path.join(ROOT, "ghpython", "components_cpython")
NAMES = sorted(os.listdir(IRONPYTHON))


def _build_yak():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_yak", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_manifest(text):
    """Read the flat YAML of manifest.yml: ``key: value`` and ``key:`` followed by ``  - item`` lines."""
    data, key = {}, None
    for line in text.splitlines():
        if line.startswith("  - "):
            data[key].append(json.loads(line[4:]) if line[4:].startswith('"') else line[4:])
        elif ":" in line:
            key, _, value = line.partition(":")
            value = value.strip()
            data[key] = (json.loads(value) if value.startswith('"') else value) if value else []
    return data


@pytest.fixture
def tree(tmpdir):
    """A copy of the sources with built user objects, as CI leaves them."""
    root = str(tmpdir.join("repo"))
    os.makedirs(os.path.join(root, "compas_cloud"))
    shutil.copy(os.path.join(ROOT, "compas_cloud", "__init__.py"), os.path.join(root, "compas_cloud"))
    shutil.copytree(os.path.join(ROOT, "ghpython"), os.path.join(root, "ghpython"),
                    ignore=shutil.ignore_patterns("ghuser", "__pycache__"))
    shutil.copytree(os.path.join(ROOT, "rhino_plugin"), os.path.join(root, "rhino_plugin"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for kind in ("cpython", "ironpython"):
        folder = os.path.join(root, "ghpython", "ghuser", kind)
        os.makedirs(folder)
        for name in NAMES:
            with open(os.path.join(folder, name + ".ghuser"), "wb") as handle:
                handle.write(kind.encode("ascii"))
    return root


def test_the_package_holds_manifest_user_objects_sources_and_plugin(tree, tmpdir):
    path = _build_yak().build(str(tmpdir.join("dist")), require_ghuser=True, root=tree)
    assert os.path.basename(path) == "compas_cloud-{0}-any-any.yak".format(__version__)
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
        text = archive.read("manifest.yml").decode("utf-8")
        manifest = parse_manifest(text)
        assert archive.read("Cloud_Proxy.ghuser") == b"cpython"
        assert archive.read("ironpython/Cloud_Proxy.ghuser") == b"ironpython"
    print("\n".join(names))
    assert manifest["name"] == "compas_cloud"
    assert manifest["version"] == __version__
    assert manifest["authors"] and manifest["description"] and manifest["url"].startswith("https://")
    assert "grasshopper" in manifest["keywords"] and manifest["icon"] == "icon.png"
    # what a YAML reader (as the yak tool and the package server are) makes of it: the same
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the check tools (tools/env.sh)")
    assert yaml.safe_load(text) == manifest
    expected = ["manifest.yml", "icon.png"]
    expected += [name + ".ghuser" for name in NAMES] + ["ironpython/" + name + ".ghuser" for name in NAMES]
    for name in NAMES:
        expected += ["components_cpython/{0}/{1}".format(name, part) for part in ("code.py", "icon.png", "metadata.json")]
    plugin = os.path.join(ROOT, "rhino_plugin", PLUGIN, "dev")
    expected += ["plugin/{0}/dev/{1}".format(PLUGIN, name) for name in os.listdir(plugin) if name.endswith(".py")]
    assert names == sorted(expected)


def test_the_command_line_writes_into_dist_and_says_what_is_missing(tmpdir):
    dist = str(tmpdir.join("out"))
    process = subprocess.run([sys.executable, SCRIPT, "--dist", dist], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, cwd=str(tmpdir))
    assert process.returncode == 0, process.stderr
    assert os.listdir(dist) == ["compas_cloud-{0}-any-any.yak".format(__version__)]
    if not os.path.isdir(os.path.join(ROOT, "ghpython", "ghuser", "cpython")):
        assert "no built .ghuser files" in process.stderr
        strict = subprocess.run([sys.executable, SCRIPT, "--dist", dist, "--require-ghuser"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True)
        assert strict.returncode != 0 and "no built .ghuser files" in strict.stderr


def test_a_header_out_of_step_with_the_version_stops_the_build(tree, tmpdir):
    code = os.path.join(tree, "ghpython", "components_cpython", "Cloud_Call", "code.py")
    with io.open(code, encoding="utf-8") as handle:
        text = handle.read()
    with io.open(code, "w", encoding="utf-8") as handle:
        handle.write(text.replace(__version__, "0.0.1", 1))
    with pytest.raises(SystemExit) as info:
        _build_yak().build(str(tmpdir.join("dist")), root=tree)
    assert "Cloud_Call" in str(info.value)


# -- the Rhino 8 component set -------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_rhino8_component_pins_this_version_and_shares_the_runtime(name):
    with io.open(os.path.join(CPYTHON, name, "code.py"), encoding="utf-8") as handle:
        cpython = handle.read()
    with io.open(os.path.join(IRONPYTHON, name, "code.py"), encoding="utf-8") as handle:
        ironpython = handle.read()
    header, _, body = cpython.partition("\n")
    assert header == "# r: compas_cloud=={0}".format(__version__)
    assert body == ironpython  # the same forwarding code: the logic lives in compas_cloud.ghpython


@pytest.mark.parametrize("name", NAMES)
def test_rhino8_component_metadata_matches_but_has_its_own_guid(name):
    with open(os.path.join(CPYTHON, name, "metadata.json")) as handle:
        cpython = json.load(handle)
    with open(os.path.join(IRONPYTHON, name, "metadata.json")) as handle:
        ironpython = json.load(handle)
    assert cpython.pop("instanceGuid") != ironpython.pop("instanceGuid")
    assert cpython == ironpython
    with open(os.path.join(CPYTHON, name, "icon.png"), "rb") as a, open(os.path.join(IRONPYTHON, name, "icon.png"), "rb") as b:
        assert a.read() == b.read()


def test_rhino8_guids_are_unique():
    guids = []
    for folder in (CPYTHON, IRONPYTHON):
        for name in NAMES:
            with open(os.path.join(folder, name, "metadata.json")) as handle:
                guids.append(json.load(handle)["instanceGuid"])
    assert len(set(guids)) == len(guids)
