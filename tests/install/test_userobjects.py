"""Building the ``.ghuser`` files on a user's machine (``compas_cloud.userobjects``, used by the installer).

The layout of each user object is plain Python and checked here against the component sources of both
sets. Writing it needs Grasshopper's GH_IO.dll, which only a Rhino installation (or NuGet) has: here the
installer is run against fake Rhino installations, and must say what is missing, never claim success.
Python 2.7 safe.
"""
from __future__ import absolute_import

import base64
import io
import json
import os
import sys

import pytest

from compas_cloud import __version__
from compas_cloud import userobjects
from compas_cloud.userobjects import UserObjectBuildError
from helpers import ROOT

from test_install import FakeRhino, run

SETS = {"ironpython": os.path.join(ROOT, "ghpython", "components"),
        "cpython": os.path.join(ROOT, "ghpython", "components_cpython")}
COMPONENTS = ["Cloud_Cache", "Cloud_Call", "Cloud_Free", "Cloud_Function", "Cloud_Get", "Cloud_Proxy", "Cloud_Server"]
CASES = [(kind, name) for kind in sorted(SETS) for name in COMPONENTS]


def _source(kind, name):
    folder = os.path.join(SETS[kind], name)
    with io.open(os.path.join(folder, "metadata.json"), encoding="utf-8") as handle:
        metadata = json.load(handle)
    with io.open(os.path.join(folder, "code.py"), encoding="utf-8") as handle:
        code = handle.read()
    with open(os.path.join(folder, "icon.png"), "rb") as handle:
        icon = handle.read()
    return folder, metadata, code, icon


def test_both_sets_have_every_component():
    for kind, folder in SETS.items():
        assert [os.path.basename(path) for path in userobjects.component_folders(folder)] == COMPONENTS, kind


@pytest.mark.parametrize("kind, name", CASES)
def test_layout_carries_the_metadata_the_icon_and_the_code(kind, name):
    folder, metadata, code, icon = _source(kind, name)
    root = userobjects.userobject_layout(folder, kind)
    assert root.name == "UserObject"
    assert root.get("BaseID") == userobjects.BASE_IDS[kind]
    for key, field in (("Name", "name"), ("NickName", "nickname"), ("Category", "category"),
                       ("SubCategory", "subcategory"), ("Description", "description"), ("InstanceGuid", "instanceGuid"),
                       ("Exposure", "exposure")):
        assert root.get(key) == metadata[field], key
    assert root.get("Icon") == icon
    component = root.get("Object")
    assert component.get("Name") == metadata["name"]
    assert component.get("IconDisplay") == metadata["ghpython"]["iconDisplay"]
    if kind == "ironpython":
        assert component.get("CodeInput") == code
        assert component.get("IsAdvancedMode") is True
    else:
        script = component.find("Script")
        text = base64.b64decode(script.get("Text")).decode("utf-8")
        assert text == code
        assert text.splitlines()[0] == "# r: compas_cloud==" + __version__
        assert script.find("LanguageSpec").get("Taxon") == "*.*.python"
        assert component.get("IconOverride") == icon


@pytest.mark.parametrize("kind, name", CASES)
def test_layout_has_the_parameters_in_metadata_order(kind, name):
    folder, metadata, _, _ = _source(kind, name)
    data = userobjects.userobject_layout(folder, kind).get("Object").find("ParameterData")
    inputs = metadata["ghpython"]["inputParameters"]
    outputs = metadata["ghpython"]["outputParameters"]
    input_id, output_id = userobjects.PARAMETER_IDS[kind]
    assert data.get("InputCount") == len(inputs) and data.get("OutputCount") == len(outputs)
    ids = set()
    for index, parameter in enumerate(inputs):
        assert data.get("InputId", index) == input_id
        chunk = data.find("InputParam", index)
        assert chunk.get("Name") == chunk.get("NickName") == parameter["name"]
        assert chunk.get("Description") == parameter["description"]
        assert chunk.get("ScriptParamAccess") == {"item": 0, "list": 1, "tree": 2}[parameter["scriptParamAccess"]]
        assert chunk.get("TypeHintID") == userobjects.TYPE_HINTS[kind][parameter["typeHintID"]]
        ids.add(chunk.get("InstanceGuid"))
    for index, parameter in enumerate(outputs):
        assert data.get("OutputId", index) == output_id
        chunk = data.find("OutputParam", index)
        assert chunk.get("Name") == parameter["name"]
        ids.add(chunk.get("InstanceGuid"))
    assert len(ids) == len(inputs) + len(outputs)
    with pytest.raises(KeyError):
        data.find("InputParam", len(inputs))


