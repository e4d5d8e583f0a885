"""Red team 70f-1: a REDUCE of a value no unpickler can call. ``pickle.load`` raises TypeError,
but pandas' compat unpickler — ``read_pickle`` reads the file again with it after that
TypeError, and ``HDFStore.get`` unpickles node attributes with it — catches the TypeError and,
where the first argument is a ``BaseOffset`` or ``PeriodArray`` subclass, makes it with
``__new__`` and reads on: ``'x'(Day)`` then ``posix.system(...)`` ran under
``pandas.read_pickle`` and ``HDFStore.get`` while mlbom stopped at the REDUCE (``safe`` in an
HDF5 attribute). The walk stops only where the first argument is certainly no class."""

from __future__ import annotations

from mlbom.scanner import scan_bytes

_DAY = b"cpandas._libs.tslibs.offsets\nDay\n"


def _scan(data: bytes) -> tuple[str, list[str]]:
    r = scan_bytes(data, "m.pkl")
    return r.verdict, [f.message for f in r.findings]


def test_pandas_reads_on_past_a_reduce_of_a_str_given_an_offset_class() -> None:
    verdict, msgs = _scan(b"Vx\n(" + _DAY + b"tR0cposix\nsystem\n(Vtouch /tmp/x\ntR.")
    assert verdict == "unsafe", msgs
    assert any("posix" in m and "system" in m for m in msgs), msgs
    assert any("pandas' compat unpickler" in m for m in msgs), msgs


def test_the_offset_pandas_makes_is_judged_as_newobj_of_it() -> None:
    # 'x'(Day, 3): pandas makes Day.__new__(Day, 3), an allowlisted offset; the loaders disagree
    verdict, msgs = _scan(b"\x80\x02X\x01\x00\x00\x00x" + _DAY + b"K\x03\x86R.")
    assert verdict == "suspicious", msgs
    verdict, msgs = _scan(b"\x80\x02X\x01\x00\x00\x00xcposix\nsystem\n\x85R.")
    assert verdict == "unsafe", msgs  # os.system is imported whatever follows


def test_a_reduce_of_a_str_whose_first_argument_is_no_class_stops_every_loader() -> None:
    for args in (b")", b"K\x01\x85", b"X\x01\x00\x00\x00a]\x86"):
        data = b"\x80\x02X\x01\x00\x00\x00x" + args + b"Rcbuiltins\nexec\nX\x01\x00\x00\x00x\x85R."
        _, msgs = _scan(data)
        assert any("REDUCE calls" in m and "no class" in m for m in msgs), (args, msgs)
        assert not any("exec" in m for m in msgs), (args, msgs)
