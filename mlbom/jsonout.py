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
    Containers without floats are returned as they are (no copy)."""
    if isinstance(value, float):
        return orjson.Fragment(rfc8785.dumps(value))
    if isinstance(value, dict):
        items = {k: canonical_numbers(v) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if isinstance(value, (list, tuple)):
        out = [canonical_numbers(v) for v in value]
        return value if all(a is b for a, b in zip(out, value, strict=True)) else out
    return value


def dump_document(doc: object) -> bytes:
    """A JSON document as mlbom writes it (see the module)."""
    return orjson.dumps(canonical_numbers(doc), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
