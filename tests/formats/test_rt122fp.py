"""Red team 122fp: false positives on files real libraries write (fixtures in ``tests/fixtures/rt122fp/``,
written by its ``make_fixtures.py`` with the library versions it names; none is loaded here), each with
its hostile twin: the same callables given what no library writes stay flagged.

- 122fp-1: pandas 3 backs its default ``str`` dtype with pyarrow, so nearly every pickled DataFrame,
  Series or Index holds an ``ArrowStringArray`` of ``pyarrow.lib._restore_array`` (type_for_alias,
  py_buffer). ``_restore_array`` trusts its length, offset and string offsets: mlbom checks each
  call's layout against its buffers (``mlbom/formats/pickle_arrow.py``).
- 122fp-2: scikit-learn < 0.24's ``sklearn.datasets.base.Bunch`` (a dict) is allowed by exact entry;
  the ``sklearn.datasets.*`` deny still holds for the loaders.
- 122fp-3: CatBoost's ONNX export writes its multi-line build info as ``producer_version``: UTF-8
  text with line breaks up to 4 KiB is a version; ``producer_name`` stays a one-line name.
- 122fp-6: decompressed text within what compressors make of real text (32 characters per byte of
  the file, 2 MiB a file) is walked outside the step budget; past either it stays a bomb.
- 122fp-5: prose past 256 KiB is no gin or YOLO text: past that bound (not tokenized or composed)
  an import must be a statement at a line start, the row keys spelled as keys (or any alias).
- 122fp-7: numpy < 1.17's ``numpy.random.__RandomState_ctor`` (no argument; its state judged as
  RandomState's) is allowed; ``builtins.hash`` as a stored reference only (gensim's ``hashfxn``):
  calling it on load stays suspicious.
- 122fp-4: XGBoost/LightGBM models pickled through their scikit-learn API: the wrappers and Boosters
  are allowed (new_only), each Booster's native model checked at its BUILD (``pickle_boosters.py``).
- 122fp-9: a Python 2 pickle's numpy unicode scalar (a STRING as its data) is text mlbom reads, as
  numpy's scalar() encodes it (latin-1), not text the config walk cannot tell.
- 122fp-8: an instance ``__doc__``/``__module__`` that is a str or None (statsmodels' results, scipy's
  frozen distributions) is a docstring, no protocol attribute; the statsmodels classes stay unlisted.
- 122fp-10: word2vec's and fastText's binary vectors (``.bin``) are read (``mlbom/formats/wordvec.py``):
  a layout that adds up to the file is data, ``safe``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes, scan_file
from tests.formats.pickle_ops import (
    APPEND,
    BUILD,
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_TUPLE,
    MARK,
    NEWOBJ,
    NONE,
    SETITEMS,
    STOP,
    bb,
    call,
    glob,
    int_op,
    proto,
    s,
)

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "rt122fp"


def verdict(data: bytes, name: str = "m.pkl") -> tuple[str, list[str]]:
    r = scan_bytes(data, name)
    return r.verdict, [f.message for f in r.findings]


# -- 122fp-1: pandas 3 + pyarrow ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in FIX.glob("*.pkl")))
def test_pandas3_arrow_pickles_are_safe(name: str) -> None:
    r = scan_file(FIX / name, with_hash=False)
    assert r.verdict == "safe", [f.message for f in r.findings]


def _alias(name: bytes) -> bytes:
    return call(glob("pyarrow.lib", "type_for_alias"), name)


def _buf(data: bytes | None) -> bytes:
    return NONE if data is None else call(glob("pyarrow.lib", "py_buffer"), bb(data))


def _restore(alias: str, length: int, nulls: int, offset: int, buffers: list[bytes | None], *,
             dtype: bytes | None = None, children: bytes = EMPTY_LIST, dictionary: bytes = NONE,
             raw_buffers: list[bytes] | None = None) -> bytes:
    bufs = raw_buffers if raw_buffers is not None else [_buf(b) for b in buffers]
    data = MARK + (dtype if dtype is not None else _alias(s(alias))) + int_op(length) + int_op(nulls) \
        + int_op(offset) + EMPTY_LIST + MARK + b"".join(bufs) + b"e" + children + dictionary + b"t"
    return call(glob("pyarrow.lib", "_restore_array"), data)


def _offsets(values: list[int], width: int = 8) -> bytes:
    return b"".join(v.to_bytes(width, "little", signed=True) for v in values)


def _pickle(body: bytes) -> bytes:
    return proto(4) + body + STOP


def test_arrow_arrays_pyarrow_writes_are_safe() -> None:
    good = [
        _restore("large_string", 3, 1, 0, [b"\x03", _offsets([0, 1, 2, 2]), b"ab"]),
        _restore("string", 2, 0, 0, [None, _offsets([0, 1, 2], 4), b"xy"]),
        _restore("int64", 2, 0, 0, [None, _offsets([1, 2])]),
        _restore("bool", 3, 1, 0, [b"\x05", b"\x01"]),
        _restore("large_string", 2, 0, 1, [None, _offsets([0, 1, 3, 6]), b"xyyzzz"]),  # a slice
        _restore("null", 5, 5, 0, [None]),
    ]
    for body in good:
        assert verdict(_pickle(body)) == ("safe", [])


@pytest.mark.parametrize("body, certain", [
    # 10**9 int64 values over 8 bytes: Arrow and pandas read far past the buffer
    (_restore("int64", 10**9, 0, 0, [None, _offsets([1])]), True),
    (_restore("int64", 1, 0, 5, [None, _offsets([1])]), True),  # an offset past the data
    (_restore("large_string", 2, 0, 0, [None, _offsets([0, 1, 4000]), b"ab"]), True),  # offset past the data
    (_restore("large_string", 2, 0, 0, [None, _offsets([0, 2, 1]), b"ab"]), True),  # decreasing offsets
    (_restore("large_string", 3, 0, 0, [None, _offsets([0, 1]), b"ab"]), True),  # too few offsets
    (_restore("large_string", 20, 0, 0, [b"\x03", _offsets(list(range(21))), b"a" * 20]), True),  # short bitmap
    (_restore("int64", 2, 1, 0, [None, _offsets([1, 2])]), True),  # nulls, no bitmap
    (_restore("int64", 2, 3, 0, [b"\x03", _offsets([1, 2])]), True),  # more nulls than values
    (_restore("int64", 2, 0, 0, [None]), True),  # a buffer missing
    (_restore("bool", 9, 0, 0, [None, b"\x01"]), True),  # 9 bits in 1 byte
    (_restore("large_string", 1, 0, 0, [None, _offsets([0, 1]), b"a"],
              children=EMPTY_LIST + MARK + _restore("int8", 1, 0, 0, [None, b"\x01"]) + b"e"), False),
    (_restore("large_string", 1, 0, 0, [None, _offsets([0, 1]), b"a"],
              dictionary=MARK + _alias(s("int8")) + b"t"), False),
    (_restore("string_view", 1, 0, 0, [None, b"\x00" * 16]), False),  # a layout mlbom does not check
    (_restore("int64", 1, 0, 0, [], raw_buffers=[NONE, call(glob("pyarrow.lib", "py_buffer"),
                                                           EMPTY_LIST)]), False),  # py_buffer([])
], ids=["length-past-data", "offset-past-data", "string-offset-past-data", "offsets-decrease", "few-offsets",
        "short-bitmap", "nulls-no-bitmap", "nulls-over-length", "buffer-missing", "bits-past-data", "children",
        "dictionary", "string-view", "py-buffer-of-list"])
def test_arrow_layouts_no_pyarrow_writes_are_flagged(body: bytes, certain: bool) -> None:
    got, msgs = verdict(_pickle(body))
    assert got == ("unsafe" if certain else "suspicious"), msgs
    assert any("pyarrow" in m for m in msgs), msgs


def test_arrow_type_for_alias_of_an_object_is_suspicious() -> None:
    """type_for_alias calls ``name.lower()``: only a str is looked up."""
    got, msgs = verdict(_pickle(_alias(EMPTY_LIST)))
    assert got == "suspicious" and any("type_for_alias" in m for m in msgs), msgs


def test_arrow_types_of_other_helpers_stay_flagged() -> None:
    """A type not made by type_for_alias (a list type, an extension type's own class: CVE-2023-47248)."""
    for dtype in (call(glob("pyarrow.lib", "list_"), _alias(s("int8"))),
                  call(glob("pyarrow.lib", "PyExtensionType"), s("x"))):
        got, msgs = verdict(_pickle(_restore("int64", 1, 0, 0, [None, _offsets([1])], dtype=dtype)))
        assert got != "safe", msgs


def test_arrow_string_array_against_its_index() -> None:
    """pandas' own Series file with its RangeIndex stretched past the Arrow array's 3 values: the
    block's length comes from the checked pyarrow array."""
    data = (FIX / "pd3_series_str.pkl").read_bytes()
    stop = s("stop") + b"\x94K\x03"
    assert data.count(stop) == 1
    got, msgs = verdict(data.replace(stop, s("stop") + b"\x94K\x09"))
    assert got == "unsafe" and any("3 rows under an index of 9" in m for m in msgs), msgs


def test_arrow_string_array_bare_is_not_judged_safe_by_its_class_alone() -> None:
    """An ArrowStringArray whose _pa_array is not an Arrow array mlbom can size, as a block."""
    arr = glob("pandas.arrays", "ArrowStringArray") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + MARK \
        + s("_pa_array") + call(glob("builtins", "list"), EMPTY_LIST) + SETITEMS + BUILD
    block = call(glob("pandas._libs.internals", "_unpickle_block"), arr,
                 call(glob("builtins", "slice"), int_op(0), int_op(1), int_op(1)), int_op(2))
    mgr = call(glob("pandas.core.internals.managers", "BlockManager"), EMPTY_LIST + block + APPEND,
               EMPTY_LIST + MARK + s("a") + b"l"
               + call(glob("pandas.core.indexes.base", "_new_Index"), glob("pandas", "RangeIndex"),
                      EMPTY_DICT + MARK + s("start") + int_op(0) + s("stop") + int_op(1) + s("step") + int_op(1)
                      + SETITEMS) + APPEND)
    got, msgs = verdict(_pickle(mgr))
    assert got != "safe" and any("ArrowStringArray) are no array mlbom can size" in m for m in msgs), msgs


# -- 122fp-2: scikit-learn < 0.24's Bunch ---------------------------------------------------------

def _old_bunch(module: bytes, cls: bytes = b"Bunch") -> bytes:
    """The opening of gensim's ``test_data/mini_newsgroup`` (old ``fetch_20newsgroups`` cache),
    verbatim layout: protocol 0, ``copy_reg._reconstructor(Bunch, dict, {...})``."""
    return (b"ccopy_reg\n_reconstructor\np0\n(c" + module + b"\n" + cls + b"\np1\nc__builtin__\ndict\np2\n(dp3\n"
            b"S'DESCR'\np4\nNsS'target_names'\np5\n(lp6\nS'alt.atheism'\np7\nastRp8\n.")


@pytest.mark.parametrize("module", [b"sklearn.datasets.base", b"sklearn.datasets._base", b"sklearn.utils._bunch"])
def test_old_sklearn_bunch_is_a_dict(module: bytes) -> None:
    assert verdict(_old_bunch(module)) == ("safe", [])


@pytest.mark.parametrize("name", [b"load_files", b"fetch_20newsgroups", b"load_svmlight_file"])
def test_sklearn_dataset_loaders_stay_denied(name: bytes) -> None:
    for module in (b"sklearn.datasets.base", b"sklearn.datasets._base"):
        got, msgs = verdict(_old_bunch(module, name))
        assert got == "unsafe", msgs


# -- 122fp-3: CatBoost's ONNX export --------------------------------------------------------------

def _onnx(producer: bytes, version: bytes, *, graph: bool = True) -> bytes:
    from tests.formats.test_onnx import fld, node
    from tests.formats.test_onnx import graph as g

    out = fld(1, 8) + fld(2, producer) + fld(3, version) + fld(8, fld(2, 17))
    return out + (fld(7, g(fld(1, node("Relu")))) if graph else b"")


def test_catboost_onnx_is_an_onnx_model() -> None:
    """CatBoost writes its multi-line build info (346 bytes) as producer_version."""
    raw = (FIX / "catboost.onnx").read_bytes()
    assert b"Git info:\n" in raw
    r = scan_file(FIX / "catboost.onnx", with_hash=False)
    assert r.format == "onnx" and r.verdict == "safe", [f.message for f in r.findings]


def test_onnx_producer_version_text_over_lines() -> None:
    version = b"Git info:\n    Commit: b1bd2a6d\n    Branch: tags/v1.2.10\n\tBuild: x" + b" " * 300
    assert verdict(_onnx(b"catboost", version), "m.onnx")[0] == "safe"


@pytest.mark.parametrize("producer, version, graph", [
    (b"pytorch\n1", b"2.5", True),  # producer_name stays a one-line name (a SavedModel's MetaGraphDef, 112pa-1)
    (b"catboost", b"1.2\x00" + b"x" * 10, True),  # a NUL is no text
    (b"catboost", b"1.2\x1b[2J", True),  # nor an escape sequence
    (b"catboost", b"\xff\xfe", True),  # nor bytes that are not UTF-8
    (b"catboost", b"x\n" * 2049, True),  # past 4 KiB
    (b"catboost", b"Git info:\n  Commit: 1", False),  # no graph: not an ONNX model
])
def test_onnx_names_that_are_no_text_stay_errors(producer: bytes, version: bytes, graph: bool) -> None:
    got, msgs = verdict(_onnx(producer, version, graph=graph), "m.onnx")
    assert got == "error", msgs


# -- 122fp-6: text compressed as real text compresses ---------------------------------------------

def test_gzipped_json_lines_is_no_bomb() -> None:
    """pandas' ``to_json(lines=True, compression="gzip")``: 37.5 KB holding 682 KB (18x)."""
    r = scan_file(FIX / "train.jsonl.gz", with_hash=False)
    assert r.verdict == "safe", [f.message for f in r.findings]


def _lines(n: int, seed: int = 1) -> bytes:
    """JSON Lines that gzip compresses some 23x, as real datasets compress."""
    import random

    rnd = random.Random(seed)
    return b"".join(b'{"label": %d, "text": "sample sentence number %d"}\n' % (rnd.randint(0, 2), rnd.randint(0, 99))
                    for _ in range(n))


def test_text_past_real_compression_ratios_is_still_a_bomb(tmp_path: Path) -> None:
    import gzip

    # 1 MB of one repeated line: some 300x, no real text compresses so
    p = tmp_path / "cfg.yaml.gz"
    p.write_bytes(gzip.compress(b"key: value that repeats\n" * 45_000, 9))
    r = scan_file(p, with_hash=False)
    assert r.verdict == "suspicious" and any(f.id == "compressed.bomb" for f in r.findings), r.findings
    # within the ratio, but more text than the walks take for one file (2 MiB)
    text = _lines(50_000)
    assert len(text) > 2 << 20
    p = tmp_path / "big.jsonl.gz"
    p.write_bytes(gzip.compress(text, 9))
    assert len(text) < 32 * p.stat().st_size
    r = scan_file(p, with_hash=False)
    assert r.verdict == "suspicious" and any(f.id == "compressed.bomb" for f in r.findings), r.findings


# -- 122fp-5: prose past the gin and YOLO size bounds ----------------------------------------------

_FILLER = "The committee met on Tuesday to review the annual report and discussed the budget at length. " * 3000


@pytest.mark.parametrize("tail", [
    "They import tea, and he bought some from the stall this morning.",  # gin's import ... this, in prose
    "What a lack of backbone for a head teacher! *** THE END ***",  # YOLO's row keys as words
])
def test_long_prose_is_neither_gin_nor_yolo(tail: str) -> None:
    text = (_FILLER + "\n" + tail + "\n").encode()
    assert len(text) > 256 << 10
    assert verdict(text, "notes.txt") == ("safe", [])


@pytest.mark.parametrize("tail", [
    "import this",
    "  from this import x",
    "\r import antigravity",  # a lone CR starts a line for a text-mode reader
])
def test_long_gin_text_with_an_import_statement_stays_flagged(tail: str) -> None:
    got, msgs = verdict((_FILLER + "\n" + tail + "\n").encode(), "notes.txt")
    assert got == "suspicious" and any("gin" in m for m in msgs), msgs


@pytest.mark.parametrize("rows", [
    "backbone:\n  - [-1, 1, Conv, [64]]\nhead:\n  - [-1, 1, Detect, [nc]]\n",
    '{"backbone": [[-1, 1, "Conv", [64]]], "head" : []}\n',
    "? backbone  # rows\n: [[-1, 1, Conv, [64]]]\n!!str head: []\n",
    "x: &b backbone\n*b : [[-1, 1, Conv, [64]]]\nhead_rows: []\n",  # an alias as the key
    '"back\\x62one": []\n"\\x68ead": []\n',
])
def test_long_yolo_config_stays_flagged(rows: str) -> None:
    text = ("# " + _FILLER + "\n" + rows).encode()
    got, msgs = verdict(text, "model.yaml")
    assert got == "suspicious" and any("YOLO" in m for m in msgs), msgs


# -- 122fp-7: numpy < 1.17's RandomState constructor, builtins.hash as a stored reference ----------

def _old_random_state(pos: int, ctor: bytes = b"(t") -> bytes:
    """numpy 1.16's ``RandomState.__reduce__``: ``(np.random.__RandomState_ctor, (), self.get_state())``,
    protocol 0 as Python 2 wrote it: the state ('MT19937', 624 uint32 key, pos, has_gauss, gauss)."""
    key = "".join(f"\\x{b:02x}" for b in bytes(range(256)) * 9 + bytes(240))[: 624 * 4 * 4]
    arr = (b"cnumpy.core.multiarray\n_reconstruct\np3\n(cnumpy\nndarray\np4\n(I0\ntp5\nS'b'\np6\ntp7\nRp8\n"
           b"(I1\n(I624\ntp9\ncnumpy\ndtype\np10\n(S'u4'\np11\nI0\nI1\ntp12\nRp13\n(I3\nS'<'\np14\nNNNI-1\nI-1\nI0\n"
           b"tp15\nbI00\nS'" + key.encode() + b"'\np16\ntp17\nb")
    state = b"(S'MT19937'\np2\n" + arr + b"I" + str(pos).encode() + b"\nI0\nF0.0\ntp18\n"
    return b"cnumpy.random\n__RandomState_ctor\np0\n" + ctor + b"Rp1\n" + state + b"b."


def test_old_numpy_random_state_is_safe() -> None:
    assert verdict(_old_random_state(624)) == ("safe", [])


def test_old_numpy_random_state_is_judged_as_random_state() -> None:
    """Its state goes to set_state, which takes MT19937's pos unchecked (red team 71f-2)."""
    got, msgs = verdict(_old_random_state(10**6))
    assert got == "unsafe", msgs
    got, msgs = verdict(_old_random_state(624, b"(cos\nsystem\nt"))  # an argument is judged as what it is
    assert got == "unsafe", msgs


def test_hash_stored_as_a_reference_is_safe() -> None:
    """gensim's Word2Vec keeps hashfxn=hash (here in a dict, as Python 2 pickled it)."""
    assert verdict(b"(dp0\nS'hashfxn'\np1\nc__builtin__\nhash\np2\ns.") == ("safe", [])
    assert verdict(_pickle(s("hashfxn") + glob("builtins", "hash") + b"\x86")) == ("safe", [])


def test_hash_called_on_load_is_suspicious() -> None:
    got, msgs = verdict(_pickle(call(glob("builtins", "hash"), s("x"))))
    assert got == "suspicious", msgs


# -- 122fp-4: XGBoost and LightGBM models through their scikit-learn API ----------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in FIX.glob("*") if p.name.startswith(("xgb_", "lgb_"))))
def test_pickled_boosters_are_safe(name: str) -> None:
    r = scan_file(FIX / name, with_hash=False)
    assert r.verdict == "safe", [f.message for f in r.findings]


def _xgb_model() -> bytes:
    """The UBJSON model bytes of the real XGBClassifier fixture."""
    raw = (FIX / "xgb_classifier_p4.pkl").read_bytes()
    at = raw.index(b"B", raw.index(b"bytearray")) + 1
    n = int.from_bytes(raw[at:at + 4], "little")
    return raw[at + 4:at + 4 + n]


def _booster(module: str, state: bytes) -> bytes:
    return _pickle(glob(module, "Booster") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + MARK + state + SETITEMS + BUILD)


def test_booster_states_as_their_writers_write_them_are_safe() -> None:
    model = _xgb_model()
    assert model.startswith(b"{L") and b"Config" in model[:20]
    assert verdict(_booster("xgboost.core", s("handle") + call(glob("builtins", "bytearray"), bb(model)))) \
        == ("safe", [])
    assert verdict(_booster("xgboost.core", s("handle") + NONE)) == ("safe", [])
    assert verdict(_booster("lightgbm.basic", s("_handle") + s("tree\nversion=v4\nnum_class=1\n"))) == ("safe", [])


@pytest.mark.parametrize("module, state", [
    ("xgboost.core", s("handle") + call(glob("builtins", "bytearray"), bb(b"binf" + bytes(64)))),  # not UBJSON
    ("xgboost.core", s("handle") + call(glob("builtins", "bytearray"), bb(b"{L\x00\x00\x00\x00\x00\x00\x00\x01xZ}"))),
    ("xgboost.core", s("handle") + call(glob("builtins", "bytearray"), s("{}"))),  # bytearray of a str
    ("xgboost.core", s("handle") + EMPTY_LIST),
    ("lightgbm.basic", s("_handle") + s("numpy\nversion=v4\n")),
    ("lightgbm.basic", s("handle") + EMPTY_LIST),  # (the legacy key __setstate__ reads too)
], ids=["xgb-binary", "xgb-other-ubjson", "xgb-str", "xgb-list", "lgb-other-text", "lgb-list"])
def test_booster_states_no_writer_writes_are_suspicious(module: str, state: bytes) -> None:
    got, msgs = verdict(_booster(module, state))
    assert got == "suspicious" and any("Booster state" in m for m in msgs), msgs


@pytest.mark.parametrize("module", ["xgboost.core", "lightgbm.basic"])
def test_calling_a_booster_class_is_not_safe(module: str) -> None:
    """``Booster(model_file=path)`` reads a file: no pickler writes a call of the class."""
    got, msgs = verdict(_pickle(call(glob(module, "Booster"), NONE, EMPTY_LIST, s("/etc/model.bin"))))
    assert got != "safe", msgs


# -- 122fp-9: a Python 2 pickle of a numpy unicode scalar -------------------------------------------

# PyTables' tables/tests/issue_368.h5, attribute py2_pickled_unicode, verbatim: numpy.str_('abc')
_PY2_U3 = (b"cnumpy.core.multiarray\nscalar\np1\n(cnumpy\ndtype\np2\n(S'U3'\nI0\nI1\ntRp3\n(I3\nS'<'\nNNNI12\nI4\nI0\ntb"
           b"S'a\\x00\\x00\\x00b\\x00\\x00\\x00c\\x00\\x00\\x00'\ntRp4\n.")


def test_py2_numpy_unicode_scalar_is_read_as_text() -> None:
    """numpy's scalar() encodes a str (a Python 2 STRING) as latin-1: the text is known."""
    assert verdict(_PY2_U3) == ("safe", [])
    from mlbom.formats.pickle import _loader_text
    from tests.formats.pickle_ops import walk

    assert _loader_text(walk(_PY2_U3).value) == "abc"
    e_acute = _PY2_U3.replace(b"S'a\\x00", b"S'\\xe9\\x00")  # a byte >= 0x80: UCS4 U+00E9
    assert _loader_text(walk(e_acute).value) == "\xe9bc"


# -- 122fp-8: an instance __doc__ as statsmodels and scipy set it -----------------------------------

def _namespace_with(key: str, value: bytes) -> bytes:
    return _pickle(glob("argparse", "Namespace") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + MARK + s(key) + value
                   + s("a") + int_op(1) + SETITEMS + BUILD)


@pytest.mark.parametrize("key, value", [("__doc__", s("Results class for an OLS model.")), ("__doc__", NONE),
                                        ("__module__", s("statsmodels.regression.linear_model"))])
def test_instance_docstring_is_no_protocol_attribute(key: str, value: bytes) -> None:
    """statsmodels' ResultsWrapper.__init__ and scipy's rv_generic._construct_doc set self.__doc__."""
    assert verdict(_namespace_with(key, value)) == ("safe", [])


@pytest.mark.parametrize("key, value", [("__doc__", EMPTY_LIST), ("__doc__", glob("builtins", "print")),
                                        ("__reduce__", s("x")), ("__getattr__", s("x"))])
def test_other_instance_dunders_stay_flagged(key: str, value: bytes) -> None:
    got, msgs = verdict(_namespace_with(key, value))
    assert got != "safe", msgs


# -- 122fp-10: word2vec and fastText binary vectors ------------------------------------------------

@pytest.mark.parametrize("name, fmt", [("w2v_vectors.bin", "word2vec-binary"), ("fasttext_model.bin", "fasttext-bin")])
def test_binary_word_vectors_are_read(name: str, fmt: str) -> None:
    r = scan_file(FIX / name, with_hash=False)
    assert (r.format, r.verdict) == (fmt, "safe"), [f.message for f in r.findings]


def test_word_vectors_that_do_not_add_up_are_not_safe() -> None:
    w2v = (FIX / "w2v_vectors.bin").read_bytes()
    ft = (FIX / "fasttext_model.bin").read_bytes()
    for data in (w2v[:-7], w2v + b"\x00" * 8, w2v.replace(b"10 5\n", b"11 5\n", 1),  # short, trailing, a vector more
                 ft[:-4], ft + b"\x00", ft[:-1] + b"\x80cos\nsystem\n"):
        got, msgs = verdict(data, "vectors.bin")
        assert got != "safe", msgs
    # a pickle after a word2vec-like header is judged as what it is
    got, msgs = verdict(b"1 1\n" + _pickle(call(glob("os", "system"), s("id"))), "vectors.bin")
    assert got != "safe", msgs
