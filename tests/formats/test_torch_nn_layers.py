"""Red team 51b-4: a whole-module ``torch.save`` of 55 of torch.nn's layer classes was ``suspicious`` (they
were not listed: ``ReflectionPad1d``, ``SELU``, ``Hardtanh``, ``Fold``, losses…), so a real
``Sequential(Conv1d, ReflectionPad1d, SELU, Flatten, Linear)`` was. Every class of
``torch.nn.modules.__all__`` is listed now but those holding a user callable or hooks
(``TripletMarginWithDistanceLoss``, the ``Lazy*`` modules) and the deprecated ``Container``/``NLLLoss2d``."""

from __future__ import annotations

import io

import pytest

from mlbom.scanner import scan_bytes

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
nn = torch.nn


def _saved(obj: object) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_a_model_of_less_common_layers_is_safe() -> None:
    model = nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReflectionPad1d(1), nn.SELU(), nn.Hardtanh(), nn.LPPool1d(2, 2),
                          nn.Flatten(), nn.Linear(8, 3), nn.Softmin(dim=1))
    r = scan_bytes(_saved(model), "model.pt")
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


@pytest.mark.parametrize("layer", [nn.ZeroPad3d(1), nn.CircularPad2d(1), nn.MaxUnpool2d(2), nn.Fold((4, 4), 2),
                                   nn.PixelUnshuffle(2), nn.CosineSimilarity(), nn.CTCLoss(), nn.RReLU()],
                         ids=lambda m: type(m).__name__)
def test_listed_layers_save_safe(layer: object) -> None:
    r = scan_bytes(_saved(layer), "layer.pt")
    assert r.verdict == "safe", [(f.id, f.message[:200]) for f in r.findings if f.severity != "info"]


def test_a_layer_holding_a_user_callable_is_not_listed() -> None:
    loss = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance())
    assert scan_bytes(_saved(loss), "loss.pt").verdict != "safe"
