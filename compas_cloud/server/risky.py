"""Entry points that run code, load pickles, read or write files, or start processes.

An allow-list names whole modules (``--allow numpy``), and such modules hold
functions that turn a call into arbitrary code or file access: ``numpy.load``
loads pickles, ``numpy.fromfile`` reads any file, ``numpy.f2py`` starts a
compiler, compas's ``json_load`` and ``Mesh.from_obj`` read files, ``compas.rpc``
starts processes. When an allow- or deny-list is in force these are refused
even inside allowed modules, unless the allow-list names them (or a part of
them) explicitly: ``--allow numpy.load``.
"""

#: Modules (and everything below them) that are refused unless allowed by name.
MODULES = (
    "numpy.ctypeslib",
    "numpy.distutils",
    "numpy.f2py",
    "numpy.testing",
    "numpy.lib.format",
    "numpy.lib.npyio",
    "numpy.lib._npyio_impl",
    "numpy.lib._datasource",
    "numpy.lib.utils",
    "numpy.lib._utils_impl",
    "numpy._pytesttester",
    "numpy.core.records",
    "numpy._core.records",
    "numpy.rec",
    "numpy.memmap",
    "numpy.DataSource",
    "numpy.test",
    "numpy.info",
    "numpy.source",
    "numpy.lookfor",
    "scipy.io",
    "scipy._lib",
    "compas.rpc",
    "compas._os",
    "compas.data.json",
    "compas.data.encoders",
    "numpy.ma.mrecords",
    "compas.files",
    "compas.plugins",
    "compas.scene",
)

#: Attribute names refused wherever they appear (functions, class methods).
NAMES = frozenset(
    [
        "load", "loads", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt", "fromfile",
        "tofile", "fromregex", "memmap", "dump", "eval", "exec", "system", "popen",
        "json_load", "json_dump", "from_json", "to_json", "from_obj", "to_obj", "from_off", "to_off",
        "from_ply", "to_ply", "from_stl", "to_stl", "from_pickle", "to_pickle", "lookfor", "__import__",
        "compile", "check_call", "check_output", "from_jsonstring", "fromtextfile", "openfile", "cls_from_dtype",
    ]
)

#: Home modules of functions that reach the system: a function whose ``__module__`` is one of these
#: is refused unless its module is allowed, whatever name it was reached by.
SYSTEM = frozenset(
    ["builtins", "os", "posix", "nt", "subprocess", "pickle", "_pickle", "shutil", "io", "_io", "importlib",
     "ctypes", "_ctypes", "sys", "marshal", "runpy", "code", "codeop", "pty", "socket", "_socket", "tempfile"]
)

#: Modules that are too broad to allow whole: the server warns when one is on the allow-list.
BROAD = {
    "numpy": "holds file-reading and pickle-loading functions (numpy.load, numpy.fromfile, ...); "
             "they stay refused by the built-in list unless named with --allow",
    "scipy": "holds file readers (scipy.io); they stay refused by the built-in list unless named with --allow",
    "compas": "holds file readers (json_load, Mesh.from_obj, ...) and process starters (compas.rpc); "
              "they stay refused by the built-in list unless named with --allow",
    "os": "runs commands and reads files: allow single functions instead",
    "sys": "reaches every loaded module: allow single functions instead",
    "subprocess": "runs commands: never allow it",
    "builtins": "runs code (eval, exec, open): never allow it",
    "importlib": "imports any module: never allow it",
    "pickle": "runs code when loading: never allow it",
    "shutil": "deletes and copies files: allow single functions instead",
    "ctypes": "calls any native code: never allow it",
    "io": "reads and writes files: allow single functions instead",
    "pathlib": "reads and writes files: allow single functions instead",
}


def matches(name):
    """Return the entry of the built-in list that covers the dotted ``name``, or None."""
    for module in MODULES:
        if name == module or name.startswith(module + "."):
            return module
    parts = name.split(".")
    for position, part in enumerate(parts[1:], start=1):
        if part in NAMES:
            return ".".join(parts[:position + 1])
    return None
