"""The one place mlbom writes a JSON document: UTF-8, 2-space indent, a trailing newline, and
every number in its RFC 8785 (JCS) spelling, so that anything mlbom writes (a BOM from
``generate``, ``audit``, ``convert``, ``merge``, a VEX, a policy report) can be signed as it
is: the signer refuses a number not written canonically (``10.0``, ``3e-06``), because a
signature over it would vouch for a spelling that readers parse differently.

orjson writes ``10.0`` for a whole-number float and ``3e-06`` for a small one; RFC 8785 writes
``10`` and ``0.000003``. Floats are therefore replaced by an ``orjson.Fragment`` of their RFC
8785 spelling before writing (a document without floats is written as it is, at orjson's speed).
"""

from __future__ import annotations

import orjson
import rfc8785


def canonical_numbers(value: object) -> object:
    """``value`` with every float replaced by an ``orjson.Fragment`` of its RFC 8785 spelling.
    Containers without floats are returned as they are (no copy); a container is copied only
    on the way to a float. Leaves (str, int, bool, None: nearly all of a BOM) cost one type
    test each."""
    t = type(value)
    if t is dict:
        return _dict(value)  # type: ignore[arg-type]
    if t is list or t is tuple:
        return _seq(value)  # type: ignore[arg-type]
    if isinstance(value, float):
        return orjson.Fragment(rfc8785.dumps(value))
    if isinstance(value, dict):
        return _dict(value)
    if isinstance(value, (list, tuple)):
        return _seq(value)
    return value


_PLAIN = frozenset({str, int, bool, type(None)})


def _dict(value: dict[object, object]) -> object:
    copy: dict[object, object] | None = None
    for k, v in value.items():
        if type(v) in _PLAIN:
            continue
        nv = canonical_numbers(v)
        if nv is not v:
            if copy is None:
                copy = dict(value)
            copy[k] = nv
    return value if copy is None else copy


def _seq(value: list[object] | tuple[object, ...]) -> object:
    copy: list[object] | None = None
    for i, v in enumerate(value):
        if type(v) in _PLAIN:
            continue
        nv = canonical_numbers(v)
        if nv is not v:
            if copy is None:
                copy = list(value)
            copy[i] = nv
    return value if copy is None else copy


def dump_document(doc: object) -> bytes:
    """A JSON document as mlbom writes it (see the module)."""
    return orjson.dumps(canonical_numbers(doc), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
