"""Red team 109pa-1: a config-target key built at load time (``builtins.str(b"_target_", "ascii")``,
``str("_target_")``, ``numpy.str_("_target_")``) in a Lightning checkpoint's ``hyper_parameters`` was
``safe`` while the same literal key is ``unsafe``: Hydra's ``"_target_" in x`` finds an equal str
(or str subclass) key. A dict whose keys were built at load time and whose values may be a
target's (text, a container) is now "not checked to the end" (``code.remote``, suspicious); a
vocabulary's numbers under numpy.str_ keys are not (real scikit-learn vectorizers stay safe:
tests/formats/test_pickle_rt68f.py)."""

from __future__ import annotations

import pytest

from mlbom.formats import pickle as pickle_fmt
from mlbom.scanner import scan_bytes
from tests.helpers import counting_calls


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


def _calls_on_one_list(callee: bytes, item: bytes, items: int, calls: int) -> bytes:
    """memo0 = callee, memo1 = item, memo2 = [memo1] * items; then ``calls`` x callee(memo2)."""
    head = b"\x80\x04" + callee + b"\x94" + item + b"\x94" + b"0" + b"](" + b"h\x01" * items + b"e\x94" + b"0"
    return head + b"h\x00h\x02\x85R0" * calls + b"N."


@pytest.mark.parametrize(("callee", "item"), [
    (_g("collections", "OrderedDict"), _s("a") + b"N\x86"),  # 109pa-3: dict(pairs) again and again
    (_g("builtins", "dict"), _s("a") + b"N\x86"),
    (_g("builtins", "bytes"), b"KA"),  # 109pa-4
    (_g("builtins", "frozenset"), b"KA"),
])
def test_calls_rereading_one_list_share_one_budget(callee: bytes, item: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Red team 109pa-3/-4: the same memoised 4,096-item list handed to 5,000 calls was read 5,000
    times (43 KB: 4.5 s; 210 KB of bytes(list): 9 s). The items calls read are one budget per walk."""
    data = _calls_on_one_list(callee, item, 4096, 5000)
    with counting_calls(monkeypatch, pickle_fmt._Walker, "reread") as calls:
        r = scan_bytes(data, "m.pkl")
    assert r.verdict == "error" and any("container items" in f.message for f in r.findings), \
        [(f.id, f.message[:160]) for f in r.findings]
    assert calls[0] < 400  # stopped once the budget was spent, not after 5,000 calls
