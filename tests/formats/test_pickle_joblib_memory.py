"""Red team 51b-2: a scikit-learn Pipeline whose ``memory`` is a ``joblib.Memory`` object was
``unsafe`` (``joblib.memory.*`` is denied: ``Memory(location)`` creates its cache folder), while the
same Pipeline with ``memory="<folder>"`` was ``safe``. Pickle writes a Memory bare —
``NEWOBJ(Memory, ())`` (protocols 2+) or ``copyreg._reconstructor(Memory, object, None)`` (0/1) —
plus a BUILD of its ``__dict__`` (it has no ``__setstate__``): no ``__init__`` runs, nothing is read
or written. That use is now harmless; any other (called with arguments, stored as a value, a
landing left over) stays ``unsafe``."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

MEMORY = b"cjoblib.memory\nMemory\n"


def _u(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


def _verdict(data: bytes) -> str:
    return scan_bytes(data, "pipe.pkl").verdict


def test_a_bare_memory_with_its_attributes_is_safe() -> None:
    state = b"}" + _u("location") + _u("/tmp/cache") + b"s" + _u("verbose") + b"K\x00s"
    assert _verdict(b"\x80\x02" + MEMORY + b")\x81" + state + b"b.") == "safe"
    p0 = b"ccopyreg\n_reconstructor\n(" + MEMORY + b"cbuiltins\nobject\nNtR" + state + b"b."
    assert _verdict(b"\x80\x02" + p0[0:]) == "safe"


def test_memory_called_with_a_folder_is_unsafe() -> None:
    # Memory("/x") runs __init__, which creates the folder
    assert _verdict(b"\x80\x02" + MEMORY + _u("/tmp/x") + b"\x85R.") == "unsafe"
    assert _verdict(b"\x80\x02" + MEMORY + _u("/tmp/x") + b"\x85\x81.") == "unsafe"


def test_every_landing_must_be_a_bare_creation() -> None:
    # one bare creation plus the same (memoised) class called with a folder
    data = b"\x80\x02" + MEMORY + b"q\x00)\x81h\x00" + _u("/tmp/x") + b"\x85R\x86."
    assert _verdict(data) == "unsafe"
    # the class kept as a value
    assert _verdict(b"\x80\x02]" + MEMORY + b"a.") == "unsafe"


def test_a_reused_copyreg_argument_tuple_counts_once() -> None:
    # __newobj__ of one memoised (Memory,) tuple twice does not pay for Memory("/x")
    newobj = b"ccopyreg\n__newobj__\n"
    args = MEMORY + b"q\x00\x85q\x01"
    data = (b"\x80\x02" + newobj + args + b"R" + newobj + b"h\x01R" + b"h\x00" + _u("/tmp/x") + b"\x85R"
            + b"\x87.")
    assert _verdict(data) == "unsafe"


def test_a_partial_of_copyreg_does_not_count() -> None:
    partial = b"cfunctools\npartial\n"
    data = (b"\x80\x02" + partial + b"ccopyreg\n__newobj__\n" + MEMORY + b"\x86Rq\x00)R" + b"h\x00)R\x86.")
    assert _verdict(data) == "unsafe"


sklearn = pytest.importorskip("sklearn")
joblib = pytest.importorskip("joblib")


def test_a_pipeline_with_a_memory_object_is_safe(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.random.RandomState(0).rand(30, 3)
    y = np.arange(30) % 2
    pipe = Pipeline([("s", StandardScaler()), ("m", LogisticRegression())],
                    memory=joblib.Memory(str(tmp_path), verbose=0)).fit(x, y)
    buf = io.BytesIO()
    joblib.dump(pipe, buf)
    for data in [buf.getvalue(), *(pickle.dumps(pipe, protocol=p) for p in (0, 2, 4, 5))]:
        r = scan_bytes(data, "pipe.joblib")
        assert r.verdict == "safe", [f.message for f in r.findings if f.severity != "info"]
