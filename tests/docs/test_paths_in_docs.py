"""Every file or folder of the repository, and every ``compas_cloud.*`` name, a page names is there.

Code moves (compas_cloud/server/ was split into modules while these docs were written): a page that
points a reader at ``compas_cloud/server/batch.py`` after it became ``compas_cloud/server/batch/`` sends
them nowhere. Paths of what a build makes (the wheel's ``compas_cloud/data/``, the built user objects)
and paths with placeholders are not in a checkout, so they are left out.
"""
import importlib
import io
import os
import re

from helpers import ROOT

PATH = re.compile(r"(?<![\w/\\.~$%-])((?:compas_cloud|tests|tools|examples|bench|ghpython|rhino_plugin|docs)/[\w./-]*\w/?)")
DOTTED = re.compile(r"(?<![\w/.])(compas_cloud(?:\.\w+)+)")
#: Made by a build, not in a checkout.
BUILT = ("compas_cloud/data", "ghpython/ghuser")


def pages():
    found = ["README.rst", "CONTRIBUTING.md"]
    for folder, _, names in os.walk(os.path.join(ROOT, "docs")):
        found.extend(os.path.relpath(os.path.join(folder, name), ROOT) for name in names if name.endswith(".md"))
    return sorted(found)


def named_paths(text):
    for match in PATH.finditer(text):
        path = match.group(1).rstrip("./")
        following = text[match.end():match.end() + 1]
        if following in ("<", "*", "{") or path.startswith(BUILT):
            continue  # a placeholder or a pattern, or something a build makes
        yield path


def test_the_pages_name_only_paths_that_exist():
    missing = []
    checked = 0
    for page in pages():
        with io.open(os.path.join(ROOT, page), encoding="utf-8") as handle:
            text = handle.read()
        for path in named_paths(text):
            checked += 1
            if not os.path.exists(os.path.join(ROOT, path)):
                missing.append("%s: %s" % (page, path))
    assert checked > 50
    assert not missing, "pages naming paths that are not in the repository:\n" + "\n".join(missing)


def resolves(name):
    """True if ``name`` is a module of compas_cloud, or an attribute reached from one."""
    parts = name.split(".")
    for count in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:count]))
        except ImportError:
            continue
        for attribute in parts[count:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def test_the_pages_name_only_modules_and_objects_that_exist():
    wrong = []
    checked = 0
    for page in pages():
        with io.open(os.path.join(ROOT, page), encoding="utf-8") as handle:
            text = handle.read()
        for match in DOTTED.finditer(text):
            if text[match.end():match.end() + 2] in ('.<', '."'):
                continue  # a text built from the name (the token subprotocol "compas_cloud.token.<token>")
            checked += 1
            if not resolves(match.group(1)):
                wrong.append("%s: %s" % (page, match.group(1)))
    assert checked > 30
    assert not wrong, "pages naming what compas_cloud does not have:\n" + "\n".join(sorted(set(wrong)))


def test_the_proxy_methods_the_pages_name_exist():
    from compas_cloud import Proxy

    wrong = set()
    checked = 0
    for page in pages():
        with io.open(os.path.join(ROOT, page), encoding="utf-8") as handle:
            text = handle.read()
        for name in re.findall(r"\bproxy\.(?!md\b)([a-z_]+)\b", text):
            checked += 1
            if not hasattr(Proxy, name):
                wrong.add("%s: proxy.%s" % (page, name))
    assert checked > 30
    assert not wrong, "pages naming Proxy methods it does not have:\n" + "\n".join(sorted(wrong))


def test_the_command_line_options_the_pages_give_exist():
    """``python -m compas_cloud.server --x`` and ``python -m compas_cloud.install --x`` on a page: --x exists."""
    import subprocess
    import sys

    from compas_cloud.server.cli import build_parser

    known = {"server": set(build_parser()._option_string_actions)}
    installer = subprocess.run([sys.executable, "-m", "compas_cloud.install", "--help"], stdout=subprocess.PIPE,
                               universal_newlines=True, cwd=ROOT)
    known["install"] = set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", installer.stdout))
    wrong = set()
    checked = 0
    for page in pages():
        with io.open(os.path.join(ROOT, page), encoding="utf-8") as handle:
            text = handle.read()
        for command, rest in re.findall(r"-m compas_cloud\.(server|install)\b([^`\n]*)", text):
            for option in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest.split("#")[0]):
                checked += 1
                if option not in known[command]:
                    wrong.add("%s: python -m compas_cloud.%s %s" % (page, command, option))
    assert checked > 15
    assert not wrong, "pages giving options the commands do not have:\n" + "\n".join(sorted(wrong))
