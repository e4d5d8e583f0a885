"""Red team 122pk: npy descr forms, joblib byte-order calls, three false positives, legacy
weights-only answers.

- 122pk-1: numpy's ``descr_to_dtype`` (numpy 2.4 ``numpy/lib/_format_impl.py``) iterates any descr
  that is not a ``str`` or a ``tuple`` (a set, a dict's keys) and unpacks every field with
  ``len(field) == 2`` / 3 — a 2-character string ``'aO'`` is the field ``a`` of ``'O'`` —, and
  ``_read_array_header`` takes ``all(isinstance(x, int) for x in d['shape'])``, so a bool dimension
  counts. Where numpy reads an object dtype, ``np.load(allow_pickle=True)`` unpickles the body: it is
  judged, not ``error`` "np.load refuses it". The other way: a field named ``''`` whose dtype is a void
  without names (a sub-array of objects too) is padding numpy drops — read as raw bytes.
- 122pk-4: joblib.load's ``_ensure_native_byte_order`` (joblib 1.6 ``numpy_pickle_utils.py``) runs
  ``array.byteswap().view(array.dtype.newbyteorder("="))`` on whatever an object array's nested
  pickle returns: those names are duck-typed method names, and a stored bare ``tzfile`` (its
  ``__init__`` opens the file its argument names) is a stored gadget.
- 122pk-5: joblib writes an object array's nested pickle at protocol 5 whatever the outer protocol
  (``NumpyArrayWrapper.write_array``): in the ``pickle.load`` reading of a ``protocol=2|3`` dump, that
  PROTO 5 + FRAME right after the wrapper's BUILD is what joblib writes, not a differential.
- 122pk-3: CPython's pickler writes an argument-less call in 9 bytes at protocols 2/3 (BINGET,
  EMPTY_TUPLE, REDUCE, LONG_BINPUT): the call bound's spacing is 8 bytes now (protocol 4's 5-byte
  form stays past the bound: a known false positive, kept for the time bound).
- 122pk-6: a full-model ``torch.save`` of a ``spectral_norm`` module stores its load_state_dict
  pre-hook in ``torch.nn.modules.module._WrappedHook`` (allowlisted now); its state's ``hook`` is
  judged as a stored callable called later (at ``load_state_dict``).

The files here are built by hand and never loaded."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rt122pk"
OS_SYSTEM = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R."  # never loaded


def _npy(header: str, body: bytes = OS_SYSTEM) -> bytes:
    h = header.encode("latin1")
    h += b" " * (64 - (10 + len(h) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + body


def _ids(r: object) -> set[str]:
    return {f.id for f in r.findings}  # type: ignore[attr-defined]


# (descr, shape) numpy 2.4.6's read_array_header_1_0 reads as an object dtype (red team 122pk-1's table)
OBJECT_HEADERS = [
    ("{'aO'}", "(1,)"),                 # a set: dtype([('a', 'O')])
    ("{'aO': 0}", "(1,)"),              # a dict: its keys
    ("['aO']", "(1,)"),                 # a 2-character string field
    ("[{'a': 0, 'O': 0}]", "(1,)"),     # a 2-key dict field
    ("[('a', ['bO'])]", "(1,)"),        # nested
    ("[('a', {'bO'})]", "(1,)"),        # a nested set
    ("[{'O', 'a'}]", "(1,)"),           # a set field: its order is the hash order; one order is object
    ("[((1, 'n'), 'O')]", "(1,)"),      # a non-str title
    ("[((None, 'n'), 'O')]", "(1,)"),   # a None title: no title
    ("'|O'", "(True,)"),                # a bool dimension: isinstance(True, int)
]


@pytest.mark.parametrize(("descr", "shape"), OBJECT_HEADERS)
def test_npy_object_descr_forms_are_judged(descr: str, shape: str) -> None:
    r = scan_bytes(_npy(f"{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}"), "x.npy")
    assert r.verdict == "unsafe", (descr, r.verdict, [f.message for f in r.findings])
    assert "pickle.dangerous-callable" in _ids(r)
    assert not any("refuses" in f.message for f in r.findings)


@pytest.mark.parametrize("descr", ["{'aO'}", "['aO']", "{'aO': 0}"])
def test_npz_member_and_torch_npy_record(descr: str) -> None:
    member = _npy(f"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("arr_0.npy", member)
    r = scan_bytes(b.getvalue(), "x.npz")
    assert r.verdict == "unsafe" and "pickle.dangerous-callable" in _ids(r), [f.message for f in r.findings]
    pkl = (b"\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\n"
           b"FloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x02tQK\x00K\x02\x85K\x01\x85\x89ccollections\n"
           b"OrderedDict\n)RtRs.")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for name, data in (("archive/data.pkl", pkl), ("archive/byteorder", b"little"), ("archive/data/0", member),
                           ("archive/version", b"3\n")):
            z.writestr(name, data)
    r = scan_bytes(b.getvalue(), "model.pt")
    assert r.verdict == "unsafe" and "pickle.dangerous-callable" in _ids(r), [f.message for f in r.findings]


REFUSED = [
    "['aO3']",                      # 3-character field: shape '3' (numpy: invalid shape in fixed-type tuple)
    "[(5, 'O')]",                   # field names must be strings
    "[(('n', 'n'), 'O')]",          # title is its name
    "[('a', 'O'), ('a', 'i4')]",    # name used twice
    "[b'aO']",                      # a bytes field unpacks to ints
    "5",                            # not iterable
    "[('a', 'O', True)]",           # a bool sub-array shape is refused
]


@pytest.mark.parametrize("descr", ["[('', ('O', (1,)))]", "[('', '(1,)O')]"])
def test_npy_padding_subarray_of_objects_is_raw_bytes(descr: str) -> None:
    # descr_to_dtype: is_pad = name == '' and dt.type is numpy.void and dt.names is None -> dropped;
    # numpy 2.4.6: dtype({'names': [], 'formats': [], 'offsets': [], 'itemsize': 8}), hasobject False
    r = scan_bytes(_npy(f"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}", b"\0" * 8), "x.npy")
    assert r.verdict == "safe", [f.message for f in r.findings]
    for refused in REFUSED:  # what numpy 2.4.6 refuses stays error
        r = scan_bytes(_npy(f"{{'descr': {refused}, 'fortran_order': False, 'shape': (1,), }}"), "x.npy")
        assert r.verdict == "error", (refused, r.verdict)


# ---- 122pk-4 -------------------------------------------------------------------------------------

def _s(text: str) -> bytes:
    b = text.encode()
    return b"X" + len(b).to_bytes(4, "little") + b


def _g(mod: str, name: str) -> bytes:
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


NAMESPACE = _g("argparse", "Namespace") + b")\x81"
TZFILE = _g("dateutil.tz._tzfile", "tzfile")


def test_joblib_byte_order_calls_on_nested_result() -> None:
    # red team 122pk-4's byteorder.joblib: a real joblib.dump(np.array([7], dtype=object), protocol=2)'s
    # NumpyArrayWrapper and BUILD, then a nested pickle returning
    # Namespace(dtype=Namespace(byteorder='>', newbyteorder=tzfile), byteswap=torch.Tensor):
    # joblib.load runs tzfile("=") (open("=", "rb"))
    real = (FIXTURES / "objarr-p2.joblib").read_bytes()
    outer = real[:real.index(b"K\x10ub") + 4]  # ... numpy_array_alignment_bytes=16, SETITEMS, BUILD
    dtype = NAMESPACE + b"}(" + _s("byteorder") + _s(">") + _s("newbyteorder") + TZFILE + b"ub"
    nested = b"\x80\x02" + NAMESPACE + b"}(" + _s("dtype") + dtype + _s("byteswap") + _g("torch", "Tensor") + b"ub."
    r = scan_bytes(outer + nested + b".", "byteorder.joblib")
    assert r.verdict == "unsafe", [f.message for f in r.findings]
    assert any("newbyteorder" in f.message for f in r.findings if f.id == "pickle.dangerous-callable")
    # byteswap/view stored as a gadget: not safe either
    nested = b"\x80\x02" + NAMESPACE + b"}(" + _s("view") + _g("builtins", "getattr") + b"ub."
    r = scan_bytes(outer + nested + b".", "byteorder.joblib")
    assert r.verdict != "safe", [f.message for f in r.findings]
    for name in ("objarr-default.joblib", "mixed-default.joblib"):  # real joblib.dump object arrays stay safe
        r = scan_bytes((FIXTURES / name).read_bytes(), name)
        assert r.verdict == "safe", (name, [f.message for f in r.findings])


def test_stored_bare_tzfile_is_a_stored_gadget() -> None:
    # a plain pickle storing dateutil's tzfile class as an attribute: a program calling it later with a
    # path opens and reads that file (the same rule as a stored partial(tzfile, path))
    data = b"\x80\x02" + NAMESPACE + b"}(" + _s("loader") + TZFILE + b"ub."
    r = scan_bytes(data, "x.pkl")
    assert r.verdict == "suspicious", [f.message for f in r.findings]
    assert "pickle.dynamic-callable" in _ids(r)


# ---- 122pk-5 -------------------------------------------------------------------------------------

def test_joblib_protocol_2_3_object_arrays() -> None:
    for name in ("mixed-p2.joblib", "mixed-p3.joblib"):  # real joblib.dump(..., protocol=2|3): safe
        r = scan_bytes((FIXTURES / name).read_bytes(), name)
        assert r.verdict == "safe", (name, [f.message for f in r.findings])
    for name in ("objarr-p2.joblib", "objarr-p3.joblib"):
        # no differential; what stays is the known 106sa-4 case (docs/scanning.md): the nested pickle's
        # BINGETs read the outer memo, and pickle.load would import a top-level module 'subclass'
        r = scan_bytes((FIXTURES / name).read_bytes(), name)
        assert "pickle.differential" not in _ids(r), (name, [f.message for f in r.findings])
    real = (FIXTURES / "objarr-p2.joblib").read_bytes()
    at = real.index(b"\x80\x05\x95")
    # PROTO 4 there is no joblib's: still flagged
    r = scan_bytes(real[:at] + b"\x80\x04" + real[at + 2:], "x.joblib")
    assert any("PROTO 4 in the middle" in f.message for f in r.findings), [f.message for f in r.findings]
    # a mid-stream PROTO 5 anywhere else: still flagged
    r = scan_bytes(b"\x80\x02]q\x00(K\x01\x80\x05K\x02e.", "x.pkl")
    assert any("PROTO 5 in the middle" in f.message for f in r.findings), [f.message for f in r.findings]


# ---- 122pk-6 -------------------------------------------------------------------------------------

WRAPPED_HOOK = _g("copyreg", "__newobj__") + _g("torch.nn.modules.module", "_WrappedHook") + b"\x85R"


def _wrapped(hook: bytes) -> bytes:
    return b"\x80\x02" + WRAPPED_HOOK + b"}(" + _s("hook") + hook + _s("with_module") + b"\x89ub."


def test_spectral_norm_full_saves_and_wrapped_hooks() -> None:
    for name in ("sn_linear.pt", "sn_disc.pt"):  # real torch 2.13 torch.save of spectral_norm modules
        r = scan_bytes((FIXTURES / name).read_bytes(), name)
        assert r.verdict == "safe", (name, [f.message for f in r.findings])
    pre_hook = (_g("copyreg", "__newobj__") + _g("torch.nn.utils.spectral_norm", "SpectralNormLoadStateDictPreHook")
                + b"\x85R}" + _s("fn") + b"Nsb")
    assert scan_bytes(_wrapped(pre_hook), "x.pkl").verdict == "safe"
    for hook in (TZFILE,                                              # opens the file its argument names
                 _g("torch.storage", "_load_from_bytes"),            # unpickles its argument
                 _g("torch.nn.modules.linear", "Linear"),             # a class: __init__ runs with the data
                 _g("copyreg", "__newobj__") + _g("torch.nn.modules.linear", "Linear") + b"\x85R}b"):  # a module
        r = scan_bytes(_wrapped(hook), "x.pkl")
        assert r.verdict != "safe", (hook, [f.message for f in r.findings])
    r = scan_bytes(b"\x80\x02" + WRAPPED_HOOK + b"]b.", "x.pkl")  # a state that is no dict
    assert r.verdict != "safe"


# ---- 122pk-2 -------------------------------------------------------------------------------------

def _legacy_variants() -> dict[str, bytes]:
    """Red team 122pk-2's edits of a real legacy torch.save (pickle boundaries by pickletools.genops,
    nothing unpickled but the storage-keys list pickle.dumps itself wrote)."""
    import pickle
    import pickletools

    data = (FIXTURES / "legacy.pt").read_bytes()
    f = io.BytesIO(data)
    for _ in range(4):
        for op, _arg, _pos in pickletools.genops(f):
            if op.name == "STOP":
                break
    keys_at = f.tell()
    key = None
    for op, arg, _pos in pickletools.genops(f):
        if op.name == "BINUNICODE":
            key = arg
        if op.name == "STOP":
            break
    rest_at = f.tell()

    def keys(ks: list[str]) -> bytes:
        return data[:keys_at] + pickle.dumps(ks, protocol=2) + data[rest_at:]

    assert isinstance(key, str)
    return {"ok": data, "short": data[:-200], "short1": data[:-1], "badkey": keys(["999"]), "twice": keys([key, key]),
            "nokeys": keys([]), "extra": data + b"\0" * 10,
            "xpu": data.replace(b"X\x03\x00\x00\x00cpu", b"X\x03\x00\x00\x00xpu")}


# torch 2.13.0+cpu, torch.load(io.BytesIO(variant), weights_only=True) (benign files: a float tensor):
#   ok loads; short/short1 RuntimeError unexpected EOF; badkey AssertionError storage key '999' not found in
#   deserialized_objects; twice RuntimeError unexpected EOF (the key's storage read twice); nokeys loads;
#   extra loads; xpu RuntimeError no XPU device (the zip layout's answer: true, torch.storage-devices=xpu)
TORCH_213 = {"ok": "true", "short": None, "short1": None, "badkey": None, "twice": None, "nokeys": "true",
             "extra": "true", "xpu": "true"}


def test_legacy_weights_only_checks_the_storages() -> None:
    for name, data in _legacy_variants().items():
        r = scan_bytes(data, f"{name}.pt")
        assert r.facts.get("torch.weights-only") == TORCH_213[name], (name, r.facts, [f.message for f in r.findings])
        if TORCH_213[name] is None:
            assert r.verdict == "error" and "pytorch.tensor-invalid" in _ids(r), (name, r.verdict, _ids(r))
        else:
            assert r.verdict == "safe", (name, [f.message for f in r.findings])
    r = scan_bytes(_legacy_variants()["xpu"], "xpu.pt")
    assert r.facts.get("torch.storage-devices") == "xpu"


# ---- 122pk-3 -------------------------------------------------------------------------------------

def test_more_than_50000_argumentless_calls_at_protocol_2() -> None:
    import collections
    import pickle

    for obj in ([collections.OrderedDict() for _ in range(50_001)], [collections.deque() for _ in range(50_001)]):
        for protocol in (2, 3):
            r = scan_bytes(pickle.dumps(obj, protocol=protocol), "x.pkl")
            assert r.verdict == "safe", (protocol, [f.message for f in r.findings])
    # 4 bytes a call (a memoised callable's BINGET, EMPTY_TUPLE, REDUCE): still past the bound
    head = b"\x80\x04\x8c\x08builtins\x8c\tfrozenset\x93\x94"
    r = scan_bytes(head + b"h\x00)R" * 100_000 + b".", "x.pkl")
    assert r.verdict == "error" and "pickle.limit" in _ids(r), _ids(r)
