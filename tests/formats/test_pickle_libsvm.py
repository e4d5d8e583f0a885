"""libsvm's native state: a fitted SVC/NuSVC/SVR/NuSVR/OneClassSVM hands its arrays to libsvm's
``set_model``/``csr_set_model`` on ``predict``, which trust their sizes (``nr_class`` = the length
of ``_n_support``; ``k-1`` rows of dual coefficients, ``k(k-1)/2`` intercepts, the support-vector
indices). scikit-learn checks only the count sum, and only for dense models (CVE-2020-28975). A
pickle whose sizes differ from what scikit-learn writes makes libsvm read past its arrays: with
4,000 classes claimed and one intercept, ``predict`` dies with SIGSEGV on scikit-learn 1.9.1 (it
was ``safe``). Real models of every libsvm class, dense and sparse, stay ``safe``."""

from __future__ import annotations

import io
import pickle
import warnings

import pytest

from mlbom.scanner import scan_bytes

np = pytest.importorskip("numpy")
sp = pytest.importorskip("scipy.sparse")
joblib = pytest.importorskip("joblib")
svm = pytest.importorskip("sklearn.svm")

X = np.random.RandomState(0).rand(40, 3)
Y3 = np.arange(40) % 3
YR = X.sum(1)


def _files(model: object) -> list[bytes]:
    buf = io.BytesIO()
    joblib.dump(model, buf)
    return [buf.getvalue(), pickle.dumps(model, protocol=2), pickle.dumps(model, protocol=5)]


def _fit(name: str) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"svc": lambda: svm.SVC().fit(X, Y3), "svc-binary": lambda: svm.SVC().fit(X, Y3 % 2),
                "svc-probability": lambda: svm.SVC(probability=True).fit(X, Y3),
                "nusvc": lambda: svm.NuSVC().fit(X, Y3), "svr": lambda: svm.SVR().fit(X, YR),
                "nusvr": lambda: svm.NuSVR().fit(X, YR), "one-class": lambda: svm.OneClassSVM().fit(X),
                "svc-sparse": lambda: svm.SVC().fit(sp.csr_matrix(X), Y3),
                "svr-sparse": lambda: svm.SVR().fit(sp.csr_matrix(X), YR),
                "unfitted": lambda: svm.SVC()}[name]()


@pytest.mark.parametrize("name", ["svc", "svc-binary", "svc-probability", "nusvc", "svr", "nusvr", "one-class",
                                  "svc-sparse", "svr-sparse", "unfitted"])
def test_real_libsvm_models_are_safe(name: str) -> None:
    for data in _files(_fit(name)):
        r = scan_bytes(data, "svm.joblib")
        assert r.verdict == "safe", [f.message for f in r.findings if f.severity != "info"]


def _tampered(name: str, **attrs: object) -> object:
    model = pickle.loads(pickle.dumps(_fit(name)))
    for k, v in attrs.items():
        setattr(model, k, v)
    return model


SV = 39  # support vectors of _fit("svc")

TAMPERED = {
    "short intercept": dict(_intercept_=np.zeros(1)),
    "short dual coefficients": dict(_dual_coef_=np.zeros((1, SV))),
    "short support indices": dict(support_=np.zeros(3, np.int32)),
    "counts not summing to the vectors": dict(_n_support=np.array([1, 1, 1], np.int32)),
    "a negative count": dict(_n_support=np.array([SV + 1, -1, 0], np.int32)),
    "one class": dict(_n_support=np.array([SV], np.int32)),
    "short probability pairs": dict(_probA=np.zeros(1), _probB=np.zeros(1)),
}


@pytest.mark.parametrize("what", sorted(TAMPERED))
def test_sizes_no_scikit_learn_writes_are_unsafe(what: str) -> None:
    for data in _files(_tampered("svc", **TAMPERED[what])):
        r = scan_bytes(data, "svm.joblib")
        assert r.verdict == "unsafe" and any("libsvm reads past" in f.message for f in r.findings), \
            [f.message for f in r.findings]


def test_the_segfault_reproducer_is_unsafe() -> None:
    counts = np.zeros(4000, np.int32)
    counts[0] = 1  # sums to the one support vector, as scikit-learn checks
    model = _tampered("svc", _n_support=counts, support_vectors_=np.zeros((1, 3)), support_=np.zeros(1, np.int32),
                      _dual_coef_=np.zeros((1, 1)), _intercept_=np.zeros(1))
    assert scan_bytes(pickle.dumps(model), "svm.pkl").verdict == "unsafe"


