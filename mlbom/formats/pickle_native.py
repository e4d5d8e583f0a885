"""Native model state the pickle walker judges after the stream ends (docs/scanning.md, "Native
model state used after load").

A scikit-learn or scipy object on the allowlist may be rebuilt from arrays that its
``__setstate__`` copies into C memory unchecked; its native code then follows indices in them
without bounds checks. :class:`NativeJudge` reads those arrays (as the walk kept them, streamed
past in a joblib file, or read back from the file by offset), scans their records with
:mod:`mlbom.formats.native_state`, and judges what the loaded object ends up with: a Tree's or
TreePredictor's nodes when BUILD sets them; at the end of the stream, the estimators owning
trees (feature indices against ``n_features_in_``, GradientBoosting's stage widths against its
init's predictions, HistGradientBoosting's categorical maps), KDTree/BallTree states and their
metrics, neighbours classifiers' labels, libsvm models, k-means centers against
``n_features_in_``, the columns a OneHotEncoder's codes and a vectorizer's vocabulary give the
sparse matrix their transform builds, numpy random states and scipy sparse matrices. The walker
hands it two callables (``note`` a finding, ``lookup`` an attribute's values), its byte source
and the judges of other libraries' objects (:class:`StateJudge`: pandas' in
:mod:`mlbom.formats.pickle_pandas`), which it calls at the same points.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Generic, Protocol, TypeVar

from mlbom.formats import native_state
from mlbom.formats.pickle_values import (
    DTYPE_PATHS,
    FROMBUFFERS,
    NONE,
    RECONSTRUCTS,
    Blob,
    Call,
    Dct,
    Global,
    Latin1FromUtf8,
    Opaque,
    Seq,
    describe,
    instance_class,
    made_by,
    maker_code,
    numpy_scalar,
    partial_of,
    plain_value,
)
from mlbom.model import Severity, Verdict


class ReadBack(Protocol):
    """The walker's byte source, as far as reading arrays back by offset goes."""

    seekable: bool
    s: IO[bytes]


_T = TypeVar("_T")


class ByIdentity(Generic[_T]):
    """Values filed under an object's identity, each object kept alive with its value (so its
    ``id`` cannot be reused by another object while the walk goes on)."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[int, tuple[object, _T]] = {}

    def get(self, obj: object) -> _T | None:
        entry = self._items.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else None

    def put(self, obj: object, value: _T) -> None:
        self._items[id(obj)] = (obj, value)

    def setdefault(self, obj: object, make: Callable[[], _T]) -> _T:
        got = self.get(obj)
        if got is None:
            got = make()
            self.put(obj, got)
        return got

    def values(self) -> list[_T]:
        return [v for _obj, v in self._items.values()]


@dataclass
class NativeRegistry:
    """The objects whose native state is judged once the stream has ended, shared by a walk and
    the walks nested in it (by identity, kept alive)."""

    # scikit-learn Trees whose nodes were checked, the estimators owning them and joblib object
    # arrays holding them: (the largest feature index an internal node reads, the largest a
    # categorical split reads; -1: none), judged against the owner's n_features_in_ (34t-2)
    tree_features: ByIdentity[tuple[int, int]] = field(default_factory=ByIdentity)
    # scikit-learn instances BUILD gave a state: the estimators owning Trees are judged on
    # every attribute value their states hold then — a Tree filled, a predictor appended or
    # n_features_in_ set again after the owner's own BUILD counts (red team 36t-1/2/6)
    owners: ByIdentity[Call] = field(default_factory=ByIdentity)
    # KDTree/BallTree instances BUILD gave a state: judged on their last state and the arrays
    # it holds as they ended up (the tree keeps the arrays themselves)
    binary_trees: ByIdentity[Call] = field(default_factory=ByIdentity)
    # what a state held when BUILD applied it, for the classes whose __setstate__ copies it: a
    # scikit-learn estimator's dict (``__dict__.update``: later SETITEMs into the state dict do
    # not reach it) and an object ndarray's item list (red team 37t-2/37t-5), one per BUILD
    snapshots: ByIdentity[list[tuple[dict[object, object], list[object]]]] = field(default_factory=ByIdentity)
    array_items: ByIdentity[list[list[object]]] = field(default_factory=ByIdentity)
    # scipy sparse matrices and arrays BUILD gave a state: their index arrays (39t-2)
    sparse: ByIdentity[Call] = field(default_factory=ByIdentity)
    # Trees, KDTrees and BallTrees as their constructor made them: one BUILD never gave a state
    # keeps the empty (NULL) buffers ``__cinit__`` left, which its public methods read (44t-2)
    made: ByIdentity[Call] = field(default_factory=ByIdentity)
    # the node arrays of TreePredictors checked on BUILD: the predictor keeps a reference, so a
    # later BUILD of one changes nodes that were judged (red team 34t-3)
    predictor_nodes: ByIdentity[object] = field(default_factory=ByIdentity)
    # pandas NDArrayBacked arrays created with __new__: judged on the ndarray their last state
    # gives them (red team 63f-2)
    backed: ByIdentity[Call] = field(default_factory=ByIdentity)
    # pandas BlockManagers made by a call (REDUCE verifies the placements' total; NEWOBJ's
    # __cinit__ does not): their block placements are judged when the stream ends (71f-1)
    frames: ByIdentity[tuple[Call, str]] = field(default_factory=ByIdentity)
    # what each one's last BUILD gave it, read at that BUILD: pandas' __setstate__ takes the data
    # then, and a later SETITEM into the state dict does not reach the array (red team 64f-1)
    backed_data: ByIdentity[tuple[object, object]] = field(default_factory=ByIdentity)
    # the dict a pandas ``_new_Index(cls, d)`` call was given, as it held when the call ran (a later
    # SETITEM does not change the Index made; red team 72f-6)
    index_args: ByIdentity[tuple[Call, dict[object, object]]] = field(default_factory=ByIdentity)
    # what a CategoricalDtype's BUILD took as its categories (``__setstate__`` pops them from the
    # dict then: a later SETITEM does not reach the dtype; red team 73f-3); None: unreadable
    cat_dtypes: ByIdentity[tuple[object]] = field(default_factory=ByIdentity)
    # a pandas masked array's ``_data``/``_mask`` as its BUILDs left them (``object.__setstate__``)
    masked: ByIdentity[dict[str, object]] = field(default_factory=ByIdentity)
    # a pandas SparseArray's values and index as its BUILDs left them (a ``__dict__`` update, or
    # the pandas < 0.24 tuple form), judged when the stream ends (red team 75f-1/3)
    sparse_arrays: ByIdentity[tuple[Call, dict[str, object]]] = field(default_factory=ByIdentity)
    # pandas' IntIndex/BlockIndex objects and how each was made (a call runs check_integrity)
    sparse_indexes: ByIdentity[str] = field(default_factory=ByIdentity)
    # pandas managers BUILT with a 0.14.1 state: the index, the dimensions and the (values,
    # placement) of each block that state gave them, judged when the stream ends, when the arrays
    # they hold have their last state (red team 79f-1/2: a masked array BUILT again after)
    legacy_managers: ByIdentity[tuple[str, object]] = field(default_factory=ByIdentity)
    # pyarrow ``_restore_array`` calls and the data tuple each was given, as it was then, judged when
    # the stream ends (:mod:`mlbom.formats.pickle_arrow`; red team 122fp-1)
    arrow_arrays: list[tuple[Call, object]] = field(default_factory=list)


Note = Callable[[str, Severity, str, "Verdict | None", "str | None"], None]
Lookup = Callable[[Call, str], "tuple[list[object], str | None]"]


class ObjectArray(Opaque):
    """A joblib object array: what its nested pickle returned (an owner's check looks for the
    Trees in it)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        super().__init__("a numpy array")
        self.value = value


class NodeArray(Opaque):
    """A joblib array of scikit-learn's ``NODE_DTYPE`` (``PREDICTOR_RECORD_DTYPE``, the binary
    trees' ``NodeData``, HDBSCAN's ``HIERARCHY_dtype``) layout, scanned as it streamed past."""

    __slots__ = ("scan",)

    def __init__(self, scan: native_state.NodeScan | native_state.PredictorScan | native_state.BinaryTreeScan
                 | native_state.LinkageScan) -> None:
        super().__init__("a numpy array")
        self.scan = scan


class ShapedArray(Opaque):
    """A joblib array streamed past, with its shape (a TreePredictor's bitsets are sized by it)
    and, for a 1-D one-byte array, its elements read as flags (a feature mask)."""

    __slots__ = ("dims", "dtype", "flags", "fortran", "int_size", "ints", "nbytes", "offset", "order")

    def __init__(self, dims: tuple[int, ...], flags: ByteFlags | None = None,
                 ints: native_state.IndexScan | None = None, fortran: bool = False, offset: int | None = None,
                 nbytes: int = 0, int_size: int | None = None, dtype: object = None,
                 order: native_state.OrderScan | None = None) -> None:
        super().__init__("a numpy array")
        self.dims = dims
        self.fortran = fortran
        self.dtype = dtype  # as pickled in joblib's wrapper
        # a 1-D int32/int64 (or other number) array: its item size and where its bytes are in the
        # (seekable) stream
        self.int_size = int_size
        self.offset = offset
        self.nbytes = nbytes
        self.flags = flags
        self.ints = ints  # a 1-D int64 array's count and value range (a KDTree's idx_array)
        self.order = order  # a small 1-D number array's order, read as it streamed past


def _tree_ensemble(cls: str) -> bool:
    """A scikit-learn ensemble whose ``estimators_`` Trees are bounded by its own ``n_features_in_``
    (forests, GradientBoosting, IsolationForest, AdaBoost, Bagging). Stacking and Voting are not:
    their ``n_features_in_`` is a property of their first estimator, and they call each
    estimator's public predict, which checks X against that estimator's own width."""
    return cls.startswith("sklearn.ensemble.") and not cls.startswith(("sklearn.ensemble._stacking.",
                                                                        "sklearn.ensemble._voting."))


TREE_PREDICTOR = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"


_HGB_CLASSES = frozenset(f"sklearn.ensemble._hist_gradient_boosting.gradient_boosting.{c}"
                         for c in ("HistGradientBoostingRegressor", "HistGradientBoostingClassifier"))


_COLUMN_TRANSFORMER = "sklearn.compose._column_transformer.ColumnTransformer"


SPARSE = frozenset(f"scipy.sparse.{m}.{k}_{t}" for m, k in (
    ("_csr", "csr"), ("_csc", "csc"), ("_coo", "coo"), ("_bsr", "bsr"), ("_dia", "dia"), ("_lil", "lil"),
    ("_dok", "dok"), ("csr", "csr"), ("csc", "csc"), ("coo", "coo"), ("bsr", "bsr"), ("dia", "dia"),
    ("lil", "lil"), ("dok", "dok")) for t in ("matrix", "array"))


# the hashing transformers: transform computes abs(h) % n_features, a C division (cdivision=True)
_HASHERS = frozenset({"sklearn.feature_extraction._hash.FeatureHasher",
                      "sklearn.feature_extraction.text.HashingVectorizer"})
_HDBSCAN = "sklearn.cluster._hdbscan.hdbscan.HDBSCAN"
_NEIGHBORS_CLASSIFIERS = frozenset(f"sklearn.neighbors._classification.{c}" for c in (
    "KNeighborsClassifier", "RadiusNeighborsClassifier"))


# linear models whose predictions are X @ coef_.T (+ intercept_): LinearModel._decision_function
_COEF_T_REGRESSORS = frozenset(f"sklearn.linear_model.{m}" for m in (
    "_base.LinearRegression", "_ridge.Ridge", "_ridge.RidgeCV", "_coordinate_descent.Lasso",
    "_coordinate_descent.ElasticNet", "_coordinate_descent.LassoCV", "_coordinate_descent.ElasticNetCV",
    "_coordinate_descent.MultiTaskLasso", "_coordinate_descent.MultiTaskElasticNet",
    "_coordinate_descent.MultiTaskLassoCV", "_coordinate_descent.MultiTaskElasticNetCV",
    "_least_angle.Lars", "_least_angle.LassoLars", "_least_angle.LarsCV", "_least_angle.LassoLarsCV",
    "_least_angle.LassoLarsIC", "_omp.OrthogonalMatchingPursuit", "_omp.OrthogonalMatchingPursuitCV",
    "_bayes.BayesianRidge", "_bayes.ARDRegression"))


_GB_CLASSES = frozenset(f"sklearn.ensemble._gb.{c}" for c in ("GradientBoostingRegressor",
                                                               "GradientBoostingClassifier"))


_MULTINOMIAL = "sklearn._loss.loss.HalfMultinomialLoss"


_TREE_INITS = frozenset(f"sklearn.tree._classes.{c}" for c in (
    "DecisionTreeRegressor", "DecisionTreeClassifier", "ExtraTreeRegressor", "ExtraTreeClassifier"))


_DUMMY_STRATEGIES = frozenset({"prior", "stratified", "most_frequent", "uniform", "constant"})


BINARY_TREES = ("sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree")
# the native classes whose constructor leaves buffers that only ``__setstate__`` fills
# (and the Mahalanobis metrics: ``__cinit__`` leaves the ``buffer`` memoryview ``rdist`` writes NULL;
# audit 64, A64-1)
_MAHALANOBIS = frozenset({"sklearn.metrics._dist_metrics.MahalanobisDistance64",
                          "sklearn.metrics._dist_metrics.MahalanobisDistance32"})
STATE_REQUIRED = frozenset({"sklearn.tree._tree.Tree", *BINARY_TREES, *_MAHALANOBIS})


_METRICS = "sklearn.metrics._dist_metrics."


# metrics whose distances read only the two points' n_features values (no per-feature arrays)
_PLAIN_METRICS = frozenset({
    "EuclideanDistance", "ManhattanDistance", "ChebyshevDistance", "HammingDistance", "CanberraDistance",
    "BrayCurtisDistance", "JaccardDistance", "MatchingDistance", "DiceDistance", "KulsinskiDistance",
    "RogersTanimotoDistance", "RussellRaoDistance", "SokalMichenerDistance", "SokalSneathDistance"})


_LIBSVM_CLASSIFIERS = frozenset(f"sklearn.svm._classes.{c}" for c in ("SVC", "NuSVC"))
_LIBSVM_KERNELS = frozenset({"linear", "poly", "rbf", "sigmoid"})  # libsvm computes these from the vectors
_LIBSVM = _LIBSVM_CLASSIFIERS | frozenset(f"sklearn.svm._classes.{c}" for c in ("SVR", "NuSVR", "OneClassSVM"))
# k-means estimators: predict runs _k_means_lloyd's chunked loops (bounds checks off) with X checked
# against n_features_in_ only and the centers' own width (red team 67f-1)
_KMEANS = frozenset({"sklearn.cluster._kmeans.KMeans", "sklearn.cluster._kmeans.MiniBatchKMeans"})
_BSPLINE = "scipy.interpolate._bsplines.BSpline"
_ONE_HOT = "sklearn.preprocessing._encoders.OneHotEncoder"
_ONE_HOT_STATE = ("categories_", "_n_features_outs", "_drop_idx_after_grouping", "drop_idx_", "_infrequent_enabled",
                  "_default_to_infrequent_mappings", "_infrequent_indices")
# the estimators whose transform takes columns from a dict attribute (68f-5)
_VOCABULARIES = {"sklearn.feature_extraction.text.CountVectorizer": "vocabulary_",
                 "sklearn.feature_extraction.text.TfidfVectorizer": "vocabulary_",
                 "sklearn.feature_extraction._dict_vectorizer.DictVectorizer": "vocabulary_",
                 "sklearn.preprocessing._label.MultiLabelBinarizer": "_cached_dict"}
