"""A stand-in for Rhino's RhinoPython plugin host, to run the plugin's commands outside Rhino (Python 2.7 safe).

Rhino loads a ``<Name> {GUID}/dev`` folder: ``__plugin__.py`` gives the
plugin's ``id``, ``version`` and ``title``; every ``<Command>_cmd.py`` defines
``__commandname__`` and ``RunCommand(is_interactive)``, which returns a
``Rhino.Commands.Result`` (0 success, 3 failure); what a command prints goes to
Rhino's command line. This harness does the same with a fake
``scriptcontext`` module (its ``sticky`` dictionary) and captures the output.
"""
from __future__ import absolute_import

import glob
import io
import os
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, "rhino_plugin")


def _execute(path):
    with open(path) as handle:
        source = handle.read()
    namespace = {"__name__": os.path.splitext(os.path.basename(path))[0], "__file__": path}
    exec(compile(source, path, "exec"), namespace)
    return namespace


class _Output(io.StringIO):
    def write(self, text):
        if not isinstance(text, type(u"")):
            text = text.decode("utf-8")
        return io.StringIO.write(self, text)


class RhinoHost(object):
    """Loads the plugin folder and runs its commands with a shared ``scriptcontext.sticky``."""

    def __init__(self, folder=None):
        folders = [folder] if folder else glob.glob(os.path.join(PLUGINS, "* {*}", "dev"))
        if len(folders) != 1:
            raise AssertionError("expected one plugin folder '<Name> {{GUID}}/dev', found {0}".format(folders))
        self.folder = folders[0]
        self.sticky = {}
        self._saved = None
        self.plugin = _execute(os.path.join(self.folder, "__plugin__.py"))
        self.commands = {}
        for path in sorted(glob.glob(os.path.join(self.folder, "*_cmd.py"))):
            namespace = _execute(path)
            self.commands[namespace["__commandname__"]] = (path, namespace)

    def __enter__(self):
        self._saved = sys.modules.get("scriptcontext")
        module = types.ModuleType("scriptcontext")
        module.sticky = self.sticky
        sys.modules["scriptcontext"] = module
        return self

    def __exit__(self, *exc):
        for value in list(self.sticky.values()):
            if hasattr(value, "close") and hasattr(value, "call"):
                value.close()
        if self._saved is None:
            sys.modules.pop("scriptcontext", None)
        else:
            sys.modules["scriptcontext"] = self._saved

    def run(self, name, is_interactive=False):
        """Run command ``name`` as Rhino does; return ``(result_code, command_line_text)``."""
        _, namespace = self.commands[name]
        output, saved = _Output(), sys.stdout
        sys.stdout = output
        try:
            code = namespace["RunCommand"](is_interactive)
        finally:
            sys.stdout = saved
        return code, output.getvalue()
