"""Red team 63f.

63f-1: a GLOBAL of a hyphenated module (``_sysconfigdata__linux_x86_64-linux-gnu``) and then
mlbom's stack bound: the walk stopped where a loader reads on, but the global made it "not a
pickle" (the rule for a first name no import finds), so 1 MB of text whose tail is
``cos\\nsystem\\n…R.`` was ``safe`` text (in gzip, xz and zip too) while every loader ran it. Such
a module keeps a walk stopped anywhere but where every unpickler raises ``unproven`` (error).

63f-2: pandas' ``__pyx_unpickle_NDArrayBacked(DatetimeArray, checksum, None)`` with no BUILD (or a
BUILD whose data slot is None) leaves the typed ``_ndarray`` None; ``repr``/``copy`` then read
array fields from None (SIGSEGV). It is ``unsafe``; every array pandas writes stays ``safe``.

63f-3: a word list whose third line starts with ``b`` (BUILD on an underflowing stack) after a
hyphenated first line read as an ``error`` pickle."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

_ODD = b"c_sysconfigdata__linux_x86_64-linux-gnu\nbuild_time_vars\n0"
_TAIL = b"cos\nsystem\n(S'echo hi'\ntR."


def test_an_odd_module_then_a_bound_is_not_text() -> None:
    data = _ODD + b"(" + b"N" * 1_000_001 + b"1" + _TAIL
    for blob, name in ((data, "notes.txt"), (gzip.compress(data), "notes.txt.gz")):
        r = scan_bytes(blob, name)
        assert r.verdict in ("error", "unsafe"), [f.message for f in r.findings]


def test_an_odd_module_then_a_proven_stop_is_text() -> None:
    # the loader imports the module (installed code only) and raises at the underflow
    assert scan_bytes(b"charset-normalizer\nfilelock\nhuggingface-hub\n", "requirements.txt").verdict == "safe"


@pytest.mark.parametrize("text", ["cupy-cuda12x\nnumpy\nbitsandbytes\n", "cached-property\ntorch\nblack\n",
                                  "c4-large\nbase\nbig\n"])
def test_an_underflowing_build_after_an_odd_module_is_text(text: str) -> None:
    r = scan_bytes(text.encode(), "requirements.txt")
    assert r.verdict == "safe", [f.message for f in r.findings]


pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

_CHECKSUM = (82904607).to_bytes(4, "little")


def _bare(cls: str) -> bytes:
    return (b"\x80\x02cpandas._libs.arrays\n__pyx_unpickle_NDArrayBacked\ncpandas.arrays\n" + cls.encode()
            + b"\nJ" + _CHECKSUM + b"N\x87R")


@pytest.mark.parametrize("cls", ["DatetimeArray", "TimedeltaArray", "PeriodArray", "Categorical", "StringArray"])
def test_an_ndarray_backed_array_with_no_ndarray_is_unsafe(cls: str) -> None:
    for data in (_bare(cls) + b".",
                 _bare(cls) + b"Ncnumpy\ndtype\nX\x06\x00\x00\x00M8[ns]\x89\x88\x87R}\x87b.",
                 _bare(cls) + b"}X\x08\x00\x00\x00_ndarrayNsb."):
        r = scan_bytes(data, "a.pkl")
        assert r.verdict == "unsafe", [f.message for f in r.findings]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pandas_arrays_as_pandas_writes_them_stay_safe(protocol: int) -> None:
    values = [pd.array(pd.date_range("2020", periods=3)), pd.array(pd.date_range("2020", periods=3, tz="UTC")),
              pd.array(pd.timedelta_range("1D", periods=3)), pd.array(pd.period_range("2020", periods=3, freq="D")),
              pd.Categorical(["a", "b", "a"]), pd.array(["x", None], dtype="string"),
              pd.DataFrame({"t": pd.date_range("2020", periods=3), "c": pd.Categorical(["a", "b", "a"]),
                            "d": pd.timedelta_range("1D", periods=3), "x": np.arange(3.0)})]
    for v in values:
        r = scan_bytes(pickle.dumps(v, protocol=protocol), "a.pkl")
        assert r.verdict == "safe", (type(v).__name__, [f.message for f in r.findings])


def _u(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


def test_a_state_changed_after_its_build_is_judged_as_built() -> None:
    # red team 64f-1: BUILD {'_data': None, ...} (kept in the memo), then GET it and set '_data' to an
    # array: pandas took None at the BUILD; mlbom read the dict as it ended
    dtype = b"cnumpy\ndtype\n" + _u("M8[ns]") + b"\x89\x88\x87R"
    array = pickle.dumps(np.arange(3).astype("M8[ns]"), protocol=2)[2:-1]
    state = b"}q\x01" + _u("_data") + b"Ns" + _u("_dtype") + dtype + b"s"
    after = b"h\x01" + _u("_data") + array + b"s0"
    r = scan_bytes(_bare("DatetimeArray") + state + b"b" + after + b".", "a.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]


def test_a_joblib_string_array_read_by_pickle_load_is_not_a_bare_array(tmp_path: Path) -> None:
    # red team 64f-2: the pickle.load reading of joblib's object-array bytes walks on to a STOP past
    # names its loader cannot find; the StringArray it left unbuilt is not what it returns
    joblib = pytest.importorskip("joblib")
    path = tmp_path / "a.joblib"
    joblib.dump(pd.array(["a", "b", None], dtype="string[python]"), path)
    r = scan_bytes(path.read_bytes(), "a.joblib")
    assert r.verdict != "unsafe" and not any("created with __new__" in f.message for f in r.findings), \
        [f.message for f in r.findings]


def _joblib_with_array_bytes(payload: bytes) -> bytes:
    """A protocol-2 joblib stream of one uint8 array whose bytes are ``payload``: joblib.load reads
    them as data, pickle.load as opcodes."""
    dtype = b"cnumpy\ndtype\n" + _u("u1") + b"\x89\x88\x87R(K\x03" + _u("|") \
        + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    state = (b"}(" + _u("subclass") + b"cnumpy\nndarray\n" + _u("shape") + b"J" + len(payload).to_bytes(4, "little")
             + b"\x85" + _u("order") + _u("C") + _u("dtype") + dtype + _u("allow_mmap") + b"\x89u")
    return b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81" + state + b"b" + payload + b"."


@pytest.mark.parametrize("payload", [b"}K\x01{bare}s.", b"}K\x01\x85{bare}s.", b"(N{bare}d.", b"]{bare}a."])
def test_a_bare_array_the_pickle_load_reading_returns_under_any_key_is_unsafe(payload: bytes) -> None:
    # red team 65f-1: the value of a non-str key was not followed from the value returned
    bare = _bare("DatetimeArray")[2:]
    r = scan_bytes(_joblib_with_array_bytes(payload.replace(b"{bare}", bare)), "model.joblib")
    assert r.verdict == "unsafe", [f.message for f in r.findings]


def test_a_state_dict_pandas_popped_is_judged_as_popped() -> None:
    # red team 65f-2: pandas pops '_data' and '_dtype' from the dict it is given; the same dict,
    # given more items, then BUILDs a second array with '_ndarray' None
    dtype = b"cnumpy\ndtype\n" + _u("M8[ns]") + b"\x89\x88\x87R"
    array = pickle.dumps(np.arange(3).astype("M8[ns]"), protocol=2)[2:-1]
    make = _bare("DatetimeArray")[2:]
    first = b"}q\xc9(" + _u("_data") + array + _u("_dtype") + dtype + b"u"  # memo 201 (the array uses low ones)
    later = b"h\xc9(" + _u("_ndarray") + b"N" + _u("_dtype") + dtype + b"u"
    r = scan_bytes(b"\x80\x02]q\xc8" + make + first + b"ba" + b"h\xc8" + make + later + b"ba.", "a.pkl")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