def test_the_same_sources_give_the_same_layout_and_the_sets_differ_where_the_hosts_do():
    def flat(chunk):
        return [(kind, key, index, flat(value) if kind == "chunk" else value) for kind, key, index, value in chunk.items] + [
            (name, index, flat(child)) for name, index, child in chunk.chunks]

    folder = os.path.join(SETS["ironpython"], "Cloud_Proxy")
    assert flat(userobjects.userobject_layout(folder, "ironpython")) == flat(userobjects.userobject_layout(folder, "ironpython"))
    # the str type hint is a different component type in GhPython and in Rhino 8's script component
    assert userobjects.TYPE_HINTS["ironpython"]["str"] != userobjects.TYPE_HINTS["cpython"]["str"]
    assert userobjects.BASE_IDS["ironpython"] != userobjects.BASE_IDS["cpython"]


def _component_copy(tmpdir, change):
    folder = tmpdir.join("Cloud_Test")
    source = os.path.join(SETS["ironpython"], "Cloud_Proxy")
    os.makedirs(str(folder))
    for name in ("code.py", "metadata.json", "icon.png"):
        with open(os.path.join(source, name), "rb") as handle:
            folder.join(name).write_binary(handle.read())
    metadata = json.loads(folder.join("metadata.json").read_text("utf-8"))
    change(metadata, str(folder))
    with io.open(str(folder.join("metadata.json")), "w", encoding="utf-8") as handle:
        handle.write(u"" + json.dumps(metadata))
    return str(folder)


def test_unusable_sources_are_named(tmpdir):
    def bad_hint(metadata, folder):
        metadata["ghpython"]["inputParameters"][0]["typeHintID"] = "brepp"

    with pytest.raises(UserObjectBuildError) as error:
        userobjects.userobject_layout(_component_copy(tmpdir.mkdir("a"), bad_hint), "cpython")
    assert "Cloud Proxy, input host: unknown typeHintID 'brepp'" in str(error.value)

    def no_icon(metadata, folder):
        os.remove(os.path.join(folder, "icon.png"))

    with pytest.raises(UserObjectBuildError) as error:
        userobjects.userobject_layout(_component_copy(tmpdir.mkdir("b"), no_icon), "ironpython")
    assert "has no icon.png" in str(error.value)

    with pytest.raises(UserObjectBuildError) as error:
        userobjects.build_userobjects(str(tmpdir.mkdir("empty")), str(tmpdir.join("out")), "ironpython", "7.0")
    assert "no component sources" in str(error.value)


# -- finding GH_IO.dll --------------------------------------------------------------------------------


def _plant(path):
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as handle:
        handle.write(b"MZ not really an assembly")
    return path


def test_gh_io_is_found_in_the_windows_installation_folder(tmpdir):
    program_files = str(tmpdir.join("Program Files"))
    environ = {"ProgramFiles": program_files}
    with pytest.raises(UserObjectBuildError) as error:
        userobjects.find_gh_io("7.0", environ=environ, platform="win32")
    expected = os.path.join(program_files, "Rhino 7", "Plug-ins", "Grasshopper", "GH_IO.dll")
    assert "no Rhino 7 installation with GH_IO.dll found" in str(error.value)
    assert expected in str(error.value) and "--gh-io" in str(error.value)
    _plant(expected)
    assert userobjects.find_gh_io("7.0", environ=environ, platform="win32") == expected
    with pytest.raises(UserObjectBuildError):
        userobjects.find_gh_io("8.0", environ=environ, platform="win32")  # Rhino 8's own, not Rhino 7's
    # an installation laid out otherwise is searched
    elsewhere = _plant(os.path.join(program_files, "Rhino 8", "System", "netcore", "GH_IO.dll"))
    assert userobjects.find_gh_io("8.0", environ=environ, platform="win32") == elsewhere


