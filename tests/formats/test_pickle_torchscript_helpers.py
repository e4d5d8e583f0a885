"""TorchScript archives pickle typed lists and containers through ``torch.jit._pickle``'s helpers
(``restore_type_tag``, ``build_intlist``, ``build_tensorlist``...): each returns its argument. They
were denied with the rest of ``torch.jit.*`` (whose ``load`` deserialises more data), which made a
plain ``torch.jit.trace``/``script`` of an LSTM ``unsafe`` instead of TorchScript's ``suspicious``
(its ``code/`` is code). The helpers are listed by exact path; ``torch.jit`` itself stays denied."""

from __future__ import annotations

import io

import pytest

from mlbom.scanner import scan_bytes
from tests.formats.pickle_ops import EMPTY_LIST, MARK, STOP, call, glob, i1, proto, s, walk

HELPERS = ["build_intlist", "build_tensorlist", "build_doublelist", "build_boollist", "build_tensor_from_id",
           "restore_type_tag"]


@pytest.mark.parametrize("name", HELPERS)
def test_jit_pickle_helpers_are_data_only(name: str) -> None:
    arg = EMPTY_LIST + MARK + i1(1) + i1(2) + b"e"
    args = (arg, s("List[int]")) if name == "restore_type_tag" else (arg,)
    r = walk(proto(4) + call(glob("torch.jit._pickle", name), *args) + STOP)
    assert r.verdict == "safe", [(f.id, f.message) for f in r.findings]


@pytest.mark.parametrize(("module", "name"), [("torch.jit", "load"), ("torch.jit._serialization", "load"),
                                              ("torch.jit._pickle", "os"), ("torch.jit", "_pickle")])
def test_the_rest_of_torch_jit_stays_denied(module: str, name: str) -> None:
    r = walk(proto(2) + call(glob(module, name), s("x.pt")) + STOP)
    assert r.verdict != "safe", (module, name)


@pytest.mark.torch
def test_real_traced_and_scripted_lstm_are_torchscript_not_unsafe() -> None:
    torch = pytest.importorskip("torch")
    for how in ("trace", "script"):
        lstm = torch.nn.LSTM(4, 3, batch_first=True)
        mod = torch.jit.trace(lstm, torch.randn(1, 2, 4)) if how == "trace" else torch.jit.script(lstm)
        buf = io.BytesIO()
        torch.jit.save(mod, buf)
        r = scan_bytes(buf.getvalue(), f"lstm_{how}.pt")
        assert (r.format, r.verdict) == ("torchscript", "suspicious"), (how, [(f.id, f.message[:160]) for f in r.findings
                                                                             if f.severity != "info"])
