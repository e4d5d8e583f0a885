"""Red team 56b-4: numpy < 2 pickled record arrays as ``numpy.core.records.recarray`` with
``numpy.core.records.record`` scalars (numpy 2.0's alias module is ``numpy._core.records``); the
allowlist held only numpy 2's ``numpy.rec.recarray`` and ``numpy.record``, so statsmodels' own
``vars_results.npz`` (object arrays of record arrays) was ``suspicious``. Every spelling numpy
resolves is listed, and a recarray's ``names`` are judged under each."""

from __future__ import annotations

import pickle
import warnings

import pytest

from mlbom.scanner import scan_bytes

np = pytest.importorskip("numpy")

SPELLINGS = [(b"numpy.core.records", b"numpy.core.records"), (b"numpy._core.records", b"numpy._core.records"),
             (b"numpy", b"numpy.rec")]


@pytest.mark.parametrize(("array_module", "record_module"), SPELLINGS)
def test_record_arrays_under_every_numpy_spelling_are_safe(array_module: bytes, record_module: bytes) -> None:
    a = np.rec.array([(1, 2.0), (3, 4.0)], dtype=[("x", "i4"), ("y", "f8")])
    data = pickle.dumps(a, protocol=2)
    data = data.replace(b"cnumpy.rec\nrecarray\n", b"c" + array_module + b"\nrecarray\n")
    data = data.replace(b"cnumpy\nrecord\n", b"c" + record_module + b"\nrecord\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy.core is a deprecated alias in numpy 2
        back = pickle.loads(data)
    assert back.x.tolist() == [1, 3]
    r = scan_bytes(data, "records.pkl")
    assert r.verdict == "safe", [f.message for f in r.findings]


def test_recarray_names_are_judged_under_the_numpy_1_spelling() -> None:
    # recarray(shape, dtype, buf, offset, strides, formats, names): names are split into field names
    names = b"__array_interface__,"
    evil = (b"\x80\x02cnumpy.core.records\nrecarray\n(K\x01\x85NNK\x00NX\x02\x00\x00\x00i4X"
            + len(names).to_bytes(4, "little") + names + b"tR.")
    r = scan_bytes(evil, "records.pkl")
    assert r.verdict != "safe", [f.message for f in r.findings]
