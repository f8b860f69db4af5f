"""What a function looks like from outside: its parameters and its numpydoc descriptions.

``describe`` and ``functions`` go through the server's function registry
(:class:`compas_cloud.server.functions.FunctionRegistry`), so a name a call
would refuse is refused here in the same words.
"""
import importlib
import inspect
import json
import re

from compas_cloud.errors import CloudError, FunctionNotFound

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}

_SECTION_RULE = re.compile(r"^\s*-{3,}\s*$")
_ITEM = re.compile(r"^(?P<names>[A-Za-z_*][\w, *]*?)\s*(?::\s*(?P<type>.*))?$")


def describe(registry, name):
    """Return the description of the allowed function ``name``.

    Parameters
    ----------
    registry : compas_cloud.server.functions.FunctionRegistry
        The registry calls use: its policy refuses the same names.
    name : str
        A dotted name.

    Returns
    -------
    dict
        ``name``, ``summary``, ``doc``, ``parameters`` (each with ``name``, ``kind``,
        ``has_default``, ``default``, ``annotation``, ``type`` and ``description``),
        ``returns`` (``annotation``, and the ``type`` and ``description`` of the first
        documented value; ``items``: every documented value, each with ``name``,
        None when the docstring gives only a type, ``type`` and ``description``) and
        ``signature`` (None where Python cannot tell it, as for some builtins).
    """
    func = registry.resolve(name)
    return describe_callable(name, func)


def describe_callable(name, func):
    """Return the description of ``func`` (see :func:`describe`)."""
    doc = inspect.getdoc(func) or ""
    summary, sections = parse_numpydoc(doc)
    documented = {}
    for item in sections.get("parameters", []) + sections.get("other parameters", []):
        for one in item["names"]:
            documented[one.lstrip("*")] = item
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        signature = None
    parameters = []
    if signature is not None:
        for parameter in signature.parameters.values():
            item = documented.get(parameter.name, {})
            has_default = parameter.default is not inspect.Parameter.empty
            parameters.append(
                {
                    "name": parameter.name,
                    "kind": _KINDS[parameter.kind],
                    "has_default": has_default,
                    "default": _plain(parameter.default) if has_default else None,
                    "annotation": _text(parameter.annotation),
                    "type": item.get("type"),
                    "description": item.get("description", ""),
                }
            )
    returns = sections.get("returns", []) + sections.get("yields", [])
    returned = returns[0] if returns else {}
    return {
        "name": name,
        "summary": summary,
        "doc": doc,
        "signature": None if signature is None else str(signature),
        "parameters": parameters,
        "returns": {
            "annotation": None if signature is None else _text(signature.return_annotation),
            "type": returned.get("type") or (" ".join(returned.get("names", [])) or None),
            "description": returned.get("description", ""),
            "items": [_returned_item(item) for item in returns],
        },
    }


def _returned_item(item):
    """One item of a numpydoc Returns section: ``name : type`` is named, a bare ``type`` is not."""
    names = item.get("names") or []
    if item.get("type"):
        return {"name": ", ".join(names) or None, "type": item["type"], "description": item.get("description", "")}
    return {"name": None, "type": " ".join(names) or None, "description": item.get("description", "")}


def functions(registry, module):
    """Return the sorted names of the functions of ``module`` that calls may use.

    The module's ``__all__`` (or else its public names) is read, and each
    ``module.name`` that the registry resolves to a callable is listed.

    Raises
    ------
    FunctionNotFound
        ``module`` is not an importable module.
    AccessDenied
        The policy refuses the module (as it refuses a call into it).
    """
    if registry.policy is not None:
        registry.policy.check_name(module)  # before anything is imported, as a call does
    if not isinstance(module, str) or not re.match(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$", module):
        raise FunctionNotFound("{0!r} is not a dotted module name such as 'compas.geometry'".format(module))
    try:
        mod = importlib.import_module(module)
    except ImportError as error:
        raise FunctionNotFound("cannot import the module {0!r} on the server: {1}".format(module, error)) from None
    names = getattr(mod, "__all__", None)
    if not isinstance(names, (list, tuple)):
        names = [name for name in dir(mod) if not name.startswith("_")]
    listed = []
    for attribute in sorted(set(str(name) for name in names)):
        if inspect.ismodule(getattr(mod, attribute, None)):
            continue
        try:
            registry.resolve("{0}.{1}".format(module, attribute))
        except CloudError:
            continue  # refused, missing or not callable: a call would fail too
        listed.append(attribute)
    return listed


def parse_numpydoc(doc):
    """Split a numpydoc docstring into its summary and its item sections.

    Returns
    -------
    tuple
        ``(summary, sections)``: the first paragraph, and a dict from lower-case
        section titles (``"parameters"``, ``"returns"``, ...) to lists of items,
        each ``{"names": [...], "type": str or None, "description": str}``.
    """
    lines = doc.expandtabs().splitlines()
    paragraph = []
    for line in lines:
        if not line.strip():
            if paragraph:
                break
            continue
        if _SECTION_RULE.match(line):
            paragraph = paragraph[:-1]
            break
        paragraph.append(line.strip())
    summary = " ".join(paragraph)
    sections = {}
    title, items, index = None, None, 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and _SECTION_RULE.match(following) and not line.startswith(" "):
            title = line.strip().lower()
            items = sections.setdefault(title, [])
            index += 2
            continue
        if items is not None and line.strip() and not line.startswith(" "):
            match = _ITEM.match(line.strip())
            if match:
                names = [part.strip() for part in match.group("names").split(",") if part.strip()]
                items.append({"names": names, "type": (match.group("type") or "").strip() or None, "description": ""})
            else:  # a bare type that is not a name, such as ``[float, float, float]``
                items.append({"names": [], "type": line.strip(), "description": ""})
        elif items is not None and line.startswith(" ") and items:
            text = items[-1]["description"]
            items[-1]["description"] = (text + " " + line.strip()).strip()
        index += 1
    return summary, sections


def _text(annotation):
    if annotation is inspect.Parameter.empty or annotation is inspect.Signature.empty:
        return None
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__name__ if annotation.__module__ == "builtins" else "{0}.{1}".format(
            annotation.__module__, annotation.__qualname__
        )
    return str(annotation).replace("typing.", "")


def _plain(value):
    """Return ``value`` if it is plain JSON, otherwise its repr (as ``{"repr": text}``)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return {"repr": repr(value)}
    return value