_BISECTING = "sklearn.cluster._bisect_k_means.BisectingKMeans"
# each class's own ``_impl`` (a class attribute: scikit-learn pickles none), libsvm's svm_type
_LIBSVM_IMPL = {f"sklearn.svm._classes.{c}": impl for c, impl in (
    ("SVC", "c_svc"), ("NuSVC", "nu_svc"), ("SVR", "epsilon_svr"), ("NuSVR", "nu_svr"), ("OneClassSVM", "one_class"))}
_ORDINAL_ENCODER = "sklearn.preprocessing._encoders.OrdinalEncoder"


_FUNCTION_TRANSFORMER = "sklearn.preprocessing._function_transformer.FunctionTransformer"


_CHECK_ARRAY = "sklearn.utils.validation.check_array"


_TREE_WALK_LIMIT = 1_000_000  # values visited looking for the Trees an estimator holds


def node_dtype(dtype: object) -> int | None:
    """The itemsize when ``dtype`` is a pickled dtype with exactly the fields, codes, offsets and
    itemsize of one of scikit-learn's ``NODE_DTYPE`` layouts (:data:`native_state.NODE_LAYOUTS`),
    as numpy pickles it; else None."""
    for want, itemsize in native_state.NODE_LAYOUTS:
        if _record_dtype(dtype, want, itemsize):
            return itemsize
    return None


def _record_dtype(dtype: object, fields: tuple[tuple[str, str, int], ...], itemsize: int) -> bool:
    """``dtype`` is a pickled dtype with exactly ``fields`` (name, code, offset) in ``itemsize``
    bytes, as numpy pickles a record dtype (``numpy.dtype('V<itemsize>')`` + state)."""
    if not isinstance(dtype, Call) or not isinstance(dtype.func, Global) or dtype.func.res.path not in DTYPE_PATHS:
        return False
    args = dtype.args.items if isinstance(dtype.args, Seq) else None
    st = dtype.state.items if isinstance(dtype.state, Seq) else None
    return bool(args) and st is not None and len(st) == 8 and args is not None and args[0] == f"V{itemsize}" \
        and st[5] == itemsize and _node_fields(st[2], st[3], st[4], fields)


def predictor_dtype(dtype: object) -> bool:
    """HistGradientBoosting's ``PREDICTOR_RECORD_DTYPE`` (:data:`native_state.PREDICTOR_FIELDS`)."""
    return _record_dtype(dtype, native_state.PREDICTOR_FIELDS, native_state.PREDICTOR_ITEMSIZE)


def array_dims(value: object, any_order: bool = False) -> list[int] | None:
    """The shape of a C-order numpy array (``any_order``: or Fortran-order) as pickled (numpy's
    ``_reconstruct`` + state, protocol 5's ``_frombuffer``, or a joblib array streamed past);
    else None."""
    dims: list[object] | None = None
    if isinstance(value, ShapedArray):
        dims = list(value.dims) if any_order or not value.fortran else None
    elif isinstance(value, NodeArray):
        dims = [value.scan.count]
    elif isinstance(value, Call) and isinstance(value.func, Global) and value.func.res.status == "allow":
        parts = value.state.items if isinstance(value.state, Seq) else None
        args = value.args.items if isinstance(value.args, Seq) else None
        if value.func.res.path in RECONSTRUCTS and parts is not None and len(parts) == 5 \
                and (any_order or parts[3] in (False, 0)) and isinstance(parts[1], Seq):
            dims = parts[1].items
        elif value.func.res.path in FROMBUFFERS and value.state is None and args is not None and len(args) == 4 \
                and (any_order or args[3] != "F") and isinstance(args[2], Seq):
            dims = args[2].items
    if dims is None or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
        return None
    return [d for d in dims if isinstance(d, int)]


def _bitset_rows(value: object) -> int | None:
    """The rows of a 2-D C-order array of at least 8 columns (a TreePredictor's categorical
    bitsets: ``_predictor.pyx`` reads word ``value // 32`` < 8 of a row), as pickled; else None."""
    dims = array_dims(value)
    if dims is None or len(dims) != 2:
        return None
    rows, cols = dims
    return rows if cols >= 8 else None


def _binary_tree_scan(value: object, src: ReadBack) -> native_state.BinaryTreeScan | str:
    """A KDTree/BallTree's ``node_data`` records, scanned; a str: why they cannot be."""
    if isinstance(value, NodeArray):
        return value.scan if isinstance(value.scan, native_state.BinaryTreeScan) else \
            "its array is not of NodeData's exact layout"
    return _read_1d(value, src, lambda d: native_state.BinaryTreeScan() if node_data_dtype(d) else None, "node")


def index_scan(value: object, src: ReadBack, sizes: tuple[int, ...] = (8,)) -> native_state.IndexScan | str:
    """A 1-D little-endian signed integer array's count and value range (of an item size in
    ``sizes``: 8 for int64/intp, 4 for int32); a str: why it cannot be read."""
    if isinstance(value, ShapedArray):
        if value.ints is not None and value.ints.itemsize in sizes:
            return value.ints
        if value.offset is None or value.int_size not in sizes:
            return "it is not a 1-D little-endian integer array of the item size expected"
        scan = native_state.IndexScan(value.int_size)
        why = read_back(src, value.offset, value.nbytes, scan, "index")
        if why is not None:
            return why
        scan.finish()
        return scan

    def make(dtype: object) -> native_state.IndexScan | None:
        size = int_dtype(dtype)
        return native_state.IndexScan(size) if size in sizes else None
    return _read_1d(value, src, make, "index")


def _order_scan(value: object, src: ReadBack) -> native_state.OrderScan | str:
    """Whether a 1-D bool/integer/float array's values are sorted (:class:`native_state.OrderScan`),
    read as the walk kept it, as it streamed past, or back from the file; a str: why it cannot be."""
    if isinstance(value, ShapedArray):
        if value.order is not None:
            scan = value.order
        else:
            number = number_format(value.dtype)
            if number is None or value.offset is None or len(value.dims) != 1 or value.fortran:
                return "it is not a 1-D array of numbers mlbom read"
            scan = native_state.OrderScan(*number)
            why = read_back(src, value.offset, value.nbytes, scan, "category")
            if why is not None:
                return why
            scan.finish()
    else:
        def make(dtype: object) -> native_state.OrderScan | None:
            number = number_format(dtype)
            return native_state.OrderScan(*number) if number is not None else None
        got = _read_1d(value, src, make, "category")
        if isinstance(got, str):
            return got
        scan = got
    if scan.problem is not None or scan.untracked:
        return scan.problem or f"it has more than {native_state.ORDER_LIMIT} elements"
    return scan


def linkage_dtype(dtype: object) -> bool:
    """HDBSCAN's ``HIERARCHY_dtype`` (:data:`native_state.LINKAGE_FIELDS`)."""
    return _record_dtype(dtype, native_state.LINKAGE_FIELDS, native_state.LINKAGE_ITEMSIZE)


def _linkage_scan(value: object, src: ReadBack) -> native_state.LinkageScan | str:
    """The merge records of an HDBSCAN single-linkage tree, scanned; a str: why they cannot be."""
    if isinstance(value, NodeArray):
        if isinstance(value.scan, native_state.LinkageScan):
            return value.scan
        return "its array is not of HIERARCHY_dtype's exact layout"
    return _read_1d(value, src, lambda d: native_state.LinkageScan() if linkage_dtype(d) else None, "linkage")


def node_data_dtype(dtype: object) -> bool:
    """The binary trees' ``NodeData`` (:data:`native_state.NODE_DATA_FIELDS`)."""
    return _record_dtype(dtype, native_state.NODE_DATA_FIELDS, native_state.NODE_DATA_ITEMSIZE)


def _plain_dtype(dtype: object, kinds: str, sizes: tuple[int, ...]) -> tuple[int, bool] | None:
    """(item size, little-endian) of a pickled numpy dtype of one of ``kinds`` and ``sizes`` with
    no fields or sub-array — no state (the code's own byte order) or numpy's 8-item state tuple
    whose sub-array and fields are None; else None."""
    code = maker_code(dtype)
    if code is None or code.itemsize not in sizes or code.kind not in kinds or code.flexible or code.struct:
        return None
    assert isinstance(dtype, Call)
    if dtype.state is None:
        args = dtype.args.items if isinstance(dtype.args, Seq) else None
        text = args[0] if args else None
        return code.itemsize, isinstance(text, str) and (text.startswith("<") or (
            sys.byteorder == "little" and not text.startswith(">")))
    st = dtype.state.items if isinstance(dtype.state, Seq) else None
    if st is None or len(st) < 8 or st[2] is not NONE or st[4] is not NONE:
        return None
    return code.itemsize, st[1] == "<" or (st[1] in ("=", "|") and sys.byteorder == "little")


def plain_itemsize(dtype: object) -> int | None:
    """The item size of a pickled numpy dtype of one bool, number, object or datetime value per
    item (no fields, sub-array or flexible size); else None."""
    got = _plain_dtype(dtype, "biufcOMm", (1, 2, 4, 8, 16))
    return got[0] if got is not None else None


def int_dtype(dtype: object) -> int | None:
    """The item size (1, 2, 4 or 8) of a pickled numpy dtype of little-endian signed integers,
    with no fields or sub-array; else None."""
    got = _plain_dtype(dtype, "i", (1, 2, 4, 8))
    return got[0] if got is not None and got[1] else None


# struct format characters of numpy's bool, integer and float kinds, by (kind, item size)
_NUMBER_CODES = {("b", 1): "?", ("i", 1): "b", ("u", 1): "B", ("i", 2): "h", ("u", 2): "H", ("i", 4): "i",
                 ("u", 4): "I", ("i", 8): "q", ("u", 8): "Q", ("f", 2): "e", ("f", 4): "f", ("f", 8): "d"}


def number_format(dtype: object) -> tuple[str, int, bool] | None:
    """(struct format character, item size, little-endian) of a pickled numpy dtype of bools,
    integers or floats up to 8 bytes with no fields or sub-array; else None."""
    code = maker_code(dtype)
    fmt = _NUMBER_CODES.get((code.kind, code.itemsize)) if code is not None else None
    got = _plain_dtype(dtype, code.kind, (code.itemsize,)) if code is not None and fmt is not None else None
    if fmt is None or got is None:
        return None
    return fmt, got[0], got[1]


def array_dtype(value: object) -> object:
    """The dtype (as pickled) of a numpy array as pickled (numpy's ``_reconstruct`` + state,
    protocol 5's ``_frombuffer``, a joblib array streamed past); else None."""
    if isinstance(value, ShapedArray):
        return value.dtype
    if not isinstance(value, Call) or made_by(value) is None:
        return None
    parts = value.state.items if isinstance(value.state, Seq) else None
    args = value.args.items if isinstance(value.args, Seq) else None
    if made_by(value) in RECONSTRUCTS and parts is not None and len(parts) == 5:
        return parts[2]
    if made_by(value) in FROMBUFFERS and value.state is None and args is not None and len(args) == 4:
        return args[1]
    return None


def scalar_value(value: object) -> int | float | str | bytes | None:
    """The Python value a numpy scalar as numpy pickles it (``scalar(dtype, data)``) equals
    (and hashes as): a bool or integer, a float, a ``str_`` or ``bytes_``; None when it cannot
    be told or numpy raises on it. numpy's ``array_scalar`` takes the first ``itemsize`` bytes of
    ``data`` (bytes; a str is encoded as latin-1, as for Python 2 pickles) and raises when there
    are fewer."""
    if not numpy_scalar(value):
        return None
    assert isinstance(value, Call)
    args = value.args.items if isinstance(value.args, Seq) else None
    if args is None or len(args) != 2 or value.kwargs not in (None, NONE) or value.state is not None:
        return None
    dtype, data = args
    raw: bytes | None = None
    if isinstance(data, Blob) and data.data is not None and not data.mutated and data.alt is None:
        raw = data.data
    elif isinstance(data, str):
        try:
            raw = data.encode("latin-1")
        except UnicodeEncodeError:
            return None
    if raw is None:
        return None
    number = number_format(dtype)
    if number is not None:
        fmt, size, little = number
        if len(raw) < size:
            return None
        got: int | float = struct.unpack(("<" if little else ">") + fmt, raw[:size])[0]
        return got
    code = maker_code(dtype)
    st = dtype.state.items if isinstance(dtype, Call) and isinstance(dtype.state, Seq) else None
    if code is None or code.kind not in "US" or (st is not None and (len(st) < 8 or st[2] is not NONE
                                                                      or st[4] is not NONE)):
        return None
    width: object = st[5] if st is not None and code.flexible else code.itemsize
    if not isinstance(width, int) or isinstance(width, bool) or width <= 0 or len(raw) < width \
            or (code.kind == "U" and width % 4):
        return None
    size = width
    if code.kind == "S":
        return raw[:size].rstrip(b"\0")
    order = st[1] if st is not None else ">" if isinstance(dtype, Call) and isinstance(dtype.args, Seq) \
        and dtype.args.items and str(dtype.args.items[0]).startswith(">") else "<"
    try:
        return raw[:size].decode("utf-32-be" if order == ">" else "utf-32-le", "surrogatepass").rstrip("\0")
    except UnicodeDecodeError:
        return None


def int_value(value: object) -> int | None:
    """An int (a bool counts) or a numpy integer or bool scalar's value; else None."""
    if isinstance(value, int):
        return value
    got = scalar_value(value)
    return got if isinstance(got, int) else None


def _node_fields(sub: object, names: object, fields: object, want: tuple[tuple[str, str, int], ...]) -> bool:
    if not isinstance(names, Seq) or names.items != [f[0] for f in want] or sub is not NONE \
            or not isinstance(fields, Dct) or fields.loose or fields.others \
            or fields.items is None or len(fields.items) != len(want):
        return False
    for name, code, offset in want:
        spec = fields.items.get(name)
        parts = spec.items if isinstance(spec, Seq) else None
        if not parts or len(parts) != 2 or parts[1] != offset or isinstance(parts[1], bool):
            return False
        sub = parts[0]
        sargs = sub.args.items if isinstance(sub, Call) and isinstance(sub.args, Seq) else None
        sst = sub.state.items if isinstance(sub, Call) and isinstance(sub.state, Seq) else None
        if not isinstance(sub, Call) or not isinstance(sub.func, Global) or sub.func.res.path not in DTYPE_PATHS \
                or not sargs or sst is None or len(sst) != 8 or sst[2:5] != [NONE, NONE, NONE] \
                or (sst[1] + str(sargs[0]) if isinstance(sst[1], str) else None) != code:
            return False
    return True


def _node_scan(nodes: object, src: ReadBack) -> native_state.NodeScan | str:
    """The node records of a Tree state's ``nodes`` array, scanned; a str: why they cannot be."""
    got = _record_scan(nodes, src, predictor=False)
    return got if isinstance(got, native_state.NodeScan | str) else "its nodes are not a 1-D array of one of " \
        "NODE_DTYPE's exact layouts"


def _predictor_scan(nodes: object, src: ReadBack) -> native_state.PredictorScan | str:
    """The node records of a TreePredictor's ``nodes`` array, scanned; a str: why they cannot be."""
    got = _record_scan(nodes, src, predictor=True)
    return got if isinstance(got, native_state.PredictorScan | str) else "its nodes are not a 1-D array of " \
        "PREDICTOR_RECORD_DTYPE's exact layout"


def _record_scan(nodes: object, src: ReadBack,
                 predictor: bool) -> native_state.NodeScan | native_state.PredictorScan | str:
    if isinstance(nodes, NodeArray):
        if isinstance(nodes.scan, native_state.BinaryTreeScan | native_state.LinkageScan):
            return "its nodes are not a 1-D array of the exact record layout"
        return nodes.scan

    def make(dtype: object) -> native_state.NodeScan | native_state.PredictorScan | None:
        if predictor:
            return native_state.PredictorScan() if predictor_dtype(dtype) else None
        itemsize = node_dtype(dtype)
        return None if itemsize is None else native_state.NodeScan(itemsize)

    got = _read_1d(nodes, src, make, "node")
    if isinstance(got, str):
        return got.replace("its array is", "its nodes are").replace("its array's", "its node array's")
    assert isinstance(got, native_state.NodeScan | native_state.PredictorScan)
    return got


