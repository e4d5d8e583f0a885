"""Red team 11c: allowlisted library code doing things with the state during (and after) the load.
A state key that names a method of the object's class hides it (``self.<name>()`` finds the
instance attribute first): scikit-learn's version warning (``str()`` -> ``__repr__`` ->
``_get_param_names``), ``IsotonicRegression.__setstate__`` (``_build_f``), torch's
``Optimizer.__setstate__`` (``profile_hook_step``), ``datetime.__hash__`` of a dict key
(``tzinfo.utcoffset``); ``functools.partial`` hiding a gadget and its payload; pandas time-zone
strings ``dateutil/<path>`` opening files. Each red-team file is built here (the builders of
/work/redteam-11c, opcode for opcode); the real loaders' behaviour is proved in a subprocess."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats.pickle import class_methods, load_policy_data
from tests.formats.pickle_ops import walk

ROOT = Path(__file__).resolve().parents[2]


def g(mod: str, name: str) -> bytes:
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def s(x: str) -> bytes:
    b = x.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def by(x: bytes) -> bytes:
    return b"B" + struct.pack("<I", len(x)) + x


def marker_pickle(marker: str, text: str = "pwned") -> bytes:
    return b"\x80\x02" + g("builtins", "exec") + s(f"open({marker!r},'w').write({text!r})") + b"\x85R."


def benign_pickle() -> bytes:
    return b"\x80\x02" + g("builtins", "int") + s("5") + b"\x85R."


PARTIAL = g("functools", "partial")
LR = g("sklearn.linear_model._base", "LinearRegression")


def p_load_from_bytes(inner: bytes) -> bytes:
    return PARTIAL + g("torch.storage", "_load_from_bytes") + by(inner) + b"\x86R"


def p_tzfile(path: str) -> bytes:
    return PARTIAL + g("dateutil.tz._tzfile", "tzfile") + s(path) + b"\x86R"


def p_rebuild(inner: bytes) -> bytes:
    return PARTIAL + b"(" + g("torch._tensor", "_rebuild_from_type_v2") + g("torch.storage", "_load_from_bytes") \
        + g("torch", "Tensor") + by(inner) + b"\x85tR"


def sk_warning_repr(attr: bytes) -> bytes:  # 11c-1
    p = b"\x80\x03" + LR + b")\x81" + LR + b")\x81"
    p += b"}(" + s("_get_param_names") + attr + s("_sklearn_version") + s("1.9.1") + b"ub"
    p += b"q\x01" + b"0"
    p += b"}(" + s("_sklearn_version") + b"h\x01" + b"ub."
    return p


def sk_attr(key: str, attr: bytes) -> bytes:  # 11c-2
    return b"\x80\x03" + LR + b")\x81" + b"}(" + s(key) + attr + s("_sklearn_version") + s("1.9.1") + b"ub."


def optimizer(inner: bytes) -> bytes:  # 11c-3
    p = b"\x80\x03" + g("torch.optim.adam", "Adam") + b")\x81"
    p += b"}(" + s("defaults") + b"}" + s("state") + b"}" + s("param_groups") + b"]"
    p += s("profile_hook_step") + p_rebuild(inner) + b"ub."
    return p


def isotonic(path: str) -> bytes:  # 11c-3
    p = b"\x80\x03" + g("sklearn.isotonic", "IsotonicRegression") + b")\x81"
    p += b"}(" + s("X_thresholds_") + b"N" + s("y_thresholds_") + b"N" + s("_sklearn_version") + s("1.9.1")
    p += s("_build_f") + p_tzfile(path) + b"ub."
    return p


def dict_key_hash(attr: bytes) -> bytes:  # 11c-4
    p = b"\x80\x03" + b"}" + g("datetime", "datetime") + by(b"\x07\xe8\x01\x01\x00\x00\x00\x00\x00\x00")
    p += g("dateutil.tz.tz", "tzlocal") + b")\x81" + b"}(" + s("utcoffset") + attr + b"ub"
    p += b"\x86R" + b"K\x01" + b"s."
    return p


def pandas_tz(variant: str, tz: str) -> bytes:  # 11c-5
    p = b"\x80\x03"
    if variant == "dtype":
        p += g("pandas.core.dtypes.dtypes", "DatetimeTZDtype") + s("ns") + s(tz) + b"\x86R"
    elif variant == "tsnew":
        p += g("copyreg", "__newobj_ex__") + b"(" + g("pandas", "Timestamp") + b"J" + struct.pack("<i", 0) \
            + b"\x85" + b"}" + s("tz") + s(tz) + b"stR"
    else:
        p += g("pandas.core.indexes.base", "_new_Index") + g("pandas", "Index") \
            + b"}(" + s("data") + b"]" + s("dtype") + s(f"datetime64[ns, {tz}]") + b"u" + b"\x86R"
    return p + b"."


def ids(data: bytes) -> set[str]:
    return {f.id for f in walk(data).findings if f.effect}


# -- 11c-1 / 11c-3 / 11c-4: a state key that hides a method -----------------------------------


@pytest.mark.parametrize("data", [
    sk_warning_repr(p_load_from_bytes(marker_pickle("/tmp/x"))),   # 11c-1 exec
    sk_warning_repr(p_tzfile("/etc/hostname")),                     # 11c-1 io
    optimizer(marker_pickle("/tmp/x")),                             # 11c-3 exec
    isotonic("/etc/hostname"),                                      # 11c-3 io
    dict_key_hash(p_rebuild(marker_pickle("/tmp/x"))),              # 11c-4 exec
    dict_key_hash(p_tzfile("/etc/hostname")),                       # 11c-4 io
], ids=["11c-1-exec", "11c-1-io", "11c-3-optimizer", "11c-3-isotonic", "11c-4-exec", "11c-4-io"])
def test_a_state_key_hiding_a_method_with_a_gadget_is_unsafe(data: bytes) -> None:
    rep = walk(data)
    assert rep.verdict == "unsafe"
    assert any(f.id == "pickle.dangerous-callable" and "is a method of the class" in f.message for f in rep.findings)


def test_a_state_key_hiding_a_method_with_a_benign_value_is_suspicious() -> None:
    assert walk(sk_attr("predict", b"K\x01")).verdict == "suspicious"
    assert walk(sk_attr("_get_param_names", g("builtins", "int"))).verdict == "suspicious"
    # the same benign value under a fitted-attribute name is data
    assert walk(sk_attr("coef_", b"K\x01")).verdict == "safe"


def test_a_tzinfo_whose_state_hides_utcoffset_is_flagged_without_the_dict() -> None:
    data = b"\x80\x03" + g("dateutil.tz.tz", "tzlocal") + b")\x81" + b"}(" + s("utcoffset") + b"K\x01" + b"ub."
    assert walk(data).verdict == "suspicious"


# -- 11c-1: _sklearn_version is formatted with str() -------------------------------------------


def test_a_sklearn_version_that_is_not_a_str_is_suspicious() -> None:
    p = b"\x80\x03" + LR + b")\x81" + b"}(" + s("_sklearn_version") + LR + b")\x81" + b"ub."
    rep = walk(p)
    assert rep.verdict == "suspicious"
    assert any("_sklearn_version" in f.message for f in rep.findings)
    assert walk(sk_attr("coef_", b"N")).verdict == "safe"  # a str version: as every estimator writes


# -- 11c-2: functools.partial ---------------------------------------------------------------------


def test_a_partial_binding_a_nested_pickle_is_walked() -> None:
    assert walk(sk_attr("_get_param_names", p_load_from_bytes(marker_pickle("/tmp/x")))).verdict == "unsafe"
    # under a name that hides no method: the bound pickle is still walked (its exec is unsafe) ...
    assert walk(sk_attr("helper_", p_load_from_bytes(marker_pickle("/tmp/x")))).verdict == "unsafe"
    # ... and a benign one still leaves a stored gadget (the program may call it): suspicious
    rep = walk(sk_attr("helper_", p_load_from_bytes(benign_pickle())))
    assert rep.verdict == "suspicious"
    assert "pickle.dynamic-callable" in {f.id for f in rep.findings}


def test_a_partial_of_rebuild_from_type_is_modelled_as_its_call() -> None:
    assert walk(sk_attr("helper_", p_rebuild(marker_pickle("/tmp/x")))).verdict == "unsafe"


def test_a_partial_of_a_class_run_with_data_is_suspicious() -> None:
    assert walk(sk_attr("helper_", p_tzfile("/etc/hostname"))).verdict == "suspicious"


# -- 11c-5: pandas time-zone strings --------------------------------------------------------------


@pytest.mark.parametrize("variant", ["dtype", "tsnew", "index"])
@pytest.mark.parametrize("tz", ["dateutil//etc/hostname", "dateutil/../../../etc/hostname",
                                "dateutil/:/etc/hostname"])
def test_a_pandas_tz_string_naming_a_path_is_unsafe(variant: str, tz: str) -> None:
    rep = walk(pandas_tz(variant, tz))
    assert rep.verdict == "unsafe"
    assert any("gettz" in f.message for f in rep.findings)


@pytest.mark.parametrize("variant", ["dtype", "tsnew", "index"])
def test_a_pandas_tz_zone_name_is_safe(variant: str) -> None:
    for tz in ("dateutil/Europe/Paris", "Europe/Paris", "UTC", "Etc/GMT+5", "tzlocal()"):
        assert walk(pandas_tz(variant, tz)).verdict == "safe", tz


def test_a_pandas_tz_string_that_is_no_zone_name_is_suspicious() -> None:
    assert walk(pandas_tz("dtype", "Europe/Paris x")).verdict == "suspicious"
    assert walk(pandas_tz("dtype", "dateutil/Europe/Par is")).verdict == "suspicious"


# -- the methods data --------------------------------------------------------------------------


def test_the_methods_data_names_only_allowlisted_classes() -> None:
    listed = {k for grp in load_policy_data()["allow"] for k in grp["entries"]}  # type: ignore[attr-defined]
    raw = json.loads((ROOT / "mlbom" / "data" / "pickle-methods.json").read_text("utf-8"))
    assert set(raw["classes"]) <= listed
    methods = class_methods()
    assert "profile_hook_step" in methods["torch.optim.adam.Adam"]
    assert "_get_param_names" in methods["sklearn.linear_model._base.LinearRegression"]
    assert {"utcoffset", "dst", "tzname", "fromutc"} <= methods["dateutil.tz.tz.tzlocal"]
    assert "_build_f" in methods["sklearn.isotonic.IsotonicRegression"]


def test_the_methods_data_matches_the_installed_libraries() -> None:
    for mod in ("sklearn", "torch", "pandas", "dateutil", "numpy"):
        pytest.importorskip(mod)
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import pickle_methods
    finally:
        sys.path.remove(str(ROOT / "tools"))
    new = pickle_methods.generate()
    raw = json.loads((ROOT / "mlbom" / "data" / "pickle-methods.json").read_text("utf-8"))
    missing = set(new["classes"]) - set(raw["classes"])
    assert not missing, "regenerate: python tools/pickle_methods.py --write"
    for k, mro in new["classes"].items():
        names = set().union(*(new["names"][c] for c in mro))
        have = set().union(*(raw["names"].get(c, []) for c in raw["classes"][k]))
        assert names <= have, (k, sorted(names - have)[:5])


# -- benign pickles stay safe ----------------------------------------------------------------------


def test_real_objects_stay_safe(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    torch = pytest.importorskip("torch")
    dtz = pytest.importorskip("dateutil.tz")
    pytest.importorskip("sklearn")
    import datetime
    import functools
    import pickle

    from sklearn.feature_selection import SelectKBest
    from sklearn.isotonic import IsotonicRegression

    objs = {
        "dtype": pd.DatetimeTZDtype("ns", "Europe/Paris"),
        "dtype_du": pd.DatetimeTZDtype("ns", "dateutil/Europe/Paris"),
        "ts": pd.Timestamp("2024-01-01", tz="dateutil/Europe/Paris"),
        "idx": pd.date_range("2024", periods=3, tz="dateutil/Europe/Paris"),
        "df": pd.DataFrame({"a": pd.date_range("2024", periods=3, tz="UTC"), "b": [1, 2, 3]}),
        "dtkey": {datetime.datetime(2024, 1, 1, tzinfo=dtz.tzlocal()): 1,
                  datetime.datetime(2024, 1, 1, tzinfo=dtz.gettz("Europe/Paris")): 2},
        "partial": functools.partial(int, base=2),
        "adam": torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))]),
        "lstm": torch.nn.LSTM(2, 3),
        "tel": torch.nn.TransformerEncoderLayer(8, 2),
        "iso": IsotonicRegression().fit([1, 2, 3], [1, 3, 2]),
        "kbest": SelectKBest(k=1).fit([[1, 2], [2, 1], [3, 3]], [0, 1, 0]),
    }
    for name, obj in objs.items():
        for protocol in (2, 5):
            rep = walk(pickle.dumps(obj, protocol=protocol))
            assert rep.verdict == "safe", (name, protocol, [f.message for f in rep.findings])


# -- what the real loaders do (throw-away subprocesses) --------------------------------------------

_PROVE = r"""
import pickle, sys, warnings
opened = []
sys.addaudithook(lambda e, a: opened.append(a[0]) if e == "open" and a[0] == sys.argv[2] else None)
warnings.simplefilter("ignore")
try:
    pickle.load(open(sys.argv[1], "rb"))
