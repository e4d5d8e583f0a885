"""Red team 51b-7: a bound method kept as an attribute (scipy's ``Rbf._function =
self._h_multiquadric``, ``gaussian_kde(bw_method="silverman")``, ``qmc.LatinHypercube``) is written
by pickle as ``getattr(<the instance>, "name")``. That was ``unsafe`` (the denied getattr); it is now
judged as the class's attribute ``module.cls.name`` when the object was built bare (``NEWOBJ(cls,
())``/copyreg, no state yet, no instance attribute of that name), and stored, never called. Every
other getattr on an object — called at load, on an object built with arguments or already given a
state, a dunder name, a denied method — stays ``unsafe``."""

from __future__ import annotations

import io
import pickle

import pytest

from mlbom.scanner import scan_bytes


def _u(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


def _bare(module: str, cls: str, args: bytes = b")") -> bytes:
    """``NEWOBJ(module.cls, args)``, memoised as 0."""
    return b"c" + module.encode() + b"\n" + cls.encode() + b"\n" + args + b"\x81q\x00"


GETATTR = b"cbuiltins\ngetattr\n"


def _stored(obj: bytes, name: str, memo: bytes = b"h\x00") -> bytes:
    """``obj.__dict__["_function"] = getattr(obj, name)`` (its BUILD), as pickle writes a bound method."""
    return b"\x80\x02" + obj + b"}" + _u("_function") + GETATTR + memo + _u(name) + b"\x86Rsb."


def _criticals(data: bytes) -> list[str]:
    r = scan_bytes(data, "model.pkl")
    return [f.message for f in r.findings if f.severity == "critical"]


def test_a_stored_bound_method_of_a_bare_object_is_judged_as_its_class_attribute() -> None:
    r = scan_bytes(_stored(_bare("scipy.interpolate._rbf", "Rbf"), "_h_multiquadric"), "model.pkl")
    assert r.verdict == "suspicious", [f.message for f in r.findings]
    assert any("getattr(<scipy.interpolate._rbf.Rbf object>, '_h_multiquadric')" in f.message for f in r.findings)


def test_protocol_0_reconstructor_objects_count_as_bare() -> None:
    obj = b"ccopyreg\n_reconstructor\ncscipy.interpolate._rbf\nRbf\ncbuiltins\nobject\nN\x87Rq\x00"
    assert scan_bytes(_stored(obj, "_h_linear"), "model.pkl").verdict == "suspicious"


def test_calling_a_bound_method_at_load_is_unsafe() -> None:
    data = b"\x80\x02" + _bare("collections", "OrderedDict") + GETATTR + b"h\x00" + _u("clear") + b"\x86R)R."
    assert any("a method getattr fetched from an object built at load" in m for m in _criticals(data))


def test_a_getattr_on_an_object_built_with_arguments_is_unsafe() -> None:
    obj = _bare("scipy.interpolate._rbf", "Rbf", args=b"K\x01\x85")
    assert any("getattr" in m for m in _criticals(_stored(obj, "_h_linear")))


def test_a_getattr_on_an_object_that_already_has_a_state_is_unsafe() -> None:
    # its state may have set the attribute (a __setstate__ mlbom does not model): the lookup can
    # return that value, not the class's method
    obj = _bare("scipy.interpolate._rbf", "Rbf") + b"}" + _u("_h_linear") + b"K\x01sb"
    assert any("getattr" in m for m in _criticals(_stored(obj, "_h_linear")))


def test_a_getattr_of_a_dunder_or_a_denied_name_is_unsafe() -> None:
    obj = _bare("scipy.interpolate._rbf", "Rbf")
    assert _criticals(_stored(obj, "__reduce_ex__"))
    assert any("Hugging Face" in m for m in _criticals(_stored(obj, "hf_hub_download")))


def test_a_getattr_of_an_object_mlbom_cannot_name_is_unsafe() -> None:
    # the object a call of a callable made at load returned: its class is unknown
    obj = b"cbuiltins\nobject\n)\x81)Rq\x00"
    assert _criticals(_stored(obj, "_h_linear"))


def test_the_getattr_global_landing_elsewhere_is_still_unsafe() -> None:
    data = b"\x80\x02" + _bare("scipy.interpolate._rbf", "Rbf") + b"}" + _u("f") + GETATTR + b"sb."
    assert _criticals(data)


scipy = pytest.importorskip("scipy")


@pytest.mark.parametrize("make", ["rbf", "kde", "lhs"])
def test_real_scipy_objects_keeping_a_bound_method_are_not_unsafe(make: str) -> None:
    np = pytest.importorskip("numpy")
    joblib = pytest.importorskip("joblib")
    from scipy import stats
    from scipy.interpolate import Rbf

    x = np.linspace(0, 1, 10)
    obj = {"rbf": lambda: Rbf(x, x ** 2),
           "kde": lambda: stats.gaussian_kde(np.random.RandomState(0).randn(30), bw_method="silverman"),
           "lhs": lambda: stats.qmc.LatinHypercube(2, rng=0)}[make]()
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    for data in (pickle.dumps(obj, protocol=2), pickle.dumps(obj, protocol=4), buf.getvalue()):
        r = scan_bytes(data, "model.pkl")
        assert r.verdict in ("safe", "suspicious"), [f.message for f in r.findings if f.severity == "critical"]
        assert not [f for f in r.findings if f.severity == "critical"]