class _Feed(Protocol):
    count: int

    def feed(self, chunk: bytes) -> None: ...

    def finish(self) -> None: ...


_ScanT = TypeVar("_ScanT", bound=_Feed)


def _read_1d(value: object, src: ReadBack, make: Callable[[object], _ScanT | None], what: str) -> _ScanT | str:
    """Feed the raw bytes of a pickled 1-D C-order numpy array (numpy's ``_reconstruct`` +
    state, or protocol 5's ``_frombuffer``) to the scan ``make`` returns for its dtype (None:
    not the layout wanted), kept or read back from the file; a str: why they cannot be read."""
    if not isinstance(value, Call) or not isinstance(value.func, Global) or value.func.res.status != "allow":
        return f"its array is {describe(value)}, no array mlbom can read"
    path = value.func.res.path
    parts = value.state.items if isinstance(value.state, Seq) else None
    args = value.args.items if isinstance(value.args, Seq) else None
    if path in RECONSTRUCTS and parts is not None and len(parts) == 5:
        shape, dtype, fortran, data = parts[1:]
    elif path in FROMBUFFERS and value.state is None and args is not None and len(args) == 4:
        data, dtype, shape, fortran = args[0], args[1], args[2], args[3] == "F"
    else:
        return f"its array is {describe(value)}, no array mlbom can read"
    dims = shape.items if isinstance(shape, Seq) else None
    scan = make(dtype)
    if scan is None or dims is None or len(dims) != 1 or fortran not in (False, 0):
        return f"its array is not a 1-D array of the exact {what} layout"
    if dims[0] == 0:  # no elements: numpy's __setstate__ refuses any data but none (protocol 2
        scan.finish()  # writes b"" as a call, not bytes)
        return scan
    if not isinstance(data, Blob) or data.mutated or data.alt is not None:
        return f"its {what} bytes are not plain bytes mlbom kept or can read back"
    if data.data is not None:
        scan.feed(data.data)
    else:
        # protocol < 3: _codecs.encode(text, "latin1") of text the stream holds as UTF-8 (red team 40t-3)
        why = read_back(src, data.offset, data.length, scan, what, data.nbytes if data.utf8 else None)
        if why is not None:
            return why
    scan.finish()
    if scan.count != dims[0]:
        return f"its array's shape {dims[0]!r} does not match its {scan.count} records"
    return scan


def read_back(src: ReadBack, offset: int | None, length: int, scan: _Feed, what: str,
               utf8: int | None = None) -> str | None:
    """Feed ``length`` bytes at ``offset`` of the file (bytes the walk streamed past) to
    ``scan``, then return to where the walk is; ``utf8``: the stream holds them as that many
    UTF-8 bytes of their latin-1 text. A str: why they cannot be read back."""
    if not src.seekable or offset is None or offset < 0:
        return f"its {what} bytes were streamed past in a stream mlbom cannot seek back in"
    here = src.s.tell()
    try:
        if utf8 is not None:
            view = Latin1FromUtf8(src.s, offset, utf8)
            while chunk := view.read(1 << 20):
                scan.feed(chunk)
            return None
        src.s.seek(offset)
        left = length
        while left > 0:
            chunk = src.s.read(min(left, 1 << 20))
            if not chunk:
                return f"its {what} bytes could not be read back"
            scan.feed(chunk)
            left -= len(chunk)
    except (OSError, ValueError):  # UnicodeError too: _codecs.encode raises on it at load
        return f"its {what} bytes could not be read back"
    finally:
        src.s.seek(here)
    return None


class ByteFlags:
    """The elements of a 1-D array of a one-byte bool or integer dtype, read as flags (numpy's
    ``nonzero`` and boolean indexing count a non-zero byte as true): their count and how many
    are set. Arrays past :data:`FLAGS_LIMIT` elements are not read (``problem``)."""

    __slots__ = ("count", "problem", "set")

    def __init__(self) -> None:
        self.count = 0
        self.set = 0
        self.problem: str | None = None

    def feed(self, chunk: bytes) -> None:
        self.count += len(chunk)
        if self.count > FLAGS_LIMIT:
            self.problem = f"more than {FLAGS_LIMIT} elements"
            return
        self.set += len(chunk) - bytes(chunk).count(0)

    def finish(self) -> None:
        pass


FLAGS_LIMIT = 1 << 20  # elements of a flag array (a feature mask) mlbom reads


# bytes of a 1-D int64 joblib array scanned as it streams past a stream mlbom cannot seek back in
STREAMED_INDEX_LIMIT = 64 << 20

# bytes of a 1-D number joblib array whose order is read as it streams past a stream mlbom cannot
# seek back in (a OneHotEncoder's categories); larger ones cannot be told
STREAMED_ORDER_LIMIT = 256 << 10


def flag_dtype(dtype: object) -> bool:
    """A pickled numpy dtype of one-byte bool or integer elements, with no fields or sub-array."""
    return _plain_dtype(dtype, "biu", (1,)) is not None


def _byte_flags(value: object, src: ReadBack) -> ByteFlags | str:
    """How many elements a 1-D flag array (a bool feature mask, ``is_categorical_``) has and how
    many are set; a str: why mlbom cannot tell."""
    if isinstance(value, ShapedArray):
        if value.flags is None:
            return "it is not a 1-D one-byte array mlbom kept"
        return value.flags
    got = _read_1d(value, src, lambda dtype: ByteFlags() if flag_dtype(dtype) else None, "flag")
    if isinstance(got, ByteFlags) and got.problem is not None:
        return got.problem
    return got


_REACH_LIMIT = 1 << 16


def _reached(value: object) -> set[int] | None:
    """The identities of the values ``value`` reaches (container items, a dict's values, an
    object's arguments, state, items and attribute dicts, a joblib object array's contents); None
    past :data:`_REACH_LIMIT` values (then every object counts)."""
    seen: set[int] = set()
    todo = [value]
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        if len(seen) >= _REACH_LIMIT:
            return None
        seen.add(id(x))
        if isinstance(x, Seq):
            if x.items is None:
                return None  # items past the cell budget: not known
            todo.extend(x.items)
        elif isinstance(x, Dct):
            if x.items is None or x.other_keys:
                return None  # keys or values not kept (red team 65f-1: a non-str key's value)
            todo.extend([*x.items.keys(), *x.items.values(), *(x.loose or ()), *(x.others or ())])
        elif isinstance(x, Call):
            todo.extend(y for y in (x.func, x.args, x.kwargs, x.state, x.mapping) if y is not None)
            todo.extend(x.dicts or ())
            for reading in (x.flat[0] if x.flat is not None else ()):
                todo.extend(reading)
        elif isinstance(x, ObjectArray):
            todo.append(x.value)
    return seen


# numpy's bit generators whose state holds a position into a buffer the next draw reads: MT19937's
# key (``pos``; 624 regenerates) and Philox's output buffer (``buffer_pos``; 4 regenerates)
_MT_POS = 624
_PHILOX_POS = 4
# what each class (or numpy's pickle helper that makes it) does with a BUILD state
_RANDOM_KINDS = {
    "numpy.random._mt19937.MT19937": "bitgen", "numpy.random._philox.Philox": "bitgen",
    "numpy.random._pickle.__bit_generator_ctor": "bitgen",
    "numpy.random.mtrand.RandomState": "randomstate", "numpy.random._pickle.__randomstate_ctor": "randomstate",
    "numpy.random.__RandomState_ctor": "randomstate",  # numpy < 1.17's (red team 122fp-7)
    "numpy.random._generator.Generator": "generator", "numpy.random._pickle.__generator_ctor": "generator"}
_RANDOM_STATES = frozenset(_RANDOM_KINDS)


def _random_state_problem(cls: str, state: object) -> tuple[bool, str] | None:
    """What a BUILD state makes the next draw read. ``BitGenerator.__setstate__`` hands a dict to
    its ``state`` setter, and item 0 of any other sequence (after reading item 1, its seed
    sequence); RandomState's (made by its class or ``__randomstate_ctor``) hands the state to
    ``set_state`` (a dict, or a legacy ``('MT19937', key, pos, ...)`` tuple or list); Generator's
    hands only a dict to its bit generator's setter (red team 72f-1/2). The setters copy the
    key/buffer items by index (a short one raises) but take MT19937's ``pos`` and Philox's
    ``buffer_pos`` unchecked; ``mt19937_next`` regenerates only at ``pos == 624`` and reads
    ``key[pos++]``, ``philox_next`` reads ``buffer[buffer_pos++]`` below 4 (red team 71f-2:
    SIGSEGV, or heap contents returned as random numbers)."""
    kind = _RANDOM_KINDS[cls]
    if kind == "bitgen":
        if isinstance(state, Seq) and state.items is not None:
            if len(state.items) < 2:
                return None  # IndexError
            return _setter_problem(state.items[0])
        return _setter_problem(state)
    if kind == "generator" and not isinstance(state, Dct):
        return None if state is NONE or no_mapping(state) else (False, f"its state is {describe(state)}, not one "
                                                                          "mlbom can read")
    return _setter_problem(state)


def _setter_problem(value: object) -> tuple[bool, str] | None:
    """The positions a bit generator's state setter (or ``set_state``) takes from ``value``."""
    found: list[tuple[str, object, int]] = []
    if isinstance(value, Seq) and value.items is not None:
        tag = value.items[0] if value.items else None
        # ('MT19937', key, pos[, has_gauss, gauss]): numpy compares the tag with == (a numpy.str_ or a
        # str subclass equal to it passes, red team 124a-1), and any other tag makes it raise: only a
        # plain str other than 'MT19937' is certainly no such state
        if len(value.items) >= 3 and not (isinstance(tag, str) and tag != "MT19937"):
            found.append(("pos", value.items[2], _MT_POS))  # ('MT19937', key, pos[, has_gauss, gauss])
    elif isinstance(value, Dct):
        if value.items is None or value.loose:
            return False, "its state dict cannot be read"
        inner = value.items.get("state")
        if isinstance(inner, Dct):
            if inner.items is None or inner.loose:
                return False, "its state dict cannot be read"
            if "pos" in inner.items:
                found.append(("pos", inner.items["pos"], _MT_POS))
        elif inner is not None and not no_mapping(inner):
            return False, f"its state is {describe(inner)}, not one mlbom can read"
        if "buffer_pos" in value.items:
            found.append(("buffer_pos", value.items["buffer_pos"], _PHILOX_POS))
    elif value is not NONE and not no_mapping(value):
        return False, f"its state is {describe(value)}, not one mlbom can read"
    for name, v, most in found:
        pos = int_value(v)
        if pos is None:
            return False, f"its {name} is {describe(v)}, not an int mlbom can read"
        if not 0 <= pos <= most:
            return True, f"its {name} is {pos}, outside 0..{most}"
    return None


def no_mapping(v: object) -> bool:
    """``v`` is certainly no mapping: ``key in v`` is false or raises, or ``v[key]`` raises, for a
    str key (a str, number, None, bytes, or a list, tuple or set the stream built)."""
    return plain_value(v) or (type(v) is Seq and v.items is not None)


def _columns(value: object) -> tuple[int, int, int | None, int | None] | str:
    """A dict of columns as the load leaves it: (the fewest and the most entries it can have once
    equal keys merge, the smallest and the largest column); a str: why it cannot be told. str
    keys are kept; other keys (numpy scalars, numbers, bytes) are read as the values they equal,
    merged with Python's own dict; a key mlbom cannot read may merge with any other."""
    if not isinstance(value, Dct) or value.items is None or value.attrs is not None:
        return f"is {describe(value)}, not a dict mlbom can read"
    keyed = value.keyed or []
    if len(keyed) != value.other_keys:
        return "has entries mlbom did not keep"
    merged: dict[object, object] = dict(value.items)
    unknown: dict[int, object] = {}
    # one key object set again (a memo fetch) is one key, whatever it equals: the dict finds it
    # by identity first (a NaN key set 20,000 times is one entry; red team 69f-1), so each
    # object is decoded once and its one Python value merges as the object would
    decoded: dict[int, object] = {}
    for k, v in keyed:
        key = decoded.get(id(k))
        if key is None and id(k) not in unknown:
            if isinstance(k, int | float):
                key = k
            elif numpy_scalar(k):
                key = scalar_value(k)
            elif isinstance(k, Blob) and not k.mutable and k.data is not None and not k.mutated and k.alt is None:
                key = k.data
            if key is not None:
                decoded[id(k)] = key
        if key is None:
            unknown[id(k)] = v
        elif isinstance(key, str) and key in value.items:
            return "has a str key set twice in an order mlbom does not keep"
        else:
            merged[key] = v
    columns = [int_value(v) for v in [*merged.values(), *unknown.values()]]
    if any(c is None for c in columns):
        return "holds a column that is not an int mlbom can read"
    ints = [c for c in columns if c is not None]
    return len(merged), len(merged) + len(unknown), min(ints, default=None), max(ints, default=None)



def native_verdict(note: Note, what: str, got: tuple[bool, str] | None, writer: str, use: str, follows: str,
                   key: str) -> None:
    """Note a native-state judgement: (True, text) what no ``writer`` writes, ``unsafe``;
    (False, text) why mlbom cannot check the indices ``follows`` names, ``suspicious``."""
    if got is None:
        return
    certain, text = got
    if certain:
        note("pickle.memory", "critical", f"{what}: {text}: no {writer} writes it; {use} (memory "
             "corruption on use)", "unsafe", key)
    else:
        note("pickle.memory", "medium", f"{what}: {text}: mlbom cannot check the indices {follows}",
             "suspicious", key)


def truth_values(value: object) -> list[bool]:
    """The truth values a state value may have (both when mlbom cannot tell)."""
    if value is NONE:
        return [False]
    if isinstance(value, bool | int | float | str):
        return [bool(value)]
    return [False, True]


class StateJudge(Protocol):
    """A judge of one library's objects (:mod:`mlbom.formats.pickle_pandas`), called by
    :class:`NativeJudge` at the same points of the walk."""

    def made(self, inst: Call, op: str) -> None:
        """A call or NEWOBJ made ``inst``."""

    def built(self, inst: Call, cls: str | None, state: object) -> None:
        """BUILD gave ``inst`` (of the allowlisted ``cls``, if known) ``state``."""

    def judge_end(self, complete: bool, used: set[int] | None) -> None:
        """The stream has ended (``complete``: at its STOP); ``used``: the identities the value
        returned reaches, or None for all."""


class LibraryJudge:
    """What every :class:`StateJudge` of one library's objects (pandas, pyarrow, the Boosters)
    holds: the walk's ``note``, the stream to read bytes back from, and the registry of native
    state it shares with :class:`NativeJudge`. Subclasses implement the :class:`StateJudge` calls."""

    def __init__(self, note: Note, src: ReadBack, reg: NativeRegistry) -> None:
        self.note = note
        self.src = src
        self.reg = reg