def test_sparse_models_are_checked_too() -> None:
    # scikit-learn skips even the count check for sparse models
    model = _tampered("svc-sparse", _n_support=np.array([100, 100, 100], np.int32))
    assert scan_bytes(pickle.dumps(model), "svm.pkl").verdict == "unsafe"
    empty = _tampered("svc-sparse", _dual_coef_=sp.csr_matrix(np.zeros((2, SV))))
    assert scan_bytes(pickle.dumps(empty), "svm.pkl").verdict == "unsafe"


KERNEL = X @ X.T  # a precomputed kernel: rows of samples against the training samples


@pytest.mark.parametrize("make", ["svc", "svr", "one-class"])
def test_real_precomputed_kernel_models_are_safe(make: str) -> None:
    # red team 54f-1: scikit-learn keeps support_vectors_ empty (0 x 0) for them; support_ sizes the model
    model = {"svc": lambda: svm.SVC(kernel="precomputed").fit(KERNEL, Y3),
             "svr": lambda: svm.SVR(kernel="precomputed").fit(KERNEL, YR),
             "one-class": lambda: svm.OneClassSVM(kernel="precomputed").fit(KERNEL)}[make]()
    for data in _files(model):
        r = scan_bytes(data, "svm.joblib")
        assert r.verdict == "safe", [f.message for f in r.findings if f.severity != "info"]


def test_precomputed_support_indices_past_the_kernel_row_are_unsafe() -> None:
    # red team 54f-2: libsvm reads the caller's kernel row at each support_ index (SIGSEGV)
    model = pickle.loads(pickle.dumps(svm.SVC(kernel="precomputed").fit(KERNEL, Y3)))
    n = len(model.support_)
    model.support_vectors_ = np.empty((n, 0))
    model.support_ = np.full(n, 200_000_000, dtype=np.int32)
    r = scan_bytes(pickle.dumps(model), "svm.pkl")
    assert r.verdict == "unsafe" and any("not below shape_fit_[0]" in f.message for f in r.findings)


def test_a_sparse_model_given_a_precomputed_kernel_is_unsafe() -> None:
    # red team 54f-3: the sparse PRECOMPUTED kernel reads the caller's row at each stored value
    model = _tampered("svc-sparse", kernel="precomputed", shape_fit_=(4, 4))
    r = scan_bytes(pickle.dumps(model), "svm.pkl")
    assert r.verdict == "unsafe" and any("sparse model with a precomputed" in f.message for f in r.findings)


def test_an_instance_impl_hiding_the_class_one_is_unsafe() -> None:
    # red team 55f-2: libsvm's svm_type comes from _impl (a class attribute); a sparse SVR set to
    # c_svc walks its second count of 50,000,000 on predict (SIGSEGV); no scikit-learn pickles _impl
    model = _fit("svr-sparse")
    n = model.support_vectors_.shape[0]  # type: ignore[attr-defined]
    for attrs in ({"_impl": "c_svc", "_n_support": np.array([n, 50_000_000], np.int32)}, {"_impl": "c_svc"}):
        for data in _files(_tampered("svr-sparse", **attrs)):
            r = scan_bytes(data, "svr.pkl")
            assert r.verdict == "unsafe" and any("libsvm reads past" in f.message for f in r.findings), \
                (attrs, [f.message for f in r.findings])


@pytest.mark.parametrize("name", ["svr-sparse", "svc-sparse"])
def test_a_sparse_model_claiming_probability_without_platt_pairs_is_unsafe(name: str) -> None:
    # red team 55f-3: csr_set_model copies k(k-1)/2 values from an empty _probA (NULL): SIGSEGV
    for data in _files(_tampered(name, _effective_probability=True)):
        r = scan_bytes(data, "svm.pkl")
        assert r.verdict == "unsafe" and any("_probA" in f.message for f in r.findings), [f.message for f in r.findings]
    # a dense model's predict passes probability 0 and predict_proba checks the size: as written
    for data in _files(_tampered("svc", _effective_probability=True)):
        assert scan_bytes(data, "svm.pkl").verdict == "safe"


def test_a_real_sparse_probability_model_is_safe() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = svm.SVC(probability=True).fit(sp.csr_matrix(X), Y3)
    for data in _files(model):
        r = scan_bytes(data, "svm.pkl")
        assert r.verdict == "safe", [f.message for f in r.findings if f.severity != "info"]
