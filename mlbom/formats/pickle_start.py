"""Whether bytes read as a pickle from their first byte: one judgement, shared by the scanner's
format detection and the dataset collector's choice of which data files to scan (red team 10b:
a second, narrower table there left pickles behind a media signature unscanned).

``pickle.load`` accepts a stream starting with any opcode (``GIF8…`` is BINFLOAT, then a
pickle), and parses protocol 0 integers with ``int(x, 0)``, which ``pickletools.genops`` does
not: so the walk of :func:`mlbom.formats.pickle.read_pickle`, never a list of usual starts,
decides."""

from __future__ import annotations

import io
import pickletools
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the walker (and its allowlist tables) is imported when bytes start like a pickle
    from mlbom.formats.pickle import PickleReport

OPCODES = frozenset(ord(op.code) for op in pickletools.opcodes)  # any of them can start a stream pickle.load accepts


def reading(rep: PickleReport, *, cut: bool = False) -> str:
    """What a walk from offset 0 says about the bytes: ``pickle`` — a loader acts on them (the walk
    reaches STOP, or resolves a global find_class could resolve before it stops:
    :func:`mlbom.formats.pickle.could_resolve`; text such as "import os" reads as INST of module
    "mport os", which no installed module is named); ``no`` — the
    loader raises before anything could call code: at a first name no import finds, or where the
    walk stopped and every unpickler raises (the walker's ``stop_proven``); ``unproven`` — it
    stopped anywhere else (a bound, a construct it does not model, the end of a cut head): the
    bytes may be a pickle the loader reads on, never proven text. A persistent id does not
    make it ``no``: torch.package's ``load_pickle`` reads a resource from its first byte with a
    ``persistent_load`` that returns None for an id it does not know (red team 45f-1). ``cut``: the
    bytes walked are the start of longer content, so a walk that stopped at their end (an argument
    or a line running past it) stopped where the loader reads on: ``unproven`` (red team 111pa-5:
    a ``V`` line of 53 KB of CSV rows, then an ``os.system`` call, read as "no" from its first 4 KiB)."""
    if cut and rep.stop_at_end:
        return "unproven"
    if (rep.complete and rep.opcodes >= 2) or rep.resolvable:
        return "pickle"
    if rep.complete:
        return "no"  # a lone STOP: the loader raises on an empty stack
    if rep.odd_module and not rep.stop_proven:
        return "unproven"  # its module may import, and mlbom's walk stopped where a loader reads on (63f-1)
    if rep.globals:
        return "no"  # the first name is no importable path: find_class raises there, before any call
    if rep.stop_proven:
        return "no"
    return "unproven"


def may_unpickle(head: bytes, *, whole: bool = False) -> bool:
    """Whether a loader could unpickle content that starts with ``head`` (the first KiB or more;
    a cut pickle is not proven text): a protocol 2-5 header, or a first opcode whose walk is not
    proven to fail before any call. Unless ``whole`` (``head`` is all of the content), a walk that
    reaches the end of ``head`` is not proven to fail: the loader reads on past it (:func:`reading`)."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    if not head or head[0] not in OPCODES:
        return False
    from mlbom.formats.pickle import read_pickle

    return reading(read_pickle(io.BytesIO(head), len(head), joblib=True), cut=not whole) != "no"
