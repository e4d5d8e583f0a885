"""Red team 111pa-3/-4: config targets the walker's "nothing here can be a target" shortcut and
the 109pa-1 fix missed. ``dict``/``OrderedDict``/``defaultdict`` built from pairs whose key is
made at load time (``str(b'_target_', 'ascii')``) set no flag, so the config pass never ran
(``safe``); a key made at load time over a value made at load time (``str(b'os.system', 'ascii')``,
``numpy.str_``), or an interpolation string made at load time (``str(b'${eval:…}', 'ascii')``),
was walked as an unknown value. Every such file loads as ``{'_target_': 'os.system'}`` (Hydra's
``"_target_" in x`` finds an equal str key): now "not checked to the end" (``code.remote``,
suspicious) at least; text mlbom can read (``numpy.str_('${eval:…}')``) is judged as that text."""

from __future__ import annotations

import io

import pytest

from mlbom.formats.pickle import read_pickle
from mlbom.scanner import scan_bytes


def _s(t: str) -> bytes:  # SHORT_BINUNICODE
    b = t.encode()
    return b"\x8c" + bytes([len(b)]) + b


def _g(m: str, n: str) -> bytes:  # STACK_GLOBAL
    return _s(m) + _s(n) + b"\x93"


def _str_of_bytes(text: str) -> bytes:  # builtins.str(b'text', 'ascii')
    b = text.encode()
    return _g("builtins", "str") + b"C" + bytes([len(b)]) + b + _s("ascii") + b"\x86R"


def _hp(value: bytes) -> bytes:
    return b"\x80\x04}" + _s("hyper_parameters") + value + b"s."


K = _str_of_bytes("_target_")
PAIRS = b"](" + K + _s("os.system") + b"\x86e"  # [(K, 'os.system')]
EVAL = "${eval:__import__('os').system('true')}"
BUILT = {
    "dict-of-pairs": _hp(_g("builtins", "dict") + PAIRS + b"\x85R"),
    "ordereddict-of-pairs": _hp(_g("collections", "OrderedDict") + PAIRS + b"\x85R"),
    "defaultdict-of-pairs": _hp(_g("collections", "defaultdict") + b"N" + PAIRS + b"\x86R"),
    "dict-of-ordereddict": _hp(_g("builtins", "dict") + _g("collections", "OrderedDict") + PAIRS + b"\x85R\x85R"),
    "built-key-built-value": _hp(b"}" + K + _str_of_bytes("os.system") + b"s"),
    "built-key-numpy-value": _hp(b"}" + K + _g("numpy", "str_") + _s("os.system") + b"\x85Rs"),
    "numpy-key-numpy-value": _hp(b"}" + _g("numpy", "str_") + _s("_target_") + b"\x85R"
                                 + _g("numpy", "str_") + _s("os.system") + b"\x85Rs"),
    "built-key-memo-value": _hp(b"}" + _str_of_bytes("os.system") + b"\x940" + K + b"h\x00s"),
    "built-interpolation": _hp(b"}" + _s("a") + _str_of_bytes(EVAL) + b"s"),
    "built-interpolation-in-list": _hp(b"}" + _s("a") + b"]" + _str_of_bytes(EVAL) + b"as"),
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_targets_made_at_load_time_are_not_safe(name: str) -> None:
    data = BUILT[name]
    assert not read_pickle(io.BytesIO(data), len(data)).no_targets
    r = scan_bytes(data, "last.ckpt")
    assert r.verdict in ("suspicious", "unsafe"), [(f.id, f.message[:160]) for f in r.findings]
    assert {"code.remote", "code.dangerous-target"} & {f.id for f in r.findings}


def test_text_mlbom_can_read_is_judged_as_that_text() -> None:
    # numpy.str_ of a str is that str: the interpolation is judged like a literal one
    data = _hp(b"}" + _s("a") + _g("numpy", "str_") + _s(EVAL) + b"\x85Rs")
    r = scan_bytes(data, "last.ckpt")
    assert r.verdict == "unsafe", [(f.id, f.message[:160]) for f in r.findings]


@pytest.mark.parametrize("value", [
    _g("numpy", "str_") + _s("relu") + b"\x85R",  # a harmless str made at load time
    _g("builtins", "dict") + b"](" + _s("lr") + b"G?PbM\xd2\xf1\xa9\xfc\x86e\x85R",  # dict([('lr', 0.001)])
    b"}" + _g("numpy", "str_") + _s("word") + b"\x85RK\x05s",  # a vocabulary: numbers under built keys
])
def test_plain_values_made_at_load_time_stay_safe(value: bytes) -> None:
    r = scan_bytes(_hp(value), "last.ckpt")
    assert r.verdict == "safe", [(f.id, f.message[:160]) for f in r.findings]


def _pickle_files() -> list[bytes]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "fixtures"
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".pkl", ".pickle", ".ckpt") and p.stat().st_size < 1 << 20:
            data = p.read_bytes()
            if data[:1] == b"\x80":
                out.append(data)
    return out


def test_the_shortcut_never_hides_a_target() -> None:
    """``no_targets`` (the walk proves nothing can be a target) implies the config pass finds
    nothing — on every pickle fixture and on the shapes above."""
    from mlbom.formats import config_targets

    files = _pickle_files() + list(BUILT.values())
    assert len(files) > len(BUILT)
    for data in files:
        rep = read_pickle(io.BytesIO(data), len(data))
        if rep.no_targets:
            assert config_targets.pickle_targets(rep.value) is None
