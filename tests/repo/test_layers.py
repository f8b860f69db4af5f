"""The layering the package docstrings promise: protocol below client, client below ghpython, server apart; no circles.

Read from the source (module-level imports only: an import inside a function is a deliberate late one).
"""
import ast
import os

from helpers import ROOT

PACKAGE = os.path.join(ROOT, "compas_cloud")

#: Layer -> the compas_cloud packages its modules may import at module level (besides themselves).
ALLOWED = {
    "protocol": {"_compat", "errors", "protocol"},
    "client": {"_compat", "errors", "protocol", "auth", "client", "__init__"},
    "ghpython": {"_compat", "errors", "protocol", "auth", "client", "ghpython", "__init__"},
    "server": {"_compat", "errors", "protocol", "auth", "server", "__init__"},
}


def modules():
    found = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                if dotted.endswith(".__init__"):
                    dotted = dotted[: -len(".__init__")]
                found[dotted] = path
    return found


def top_level_imports(path):
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(node.module + "." + alias.name for alias in node.names)
    return {name for name in names if name == "compas_cloud" or name.startswith("compas_cloud.")}


def graph():
    found = modules()
    edges = {}
    for name, path in found.items():
        targets = set()
        for imported in top_level_imports(path):
            while imported not in found and "." in imported:
                imported = imported.rsplit(".", 1)[0]  # from package import name: the package
            if imported in found and imported != name:
                targets.add(imported)
        edges[name] = targets
    return edges


def test_each_layer_imports_only_what_its_docstring_allows():
    wrong = []
    for name, targets in graph().items():
        parts = name.split(".")
        layer = parts[1] if len(parts) > 1 else None
        if layer not in ALLOWED:
            continue
        for target in targets:
            target_parts = target.split(".")
            top = target_parts[1] if len(target_parts) > 1 else "__init__"
            if top not in ALLOWED[layer]:
                wrong.append("{0} imports {1}".format(name, target))
    assert not wrong, "\n".join(sorted(wrong))


def test_no_module_level_import_circles_inside_a_package():
    edges = graph()
    # A package's __init__ importing its own modules is how it offers its names, not a circle of rooms.
    edges = {name: {t for t in targets if not name.startswith(t + ".") and not t.startswith(name + ".")}
             for name, targets in edges.items()}
    circles = []
    state = {}

    def visit(node, path):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                circles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not circles, "\n".join(circles)
