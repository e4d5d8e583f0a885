"""Red team 68f-4/5: scikit-learn transforms that build an unchecked sparse matrix from their state.

OneHotEncoder's ``transform`` adds the cumulative ``_n_features_outs`` offsets to each column's
code (``searchsorted`` in ``categories_``, then the infrequent mapping and the dropped category)
and builds a ``csr_array`` of ``sum(_n_features_outs)`` columns; CountVectorizer/TfidfVectorizer
and DictVectorizer take columns from ``vocabulary_``, MultiLabelBinarizer from ``_cached_dict``.
scipy checks none of them: ``toarray`` wrote, and a pipeline's next estimator read, past the
matrix (SIGSEGV/SIGABRT after pickle.load, joblib.load, pandas.read_pickle) while mlbom said
``safe``. Real fitted objects in every configuration stay ``safe``; each state no scikit-learn
writes is ``unsafe``, one mlbom cannot read ``suspicious``."""

from __future__ import annotations

import io
import pickle

import pytest

from mlbom.scanner import scan_bytes

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
joblib = pytest.importorskip("joblib")
pytestmark = pytest.mark.sklearn

from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer, OneHotEncoder  # noqa: E402

_HOW = ["2", "4", "5", "joblib", "joblib-raw"]
_TEXT = ["the cat sat on the mat", "the dog ate the cat food", "a bird sang", "the cat and the dog",
         "dogs and cats and birds", "mat food bird song"]


def _dumps(m: object, how: str) -> bytes:
    if how.startswith("joblib"):
        out = io.BytesIO()
        joblib.dump(m, out, compress=0 if how == "joblib-raw" else 3)
        return out.getvalue()
    return pickle.dumps({"model": m}, protocol=int(how))


def _verdict(m: object, how: str) -> tuple[str, list[str]]:
    r = scan_bytes(_dumps(m, how), "m.joblib" if how.startswith("joblib") else "m.pkl")
    return r.verdict, [f.message for f in r.findings]


def _encoders() -> list[OneHotEncoder]:
    rng = np.random.RandomState(0)
    strs = np.array([["a", "x"], ["b", "y"], ["c", "x"], ["a", "z"], ["a", "x"], ["b", "x"]], dtype=object)
    ints = rng.randint(0, 6, size=(60, 3))
    floats = np.array([[1.5], [np.nan], [0.25], [1.5], [7.0], [0.25]])
    return [
        OneHotEncoder().fit(strs),
        OneHotEncoder(sparse_output=False).fit(ints),
        OneHotEncoder(handle_unknown="ignore").fit(floats),
        OneHotEncoder(drop="first").fit(ints),
        OneHotEncoder(drop="if_binary").fit(np.array([[0, 1], [1, 2], [0, 3]])),
        OneHotEncoder(drop=["b", "y"]).fit(strs),
        OneHotEncoder(drop=[2, 3, 1]).fit(ints),
        OneHotEncoder(min_frequency=12, handle_unknown="infrequent_if_exist").fit(ints),
        OneHotEncoder(max_categories=3, drop="first").fit(ints),
        OneHotEncoder(categories=[[5, 3, 1]], handle_unknown="ignore").fit(np.array([[5], [3]], dtype=object)),
        OneHotEncoder().fit(np.array([[True], [False]])),
    ]


@pytest.mark.parametrize("how", _HOW)
def test_real_one_hot_encoders_stay_safe(how: str) -> None:
    for i, m in enumerate(_encoders()):
        verdict, msgs = _verdict(m, how)
        assert verdict == "safe", (i, msgs)


@pytest.mark.parametrize("how", _HOW)
def test_one_hot_offsets_drops_and_unsorted_categories_are_unsafe(how: str) -> None:
    ints = np.random.RandomState(1).randint(0, 4, size=(40, 2))
    cases: list[OneHotEncoder] = []
    m = OneHotEncoder().fit(ints)
    m._n_features_outs = [-(2 ** 28), 2 ** 28 + 8]  # 68f-4: the total is right, the offset is not
    cases.append(m)
    m = OneHotEncoder(drop="first").fit(ints)
    m._drop_idx_after_grouping = np.array([-1, 0], dtype=object)  # every code shifts to -1
    cases.append(m)
    m = OneHotEncoder().fit(ints)
    m.categories_ = [m.categories_[0][::-1].copy(), m.categories_[1]]  # searchsorted finds 3 at 4
    m.categories_ = [m.categories_[1], m.categories_[0]]  # the unsorted column last: its code 4 is past 8
    cases.append(m)
    m = OneHotEncoder(max_categories=2).fit(ints)
    m._default_to_infrequent_mappings = [np.array([0, 9, 1, 1]), None]
    cases.append(m)
    m = OneHotEncoder(min_frequency=11, handle_unknown="infrequent_if_exist").fit(ints)
    m._default_to_infrequent_mappings = [None, None]
    m._infrequent_indices = [None, np.array([50])]  # unknown values get code 50, unmapped
    cases.append(m)
    m = OneHotEncoder().fit(ints)
    m._n_features_outs = [np.int64(3), np.int64(3)]  # numpy ints: 6 columns for codes up to 7
    cases.append(m)
    for i, m in enumerate(cases):
        verdict, msgs = _verdict(m, how)
        assert verdict == "unsafe", (i, msgs)
        assert any("OneHotEncoder" in t and "output columns" in t for t in msgs), (i, msgs)


