"""Where the files a Rhino user installs are: component sources, built user objects, the Rhino plugin.

In a source checkout they sit in the top-level folders ``ghpython/`` and
``rhino_plugin/``; an installed wheel carries the same folders inside the
package, as ``compas_cloud/data/ghpython`` and ``compas_cloud/data/rhino_plugin``
(pyproject.toml maps them there). Each function looks in the package first,
then in the checkout, and returns None when neither has the folder.
"""
from __future__ import absolute_import

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(PACKAGE_DIR)

#: The RhinoPython plugin's folder name (its GUID is fixed: Rhino identifies the plugin by it).
PLUGIN_FOLDER = "compas_cloud {aff4b598-2925-4145-9a72-232984d129ca}"


def _first_folder(*relative):
    for root in (os.path.join(PACKAGE_DIR, "data"), SOURCE_ROOT):
        path = os.path.join(root, *relative)
        if os.path.isdir(path):
            return path
    return None


def ghpython_dir():
    """Return the folder holding the Grasshopper component sets and built user objects, or None."""
    return _first_folder("ghpython")


def components_dir(kind="ironpython"):
    """Return the component sources of one set, or None.

    Parameters
    ----------
    kind : str
        ``"ironpython"`` (GhPython, Rhino 6/7, ``ghpython/components``) or
        ``"cpython"`` (Rhino 8 script component, ``ghpython/components_cpython``).
    """
    return _first_folder("ghpython", "components" if kind == "ironpython" else "components_cpython")


def ghuser_dir(kind="ironpython"):
    """Return the folder of built ``.ghuser`` files of one set (``ghpython/ghuser/<kind>``), or None."""
    return _first_folder("ghpython", "ghuser", kind)


def rhino_plugin_dir():
    """Return the RhinoPython plugin folder (``rhino_plugin/compas_cloud {GUID}``), or None."""
    return _first_folder("rhino_plugin", PLUGIN_FOLDER)
