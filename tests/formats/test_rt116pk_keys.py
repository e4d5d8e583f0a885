"""Red team 116pk-3/-4: dict keys built at load time in a pickle's data.

* 116pk-3 (crash): a dict keyed by a value built at load time (a numpy scalar, a frozenset at protocol <= 2)
  with a non-text value, inside a list, made the config-target pass store its placeholder key into the list
  (``ValueError``: an internal error on real ``torch.save`` files).
* 116pk-4 (FP): a key that is certainly no str at load time (a ``pathlib`` path, a frozenset, a datetime: an
  allowlisted class that makes exactly its own instances) is no possible Hydra ``_target_`` key, so a
  path-keyed cache of text values is ``safe``; a key that may be text (``numpy.str_``) is still judged.
Written with the real ``pickle.dumps``; nothing is loaded."""

from __future__ import annotations

import datetime
import pathlib
import pickle

import pytest

from mlbom.scanner import scan_bytes

pytestmark = pytest.mark.sklearn  # numpy/joblib: the optional scikit-learn tier (.ci/run)
np = pytest.importorskip("numpy")


@pytest.mark.parametrize("proto", [0, 1, 2, 4, 5])
@pytest.mark.parametrize("value", [
    [{np.int64(3): 1}],  # a numpy scalar key (may be a numpy.str_ to the walker): the placeholder path
    [{"w": 1.0}, {frozenset({"a"}): 1}],
    {frozenset({"a", "b"}): [1, 2]},
    ({np.int64(1): (1, 2)},),
])
def test_built_keys_with_non_text_values_do_not_crash(value: object, proto: int) -> None:
    r = scan_bytes(pickle.dumps(value, protocol=proto), "data.pkl")
    assert r.verdict == "safe", [(f.id, f.message[:160]) for f in r.findings]


@pytest.mark.parametrize("proto", [2, 4, 5])
@pytest.mark.parametrize("key", [pathlib.PurePosixPath("data/train.csv"), frozenset({"a"}),
                                 datetime.date(2024, 1, 1)])
def test_keys_that_are_never_text_are_no_target_keys(key: object, proto: int) -> None:
    r = scan_bytes(pickle.dumps({key: "sha256:0f3a", "n": 1}, protocol=proto), "cache.pkl")
    assert r.verdict == "safe", [(f.id, f.message[:160]) for f in r.findings]


@pytest.mark.parametrize("proto", [2, 4])
def test_a_key_that_may_be_text_is_still_judged(proto: int) -> None:
    r = scan_bytes(pickle.dumps({np.str_("_target_"): "os.system"}, protocol=proto), "cfg.pkl")
    assert r.verdict != "safe"