def test_one_hot_state_mlbom_cannot_read_is_suspicious() -> None:
    m = OneHotEncoder(drop="first").fit(np.array([[0], [1], [2]]))
    m._drop_idx_after_grouping = np.array([0.5], dtype=object)  # X_int > 0.5 shifts 1 and 2 down
    verdict, msgs = _verdict(m, "4")
    assert verdict == "suspicious", msgs
    m = OneHotEncoder().fit(np.array([[0], [1], [2]]))
    m.categories_ = [np.array([0, 1, 2], dtype=np.complex128)]
    verdict, msgs = _verdict(m, "4")
    assert verdict == "suspicious", msgs


def _vectorizers() -> list[object]:
    dicts = [{"city": "Paris", "temp": 20.0}, {"city": "Rome", "temp": 25.0}, {"city": "Oslo", "rain": 1.0}]
    mlb_int = MultiLabelBinarizer().fit([[1, 2], [3], [2, 5]])
    mlb_int.transform([[1, 5]])  # builds _cached_dict: numpy int64 keys
    mlb_str = MultiLabelBinarizer().fit([["sci-fi", "thriller"], ["comedy"]])
    mlb_str.transform([["comedy"]])
    return [
        CountVectorizer().fit(_TEXT),
        CountVectorizer(min_df=2, max_df=0.9).fit(_TEXT),  # pruned: numpy int64 columns
        CountVectorizer(max_features=5, ngram_range=(1, 2)).fit(_TEXT),
        CountVectorizer(vocabulary=["cat", "dog", "bird"]).fit(_TEXT),
        TfidfVectorizer().fit(_TEXT),
        TfidfVectorizer(use_idf=False, min_df=2).fit(_TEXT),
        DictVectorizer().fit(dicts),
        DictVectorizer(sort=False, sparse=False).fit(dicts),
        mlb_int, mlb_str, MultiLabelBinarizer().fit([[1, 2]]),
    ]


@pytest.mark.parametrize("how", _HOW)
def test_real_vectorizers_and_binarizers_stay_safe(how: str) -> None:
    for i, m in enumerate(_vectorizers()):
        verdict, msgs = _verdict(m, how)
        assert verdict == "safe", (i, msgs)


@pytest.mark.parametrize("how", _HOW)
def test_columns_past_a_vocabulary_are_unsafe(how: str) -> None:
    cases: list[object] = []
    for m in _vectorizers():
        if isinstance(m, CountVectorizer | DictVectorizer):
            vocab = dict(m.vocabulary_)
            vocab[next(iter(vocab))] = 100_000_000  # 68f-5
            m.vocabulary_ = vocab
            cases.append(m)
        elif getattr(m, "_cached_dict", None):
            cached = dict(m._cached_dict)
            cached[next(iter(cached))] = len(cached)
            m._cached_dict = cached
            cases.append(m)
    m = CountVectorizer(min_df=2).fit(_TEXT)
    m.vocabulary_ = {k: np.int64(-1 if i == 0 else i) for i, k in enumerate(m.vocabulary_)}
    cases.append(m)
    for i, m in enumerate(cases):
        verdict, msgs = _verdict(m, how)
        assert verdict == "unsafe", (i, type(m).__name__, msgs)
        assert any("outside its" in t for t in msgs), (i, msgs)


def test_vocabulary_mlbom_cannot_read_is_suspicious() -> None:
    m = CountVectorizer().fit(_TEXT)
    m.vocabulary_ = {k: float(v) for k, v in m.vocabulary_.items()}
    verdict, msgs = _verdict(m, "4")
    assert verdict == "suspicious", msgs
    m = MultiLabelBinarizer().fit([[1, 2], [3]])
    m._cached_dict = {np.int64(1): 0, 3: 2}  # a numpy key and an int key: 2 entries, column 2
    verdict, msgs = _verdict(m, "4")
    assert verdict == "unsafe", msgs


# scipy's BSpline (found while fixing 68f): restored with its __dict__ unchecked, evaluated by
# compiled code that checks dtypes and dimensions but reads c[interval - k .. interval]
from scipy.interpolate import BSpline  # noqa: E402
from sklearn.preprocessing import SplineTransformer  # noqa: E402


