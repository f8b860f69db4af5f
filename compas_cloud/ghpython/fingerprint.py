"""Fingerprints of component inputs: equal values give equal fingerprints, across re-solves."""
from __future__ import absolute_import

import hashlib
import json

from compas_cloud._compat import to_utf8
from compas_cloud.protocol.codec import to_jsonable
from compas_cloud.protocol.reference import Reference


def _default(obj):
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)  # the same set always gives the same fingerprint
    try:
        return to_jsonable(obj)
    except TypeError:
        return {"__repr__": repr(obj)}


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def describe(value):
    """Return ``(fingerprint, size)``: the digest of ``value`` and the length of its JSON text."""
    if isinstance(value, Reference):
        return "ref:" + str(value.id), 0
    text = _ENCODER.encode(value)
    return hashlib.sha1(to_utf8(text)).hexdigest(), len(text)


def fingerprint(value):
    """Return a short hex digest identifying ``value`` (already converted with :func:`to_wire`).

    Two values get the same fingerprint when their JSON forms (keys sorted)
    are equal. References are fingerprinted by id, so they are never resent.
    """
    return describe(value)[0]
