"""Proxy(python=<an environment folder>) finds the interpreter in every layout users make.

A venv made on Windows keeps it in ``Scripts\\python.exe``, one made elsewhere in ``bin/python3``, a conda
environment or a python.org install folder in ``python.exe``. The folders here are laid out as those
are (the interpreter files are stand-ins: only where the launcher looks is tested).
"""
from __future__ import absolute_import

import os
import shutil
import tempfile

import pytest

from compas_cloud.client import launcher
from compas_cloud.errors import ServerStartError


@pytest.fixture
def folder():
    path = tempfile.mkdtemp(prefix="compas_cloud-env-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make(folder, *parts):
    path = os.path.join(folder, *parts)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write("")
    return path


@pytest.mark.parametrize("layout", [("Scripts", "python.exe"), ("bin", "python3"), ("python.exe",)])
def test_the_interpreter_of_an_environment_folder_is_found(folder, layout):
    interpreter = make(folder, *layout)
    assert launcher._python_in(folder) == interpreter
    found, how = launcher.find_python(explicit=folder)
    assert found == interpreter and how == "the python argument"


def test_a_folder_without_an_interpreter_is_refused_by_name(folder):
    make(folder, "Lib", "site.py")
    with pytest.raises(ServerStartError) as info:
        launcher.find_python(explicit=folder)
    assert folder in str(info.value)
