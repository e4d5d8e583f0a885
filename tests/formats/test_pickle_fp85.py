"""False-positive hunt 85: real torch objects that were not ``safe``, now listed by exact path —
the hook objects of the old ``torch.nn.utils.weight_norm`` / ``spectral_norm`` (plain classes
holding a name, dim and numbers) — and hostile variants that still are not. ``torch.Generator``
stays unlisted (tests/formats/test_pickle_rt53a.py: its native ``__setstate__`` trusts the state's
shape). Real objects are built only in the torch tier."""

from __future__ import annotations

import io

import pytest

from mlbom.scanner import scan_bytes
from tests.formats.pickle_ops import BUILD, EMPTY_DICT, EMPTY_TUPLE, MARK, NEWOBJ, SETITEMS, STOP, call, glob, proto, s, system, walk

HOOKS = [("torch.nn.utils.weight_norm", "WeightNorm"), ("torch.nn.utils.spectral_norm", "SpectralNorm"),
         ("torch.nn.utils.spectral_norm", "SpectralNormStateDictHook"),
         ("torch.nn.utils.spectral_norm", "SpectralNormLoadStateDictPreHook")]


def _new(module: str, name: str, state: bytes) -> bytes:
    return proto(4) + glob(module, name) + EMPTY_TUPLE + NEWOBJ + state + BUILD + STOP


@pytest.mark.parametrize(("module", "name"), HOOKS)
def test_hook_objects_built_as_torch_saves_them_are_safe(module: str, name: str) -> None:
    state = EMPTY_DICT + MARK + s("name") + s("weight") + s("dim") + b"K\x00" + SETITEMS
    r = walk(_new(module, name, state))
    assert r.verdict == "safe", [(f.id, f.message) for f in r.findings]


@pytest.mark.parametrize(("module", "name"), HOOKS)
def test_hook_objects_with_a_dangerous_value_or_called_are_not_safe(module: str, name: str) -> None:
    evil = EMPTY_DICT + MARK + s("name") + system() + SETITEMS
    assert walk(_new(module, name, evil)).verdict == "unsafe"
    # calling the class (REDUCE) runs its __init__ with pickle data: not how torch.save writes it
    assert walk(proto(4) + call(glob(module, name), s("weight"), b"K\x00") + STOP).verdict != "safe"


@pytest.mark.torch
def test_real_weight_norm_saves_are_safe() -> None:
    torch = pytest.importorskip("torch")
    objs = {"weight_norm": torch.nn.utils.weight_norm(torch.nn.Linear(4, 4)),
            "ckpt": {"epoch": 3, "model": torch.nn.utils.weight_norm(torch.nn.Conv1d(2, 2, 3))}}
    for name, obj in objs.items():
        buf = io.BytesIO()
        torch.save(obj, buf)
        r = scan_bytes(buf.getvalue(), f"{name}.pt")
        assert r.verdict == "safe", (name, [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"])
