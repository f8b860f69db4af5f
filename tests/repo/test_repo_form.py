"""The package's form: workflows that parse and run the README's commands, LICENSE, CHANGELOG.md, ruff.

The workflows cannot run here, so these tests read them: each must be valid YAML, the Linux job must
run the test command the README gives, the Windows and macOS jobs the client and protocol tests, the
release job must build the wheel and the Rhino package and publish with trusted publishing.
"""
import os
import re
import subprocess
import sys

import pytest
import yaml

import compas_cloud

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKFLOWS = os.path.join(ROOT, ".github", "workflows")


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def workflow(name):
    data = yaml.safe_load(read(".github", "workflows", name))
    assert isinstance(data, dict), name
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    triggers = data.get("on", data.get(True))
    assert triggers, "%s has no triggers" % name
    assert data["jobs"], "%s has no jobs" % name
    return data


def run_lines(job):
    """Every shell line of a job's steps."""
    lines = []
    for step in job["steps"]:
        lines.extend(line.strip() for line in step.get("run", "").splitlines() if line.strip())
    return lines


def uses(job):
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def readme_commands():
    """The commands of the README's quick start code block."""
    readme = read("README.rst")
    block = readme.split(".. code-block:: bash", 1)[1].split("\n\n")[1]
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_every_workflow_parses_as_yaml():
    names = sorted(n for n in os.listdir(WORKFLOWS) if n.endswith((".yml", ".yaml")))
    assert {"tests.yml", "release.yml", "ghuser.yml"} <= set(names)
    for name in names:
        data = workflow(name)
        for job_name, job in data["jobs"].items():
            assert job.get("runs-on"), "%s: job %s has no runner" % (name, job_name)
            assert job.get("steps"), "%s: job %s has no steps" % (name, job_name)


def test_linux_job_runs_the_readme_test_command():
    commands = readme_commands()
    assert "bash tools/test.sh" in commands
    job = workflow("tests.yml")["jobs"]["linux"]
    assert job["runs-on"].startswith("ubuntu")
    lines = run_lines(job)
    assert "bash tools/test.sh" in lines
    # The runner is not root, so the runtimes the stages would install with apt are set up before:
    # the py27 stage finds its interpreter through COMPAS_CLOUD_PYTHON27, the browser stage `chromium`.
    assert any("COMPAS_CLOUD_PYTHON27=" in line for line in lines)
    assert "COMPAS_CLOUD_PYTHON27" in read("tools", "runtimes", "py27.sh")
    assert any("mono-devel" in line for line in lines)
    assert any("/chromium" in line for line in lines)
    assert lines.index("bash tools/test.sh") == len(lines) - 1


