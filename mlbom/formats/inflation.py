"""How much parsing content that came out of a decompressor may cost (red teams 105sa-1, 106p-1).

Decompression is capped by ratio only past ``Limits.ratio_floor`` (zero-filled arrays compress a
thousandfold and are only hashed, never parsed), but a reader that walks what it reads value by
value costs per value: 6 KB of gzip held 2 M JSON values (5 s), 3 M pickle opcodes (13 s), 2 M
ONNX nodes (2.5 s) or 4 M GGUF vocabulary entries (1.7 s); 93 bytes of bz2 held 60 MiB of pickle
opcodes (46 s), and 300 bzip2 members of a 44 KB zip each their own (184 s).

One budget per file (:func:`file_budget`, set by the scanner around each file's scan):
``mlbom.limits.INFLATED_STEPS_PER_BYTE`` steps per byte of the file, or ``INFLATED_STEPS_FLOOR``,
for all the content of all its compressed streams and members together. While the content of a
compressed stream or member is judged (:func:`inflated_from`), the readers that step value by value
— JSON (values counted before parsing), the pickle walker (opcodes), ONNX (protobuf fields), GGUF
(metadata array entries), tar (members) — take at most :func:`steps_allowed` steps and
:func:`charge` what they took. Content that is not a decompressor's output is bounded by its own
size and is not charged. Real compressed files take under one step per byte (joblib scikit-learn
models 0.2-1 opcode, a gzipped 4 MB vocabulary 0.2 JSON values)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from mlbom.limits import (
    INFLATED_STEPS_FLOOR,
    INFLATED_STEPS_PER_BYTE,
    INFLATED_TEXT_RATIO,
    INFLATED_TEXT_WALK_CAP,
    TAR_BLOCKS_FLOOR,
    TAR_BYTES_PER_BLOCK,
)


@dataclass
class _Budget:
    size: int  # bytes of the file
    left: int  # steps left for its decompressed content
    inflated: int = 0  # nesting of compressed streams and members being judged
    tar_blocks: int = -1  # tar header blocks left to walk (-1: not yet set, see tar_blocks_allowed)
    calls: int = 0  # pickle calls judged in all this file's pickle streams (file_calls)
    walked: int = 0  # bytes of this file's pickle streams walked to their end (stream_walked)
    text: int = 0  # characters of decompressed text walked within INFLATED_TEXT_RATIO (ordinary_text)


# one file's scan runs in one thread
_FILE: ContextVar[_Budget | None] = ContextVar("mlbom_inflation_budget", default=None)


def _steps_for(size: int) -> int:
    return max(INFLATED_STEPS_FLOOR, INFLATED_STEPS_PER_BYTE * size)


@contextlib.contextmanager
def file_budget(size: int) -> Iterator[None]:
    """Around the scan of one file of ``size`` bytes (nested files, a scan inside a scan, get their own)."""
    token = _FILE.set(_Budget(size, _steps_for(size)))
    try:
        yield
    finally:
        _FILE.reset(token)


@contextlib.contextmanager
def inflated_from(compressed: int) -> Iterator[None]:
    """While the content of a compressed stream or member of ``compressed`` bytes is judged (outside
    :func:`file_budget`, a budget for these bytes alone)."""
    budget = _FILE.get()
    token = None
    if budget is None:
        budget = _Budget(compressed, _steps_for(compressed))
        token = _FILE.set(budget)
    budget.inflated += 1
    try:
        yield
    finally:
        budget.inflated -= 1
        if token is not None:
            _FILE.reset(token)


def steps_allowed(default: int) -> tuple[int, str]:
    """The most steps a reader may take (``default`` when the content is no decompressor's output)
    and, when the budget is the tighter bound, why (to append to the reader's message)."""
    budget = _FILE.get()
    if budget is None or not budget.inflated:
        return default, ""
    allowed = max(budget.left, 0)
    if allowed >= default:
        return default, ""
    return allowed, (f" (decompressed content of a {budget.size}-byte file: mlbom takes at most "
                     f"{INFLATED_STEPS_PER_BYTE} steps per byte of the file, or {INFLATED_STEPS_FLOOR}, "
                     "for all of it)")


def active() -> bool:
    """Whether the content being judged is a decompressor's output."""
    budget = _FILE.get()
    return budget is not None and budget.inflated > 0


def spent() -> bool:
    """Whether this file's budget for decompressed content is used up (its further compressed
    members need not be inflated: nothing in them could be judged)."""
    budget = _FILE.get()
    return budget is not None and budget.left <= 0


def tar_blocks_allowed() -> tuple[int | None, str]:
    """How many more tar header blocks this file's decompressed content may have walked (None: no
    bound, the tar is no decompressor's output) and the reason to append when that bound stops a
    walk. One allowance per file, for all its tars: ``TAR_BYTES_PER_BLOCK`` bytes of the file a
    block, or ``TAR_BLOCKS_FLOOR`` (a member costs some 40 pickle opcodes to judge)."""
    budget = _FILE.get()
    if budget is None or not budget.inflated:
        return None, ""
    if budget.tar_blocks < 0:
        budget.tar_blocks = max(TAR_BLOCKS_FLOOR, budget.size // TAR_BYTES_PER_BLOCK)
    return budget.tar_blocks, (f" (decompressed tar in a {budget.size}-byte file: mlbom walks at most one header "
                               f"block per {TAR_BYTES_PER_BLOCK} bytes of the file, or {TAR_BLOCKS_FLOOR}, "
                               "for all its tars)")


def charge_tar_blocks(blocks: int) -> None:
    """``blocks`` tar header blocks walked in a decompressor's output (nothing outside one)."""
    budget = _FILE.get()
    if budget is not None and budget.inflated and budget.tar_blocks >= 0:
        budget.tar_blocks -= blocks


def ordinary_text(chars: int) -> bool:
    """Whether ``chars`` more characters of a decompressor's text output keep all such text of this
    file within what text compressors achieve on real data: :data:`~mlbom.limits.INFLATED_TEXT_RATIO`
    characters per byte of the file, at most :data:`~mlbom.limits.INFLATED_TEXT_WALK_CAP` (red team
    122fp-6: a 62 KB gzip of JSON Lines holds 1.1 MB). If so they are counted as such; if not,
    nothing is counted (the text is charged the step budget)."""
    budget = _FILE.get()
    if budget is None or not budget.inflated:
        return True
    total = budget.text + chars
    if total > min(INFLATED_TEXT_RATIO * budget.size, INFLATED_TEXT_WALK_CAP):
        return False
    budget.text = total
    return True


def charge(steps: int) -> None:
    """``steps`` taken on a decompressor's output (nothing outside one)."""
    budget = _FILE.get()
    if budget is not None and budget.inflated:
        budget.left -= steps


def file_calls(position: int) -> tuple[int, int] | None:
    """One more pickle call judged in this file: (calls so far in all its pickle streams, bytes of
    them walked — the streams finished plus ``position`` in the current one), or None outside a
    file's scan. The pickle walker's call bound (``Limits.calls``) holds per file too: a zip of six
    pickles, each just under the free calls, took 2 s (red team 117pk-2)."""
    budget = _FILE.get()
    if budget is None:
        return None
    budget.calls += 1
    return budget.calls, budget.walked + position


def stream_walked(end: int) -> None:
    """A pickle stream of this file walked to offset ``end`` (its bytes count for the call bound)."""
    budget = _FILE.get()
    if budget is not None:
        budget.walked += end