def _splines() -> list[object]:
    X = np.linspace(0, 10, 50).reshape(-1, 2)
    return [SplineTransformer().fit(X), SplineTransformer(degree=1, n_knots=3, extrapolation="periodic").fit(X),
            SplineTransformer(knots="quantile", sparse_output=True).fit(X),
            BSpline(np.array([0, 0, 0, 0, 1, 2, 3, 3, 3, 3.0]), np.arange(6.0), 3),
            BSpline(np.array([0, 0, 1, 2, 2.0]), np.arange(6.0).reshape(3, 2) * 1j, 1)]


@pytest.mark.parametrize("how", _HOW)
def test_real_splines_stay_safe(how: str) -> None:
    for i, m in enumerate(_splines()):
        verdict, msgs = _verdict(m, how)
        assert verdict == "safe", (i, msgs)


@pytest.mark.parametrize("how", _HOW)
@pytest.mark.parametrize("change", ["short-c", "negative-k", "large-k"])
def test_spline_coefficients_short_of_the_knots_are_unsafe(how: str, change: str) -> None:
    for i, m in enumerate(_splines()):
        splines = m.bsplines_ if isinstance(m, SplineTransformer) else [m]
        s = splines[-1]
        if change == "short-c":
            s._c = s._c[:1].copy()  # SIGSEGV: the intervals past the first read past c
        elif change == "negative-k":
            s.k = -5  # SIGABRT: std::length_error
        else:
            s.k = len(s._t)
        verdict, msgs = _verdict(m, how)
        assert verdict == "unsafe", (i, change, msgs)
        assert any("BSpline" in t for t in msgs), msgs


# red team 69f: one key object set many times is one entry; FITPACK's degree limit; a walk that
# goes on past a call no loader can make


def _fast_body(obj: object) -> bytes:
    """A protocol-2 pickle of ``obj`` with no memo, without its PROTO header and STOP."""
    f = io.BytesIO()
    p = pickle.Pickler(f, 2)
    p.fast = True
    p.dump(obj)
    return f.getvalue()[2:-1]


def _u(s: str) -> bytes:
    return b"X" + len(s.encode()).to_bytes(4, "little") + s.encode()


@pytest.mark.parametrize("memoised", [True, False])
def test_a_key_object_set_many_times_is_one_entry(memoised: bool) -> None:
    m = CountVectorizer().fit(["hello there", "world hello", "there world"])
    m.vocabulary_ = {"hello": 0, "there": 1, "world": 2, "PLACEHOLDER": 3}
    body = _fast_body(m)
    old = _u("PLACEHOLDER") + b"K\x03"
    assert body.count(old) == 1
    body = body.replace(_u("hello") + b"K\x00", _u("hello") + b"J" + (1002).to_bytes(4, "little"))
    nan = _fast_body(np.float64("nan"))
    # the same NaN object (a memo fetch) 1,000 times is one key: 4 entries, column 1002 past them;
    # 1,000 separate NaN objects are 1,000 keys, so column 1002 lies inside them
    again = b"h\x00K\x03" if memoised else nan + b"K\x03"
    data = b"\x80\x02" + body.replace(old, nan + b"q\x00K\x03" + again * 1000) + b"."
    r = scan_bytes(data, "m.pkl")
    assert r.verdict == ("unsafe" if memoised else "safe"), [f.message for f in r.findings]
    assert any("outside its 4 entries" in f.message for f in r.findings) == memoised


@pytest.mark.parametrize("k", [5, 8])
def test_a_spline_of_a_degree_past_fitpacks_is_suspicious(k: int) -> None:
    b = BSpline(np.array([0.0] * (k + 1) + [1.0] * (k + 1)), np.ones(k + 1), k, extrapolate=False)
    verdict, msgs = _verdict(b, "4")
    assert verdict == ("safe" if k == 5 else "suspicious"), msgs


def test_a_call_no_loader_can_make_stops_the_reading() -> None:
    # KBinsDiscretizer(encode='onehot') at joblib protocol 2: read by pickle.load, the array bytes
    # spell a REDUCE of a str (TypeError in both unpicklers) and what followed was judged as if
    # it ran (unsafe); the reading now stops there
    from sklearn.preprocessing import KBinsDiscretizer

    m = KBinsDiscretizer(n_bins=3, encode="onehot").fit(np.random.RandomState(0).rand(20, 2))
    out = io.BytesIO()
    joblib.dump(m, out, protocol=2)
    r = scan_bytes(out.getvalue(), "m.joblib")
    assert r.verdict != "unsafe", [f.message for f in r.findings]
    # a REDUCE of a literal str stops the walk: nothing after it is judged, nothing before is lost
    data = b"\x80\x02cos\nsystem\n" + _u("abc") + b")R" + b"cbuiltins\nexec\n" + _u("x") + b"\x85R."
    r = scan_bytes(data, "m.pkl")
    assert any("REDUCE calls" in f.message and "TypeError" in f.message for f in r.findings), \
        [f.message for f in r.findings]
    assert r.verdict == "unsafe"  # os.system was imported before the stop
    assert not any("exec" in f.message for f in r.findings), [f.message for f in r.findings]
