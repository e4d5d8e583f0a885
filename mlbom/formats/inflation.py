"""How much parsing content that came out of a decompressor may cost (red team 105sa-1).

Decompression is capped by ratio only past ``Limits.ratio_floor`` (zero-filled arrays compress a
thousandfold and are only hashed, never parsed), but a parser that walks what it reads value by
value costs per value: 6 KB of gzip held 2 M JSON values (5 s), 3 M pickle opcodes (13 s), 2 M
ONNX nodes (2.5 s) or 4 M GGUF vocabulary entries (1.7 s). While the scanner judges the content
of a compressed stream or member it sets the compressed size here (:func:`inflated_from`), and
the readers that step value by value — JSON (values counted before parsing), the pickle walker
(opcodes), ONNX (protobuf fields), GGUF (metadata array entries) — take at most
:func:`steps_allowed` steps: ``mlbom.limits.INFLATED_STEPS_PER_BYTE`` per compressed byte, or
``INFLATED_STEPS_FLOOR``. Nested streams keep the tightest. Real compressed files step under one
value per compressed byte (joblib scikit-learn models 0.2-1 opcode, a gzipped 4 MB vocabulary 0.2
JSON values)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from mlbom.limits import INFLATED_STEPS_FLOOR, INFLATED_STEPS_PER_BYTE

# the compressed size the content being judged came from (None: not from a decompressor); one
# file's scan runs in one thread
_COMPRESSED: ContextVar[int | None] = ContextVar("mlbom_inflated_from", default=None)


@contextlib.contextmanager
def inflated_from(compressed: int) -> Iterator[None]:
    """While the content of ``compressed`` bytes of a compressed stream or member is judged."""
    cur = _COMPRESSED.get()
    token = _COMPRESSED.set(compressed if cur is None else min(cur, compressed))
    try:
        yield
    finally:
        _COMPRESSED.reset(token)


def steps_allowed(default: int) -> tuple[int, str]:
    """The most steps a reader may take (``default`` when the content is no decompressor's output)
    and, when the allowance is the tighter bound, why (to append to the reader's message)."""
    compressed = _COMPRESSED.get()
    if compressed is None:
        return default, ""
    allowed = max(INFLATED_STEPS_FLOOR, INFLATED_STEPS_PER_BYTE * compressed)
    if allowed >= default:
        return default, ""
    return allowed, (f" (inflated from {compressed} compressed bytes: mlbom takes at most "
                     f"{INFLATED_STEPS_PER_BYTE} steps per compressed byte, or {INFLATED_STEPS_FLOOR})")
