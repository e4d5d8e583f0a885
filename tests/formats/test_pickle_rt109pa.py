"""Red team 109pa-1: a config-target key built at load time (``builtins.str(b"_target_", "ascii")``,
``str("_target_")``, ``numpy.str_("_target_")``) in a Lightning checkpoint's ``hyper_parameters`` was
``safe`` while the same literal key is ``unsafe``: Hydra's ``"_target_" in x`` finds an equal str
(or str subclass) key. A dict whose keys were built at load time and whose values may be a
target's (text, a container) is now "not checked to the end" (``code.remote``, suspicious); a
vocabulary's numbers under numpy.str_ keys are not (real scikit-learn vectorizers stay safe:
tests/formats/test_pickle_rt68f.py)."""

from __future__ import annotations

import pytest

from mlbom.scanner import scan_bytes


def _s(t: str) -> bytes:  # SHORT_BINUNICODE
    b = t.encode()
    return b"\x8c" + bytes([len(b)]) + b


def _g(m: str, n: str) -> bytes:  # STACK_GLOBAL
    return _s(m) + _s(n) + b"\x93"


HEAD = b"\x80\x04}" + _s("hyper_parameters") + b"}"
BUILT_KEYS = {
    "str-of-bytes": _g("builtins", "str") + b"C\x08_target_" + _s("ascii") + b"\x86R",
    "str-of-str": _g("builtins", "str") + _s("_target_") + b"\x85R",
    "numpy-str": _g("numpy", "str_") + _s("_target_") + b"\x85R",
    "class-path": _g("builtins", "str") + b"C\x0aclass_path" + _s("ascii") + b"\x86R",
}


@pytest.mark.parametrize("name", sorted(BUILT_KEYS))
def test_a_target_key_built_at_load_time_is_not_safe(name: str) -> None:
    r = scan_bytes(HEAD + BUILT_KEYS[name] + _s("os.system") + b"ss.", "last.ckpt")
    assert r.verdict in ("suspicious", "unsafe"), [(f.id, f.message[:160]) for f in r.findings]
    assert "code.remote" in {f.id for f in r.findings}


def test_numbers_under_built_keys_hold_no_target() -> None:
    """{numpy.str_('a'): 1}: what a vocabulary pickles to; no config target can be there."""
    data = b"\x80\x04}" + _g("numpy", "str_") + _s("a") + b"\x85R" + b"K\x01s."
    r = scan_bytes(data, "vocab.pkl")
    assert "code.remote" not in {f.id for f in r.findings}, [(f.id, f.message[:160]) for f in r.findings]


def test_a_config_nested_under_a_built_key_is_judged() -> None:
    """{numpy.str_('model'): {'_target_': 'os.system'}}: the nested literal target is judged."""
    data = b"\x80\x04}" + _s("hyper_parameters") + b"}" + _g("numpy", "str_") + _s("model") + b"\x85R" + b"}" \
        + _s("_target_") + _s("os.system") + b"sss."
    r = scan_bytes(data, "last.ckpt")
    assert r.verdict == "unsafe", [(f.id, f.message[:160]) for f in r.findings]