except Exception:
    pass
print("OPENED" if opened else "NOT-OPENED")
"""


def _prove_open(tmp_path: Path, data: bytes, secret: Path) -> str:
    f = tmp_path / "attack.pkl"
    f.write_bytes(data)
    r = subprocess.run([sys.executable, "-c", _PROVE, str(f), str(secret)], capture_output=True, text=True,
                       timeout=120)
    return r.stdout.strip()


def test_proof_dict_key_hash_opens_the_file(tmp_path: Path) -> None:
    pytest.importorskip("dateutil.tz")
    secret = tmp_path / "secret"
    secret.write_text("x")
    data = dict_key_hash(p_tzfile(str(secret)))
    assert _prove_open(tmp_path, data, secret) == "OPENED"
    assert walk(data).verdict == "unsafe"


def test_proof_isotonic_opens_the_file(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("dateutil.tz")
    secret = tmp_path / "secret"
    secret.write_text("x")
    data = isotonic(str(secret))
    assert _prove_open(tmp_path, data, secret) == "OPENED"
    assert walk(data).verdict == "unsafe"


def test_proof_pandas_tz_string_opens_the_file(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    secret = tmp_path / "secret"
    secret.write_text("x")
    data = pandas_tz("dtype", f"dateutil/{secret}")
    assert _prove_open(tmp_path, data, secret) == "OPENED"
    assert walk(data).verdict == "unsafe"


def test_proof_optimizer_runs_the_inner_pickle(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    marker = tmp_path / "marker"
    f = tmp_path / "attack.pkl"
    data = optimizer(marker_pickle(str(marker)))
    f.write_bytes(data)
    subprocess.run([sys.executable, "-W", "ignore", "-c", "import pickle,sys\ntry: pickle.load(open(sys.argv[1],'rb'))"
                    "\nexcept Exception: pass", str(f)], capture_output=True, timeout=120)
    assert marker.exists()
    assert walk(data).verdict == "unsafe"