def test_gh_io_on_macos_is_looked_for_in_the_application_bundle():
    candidates = userobjects.gh_io_candidates("8.0", environ={}, platform="darwin")
    assert candidates[0] == ("/Applications/Rhino 8.app/Contents/Frameworks/RhCore.framework/Versions/A/Resources/"
                             "ManagedPlugIns/GrasshopperPlugin.rhp/GH_IO.dll").replace("/", os.sep)
    assert userobjects.gh_io_candidates("7.0", environ={}, platform="linux") == []


def test_a_given_installation_folder_is_searched(tmpdir):
    app = str(tmpdir.join("Rhino 7.app"))
    planted = _plant(os.path.join(app, "Contents", "Resources", "ManagedPlugIns", "GrasshopperPlugin.rhp", "GH_IO.dll"))
    _plant(os.path.join(app, "Contents", "Resources", "ManagedPlugIns", "GrasshopperPlugin.rhp", "old", "x", "GH_IO.dll"))
    assert userobjects.find_gh_io("7.0", gh_io=app, environ={}) == planted
    assert userobjects.find_gh_io("7.0", environ={"COMPAS_CLOUD_GH_IO": planted}) == planted
    with pytest.raises(UserObjectBuildError) as error:
        userobjects.find_gh_io("7.0", gh_io=str(tmpdir.join("nothing")), environ={})
    assert "no GH_IO.dll at" in str(error.value)


# -- the installer, when the package has no built user objects ----------------------------------------


def _install_without_built_files(fake, tmpdir, *extra):
    arguments = fake.arguments()
    index = arguments.index("--ghuser-dir")
    del arguments[index:index + 2]
    empty = str(tmpdir.mkdir("no-ghuser"))
    return run(["-m", "compas_cloud.install"] + arguments + list(extra), COMPAS_CLOUD_GHUSER_DIR=empty,
               COMPAS_CLOUD_GH_IO="", PYTHONWARNINGS="ignore")


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="a real Rhino may be installed on this system")
def test_without_a_rhino_installation_the_installer_says_it_cannot_build_them(tmpdir):
    fake = FakeRhino(tmpdir)
    code, output = _install_without_built_files(fake, tmpdir)
    assert code == 1, output
    assert "FAILED" in output and "building them here failed: no Rhino 7 installation with GH_IO.dll found" in output
    assert "--gh-io" in output and "Package Manager" in output
    assert sorted(os.listdir(fake.userobjects)) == ["Other_Thing.ghuser"]


def test_a_gh_io_that_cannot_be_used_is_a_failed_step_naming_what_is_missing(tmpdir):
    fake = FakeRhino(tmpdir)
    installation = str(tmpdir.join("Rhino 7"))
    _plant(os.path.join(installation, "Plug-ins", "Grasshopper", "GH_IO.dll"))
    code, output = _install_without_built_files(fake, tmpdir, "--gh-io", installation)
    assert code == 1, output
    assert "FAILED" in output and "install is incomplete" in output and "OK     user objects" not in output
    # With pythonnet here, the real .NET runtime refuses the planted file; without it, the fix is named.
    assert ("could not be loaded as Grasshopper's GH_IO assembly" in output
            or 'needs pythonnet in {0} '.format(sys.executable) in output and '"compas_cloud[dotnet]"' in output), output
    assert sorted(os.listdir(fake.userobjects)) == ["Other_Thing.ghuser"]


def test_the_check_script_fails_without_gh_io_and_says_why(tmpdir):
    code, output = run([os.path.join(ROOT, "tools", "check_userobjects.py"), "--gh-io", str(tmpdir.join("none")),
                        "--out", str(tmpdir.join("out"))])
    assert code == 1 and "check_userobjects: FAILED: no GH_IO.dll at" in output, output