class NativeJudge:
    """Judges the native state of the objects one walk builds (see the module docstring)."""

    def __init__(self, note: Note, lookup: Lookup, src: ReadBack, reg: NativeRegistry,
                 others: Sequence[StateJudge] = ()) -> None:
        self.note = note
        self.lookup = lookup
        self.src = src
        self.reg = reg
        self.others = tuple(others)  # the judges of other libraries' objects (pandas)

    # -- native model state (red team 33p-4) -------------------------------------------------
    def tree_state(self, inst: Call, state: object) -> None:
        """``sklearn.tree._tree.Tree.__setstate__`` copies the node records, checking only their
        dtype and shape; ``predict`` then follows their child and feature indices unchecked
        (:mod:`mlbom.formats.native_state`)."""
        items = state.items if isinstance(state, Dct) and not state.loose else None
        args = inst.args.items if isinstance(inst.args, Seq) else None
        scan = _node_scan(items.get("nodes") if items is not None else None, self.src)
        if isinstance(scan, str):
            self.note("pickle.memory", "medium", f"scikit-learn Tree state: {scan}: mlbom cannot check the node "
                      "indices its predict() follows", "suspicious", "tree-nodes")
            return
        assert items is not None
        self.checked_tree(inst, scan)
        problem = native_state.tree_problem(scan, items.get("node_count"), args[0] if args else None,
                                            items.get("max_depth"))
        if problem is None:
            outputs = self.tree_outputs(args)
            if outputs is not None and not outputs[0]:
                self.note("pickle.memory", "medium", f"scikit-learn Tree state: {outputs[1]}: mlbom cannot check "
                          "the value rows its predict() reads", "suspicious", "tree-outputs")
            elif outputs is not None:
                problem = outputs[1]
        if problem is not None:
            self.note("pickle.memory", "critical", f"scikit-learn Tree state: {problem}: no scikit-learn writes it; "
                      "its native code reads or writes out of bounds on use (memory corruption)", "unsafe",
                      "tree-nodes")
            return
        why = native_state.depth_unchecked(scan)
        if why is not None:
            self.note("pickle.memory", "medium", f"scikit-learn Tree state: {why}", "suspicious", "tree-depth")

    def tree_outputs(self, args: list[object] | None) -> tuple[bool, str] | None:
        """``Tree(n_features, n_classes, n_outputs)``: ``__cinit__`` copies ``n_classes[k]`` for
        each of ``n_outputs`` outputs (Python indexing: a short array raises) and strides the
        value buffer by ``n_outputs * max(n_classes)``; GradientBoosting's ``predict_stages`` and
        partial dependence read one value per node from it, so a zero stride reads an empty
        buffer (red team 38t-2). scikit-learn writes ``n_outputs >= 1`` and one class count
        ``>= 1`` per output. (True, what no scikit-learn writes) / (False, why mlbom cannot tell)."""
        if args is None or len(args) != 3:
            return False, "its constructor arguments are not (n_features, n_classes, n_outputs)"
        n_outputs = args[2]
        if not isinstance(n_outputs, int) or isinstance(n_outputs, bool) or n_outputs < 1:
            return True, f"n_outputs {describe(n_outputs)} is not an int of at least 1"
        counts = index_scan(args[1], self.src)
        if isinstance(counts, str):
            return False, f"its n_classes: {counts}"
        if counts.count != n_outputs or counts.low is None or counts.low < 1:
            return True, f"n_classes has {counts.count} entries from {counts.low}, not {n_outputs} of at least 1 (the " \
                   "value buffer's stride is n_outputs * max(n_classes))"
        return None

    def predictor_state(self, inst: Call, state: object) -> None:
        """HistGradientBoosting's ``TreePredictor``: its state (a ``__dict__`` update) holds the
        ``nodes`` record array and the categorical bitsets that ``_predictor.pyx`` indexes
        unchecked (:class:`mlbom.formats.native_state.PredictorScan`; red team 34t-3). Its
        feature indices are judged against the owning estimator's ``n_features_in_``."""
        items = state.items if isinstance(state, Dct) and not state.loose else None
        if items is not None and "nodes" not in items:
            return  # no nodes set: predict raises (AttributeError) before any native code runs
        scan = _predictor_scan(items.get("nodes") if items is not None else None, self.src)
        if isinstance(scan, str):
            self.note("pickle.memory", "medium", f"HistGradientBoosting TreePredictor state: {scan}: mlbom cannot "
                      "check the node indices its predict() follows", "suspicious", "predictor-nodes")
            return
        assert items is not None
        nodes = items.get("nodes")
        if isinstance(nodes, Call):
            self.reg.predictor_nodes.put(nodes, nodes)
        self.checked_tree(inst, scan)
        rows = {name: _bitset_rows(items.get(name)) for name in ("raw_left_cat_bitsets", "binned_left_cat_bitsets")}
        problem = native_state.predictor_problem(scan, rows)
        if problem is not None:
            self.note("pickle.memory", "critical", f"HistGradientBoosting TreePredictor state: {problem}: no "
                      "scikit-learn writes it; its native code reads out of bounds on use (memory corruption)",
                      "unsafe", "predictor-nodes")
        elif (unchecked := native_state.depth_unchecked(scan)) is not None:
            self.note("pickle.memory", "medium", f"HistGradientBoosting TreePredictor state: {unchecked}",
                      "suspicious", "predictor-nodes")
        elif scan.max_bitset >= 0 and None in rows.values():
            self.note("pickle.memory", "medium", "HistGradientBoosting TreePredictor state: it has categorical "
                      "splits but its bitsets are not 2-D arrays of 8 words a row that mlbom can size: cannot "
                      "check the bitset rows its predict() reads", "suspicious", "predictor-nodes")

    def checked_tree(self, inst: Call, scan: native_state.NodeScan | native_state.PredictorScan) -> None:
        """Remember the largest feature index a checked Tree's (or TreePredictor's) splits read,
        and the largest a categorical split reads (-1: none; over every BUILD it got: each
        replaces its nodes)."""
        top = scan.max_feature if scan.max_feature is not None else -1
        cat = scan.max_cat_feature if isinstance(scan, native_state.PredictorScan) else -1
        known = self.reg.tree_features.get(inst)
        if known is not None:
            top, cat = max(top, known[0]), max(cat, known[1])
        self.reg.tree_features.put(inst, (top, cat))

    def owner_values(self, inst: Call, name: str) -> tuple[list[object], str | None]:
        """Every value attribute ``name`` of a scikit-learn object may have: what its states hold
        now (:meth:`lookup`) and what they held when BUILD copied them (red team 37t-2)."""
        vals, why = self.lookup(inst, name)
        for items, loose in self.reg.snapshots.get(inst) or ():
            if name in items and not any(items[name] is v for v in vals):
                vals.append(items[name])
            vals.extend(v for v in loose if not any(v is w for w in vals))
        return vals, why

    def judge_tree_owners(self) -> None:
        """Every scikit-learn estimator holding Trees (``tree_``; a scikit-learn ensemble's
        ``estimators_``; HistGradientBoosting's ``_predictors``), judged once the stream has
        ended: its predict checks X's width against its own ``n_features_in_`` (and skips the
        check when it is missing: ``_check_n_features``), never against the Tree's
        ``n_features``, then the C code reads ``X[i, node.feature]`` (GradientBoosting's
        ``predict_stages`` and IsolationForest call the Trees of ``estimators_`` directly).
        Every Tree reached must read a feature below it (red team 34t-2). Every value any state
        stored under those names counts, as it ended up: the Trees any of them reaches, against
        the smallest width (red team 36t-1/2/6)."""
        tops: dict[int, tuple[int, int] | str] = {}
        for inst in self.reg.owners.values():
            self.owner_top(inst, tops)
            cls = instance_class(inst)
            if cls is not None and cls.startswith("sklearn.neighbors."):
                self.native_verdict(f"scikit-learn {cls.rsplit('.', 1)[-1]}", self.fitted_samples_problem(inst),
                                    "scikit-learn", "its searches read past its fitted arrays, or the graphs they "
                                    "build name columns past their width", "its searches follow", "neighbors-fit")
            if cls in _HASHERS:
                self.native_verdict(f"scikit-learn {cls.rsplit('.', 1)[-1]}", self.hasher_problem(inst),
                                    "scikit-learn", "its transform divides by zero in C (SIGFPE)",
                                    "its transform divides by", "hasher")
            if cls == _HDBSCAN:
                self.native_verdict("scikit-learn HDBSCAN", self.linkage_problem(inst), "scikit-learn",
                                    "dbscan_clustering's union-find reads and writes out of bounds",
                                    "its union-find follows", "hdbscan-linkage")
            if cls in _NEIGHBORS_CLASSIFIERS:
                self.neighbors_labels(inst)
            elif cls in _LIBSVM:
                self.libsvm_model(inst, cls)
            elif cls in _KMEANS or cls == _BISECTING:
                self.native_verdict(f"scikit-learn {cls.rsplit('.', 1)[-1]}", self.kmeans_problem(inst, cls),
                                    "scikit-learn", "its predict reads X or its centers out of bounds",
                                    "its predict follows", "kmeans")
            elif cls == _ONE_HOT:
                self.native_verdict("scikit-learn OneHotEncoder", self.one_hot_problem(inst), "scikit-learn",
                                    "transform's toarray writes, and the next estimator's sparse product reads, "
                                    "past the matrix", "its transform writes", "one-hot")
            elif cls == _BSPLINE:
                self.native_verdict("scipy BSpline", self.spline_problem(inst), "scipy",
                                    "its evaluation reads coefficients past their array", "its evaluation follows",
                                    "bspline")
            elif cls in _VOCABULARIES:
                self.native_verdict(f"scikit-learn {cls.rsplit('.', 1)[-1]}", self.vocabulary_problem(inst, cls),
                                    "scikit-learn", "the sparse matrix its transform builds holds a column past its "
                                    "width, which toarray writes and the next estimator's product reads",
                                    "its transform builds", "vocabulary")

    def fitted_samples_problem(self, inst: Call) -> tuple[bool, str] | None:
        """A neighbours estimator's ``n_samples_fit_`` against the samples its searches return
        indices into (red team 76f-5): ``kneighbors_graph``/``radius_neighbors_graph`` (and
        KNeighborsTransformer's ``transform``) build a CSR matrix ``n_samples_fit_`` columns wide
        from those indices, which scipy does not check; ``toarray`` then writes, and a product
        reads, past it (``n_samples_fit_`` 2 over 10,000,000 fitted rows: SIGSEGV). Every value must
        equal the rows of ``_fit_X`` and of the fitted KDTree/BallTree's data. Their width too must
        be ``n_features_in_``, the one width ``kneighbors`` checks a query against before the
        brute-force search's BLAS product takes its width from the query (red team 78f-3: a
        1,000,000-wide ``n_features_in_`` over 2 fitted columns read past ``_fit_X``)."""
        counts, why_n = self.owner_values(inst, "n_samples_fit_")
        if not counts:
            return None  # not fitted: its searches raise
        fits, why_f = self.owner_values(inst, "_fit_X")
        trees, why_t = self.owner_values(inst, "_tree")
        widths, why_w = self.owner_values(inst, "n_features_in_")
        ns = [int_value(c) for c in counts]
        ws = [int_value(w) for w in widths]
        if why_n or why_f or why_t or why_w or any(n is None for n in ns) or any(w is None for w in ws):
            return False, "its n_samples_fit_, n_features_in_, _fit_X or _tree cannot be told"
        if not ws:
            return False, "it has no n_features_in_ (scikit-learn then checks no query's width)"
        shapes: list[tuple[int, int]] = []
        for x in [*fits, *(t for t in trees if t is not NONE)]:
            if isinstance(x, Call) and instance_class(x) in BINARY_TREES:
                state = x.state.items if isinstance(x.state, Seq) else None
                x = state[0] if state else Opaque("a tree without a state mlbom can read")
            shape = self.shape_2d(x)
            if shape is None:
                return False, f"its fitted samples ({describe(x)}) cannot be counted"
            shapes.append(shape)
        for rows, cols in shapes:
            for n in ns:
                if n != rows:
                    return True, f"its n_samples_fit_ is {n} for {rows} fitted samples"
            for w in ws:
                if w != cols:
                    return True, f"its n_features_in_ is {w} for {cols} fitted columns"
        return None

    def shape_2d(self, value: object) -> tuple[int, int] | None:
        """The (rows, columns) of a 2-D array or of a 2-D scipy sparse matrix, as pickled."""
        dims = array_dims(value, any_order=True)
        if dims is not None:
            return (dims[0], dims[1]) if len(dims) == 2 else None
        if isinstance(value, Call) and instance_class(value) in SPARSE:
            shape = self.sparse_shape(value)
            return (shape[0], shape[1]) if shape is not None and len(shape) == 2 else None
        return None

    def linkage_problem(self, inst: Call) -> tuple[bool, str] | None:
        """HDBSCAN's ``dbscan_clustering`` runs ``labelling_at_cut`` over ``_single_linkage_tree_``:
        a ``TreeUnionFind`` of ``2 * rows + 1`` entries whose ``union``/``find`` read and write
        ``data[x]`` at every merge's ``left_node`` and ``right_node``, bounds checks off (red team
        76f-3: a node of 10**9, or -3, SIGSEGV). Every node must lie in ``[0, 2 * rows]``."""
        trees, why = self.owner_values(inst, "_single_linkage_tree_")
        if why is not None:
            return False, "its _single_linkage_tree_ cannot be told"
        for tree in trees:
            if tree is NONE:
                continue
            scan = _linkage_scan(tree, self.src)
            if isinstance(scan, str) or scan.problem is not None:
                return False, f"its _single_linkage_tree_ cannot be read ({scan if isinstance(scan, str) else scan.problem})"
            top = 2 * scan.count
            if scan.count and scan.low is not None and scan.high is not None and (scan.low < 0 or scan.high > top):
                return True, f"its single-linkage tree merges nodes {scan.low}..{scan.high} of {top + 1}"
        return None

    def hasher_problem(self, inst: Call) -> tuple[bool, str] | None:
        """FeatureHasher/HashingVectorizer: ``transform`` never validates ``n_features`` again and
        ``_hashing_fast`` computes ``abs(h) % n_features`` with C division (red team 76f-4:
        ``n_features = 0`` is SIGFPE). Every value must be an int of at least 1."""
        values, why = self.owner_values(inst, "n_features")
        for v in values:
            n = int_value(v)
            if n is None:
                return False, f"its n_features is {describe(v)}, not an int mlbom can read"
            if n < 1:
                return True, f"its n_features is {n}"
        return (False, "its n_features cannot be told") if why is not None else None

    def kmeans_problem(self, inst: Call, cls: str) -> tuple[bool, str] | None:
        """KMeans/MiniBatchKMeans: ``predict`` checks X against ``n_features_in_`` only, then
        ``lloyd_iter_chunked_dense`` runs a GEMM with ``lda = centers.shape[1]`` over X's rows and
        the sparse loop reads ``centers[j, X.indices[k]]`` (bounds checks off): every
        ``cluster_centers_`` must be a 2-D array exactly ``n_features_in_`` wide (red team 67f-1)
        with at least one row (``score``'s ``_inertia_dense`` reads ``centers[labels[i]]``, label
        0 of none: 68f-1). BisectingKMeans predicts through its ``_bisecting_tree``, whose node
        centers must be that wide too, and scores with ``cluster_centers_`` (68f-2).
        ``_n_threads`` goes to OpenMP unchecked (-1 is about 4e9 threads: 68f-3): 1 to 4,096."""
        widths, why_n = self.owner_values(inst, "n_features_in_")
        centers, why_c = self.owner_values(inst, "cluster_centers_")
        nodes: list[object] = []
        if cls == _BISECTING:
            roots, why_r = self.owner_values(inst, "_bisecting_tree")
            got = self.bisecting_centers(roots)
            if isinstance(got, str):
                return False, got
            nodes, why_c = got, why_c or why_r
        if not centers and not nodes:
            return None  # not fitted: predict raises first
        if why_n or why_c or not widths or not all(isinstance(n, int) and not isinstance(n, bool) for n in widths):
            return False, "its n_features_in_ or centers cannot be told"
        threads, why_t = self.owner_values(inst, "_n_threads")
        for t in threads:
            if not isinstance(t, int) or isinstance(t, bool):
                return False, f"its _n_threads is {describe(t)}, not a number mlbom can read"
            if not 1 <= t <= 4096:
                return True, f"its _n_threads is {t} (OpenMP is asked for that many threads)"
        if why_t is not None:
            return False, "its _n_threads cannot be told"
        for c, want in [*((c, 2) for c in centers), *((c, 1) for c in nodes)]:
            dims = array_dims(c, any_order=True)
            if dims is None or len(dims) != want:
                return False, f"a center is {describe(c)}, not a {want}-D array mlbom can size"
            if want == 2 and dims[0] == 0:
                return True, "its cluster_centers_ has no rows (every label is 0, and score reads centers[0])"
            for n in widths:
                assert isinstance(n, int)
                if dims[-1] != n:
                    return True, f"its centers are {dims[-1]} wide for n_features_in_ {n}"
        return None

    def spline_problem(self, inst: Call) -> tuple[bool, str] | None:
        """scipy's BSpline (a SplineTransformer's ``bsplines_``) is restored with its ``__dict__``
        unchecked; ``__call__``, ``derivative`` and ``integrate`` hand the knots ``t``, the
        coefficients ``c`` and the degree ``k`` to compiled code that checks their dtypes and
        dimensions only: it finds each point's interval among ``t[k..n]`` (``n = len(t) - k - 1``)
        and reads ``c[interval - k .. interval]`` (a short ``c`` was read past its end: SIGSEGV;
        a negative ``k`` aborted the process). ``BSpline.__init__`` requires ``k >= 0``, at least
        ``2k + 2`` knots and ``len(c) >= n``; so must the state (scipy >= 1.15 keeps ``_t`` and
        ``_c`` behind properties, older scipy ``t`` and ``c``)."""
        got = self.single_values(inst, ("_t", "_c", "t", "c", "k"))
        if isinstance(got, str):
            return False, got
        for tk, ck in (("_t", "_c"), ("t", "c")):
            if tk not in got or ck not in got or "k" not in got:
                continue  # the evaluation raises AttributeError
            k = int_value(got["k"])
            knots, coefs = array_dims(got[tk], any_order=True), array_dims(got[ck], any_order=True)
            if k is None or knots is None or coefs is None:
                return False, "its degree, knots or coefficients are not values mlbom can size"
            if len(knots) != 1 or not coefs:
                continue  # the compiled code raises on the dimensions
            n = knots[0] - k - 1
            if k < 0 or n < k + 1 or coefs[0] < n:
                return True, f"its {knots[0]} knots ({tk}) of degree {k} need {max(n, 0)} coefficients, and at " \
                             f"least {2 * max(k, 0) + 2} knots; {ck} has {coefs[0]}"
            if k > 5:
                # FITPACK (integrate's splint, sproot, spalde) keeps k + 1 values in arrays of 6:
                # scipy accepts the spline, its integrate writes past them (red team 69f-2)
                return False, f"its degree {k} is past FITPACK's 5, whose routines (integrate) write k + 1 " \
                              "values into arrays of 6"
        return None


    def vocabulary_problem(self, inst: Call, cls: str) -> tuple[bool, str] | None:
        """CountVectorizer/TfidfVectorizer's ``_count_vocab``, DictVectorizer's ``_transform`` and
        MultiLabelBinarizer's ``_transform`` take each column from a dict (``vocabulary_``; the
        binarizer's ``_cached_dict`` once a transform made it) and build
        ``csr_array((data, indices, indptr), shape=(n, len(dict)))``, which scipy does not check:
        ``toarray`` writes, and a pipeline's next estimator reads, at a column past the width (red
        team 68f-5). Every column must lie in ``[0, len(dict))``, the length the loaded dict has
        once equal keys have merged."""
        attr = _VOCABULARIES[cls]
        values, why = self.owner_values(inst, attr)
        if why is not None:
            return False, f"its {attr} cannot be told"
        for value in values:
            if value is NONE:
                continue  # no vocabulary: the transform raises, or the binarizer builds its own
            got = _columns(value)
            if isinstance(got, str):
                return False, f"its {attr} {got}"
            least, most, low, high = got
            if low is None or high is None:
                continue  # empty: CountVectorizer raises, the others build a matrix of no columns
            if low < 0 or high >= most:
                return least == most, f"a column in its {attr} ({low}..{high}) is outside its {most} entries"
            if high >= least:
                return False, f"a column in its {attr} ({high}) may be past its entries ({least} to {most}, " \
                              "as keys mlbom cannot read merge)"
        return None

    def one_hot_problem(self, inst: Call) -> tuple[bool, str] | None:
        """OneHotEncoder's ``transform`` encodes column ``i`` as a code in ``categories_[i]``
        (``searchsorted``, which finds a number present at the array's length when the numbers
        are not sorted), maps it through ``_default_to_infrequent_mappings[i]`` (or sets
        ``_infrequent_indices[i][0]`` for unknown values) when ``_infrequent_enabled``, removes or
        shifts it past ``_drop_idx_after_grouping[i]``, adds the cumulative
        ``_n_features_outs`` offset and builds an unchecked ``csr_array`` of
        ``sum(_n_features_outs)`` columns, which ``toarray`` writes and the next estimator's
        product reads (red team 68f-4). Every code each column can get must land inside it."""
        got = self.single_values(inst, _ONE_HOT_STATE)
        if isinstance(got, str):
            return False, got
        if "categories_" not in got:
            return None  # not fitted: transform raises
        cats = self.category_sizes(got["categories_"])
        if isinstance(cats, str):
            return False, f"its categories_: {cats}"
        n = len(cats)
        # scikit-learn >= 1.1 drops by _drop_idx_after_grouping (raising without it); older, by drop_idx_
        drop_value = got.get("_drop_idx_after_grouping", got.get("drop_idx_", NONE))
        drops = self.drop_codes(drop_value)
        if isinstance(drops, str):
            return False, f"its dropped categories: {drops}"
        if drops is not None and len(drops) != n:
            return None  # transform raises (IndexError, or the arrays do not broadcast)
        if "_n_features_outs" in got:
            outs = self.int_items(got["_n_features_outs"])
            if isinstance(outs, str):
                return False, f"its _n_features_outs {outs}"
        else:  # older scikit-learn counts them from the categories
            outs = [size - (drops is not None and drops[i] is not None) for i, (size, _) in enumerate(cats)]
        if not outs or len(outs) > n or (len(outs) != n and len(outs) != 1):
            return None  # [0] + outs does not broadcast with the codes: transform raises
        total = sum(outs)
        offsets = [sum(outs[:i]) for i in range(len(outs))] if len(outs) > 1 else [0] * n
        for enabled in truth_values(got.get("_infrequent_enabled", False)):
            ranges = self.infrequent_codes(got, len(offsets)) if enabled else [None] * len(offsets)
            if isinstance(ranges, str):
                return False, ranges
            for i, offset in enumerate(offsets):
                size, ordered = cats[i]
                if size == 0:
                    continue  # no value is a category: transform raises
                low, high = 0, size - 1 if ordered else size  # searchsorted: up to the length
                mapped = ranges[i]
                if mapped is not None and mapped[2]:
                    low, high = mapped[0], mapped[1]
                elif mapped is not None:
                    low, high = min(low, mapped[0]), max(high, mapped[1])
                d = drops[i] if drops is not None else None
                if d is not None and high >= d:
                    high -= 1  # the code d is removed, those past it shift down
                if d is not None and low > d:
                    low -= 1
                if high < low:
                    continue
                if offset + low < 0 or offset + high >= total:
                    return True, f"column {i}'s codes {low}..{high} land at {offset + low}..{offset + high} of " \
                                 f"{total} output columns"
        return None

    def category_sizes(self, value: object) -> list[tuple[int, bool]] | str:
        """Per feature: the number of categories and whether every code ``searchsorted`` gives is
        below it — objects and strings are encoded through a dict (numbers against them raise in
        ``_check_unknown``); numbers must be sorted as ``numpy.sort`` sorts them."""
        items = value.items if isinstance(value, Seq) and value.type == "list" else None
        if items is None or len(items) > 100_000:
            return f"{describe(value)} is not a list of arrays mlbom can size"
        out: list[tuple[int, bool]] = []
        for arr in items:
            if isinstance(arr, ObjectArray):  # joblib pickles an object array inside its stream
                arr = arr.value
            dims = array_dims(arr, any_order=True)
            code = maker_code(array_dtype(arr))
            if dims is None or len(dims) != 1 or code is None:
                return f"{describe(arr)} is not a 1-D array mlbom can size"
            if code.kind in "OUS":
                out.append((dims[0], True))
                continue
            scan = _order_scan(arr, self.src)
            if isinstance(scan, str):
                return f"the order of its numeric categories cannot be told ({scan})"
            out.append((dims[0], scan.ordered))
        return out

    def drop_codes(self, value: object) -> list[int | None] | str | None:
        """The category index each feature drops (None: none), as the object array scikit-learn
        writes holds them; None when nothing is dropped; a str: why they cannot be told."""
        if value is NONE:
            return None
        dims = array_dims(value.value if isinstance(value, ObjectArray) else value, any_order=True)
        items = self.object_items(value) if dims is not None and len(dims) == 1 else None
        if items is None:
            return f"{describe(value)} is not an object array mlbom can read"
        out: list[int | None] = []
        for item in items:
            if item is NONE:
                out.append(None)
                continue
            v = int_value(item)
            if v is None:
                return f"an item is {describe(item)}, not an index mlbom can read"
            out.append(v)
        return out

    def int_items(self, value: object) -> list[int] | str:
        """The ints of a list (or tuple) of ints or numpy integer scalars; a str: why not."""
        items = value.items if isinstance(value, Seq) and value.type in ("list", "tuple") else None
        if items is None or len(items) > 100_000:
            return f"is {describe(value)}, not a list mlbom can read"
        out = [int_value(v) for v in items]
        if any(v is None or abs(v) >= 1 << 62 for v in out):
            return "holds an item that is not an int mlbom can read"
        return [v for v in out if v is not None]

    def infrequent_codes(self, got: dict[str, object], n: int) -> list[tuple[int, int, bool] | None] | str:
        """Per feature, the codes ``_map_infrequent_categories`` can leave: (low, high, True) the
        range of its mapping's values, which replace the codes; (index, index, False) with no
        mapping, the first infrequent index, which joins them; None where it leaves them."""
        maps = got.get("_default_to_infrequent_mappings")
        indices = got.get("_infrequent_indices")
        map_items = maps.items if isinstance(maps, Seq) and maps.type == "list" else None
        index_items = indices.items if isinstance(indices, Seq) and indices.type == "list" else None
        if map_items is None or index_items is None:
            return "its infrequent-category mappings are not lists mlbom can read"
        out: list[tuple[int, int, bool] | None] = []
        for i in range(n):
            m = map_items[i] if i < len(map_items) else NONE
            first = index_items[i] if i < len(index_items) else NONE
            if m is not NONE:
                scan = index_scan(m, self.src, (4, 8))
                if isinstance(scan, str) or scan.problem is not None:
                    return f"its infrequent-category mapping {i} cannot be read"
                # an empty mapping: numpy's take raises
                out.append((scan.low, scan.high, True) if scan.low is not None and scan.high is not None else None)
            elif first is not NONE:
                scan = index_scan(first, self.src, (4, 8))
                if isinstance(scan, str) or scan.problem is not None:
                    return f"its infrequent indices {i} cannot be read"
                out.append((scan.first, scan.first, False) if scan.first is not None else None)
            else:
                out.append(None)
        return out

    def bisecting_centers(self, roots: list[object]) -> list[object] | str:
        """The ``center`` values of every child node a BisectingKMeans' tree reaches (bounded)."""
        out: list[object] = []
        todo = list(roots)
        seen = 0
        while todo:
            node = todo.pop()
            seen += 1
            if seen > 100_000:
                return "its _bisecting_tree is larger than mlbom follows"
            if node is NONE:
                continue
            if not isinstance(node, Call) or self.reg.owners.get(node) is None:
                return f"a node of its _bisecting_tree is {describe(node)}, not a node mlbom read"
            for side in ("left", "right"):
                kids, why = self.owner_values(node, side)
                if why is not None:
                    return f"its _bisecting_tree's {side} children cannot be told"
                for kid in kids:
                    if kid is NONE:
                        continue
                    got, why_c = self.owner_values(kid, "center") if isinstance(kid, Call) else ([], "no node")
                    if why_c is not None:
                        return "a center of its _bisecting_tree cannot be told"
                    out.extend(got)
                    todo.append(kid)
        return out

    def libsvm_model(self, inst: Call, cls: str) -> None:
        """A fitted SVC/NuSVC/SVR/NuSVR/OneClassSVM: ``predict`` hands its arrays to libsvm's
        ``set_model``/``csr_set_model``, which trust their sizes: ``nr_class`` is the length k
        of ``_n_support``, ``l`` the support vectors; it copies ``l`` indices of ``support_``,
        ``k-1`` rows of ``l`` dual coefficients, ``k(k-1)/2`` intercepts (and as many ``_probA``/
        ``_probB`` when given) and, classifying, walks ``_n_support`` counts of rows. scikit-learn
        checks only the count sum, and only for dense models (CVE-2020-28975). Every value each
        attribute may have must have the sizes scikit-learn writes; otherwise libsvm reads past
        an array (memory corruption on use)."""
        what = f"scikit-learn {cls.rsplit('.', 1)[-1]} {describe(inst)}"
        vectors, why = self.owner_values(inst, "support_vectors_")
        if not vectors:
            return  # not fitted: predict raises first
        problem, unknown = self.libsvm_problem(inst, cls, vectors)
        if problem is not None:
            self.note("pickle.memory", "critical", f"{what}: {problem}: libsvm reads past an array on predict "
                      "(memory corruption on use); no scikit-learn writes it", "unsafe", "libsvm-model")
        elif (why or unknown) is not None:
            self.note("pickle.memory", "medium", f"{what}: mlbom cannot check the sizes libsvm trusts on predict "
                      f"({why or unknown})", "suspicious", "libsvm-model")

    def libsvm_problem(self, inst: Call, cls: str, vectors: list[object]) -> tuple[str | None, str | None]:
        """(what no scikit-learn writes, why mlbom cannot tell) for :meth:`libsvm_model`. With a
        ``precomputed`` (or callable) kernel libsvm's PRECOMPUTED kernel reads the caller's
        kernel row at each index of ``support_`` (dense) or at each stored value of the sparse
        support vectors (red team 54f-2/3): ``support_`` then sizes the model (scikit-learn keeps
        ``support_vectors_`` empty) and its values must lie below ``shape_fit_[0]``, the row width
        ``predict`` checks; scikit-learn writes no sparse model with such a kernel."""
        kernels, why = self.owner_values(inst, "kernel")
        if why is not None or not kernels:
            return None, "its kernel cannot be told"
        impls, why = self.owner_values(inst, "_impl")  # an instance value hides the class's (red team 55f-2)
        if why is not None:
            return None, "its _impl cannot be told"
        if any(v != _LIBSVM_IMPL[cls] for v in impls):
            return f"its state sets _impl (libsvm's svm_type, a class attribute: {_LIBSVM_IMPL[cls]!r}) to another " \
                   "value", None
        precomputed = any(not (isinstance(k, str) and k in _LIBSVM_KERNELS) for k in kernels)
        supports = self.owner_values(inst, "support_")[0]
        rows: set[int] = set()
        for v in vectors:
            n = self.rows_of(v)
            dims = array_dims(v, any_order=True)
            if n is None and not (precomputed and dims is not None and math.prod(dims) == 0):
                return None, "its support_vectors_ is not an array mlbom can size"
            if precomputed and isinstance(v, Call) and instance_class(v) in SPARSE:
                return "a sparse model with a precomputed or callable kernel (libsvm reads the caller's row at each " \
                       "stored value of its support vectors)", None
            if n is not None and not (precomputed and dims is not None and math.prod(dims) == 0):
                rows.add(n)
        if precomputed:
            flags, why = self.owner_values(inst, "_sparse")
            if why is not None:
                return None, "its _sparse cannot be told"
            if any(f is not False for f in flags):
                return "a sparse model with a precomputed or callable kernel (libsvm reads the caller's row at each " \
                       "stored value of its support vectors)", None
            problem, why = self.precomputed_support(inst, supports, rows)
            if problem is not None or why is not None:
                return problem, why
        counts: list[native_state.IndexScan] = []
        for v in self.owner_values(inst, "_n_support")[0]:
            scan = index_scan(v, self.src, (4, 8))
            if isinstance(scan, str):
                return None, f"its _n_support: {scan}"
            counts.append(scan)
        if not counts:
            return None, "it has no _n_support"
        probability, why = self.probability(inst)
        if why is not None:
            return None, why
        unknown = None
        for scan in counts:
            k = scan.count
            if k < 2 or scan.low is None or scan.low < 0:
                return f"_n_support has {k} counts from {scan.low}, not one count >= 0 per class (at least 2)", None
            for n in rows:
                # a regressor's counts are [n, n] (dense) or [n, 0] (sparse): libsvm reads them per class only
                # for a classifier's svm_type, which _impl (checked above: red team 55f-2) gives
                if cls in _LIBSVM_CLASSIFIERS and scan.total != n:
                    return f"_n_support counts {scan.total} support vectors for {n} support vectors", None
                if cls not in _LIBSVM_CLASSIFIERS and scan.first != n:
                    return f"_n_support[0] is {scan.first}, not its {n} support vectors", None
                pairs = k * (k - 1) // 2
                platt = ([pairs],) if probability else ([0], [pairs])
                want = {"support_": ([n],), "_intercept_": ([pairs],), "_probA": platt,
                        "_probB": platt, "_dual_coef_": ([k - 1, n],)}
                for attr, shapes in want.items():
                    for value in self.owner_values(inst, attr)[0]:
                        shape = self.libsvm_dims(value, attr)
                        if isinstance(shape, str):
                            unknown = unknown or shape
                        elif shape not in shapes:
                            return f"its {attr} has shape {tuple(shape)}, not {' or '.join(str(tuple(s)) for s in shapes)} " \
                                   f"(for {k} classes and {n} support vectors)", None
        return None, unknown

    def probability(self, inst: Call) -> tuple[bool, str | None]:
        """(whether libsvm may be handed ``probability`` on predict, why mlbom cannot tell): a sparse
        model's ``predict``/``decision_function`` pass ``_effective_probability`` (scikit-learn
        >= 1.9; ``probability`` before), and ``csr_set_model`` then copies ``k(k-1)/2`` values
        from ``_probA``/``_probB`` — from NULL where they are empty (red team 55f-3: a segfault).
        A dense model's predict passes 0 and ``predict_proba`` checks their size."""
        flags, why = self.owner_values(inst, "_sparse")
        if why is not None:
            return False, "its _sparse cannot be told"
        if all(f is False for f in flags) and flags:
            return False, None
        for attr in ("_effective_probability", "probability"):
            values, why = self.owner_values(inst, attr)
            if why is not None:
                return False, f"its {attr} cannot be told"
            if values:
                return any(v is not False and v != 0 and v is not None for v in values), None
        return False, None

    def precomputed_support(self, inst: Call, supports: list[object], rows: set[int]) -> tuple[str | None, str | None]:
        """A precomputed-kernel model's ``support_``: its length is the number of support vectors
        (added to ``rows``), each value an index below every ``shape_fit_[0]`` it may have."""
        widths: list[int] = []
        for fit in self.owner_values(inst, "shape_fit_")[0]:
            first = fit.items[0] if isinstance(fit, Seq) and fit.items else None
            if not isinstance(first, int) or isinstance(first, bool):
                return None, "its shape_fit_ is not a tuple of ints"
            widths.append(first)
        if not widths or not supports:
            return None, "its shape_fit_ or support_ is missing"
        for value in supports:
            scan = index_scan(value, self.src, (4, 8))
            if isinstance(scan, str):
                return None, f"its support_: {scan}"
            rows.add(scan.count)
            if scan.count and (scan.low is None or scan.high is None or scan.low < 0 or scan.high >= min(widths)):
                return f"support_ holds indices {scan.low}..{scan.high}, not below shape_fit_[0] = {min(widths)} (libsvm " \
                       "reads the caller's kernel row at each)", None
        return None, None

    def libsvm_dims(self, value: object, attr: str) -> list[int] | str:
        """An array's shape as libsvm reads it: a numpy array's; a sparse dual-coefficient
        matrix's (``csr_set_model`` reads its ``data``: ``k-1`` rows of ``l``, all stored)."""
        dims = array_dims(value, any_order=True)
        if dims is not None:
            return dims
        if isinstance(value, Call) and instance_class(value) in SPARSE:
            shape = self.sparse_shape(value)
            data = self.owner_values(value, "data")[0]
            sizes = [array_dims(d, any_order=True) for d in data]
            if shape is None or len(shape) != 2 or len(sizes) != 1 or sizes[0] is None:
                return f"its {attr} is a sparse matrix mlbom cannot size"
            if sizes[0] != [shape[0] * shape[1]]:
                return [shape[0], shape[1], -1]  # entries missing: libsvm reads past its data
            return list(shape)
        return f"its {attr} is not an array mlbom can size"

    def neighbors_labels(self, inst: Call) -> None:
        """KNeighborsClassifier / RadiusNeighborsClassifier with one output: ``predict`` may run
        ``ArgKminClassMode``/``RadiusNeighborsClassMode`` (brute force, uniform weights), whose
        ``weighted_histogram_mode`` adds into ``class_scores[i][_y[j]]`` (a row of
        ``len(classes_)``) for neighbours ``j`` of ``_fit_X``, bounds checks off: ``_y`` must
        hold one label in ``[0, len(classes_))`` per row of ``_fit_X`` (red team 39t-1)."""
        what = f"scikit-learn estimator {describe(inst)}"
        two, why = self.owner_values(inst, "outputs_2d_")
        if why is None and two and all(v is True for v in two):
            return  # several outputs: predict indexes classes_ with numpy (bounds-checked)
        labels, why_y = self.owner_values(inst, "_y")
        classes, why_c = self.owner_values(inst, "classes_")
        fitted, why_x = self.owner_values(inst, "_fit_X")
        if not labels:
            return  # not fitted: predict raises first
        problem: str | None = None
        unknown = why or why_y or why_c or why_x
        widths = [array_dims(c, any_order=True) for c in classes]
        rows = [self.rows_of(x) for x in fitted]
        for value in labels:
            scan = index_scan(value, self.src)
            if isinstance(scan, str):
                unknown = unknown or f"its _y: {scan}"
                continue
            for dims in widths:
                if dims is None or len(dims) != 1:
                    unknown = unknown or "its classes_ is not a 1-D array mlbom can size"
                elif scan.count and (scan.low is None or scan.high is None or scan.low < 0 or scan.high >= dims[0]):
                    problem = f"a label in _y ({scan.low}..{scan.high}) is outside its {dims[0]} classes_"
            for n in rows:
                if n is None:
                    unknown = unknown or "its _fit_X is not an array mlbom can size"
                elif scan.count != n:
                    problem = problem or f"_y has {scan.count} labels for the {n} rows of _fit_X"
        if problem is not None:
            self.note("pickle.memory", "critical", f"{what}: {problem}: its native predict adds into class_scores "
                      "out of bounds (memory corruption on use); no scikit-learn writes it", "unsafe", "knn-labels")
        elif unknown is not None:
            self.note("pickle.memory", "medium", f"{what}: mlbom cannot check the labels its native predict "
                      f"indexes with ({unknown})", "suspicious", "knn-labels")

    def rows_of(self, value: object) -> int | None:
        """The rows of a 2-D array or of a scipy sparse matrix (its ``_shape``), as pickled."""
        dims = array_dims(value, any_order=True)
        if dims is not None:
            return dims[0] if len(dims) == 2 else None
        if isinstance(value, Call) and instance_class(value) in SPARSE:
            shape = self.sparse_shape(value)
            return shape[0] if shape is not None else None
        return None

    def sparse_shape(self, inst: Call) -> tuple[int, ...] | None:
        """A scipy sparse matrix's ``_shape`` (one value, ints >= 0: scipy >= 1.13's sparse arrays may
        be 1-D, scipy >= 1.15's COO arrays n-D); else None."""
        shapes, why = self.owner_values(inst, "_shape")
        if why is not None or len(shapes) != 1 or not isinstance(shapes[0], Seq) or shapes[0].items is None:
            return None
        items = shapes[0].items
        if not 1 <= len(items) <= 64 or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                               for d in items):
            return None
        return tuple(d for d in items if isinstance(d, int))

    def single_values(self, inst: Call, attrs: tuple[str, ...]) -> dict[str, object] | str:
        """The one value each of ``attrs`` has (absent ones left out); a str: which attribute has
        several or cannot be told."""
        values: dict[str, object] = {}
        for attr in attrs:
            vals, why = self.owner_values(inst, attr)
            if why is not None or len(vals) > 1:
                return f"its {attr} cannot be told (set more than once, or unread)"
            if vals:
                values[attr] = vals[0]
        return values

    def coo_problem(self, inst: Call, shape: tuple[int, ...]) -> tuple[bool, str] | None:
        """COO: one coordinate array per dimension (``coords``, or ``row``/``col`` of scipy
        < 1.13), each with one entry per stored value, inside its dimension."""
        values = self.single_values(inst, ("data", "coords", "row", "col"))
        if isinstance(values, str):
            return False, values
        data = array_dims(values.get("data"), any_order=True)
        if data is None or len(data) != 1:
            return (data is not None), f"its data is not a 1-D array ({data})"
        coords = values.get("coords")
        parts = coords.items if isinstance(coords, Seq) and coords.type == "tuple" else \
            [values.get("row"), values.get("col")] if "row" in values and coords is None else None
        if parts is None or len(parts) != len(shape):
            return False, f"its coordinates are not {len(shape)} arrays mlbom can read"
        for part, bound in zip(parts, shape, strict=True):
            scan = index_scan(part, self.src, (4, 8))
            if isinstance(scan, str):
                return False, f"its coordinates: {scan}"
            if scan.count != data[0]:
                return True, f"a coordinate array has {scan.count} entries for {data[0]} stored values"
            if scan.count and (scan.low is None or scan.high is None or scan.low < 0 or scan.high >= bound):
                return True, f"a coordinate ({scan.low}..{scan.high}) is outside its {bound}"
        return None

    def lil_problem(self, inst: Call, shape: tuple[int, int]) -> tuple[bool, str] | None:
        """A LIL matrix: ``rows`` and ``data`` are object arrays of one list per row; ``tocsr()``
        (which every scikit-learn ``check_array`` of it runs) sizes its output by the ``rows``
        lists and copies the ``data`` lists into it with bounds checks off (red team 40t-1):
        one list per row in each, the same length row by row, every column an int inside the
        shape."""
        lists: dict[str, list[object]] = {}
        for attr in ("rows", "data"):
            vals, why = self.owner_values(inst, attr)
            if why is not None or len(vals) != 1:
                return False, f"its {attr} cannot be told (set more than once, or unread)"
            items = self.object_items(vals[0])
            if items is None:
                return False, f"its {attr} is not an object array whose items mlbom kept"
            lists[attr] = items
        rows, cols = shape
        if len(lists["rows"]) != rows or len(lists["data"]) != rows:
            return True, f"rows and data hold {len(lists['rows'])} and {len(lists['data'])} lists for {rows} rows"
        for i, (cols_i, data_i) in enumerate(zip(lists["rows"], lists["data"], strict=True)):
            if not isinstance(cols_i, Seq) or not isinstance(data_i, Seq) or cols_i.items is None \
                    or data_i.items is None:
                return False, f"row {i}'s lists were not kept"
            if len(cols_i.items) != len(data_i.items):
                return True, f"row {i} has {len(cols_i.items)} columns and {len(data_i.items)} values"
            for c in cols_i.items:
                if not isinstance(c, int) or isinstance(c, bool) or not 0 <= c < cols:
                    return True, f"row {i} names column {describe(c)}, outside its {cols} columns"
        return None

    def object_items(self, value: object) -> list[object] | None:
        """The items an object ndarray's one BUILD copied (a joblib object array's nested
        pickle's); None when they cannot be told."""
        if isinstance(value, ObjectArray):
            value = value.value
        held = self.reg.array_items.get(value)
        return held[0] if held is not None and len(held) == 1 else None

    def judge_sparse(self) -> None:
        """scipy's sparse matrices and arrays: unpickling restores their ``__dict__`` unchecked,
        and scipy's C++ routines (``sparsetools``: products, ``toarray``) and scikit-learn's
        Cython (pairwise distances, neighbours over sparse data) follow their index arrays with
        no bounds checks (red team 39t-2). CSR/CSC/BSR: ``indptr`` has one entry per major row
        (block row) plus one, never decreases, starts at or above 0 and ends at most at the
        stored entries; ``indices`` are minor indices inside the shape. COO: each coordinate
        array has one entry per stored value, inside the shape. DIA: one offset per stored
        diagonal, inside the shape. LIL: :meth:`lil_problem`. DOK is a dict whose conversion
        bounds-checks its keys."""
        for inst in self.reg.sparse.values():
            name = (instance_class(inst) or "").rsplit(".", 1)[-1]
            self.native_verdict(f"scipy sparse {name}", self.sparse_problem(inst, name), "scipy",
                                "native code that uses the matrix reads out of bounds", "native code that uses it "
                                "follows", "sparse")

    def native_verdict(self, what: str, got: tuple[bool, str] | None, writer: str, use: str, follows: str,
                       key: str) -> None:
        native_verdict(self.note, what, got, writer, use, follows, key)

    def sparse_problem(self, inst: Call, name: str) -> tuple[bool, str] | None:
        kind = name[:3]
        if kind == "dok":
            return None  # a dict: coo_array._check bounds-checks its keys on conversion
        got = self.sparse_shape(inst)
        if got is None:
            return False, "its _shape is not a tuple of ints"
        if len(got) > 2:  # scipy >= 1.15: COO arrays only (red team 51b-8)
            if kind != "coo" or not name.endswith("_array"):
                return False, f"a {len(got)}-D {name} (scipy makes only COO arrays n-D)"
            return self.coo_problem(inst, got)
        if len(got) == 1:
            if kind not in ("csr", "coo") or not name.endswith("_array"):
                return False, f"a 1-D {name} (scipy makes only COO, CSR and DOK arrays 1-D)"
            if kind == "coo":  # one coordinate array, inside the length
                return self.coo_problem(inst, got)
            got = (1, got[0])  # a 1-D CSR array is stored as one row
        shape = (got[0], got[1])
        if kind == "lil":
            return self.lil_problem(inst, shape)
        values = self.single_values(inst, ("data", "indptr", "indices", "offsets"))
        if isinstance(values, str):
            return False, values
        data = array_dims(values.get("data"), any_order=True)
        if data is None or not data:
            return False, "its data is not an array mlbom can size"
        want = {"bsr": 3, "dia": 2}.get(kind, 1)
        if len(data) != want:
            # scipy's check_format refuses any other (unpickling never calls it): a (nnz, 0) array
            # holds no values for the nnz its indptr names (red team 41t-1)
            return True, f"its data has {len(data)} dimensions, not {want}"
        rows, cols = shape
        if kind in ("csr", "csc", "bsr"):
            blocks = (1, 1)
            if kind == "bsr":
                if data[1] < 1 or data[2] < 1 or rows % data[1] or cols % data[2]:
                    return True, f"its data of shape {tuple(data)} is not blocks that tile its shape {shape}"
                blocks = (data[1], data[2])
            major, minor = (rows // blocks[0], cols // blocks[1]) if kind != "csc" else (cols, rows)
            indptr = index_scan(values.get("indptr"), self.src, (4, 8))
            indices = index_scan(values.get("indices"), self.src, (4, 8))
            if isinstance(indptr, str) or isinstance(indices, str):
                return False, f"its indptr/indices: {indptr if isinstance(indptr, str) else indices}"
            stored = data[0]
            if indptr.count != major + 1:
                return True, f"indptr has {indptr.count} entries, not one per row plus one ({major + 1})"
            if indptr.low is None or indptr.low < 0 or not indptr.ascending or indptr.last is None \
                    or indptr.last > min(stored, indices.count):
                return True, f"indptr ({indptr.first}..{indptr.last}, {'' if indptr.ascending else 'not '}" \
                             f"ascending) does not stay inside the {min(stored, indices.count)} stored entries"
            if indptr.last and (indices.low is None or indices.high is None or indices.low < 0
                                or indices.high >= minor):
                return True, f"an index ({indices.low}..{indices.high}) is outside the {minor} columns it may name"
            return None
        if kind == "coo":
            return self.coo_problem(inst, shape)
        if kind == "dia":
            # dia_tocsr / dia_matvecs loop over data.shape[0] diagonals, each at its offset cast
            # to the index type (int32 for small matrices), sized by the offsets in range (40t-2)
            offsets = index_scan(values.get("offsets"), self.src, (4, 8))
            if isinstance(offsets, str):
                return False, f"its offsets are not an array mlbom can read ({offsets})"
            if offsets.count != data[0]:
                return True, f"{offsets.count} offsets for {data[0]} stored diagonals"
            if offsets.count and (offsets.low is None or offsets.high is None or offsets.low <= -rows
                                  or offsets.high >= cols):
                return True, f"a diagonal offset ({offsets.low}..{offsets.high}) is outside its {rows}x{cols} shape"
            return None
        return False, f"a sparse format mlbom does not model ({name})"

    def owner_top(self, inst: Call, tops: dict[int, tuple[int, int] | str]) -> tuple[int, int] | str:
        """The largest feature index the Trees ``inst`` holds read, and the largest a categorical
        split reads (-1: none; a str: why they cannot all be found), judging ``inst`` on the way
        (once: ``tops`` keeps the answers)."""
        known = tops.get(id(inst))
        if known is not None:
            return known
        tops[id(inst)] = (-1, -1)  # a cycle back to it adds nothing: its Trees are counted here
        cls = instance_class(inst) or ""
        keys = ["tree_"] + (["estimators_"] if _tree_ensemble(cls) else []) + \
            (["_predictors"] if cls.startswith("sklearn.ensemble.") else [])
        held: list[object] = []
        unknown: str | None = None
        for key in keys:
            vals, why = self.owner_values(inst, key)
            held += vals
            unknown = unknown or why
        if not held:
            return -1, -1
        what = f"scikit-learn estimator {describe(inst)}"
        # scikit-learn's tree estimators (sklearn.tree: DecisionTree*, ExtraTree*) hold a Tree; other
        # estimators name other things tree_ (KernelDensity: a KDTree/BallTree, judged on its own)
        for tree in self.owner_values(inst, "tree_")[0] if cls.startswith("sklearn.tree.") else ():
            if tree is NONE:
                # GradientBoosting's predict_stages reads `cdef Tree tree = estimators[i, k].tree_`,
                # which Cython lets be None: its nodes pointer is then read from past the None
                # object (red team 37t-4)
                self.note("pickle.memory", "critical", f"{what}: its tree_ is None, which no scikit-learn writes: "
                          "GradientBoosting's native predict_stages dereferences it (memory corruption on use)",
                          "unsafe", "tree-none")
            elif not (isinstance(tree, Call) and instance_class(tree) == "sklearn.tree._tree.Tree"):
                self.note("pickle.memory", "medium", f"{what}: its tree_ is {describe(tree)}, not a Tree mlbom "
                          "checked", "suspicious", "tree-owner")
        if cls in _GB_CLASSES:
            self.gb_stages(inst, cls, what)
        if unknown is not None:
            self.note("pickle.memory", "medium", f"{what} holds Trees and has attributes mlbom cannot tell "
                      f"({unknown}): cannot check their feature indices against its n_features_in_", "suspicious",
                      "tree-owner")
        budget = [_TREE_WALK_LIMIT]
        top = cat = -1
        for value in held:
            got = self.trees_reached(value, budget, 0, tops)
            if isinstance(got, str):
                tops[id(inst)] = got
                self.note("pickle.memory", "medium", f"{what}: {got}: cannot check their feature indices against "
                          "its n_features_in_", "suspicious", "tree-owner")
                return got
            top, cat = max(top, got[0]), max(cat, got[1])
        tops[id(inst)] = (top, cat)
        if top < 0:
            return top, cat
        # only n_features_in_: scikit-learn skips the width check when it is missing, whatever
        # else (a legacy n_features_) the estimator holds (red team 37t-3)
        widths, why = self.owner_values(inst, "n_features_in_")
        width_from = "n_features_in_"
        if cls in _HGB_CLASSES:
            # predict hands X to _preprocessor.transform when there is one (the estimator's own
            # width is then not checked) and the predictors index its output (red team 36t-3)
            pre, pre_why = self.owner_values(inst, "_preprocessor")
            if any(p is not NONE for p in pre) or pre_why is not None:
                through = [self.preprocessor_width(p) for p in pre if p is not NONE]
                if pre_why is not None:
                    through.append(f"its _preprocessor cannot be told ({pre_why})")
                widths = (widths if any(p is NONE for p in pre) else []) + through
                width_from = "the width of its _preprocessor's output"
            if cat >= 0:
                self.categorical_maps(inst, what, cat)
        bad = next((w for w in widths if not isinstance(w, int) or isinstance(w, bool)), None)
        if not widths or bad is not None or why is not None:
            said = why or (f"it has no {width_from}" if not widths else bad if isinstance(bad, str) else
                           f"{width_from} is {describe(bad)}, not an int")
            self.note("pickle.memory", "medium", f"{what} holds Trees that read feature {top} but mlbom cannot "
                      f"tell the width predict checks X against ({said}): scikit-learn then may not check X's "
                      "width before its native code reads X[i, feature]", "suspicious", "tree-owner")
            return top, cat
        width = min(w for w in widths if isinstance(w, int))
        if top >= width:
            self.note("pickle.memory", "critical", f"{what}: a Tree it holds reads feature {top}, but predict "
                      f"checks X's width against {width_from} {width}: its native code reads past each row "
                      "(memory corruption on use); no scikit-learn writes it", "unsafe", "tree-owner")
        return top, cat

    def categorical_maps(self, inst: Call, what: str, cat: int) -> None:
        """HistGradientBoosting's categorical splits (the largest reads feature ``cat``): predict
        reads ``f_idx_map[feature_idx]``, an array of ``_bin_mapper.is_categorical_.size``
        entries, then that row of the known-categories bitsets, one row per set flag (red team
        36t-4): every ``is_categorical_`` must have more than ``cat`` flags and one set."""
        mappers, why = self.owner_values(inst, "_bin_mapper")
        flags_seen: list[object] = []
        for m in mappers:
            if isinstance(m, Call):
                vals, mwhy = self.owner_values(m, "is_categorical_")
                flags_seen += vals
                why = why or mwhy
            elif m is not NONE:
                why = why or f"its _bin_mapper is {describe(m)}"
        for value in flags_seen:
            got = _byte_flags(value, self.src)
            if isinstance(got, str):
                why = why or f"an is_categorical_ of its _bin_mapper: {got}"
            elif got.count <= cat or got.set == 0:
                self.note("pickle.memory", "critical", f"{what}: a categorical split reads feature {cat}, but its "
                          f"_bin_mapper.is_categorical_ has {got.count} flags, {got.set} set: predict reads "
                          "f_idx_map (sized by it) or the known-categories bitsets (a row per set flag) out of "
                          "bounds (memory corruption on use); no scikit-learn writes it", "unsafe", "tree-cat")
                return
        if why is not None:
            self.note("pickle.memory", "medium", f"{what} has categorical splits but mlbom cannot size the maps "
                      f"predict indexes with them ({why})", "suspicious", "tree-cat")

    def preprocessor_width(self, pre: object) -> int | str:
        """The width of what HistGradientBoosting's ``_preprocessor`` (the ColumnTransformer its
        fit builds for categorical features) hands the predictors: the sum over its fitted
        ``transformers_`` of what each outputs — ``drop`` nothing, ``passthrough`` the columns
        it selects, the OrdinalEncoder its ``n_features_in_`` (its transform raises on another
        width), a FunctionTransformer of ``check_array`` the columns it selects. Anything else is
        a str: why mlbom cannot tell."""
        if not isinstance(pre, Call) or instance_class(pre) != _COLUMN_TRANSFORMER:
            return f"its _preprocessor is {describe(pre)}, not the ColumnTransformer scikit-learn builds"
        fitted, why = self.owner_values(pre, "transformers_")
        if why is not None or not fitted:
            return f"its _preprocessor's transformers_ cannot be told ({why or 'none'})"
        widths: list[int] = []
        for lst in fitted:
            entries = lst.items if isinstance(lst, Seq) else None
            if entries is None:
                return f"its _preprocessor's transformers_ is {describe(lst)}"
            total = 0
            for entry in entries:
                parts = entry.items if isinstance(entry, Seq) else None
                if parts is None or len(parts) != 3:
                    return f"a transformers_ entry is {describe(entry)}"
                got = self.transformer_width(parts[1], parts[2])
                if isinstance(got, str):
                    return got
                total += got
            widths.append(total)
        return min(widths)

    def transformer_width(self, trans: object, columns: object) -> int | str:
        if trans == "drop":
            return 0
        if trans == "passthrough":
            return self.selected(columns)
        cls = instance_class(trans) if isinstance(trans, Call) else None
        if cls == _ORDINAL_ENCODER:
            assert isinstance(trans, Call)
            ints = self.int_values(trans, "n_features_in_")
            if isinstance(ints, str):
                return "its OrdinalEncoder's n_features_in_ cannot be told"
            return min(ints)
        if cls == _FUNCTION_TRANSFORMER:
            assert isinstance(trans, Call)
            funcs, why = self.owner_values(trans, "func")
            if why is not None or not funcs or not all(partial_of(f, _CHECK_ARRAY) for f in funcs):
                return "its FunctionTransformer's func is not the functools.partial of check_array scikit-learn " \
                       "builds"
            return self.selected(columns)
        return f"a transformer {describe(trans)} whose output width mlbom does not model"

    def selected(self, columns: object) -> int | str:
        """How many columns a ColumnTransformer column selection picks: a flag array or list of
        bools (the set ones), a list of ints (each)."""
        if isinstance(columns, Seq) and columns.items is not None:
            items = columns.items
            if all(isinstance(c, bool) for c in items):
                return sum(1 for c in items if c)
            if all(isinstance(c, int) for c in items):
                return len(items)
            return "a column selection mlbom does not model"
        got = _byte_flags(columns, self.src)
        if isinstance(got, str):
            return f"a column selection: {got}"
        return got.set

    def gb_stages(self, inst: Call, cls: str, what: str) -> None:
        """GradientBoosting's ``predict_stages`` (bounds checks off) adds each stage's Tree ``k``
        into column ``k`` of the raw predictions for every ``k < estimators_.shape[1]``; those
        are ``n_trees_per_iteration_`` columns when ``init_`` is ``"zero"``, else as many as the
        init estimator's predictions (a 1-D prediction is one column): scikit-learn's
        DummyRegressor predicts one column per output (one for a single output), its
        DummyClassifier's probabilities (one column per class: ``class_prior_`` for the
        ``prior``/``stratified`` strategies, ``n_classes_`` for the others) become one column
        unless the loss is multiclass (red team 37t-1)."""
        stages, why = self.owner_values(inst, "estimators_")
        ks: list[int] = []
        for value in stages:
            dims = array_dims(value.value if isinstance(value, ObjectArray) else value, any_order=True)
            if dims is None or len(dims) != 2:
                why = why or f"its estimators_ is {describe(value)}, not a 2-D array mlbom can size"
            else:
                ks.append(dims[1])
        if not ks:
            return
        # scikit-learn writes n_trees_per_iteration_ trees a stage, one for a regressor whatever
        # that attribute says (red team 43t-1)
        per_iteration = [("a GradientBoostingRegressor's", 1)] if cls.endswith("Regressor") else \
            [("n_trees_per_iteration_", n) for n in self.owner_values(inst, "n_trees_per_iteration_")[0]
             if isinstance(n, int) and not isinstance(n, bool)]
        for said, n in per_iteration:
            if any(k != n for k in ks):
                self.note("pickle.memory", "critical", f"{what}: its estimators_ has {max(ks)} trees a stage, not "
                          f"{said} {n}: no scikit-learn writes it; predict_stages writes a column per tree into its "
                          "raw predictions (memory corruption on use)", "unsafe", "gb-stages")
                return
        widths: list[int] = []
        inits, init_why = self.owner_values(inst, "init_")
        why = why or init_why
        for init in inits:
            got = self.init_width(inst, cls, init)
            if isinstance(got, str):
                why = why or got
            else:
                widths.append(got)
        if widths and max(ks) > min(widths):
            self.note("pickle.memory", "critical", f"{what}: its estimators_ has {max(ks)} trees a stage but its "
                      f"init predictions have {min(widths)} columns: predict_stages writes past them (memory "
                      "corruption on use); no scikit-learn writes it", "unsafe", "gb-stages")
        elif why is not None:
            self.note("pickle.memory", "medium", f"{what}: mlbom cannot tell how many columns predict_stages may "
                      f"write ({why})", "suspicious", "gb-stages")

    def int_values(self, owner: Call, name: str) -> list[int] | str:
        """Every value attribute ``name`` of ``owner`` may have, all ints; a str: why not."""
        vals, why = self.owner_values(owner, name)
        got = [v for v in vals if isinstance(v, int) and not isinstance(v, bool)]
        return got if vals and why is None and len(got) == len(vals) else f"its {name} is not an int"

    def multiclass_loss(self, inst: Call) -> bool | str:
        """Whether a GradientBoostingClassifier's ``_loss`` is multiclass (its init predictions
        then keep a column per class; a binary loss takes the positive class's); a str: why it
        cannot be told."""
        losses, why = self.owner_values(inst, "_loss")
        kinds = {instance_class(v) if isinstance(v, Call) else None for v in losses}
        if why is not None or not kinds or None in kinds:
            return "its _loss cannot be told"
        return _MULTINOMIAL in kinds

    def init_width(self, inst: Call, cls: str, init: object) -> int | str:
        """How many columns GradientBoosting's initial raw predictions have (a str: why mlbom
        cannot tell)."""
        ints = self.int_values
        if init == "zero":
            got = ints(inst, "n_trees_per_iteration_")
            return got if isinstance(got, str) else min(got)
        icls = instance_class(init) if isinstance(init, Call) else None
        classifier = cls.endswith("Classifier")
        if icls == "sklearn.dummy.DummyRegressor" and not classifier:
            assert isinstance(init, Call)
            got = ints(init, "n_outputs_")
            return got if isinstance(got, str) else min(1 if n == 1 else n for n in got)
        if icls == "sklearn.dummy.DummyClassifier" and classifier:
            assert isinstance(init, Call)
            multi = self.multiclass_loss(inst)
            if isinstance(multi, str):
                return multi
            if not multi:
                return 1  # the positive class's probability: one column
            outs = ints(init, "n_outputs_")
            if isinstance(outs, str) or outs != [1]:
                return "its init_ is not a single-output DummyClassifier"
            strategies, why = self.owner_values(init, "_strategy")
            if why is not None or len(strategies) != 1 or strategies[0] not in _DUMMY_STRATEGIES:
                return "its init_'s strategy cannot be told"
            if strategies[0] in ("prior", "stratified"):
                priors, why = self.owner_values(init, "class_prior_")
                dims = [array_dims(p, any_order=True) for p in priors]
                if why is not None or not dims or any(d is None or len(d) != 1 for d in dims):
                    return "its init_'s class_prior_ is not an array mlbom can size"
                return min(d[0] for d in dims if d is not None)
            got = ints(init, "n_classes_")
            return got if isinstance(got, str) else min(got)
        if icls in _TREE_INITS:
            # a decision tree predicts one column per output (one for one output); its
            # probabilities, one per class (single output)
            assert isinstance(init, Call)
            outs = ints(init, "n_outputs_")
            if isinstance(outs, str):
                return outs
            if not classifier or icls.endswith("Regressor"):
                return min(1 if n == 1 else n for n in outs)
            multi = self.multiclass_loss(inst)
            if isinstance(multi, str):
                return multi
            if not multi:
                return 1  # the positive class's probability: one column
            # multiclass: predict_proba is min(n_classes_, the Tree's widest class count) columns,
            # neither of which mlbom reads (n_classes_ is a numpy integer)
            return "its init_ is a multiclass decision tree, whose probability columns mlbom does not size"
        if icls is not None and icls.startswith("sklearn.linear_model."):
            # a linear model's predictions are X @ coef_.T (+ intercept_): a 1-D coef_ gives one
            # column, a 2-D one a column per row; a linear classifier's probabilities have two
            # columns for one row of coef_ (binary), else one per row (red team 38t-5)
            assert isinstance(init, Call)
            coefs, why = self.owner_values(init, "coef_")
            dims = [array_dims(c, any_order=True) for c in coefs]
            if why is not None or not dims or any(d is None or len(d) not in (1, 2) for d in dims):
                return "its init_'s coef_ is not an array mlbom can size"
            rows = [1 if len(d) == 1 else d[0] for d in dims if d is not None]
            # X @ coef_.T + intercept_ broadcasts: an intercept_ of another shape changes the rows
            # and columns of the predictions (a (1, 1) one makes them (1, n): red team 43t-2).
            # scikit-learn writes a number or a 1-D array of one or a row count's entries
            intercepts, why = self.owner_values(init, "intercept_")
            for b in intercepts:
                bdims = array_dims(b, any_order=True)
                if not (isinstance(b, int | float) and not isinstance(b, bool)) and not numpy_scalar(b) \
                        and not (bdims is not None and len(bdims) == 1 and bdims[0] in (1, *rows)):
                    return f"its init_'s intercept_ is {describe(b)}, not a number or a 1-D array of its rows"
            if why is not None or not intercepts:
                return "its init_'s intercept_ cannot be told"
            if not classifier:
                if any(d is not None and len(d) == 2 for d in dims) and icls not in _COEF_T_REGRESSORS:
                    # GLMs predict X @ coef_, SGDRegressor flattens: a 2-D coef_ is no width mlbom
                    # can tell for them (red team 39t-3)
                    return "its init_'s 2-D coef_ is not one mlbom can size for its class"
                return min(rows)
            multi = self.multiclass_loss(inst)
            if isinstance(multi, str):
                return multi
            if not multi:
                return 1  # the positive class's probability: one column
            return min(2 if r == 1 else r for r in rows)
        return f"its init_ is {describe(init)}, not one whose predictions mlbom can size"

    def built(self, inst: Call, cls: str | None, state: object) -> None:
        """BUILD gave ``inst`` (an instance of the allowlisted ``cls``, if known) ``state``: judge
        a Tree's or TreePredictor's nodes now, file the objects judged when the stream ends, and
        keep what the state held at this BUILD where ``__setstate__`` copies it."""
        if self.reg.predictor_nodes.get(inst) is inst:
            self.note("pickle.memory", "medium", "BUILD sets the state of a TreePredictor's nodes array after the "
                      "predictor was checked: mlbom cannot check the node indices its predict() follows",
                      "suspicious", "predictor-nodes")
        for judge in self.others:
            judge.built(inst, cls, state)
        if cls in _MAHALANOBIS:
            self.mahalanobis_state(cls, state)
        if cls in _RANDOM_STATES:
            name = {"bitgen": cls.rsplit(".", 1)[-1].replace("__bit_generator_ctor", "bit generator"),
                    "randomstate": "RandomState", "generator": "Generator"}[_RANDOM_KINDS[cls]]
            self.native_verdict(f"numpy {name} state", _random_state_problem(cls, state), "numpy",
                                "its next draw reads its key or buffer out of bounds", "its next draw follows",
                                "random-state")
        if cls == "sklearn.tree._tree.Tree":
            self.tree_state(inst, state)
        elif cls == TREE_PREDICTOR:
            self.predictor_state(inst, state)
        elif cls in BINARY_TREES:
            self.reg.binary_trees.put(inst, inst)
        elif cls is not None and (cls.startswith("sklearn.") or cls in SPARSE or cls == _BSPLINE):
            (self.reg.sparse if cls in SPARSE else self.reg.owners).put(inst, inst)
            if isinstance(state, Dct) and state.items is not None:
                self.reg.snapshots.setdefault(inst, list).append((dict(state.items), list(state.loose or ())))
        if made_by(inst) in RECONSTRUCTS and isinstance(state, Seq) and state.items is not None \
                and len(state.items) == 5 and isinstance(state.items[4], Seq) and state.items[4].items is not None:
            self.reg.array_items.setdefault(inst, list).append(list(state.items[4].items))

    def made(self, inst: Call, op: str) -> None:
        """Remember a native object whose constructor leaves it unusable until BUILD gives it a
        state (:data:`STATE_REQUIRED`); the other judges remember theirs."""
        if instance_class(inst) in STATE_REQUIRED:
            self.reg.made.put(inst, inst)
        for judge in self.others:
            judge.made(inst, op)

    def judge_end(self, complete: bool, result: object = None) -> None:
        """The judgements made once the top-level stream has ended (``complete``: at its STOP; an
        object never BUILT is used only if the load returns). ``result``: judge such objects only
        where the value returned reaches them (the ``pickle.load`` reading of a joblib stream, which
        walks on through names its loader cannot find; red team 64f-2); None: all of them."""
        used = _reached(result) if complete and result is not None else None
        if complete:
            self.judge_unbuilt(used)
        for judge in self.others:
            judge.judge_end(complete, used)
        self.judge_tree_owners()
        self.judge_binary_trees()
        self.judge_sparse()

    def judge_unbuilt(self, used: set[int] | None = None) -> None:
        """scikit-learn's ``Tree.__cinit__`` leaves ``nodes`` NULL and ``node_count`` 0, and
        ``BinaryTree.__cinit__`` leaves one-element arrays whose node record is uninitialised
        memory: ``apply``/``predict``/``decision_path`` dereference the NULL node array, and a
        KDTree's ``kernel_density`` divides by a count read from garbage (SIGFPE). Every
        scikit-learn pickle BUILDs them with their state (``__reduce__`` returns it); one made
        and never given a state is ``unsafe`` wherever it is (red team 44t-2)."""
        for inst in self.reg.made.values():
            cls = instance_class(inst)
            if used is not None and id(inst) not in used:
                continue
            if inst.state is None and cls in STATE_REQUIRED:
                self.note("pickle.memory", "critical", f"a scikit-learn {cls.rsplit('.', 1)[-1]} is made and never "
                          "given a state (no BUILD): its native buffers are the empty ones its constructor left, "
                          "which its public methods read (memory corruption on use); no scikit-learn writes it",
                          "unsafe", "unbuilt")

    def mahalanobis_state(self, cls: str, state: object) -> None:
        """``Mahalanobis.__setstate__`` takes ``state[2]`` as its matrix and ``mat.shape[0]`` as the
        data's feature count; ``rdist`` reads ``mat[i, j]`` for every ``i, j`` below it with bounds
        checks off: a matrix with fewer columns than rows is read past its end (red team 66f-1)."""
        name = cls.rsplit(".", 1)[-1]
        items = state.items if isinstance(state, Seq) else None
        if isinstance(state, Seq) and items is not None and len(items) < 3:
            return  # IndexError: the load fails
        dims = array_dims(items[2], any_order=True) if items is not None else None
        if dims is None or len(dims) != 2:
            self.note("pickle.memory", "medium", f"scikit-learn {name} state: its matrix is not an array mlbom can "
                      "size: its distances read mat[i, j] for every i, j below mat.shape[0] unchecked",
                      "suspicious", "mahalanobis-mat")
        elif dims[1] < dims[0]:
            self.note("pickle.memory", "critical", f"scikit-learn {name} state: its matrix is {dims[0]}x{dims[1]}: its "
                      f"distances read mat[i, j] for every i, j below {dims[0]} (out of bounds on use); no "
                      "scikit-learn writes it", "unsafe", "mahalanobis-mat")


    def judge_binary_trees(self) -> None:
        """scikit-learn's KDTree and BallTree (``_binary_tree.pxi``): ``__setstate__`` stores
        the state's arrays as typed memoryviews, checking dtype and contiguity only, and every
        query then follows their indices with bounds checks off (red team 34t-4). Judged on each
        tree's last state once the stream has ended (:func:`native_state.binary_tree_problem`,
        :meth:`metric_problem`)."""
        for inst in self.reg.binary_trees.values():
            cls = instance_class(inst) or "a binary tree"
            self.native_verdict(f"scikit-learn {cls.rsplit('.', 1)[-1]} state", self.binary_tree_problem(inst, cls),
                                "scikit-learn", "its queries read or write out of bounds", "its queries follow",
                                "binary-tree")

    def binary_tree_problem(self, inst: Call, cls: str) -> tuple[bool, str] | None:
        """(True, what no scikit-learn writes) / (False, why it cannot be checked) / None."""
        # a tuple, as scikit-learn writes it: __setstate__ reads state[0..12] from a list as well,
        # and a list changed after the BUILD would leave the tree with what mlbom no longer sees
        # (red team 42t-1)
        st = inst.state.items if isinstance(inst.state, Seq) and inst.state.type == "tuple" else None
        if st is None or len(st) != 13:
            return False, f"its state is {describe(inst.state)}, not the 13-item tuple scikit-learn writes"
        data, idx_array, node_data, bounds, n_nodes, metric, weight = st[0], st[1], st[2], st[3], st[6], st[11], \
            st[12]
        leaf_size = st[4]
        if not isinstance(leaf_size, int) or isinstance(leaf_size, bool) or leaf_size < 1:
            # breadth-first queries and kernel density size a heap by n_samples // leaf_size, a C
            # division (cdivision): 0 is SIGFPE (red team 38t-1); scikit-learn's constructor refuses < 1
            return True, f"leaf_size {describe(leaf_size)} is not an int of at least 1"
        dims = array_dims(data)
        if dims is None or len(dims) != 2:
            return False, "its data is not a 2-D array mlbom can size"
        n_samples, n_features = dims
        nodes = _binary_tree_scan(node_data, self.src)
        if isinstance(nodes, str):
            return False, f"node_data: {nodes}"
        idx = index_scan(idx_array, self.src)
        if isinstance(idx, str):
            return False, f"idx_array: {idx}"
        problem = native_state.binary_tree_problem(nodes, idx, n_samples, n_nodes)
        if problem is not None:
            return True, problem
        if nodes.untracked:
            return False, f"it has more than {native_state.BINARY_TREE_NODES_LIMIT} nodes, past what mlbom checks"
        bdims = array_dims(bounds)
        want = (2 if cls == BINARY_TREES[0] else 1, nodes.count, n_features)
        if bdims is None:
            return False, "its node_bounds is not an array mlbom can size"
        if tuple(bdims) != want:
            return True, f"node_bounds has shape {tuple(bdims)}, not {want} (the bounds of every node)"
        if weight is not NONE:
            wdims = array_dims(weight)
            if wdims is None:
                return False, "its sample_weight is not an array mlbom can size"
            if wdims != [n_samples]:
                return True, f"sample_weight has shape {tuple(wdims)}, not one weight per data row ({n_samples})"
        return self.metric_problem(metric, n_features)

    def metric_problem(self, metric: object, n_features: int) -> tuple[bool, str] | None:
        """A DistanceMetric's per-feature arrays (``_dist_metrics.pyx``, bounds checks off: its
        distance functions loop over the data's ``n_features``): SEuclidean's ``vec`` (the
        variances), weighted Minkowski's ``vec`` (the weights; empty: unweighted), Mahalanobis's
        ``mat`` (and a buffer of ``mat.shape[0]``); Haversine reads two coordinates."""
        cls = instance_class(metric) if isinstance(metric, Call) else None
        name = cls.rsplit(".", 1)[-1] if cls is not None and cls.startswith(_METRICS) else None
        if name is None or name[-2:] not in ("64", "32"):
            return False, f"its dist_metric is {describe(metric)}, not a DistanceMetric mlbom models"
        kind = name[:-2]
        assert isinstance(metric, Call)
        st = metric.state.items if isinstance(metric.state, Seq) and metric.state.type == "tuple" else None
        if st is None or len(st) != 3:
            return False, f"its {name}'s state is {describe(metric.state)}, not (p, vec, mat)"
        vec, mat = array_dims(st[1], any_order=True), array_dims(st[2], any_order=True)
        if vec is None or len(vec) != 1 or mat is None or len(mat) != 2:
            return False, f"its {name}'s vec and mat are not arrays mlbom can size"
        if kind == "SEuclideanDistance" and vec[0] < n_features:
            return True, f"its {name} has {vec[0]} variances for {n_features} features"
        if kind == "MinkowskiDistance" and 0 < vec[0] < n_features:
            return True, f"its {name} has {vec[0]} weights for {n_features} features"
        if kind == "MahalanobisDistance" and (mat[0] < n_features or mat[1] < n_features):
            return True, f"its {name}'s matrix is {mat[0]}x{mat[1]} for {n_features} features"
        if kind == "HaversineDistance" and n_features != 2:
            return True, f"its {name} reads two coordinates of data with {n_features} features"
        if kind not in _PLAIN_METRICS and kind not in ("SEuclideanDistance", "MinkowskiDistance",
                                                       "MahalanobisDistance", "HaversineDistance"):
            return False, f"its dist_metric {name} is not one mlbom models"
        return None

    def trees_reached(self, value: object, budget: list[int], depth: int,
                      tops: dict[int, tuple[int, int] | str]) -> tuple[int, int] | str:
        """The largest feature index read by the Trees ``value`` reaches (a Tree, a predictor, an
        owner, a list or object ndarray of them), and the largest a categorical split reads (-1:
        none); a str: why not every Tree it reaches could be checked."""
        budget[0] -= 1
        if budget[0] < 0 or depth > 8:
            return "the values holding its Trees are too many or too deeply nested for mlbom to find every Tree"
        known = self.reg.tree_features.get(value)
        if known is not None:
            return known
        owner = self.reg.owners.get(value)
        if owner is not None:
            got = self.owner_top(owner, tops)
            return got if not isinstance(got, str) else "an estimator it holds has Trees mlbom cannot all find"
        if isinstance(value, Call) and instance_class(value) in ("sklearn.tree._tree.Tree", TREE_PREDICTOR):
            return f"it holds a {instance_class(value)} whose nodes mlbom did not check (no state it can read)"
        if isinstance(value, ObjectArray):
            value = value.value
        if isinstance(value, Seq):
            parts = value.items
        elif isinstance(value, Call) and made_by(value) in RECONSTRUCTS and isinstance(value.state, Seq):
            # an object ndarray: (version, shape, dtype, fortran, items); its __setstate__ copies
            # the items, so the lists its BUILDs saw count, not only what the list holds now
            held = self.reg.array_items.get(value)
            parts = [p for snap in held for p in snap] if held is not None else None
            if parts is None:
                return "an object array holding its Trees was not read"
        else:
            return -1, -1
        if parts is None:
            return "a list holding its Trees was not kept"
        top = cat = -1
        for part in parts:
            got = self.trees_reached(part, budget, depth + 1, tops)
            if isinstance(got, str):
                return got
            top, cat = max(top, got[0]), max(cat, got[1])
        return top, cat
