"""The package list (everything else is declared in pyproject.toml); also kept for tools that still call ``setup.py``.

Every folder of ``compas_cloud/`` with an ``__init__.py`` is a package of the wheel, found here rather
than listed by hand in pyproject.toml: a new subpackage (``compas_cloud.server.executors``) was once
left out of the wheel, and its server could not start. The component sources and the Rhino plugin
(``ghpython/``, ``rhino_plugin/``) travel as the data packages ``compas_cloud.data.*`` (pyproject.toml
maps their folders).
"""
from setuptools import find_packages, setup

DATA_PACKAGES = ["compas_cloud.data.ghpython", "compas_cloud.data.rhino_plugin"]

setup(
    packages=find_packages(include=["compas_cloud", "compas_cloud.*"]) + DATA_PACKAGES,
    # One wheel (py2.py3) for Python 2.7 (Rhino-side CPython 2.7 scripts) and Python 3.
    options={"bdist_wheel": {"python_tag": "py2.py3"}},
)