def test_client_job_runs_client_and_protocol_tests_on_windows_and_macos():
    job = workflow("tests.yml")["jobs"]["client"]
    matrix = job["strategy"]["matrix"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert any(os_name.startswith("windows") for os_name in matrix["os"])
    assert any(os_name.startswith("macos") for os_name in matrix["os"])
    assert "actions/setup-python" in uses(job)
    lines = run_lines(job)
    assert any(re.match(r"python -m pip install (-e )?\"?\.\[test\]\"?$", line) for line in lines), lines
    pytest_lines = [line for line in lines if line.startswith("python -m pytest")]
    assert pytest_lines and "tests/client" in pytest_lines[0] and "tests/protocol" in pytest_lines[0]
    for folder in ("tests/client", "tests/protocol"):
        assert os.path.isdir(os.path.join(ROOT, folder))


def test_components_workflow_builds_the_user_objects():
    job = workflow("ghuser.yml")["jobs"]["build-ghuser"]
    assert job["runs-on"].startswith("windows")
    assert "compas-dev/compas-actions.ghpython_components" in uses(job)
    # the installer's own builder is checked there against a real GH_IO.dll (none exists on Linux)
    lines = run_lines(job)
    assert any(line.startswith("python tools/check_userobjects.py --gh-io ") for line in lines), lines
    assert os.path.isfile(os.path.join(ROOT, "tools", "check_userobjects.py"))


def test_release_builds_wheel_and_rhino_package_and_publishes_with_trusted_publishing():
    jobs = workflow("release.yml")["jobs"]
    build = run_lines(jobs["build"])
    assert any(line.startswith("python -m build") and "--wheel" in line for line in build)
    assert "python tools/build_yak.py --dist dist" in build
    assert any(line.startswith("python -m twine check --strict") for line in build)
    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert "pypa/gh-action-pypi-publish" in uses(publish)
    for step in publish["steps"]:
        # Trusted publishing: no stored token or password.
        assert "password" not in step.get("with", {})


def test_license_is_mit_as_declared():
    text = read("LICENSE")
    assert text.startswith("MIT License")
    assert "the compas_cloud developers" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
    declared = read("setup.py") + (read("pyproject.toml") if os.path.exists(os.path.join(ROOT, "pyproject.toml")) else "")
    assert re.search(r"license\s*=\s*(\"MIT\"|\{\s*text\s*=\s*\"MIT\"\s*\})", declared)


def test_changelog_keeps_a_changelog_and_matches_the_version():
    assert not os.path.exists(os.path.join(ROOT, "CHANGELOG.rst"))
    text = read("CHANGELOG.md")
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings[0] == "Unreleased"
    assert headings[1] == compas_cloud.__version__
    assert "0.4.1" in headings
    for version in headings:
        assert re.search(r"^\[%s\]: https://" % re.escape(version), text, re.M), "no link for %s" % version
    released = text.split("## [%s]" % compas_cloud.__version__, 1)[1].split("\n## [", 1)[0]
    assert "### Added" in released and "### Fixed" in released


def ruff_pin():
    """The ruff version the [lint] extra of pyproject.toml pins."""
    match = re.search(r'^lint = \[.*"ruff==([0-9.]+)"', read("pyproject.toml"), re.M)
    assert match, "pyproject.toml's [lint] extra must pin ruff (ruff==X.Y.Z)"
    return match.group(1)


def test_the_test_command_runs_ruff_configured_in_pyproject():
    test_sh = read("tools", "test.sh")
    assert re.search(r"ruff\" check \.", test_sh)
    pyproject = read("pyproject.toml")
    assert "[tool.ruff]" in pyproject and "[tool.ruff.lint]" in pyproject
    # Python 2.7 names (unicode, long) are allowed per file, where the compatibility code needs them.
    assert re.search(r'^\[tool\.ruff\.lint\.per-file-ignores\]\n(?:#.*\n)*"compas_cloud/_compat\.py" = \["F821"\]', pyproject, re.M)
    ruff_pin()
    # tools/test.sh and the lint workflow install that pin, not whatever ruff is newest.
    assert re.search(r'pip install .*-e "\$ROOT\[[a-z,]*lint[a-z,]*\]"', read("tools", "env.sh"))
    lint = run_lines(workflow("tests.yml")["jobs"]["lint"])
    assert 'python -m pip install ".[lint]"' in lint and "ruff check ." in lint


def test_the_code_is_clean_under_the_pinned_ruff():
    """The same check as the test command's lint stage, so that a run of these tests catches it too."""
    try:
        import ruff  # noqa: F401
    except ImportError:
        pytest.skip("ruff is not installed here (tools/test.sh installs the [lint] extra)")
    version = subprocess.run([sys.executable, "-m", "ruff", "--version"], stdout=subprocess.PIPE, universal_newlines=True)
    assert version.stdout.split()[-1] == ruff_pin(), "installed %s; pyproject.toml pins %s" % (version.stdout, ruff_pin())
    check = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", ROOT],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, cwd=ROOT)
    assert check.returncode == 0, check.stdout


def test_the_test_command_builds_the_docs_site_strictly():
    test_sh = read("tools", "test.sh")
    assert re.search(r"mkdocs\" build --strict", test_sh)
    config = read("mkdocs.yml")
    assert "strict: true" in config and "mkdocstrings" in config and "name: material" in config
    # Every Markdown page under docs/ is in the nav (a page left out is a page nobody finds).
    pages = []
    for folder, _, names in os.walk(os.path.join(ROOT, "docs")):
        for name in names:
            if name.endswith(".md"):
                pages.append(os.path.relpath(os.path.join(folder, name), os.path.join(ROOT, "docs")).replace(os.sep, "/"))
    missing = [page for page in pages if page not in config]
    assert not missing, "pages not in mkdocs.yml's nav: %s" % missing


def test_the_docs_name_the_version_of_the_package():
    """The version lives in compas_cloud/__init__.py; README and the docs pages follow it.

    Wheel names (``compas_cloud-X.Y.Z-...``), pins (``compas_cloud==X.Y.Z``, ``# r:``), the status text
    the components show (``compas_cloud X.Y.Z``) and "until X.Y is on the package index" must all name
    it: a version bump that leaves one behind fails here. 0.4.1 (the old release the docs warn about)
    and the benchmark page (which names the version it measured) are the exceptions.
    """
    version = compas_cloud.__version__
    short = ".".join(version.split(".")[:2])
    pages = ["README.rst"] + sorted(
        os.path.relpath(os.path.join(folder, name), ROOT)
        for folder, _, names in os.walk(os.path.join(ROOT, "docs")) for name in names if name.endswith(".md")
    )
    wrong = []
    for page in pages:
        if page.replace(os.sep, "/") == "docs/benchmark.md":
            continue
        text = read(page)
        for found in re.findall(r"compas_cloud(?:-|==| )(\d+\.\d+\.\d+)", text):
            if found not in (version, "0.4.1"):
                wrong.append("%s: %s" % (page, found))
        for found in re.findall(r"(?:[Uu]ntil|[Oo]nce) (\d+\.\d+) is (?:on the package index|published)", text):
            if found != short:
                wrong.append("%s: %s" % (page, found))
    assert not wrong, "pages naming another version than %s: %s" % (version, wrong)


def test_the_docs_workflow_builds_the_site_strictly_and_publishes_it():
    jobs = workflow("docs.yml")["jobs"]
    build = run_lines(jobs["build"])
    assert 'python -m pip install -e ".[docs]"' in build
    assert any("mkdocs build --strict" in line for line in build)
    assert "actions/upload-pages-artifact" in uses(jobs["build"])
    assert jobs["deploy"]["needs"] == "build"
    assert "actions/deploy-pages" in uses(jobs["deploy"])
