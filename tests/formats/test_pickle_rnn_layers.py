"""Red team 52f: ``torch.nn.RNNBase.__setstate__`` rebuilds the weight names of a pre-1.0 state
(``_all_weights`` not holding names) in a loop over ``num_layers`` taken from the state, so a pickled
LSTM with ``num_layers = 10**9`` hangs ``torch.load`` itself. Such a count (over ``MAX_RNN_LAYERS``, or
not a plain int) is a load-time bomb: ``suspicious``. Real RNNs stay ``safe``."""

from __future__ import annotations

import io
import pickle

import pytest

from mlbom.formats.pickle import MAX_RNN_LAYERS
from mlbom.scanner import scan_bytes

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("make", [lambda: torch.nn.LSTM(4, 8, num_layers=3), lambda: torch.nn.GRU(3, 3, bidirectional=True),
                                  lambda: torch.nn.RNN(2, 2, bias=False)])
def test_real_rnns_are_safe(make: object) -> None:
    buf = io.BytesIO()
    torch.save(make(), buf)  # type: ignore[operator]
    assert scan_bytes(buf.getvalue(), "rnn.pt").verdict == "safe"


@pytest.mark.parametrize("layers", [MAX_RNN_LAYERS + 1, 10**9, 2.0])
def test_a_huge_layer_count_is_a_load_time_bomb(layers: object) -> None:
    lstm = torch.nn.LSTM(2, 2)
    lstm.num_layers = layers  # type: ignore[assignment]
    lstm._all_weights = [[0]]  # a pre-1.0 state: __setstate__ rebuilds the names, num_layers times
    r = scan_bytes(pickle.dumps(lstm, protocol=2), "rnn.pkl")
    assert r.verdict == "suspicious", [f.message for f in r.findings]
    assert any("loops over num_layers" in f.message for f in r.findings)


def _u(text: str) -> bytes:
    raw = text.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


@pytest.mark.parametrize("container", [b"l", b"t"])
def test_a_state_of_key_value_pairs_is_read_as_the_dict_it_updates(container: bytes) -> None:
    # red team 53f-1: nn.Module.__setstate__ runs self.__dict__.update(state), which takes pairs too
    def lstm(layers: int) -> bytes:
        pairs = [("num_layers", b"J" + layers.to_bytes(4, "little")), ("bidirectional", b"\x89"), ("bias", b"\x88"),
                 ("training", b"\x89"), ("_all_weights", b"]]K\x00aa")]
        state = b"(" + b"".join(_u(k) + v + b"\x86" for k, v in pairs) + container
        return b"\x80\x02ctorch.nn.modules.rnn\nLSTM\n)\x81" + state + b"b."

    assert scan_bytes(lstm(3), "rnn.pkl").verdict == "safe"
    r = scan_bytes(lstm(10**9), "rnn.pkl")
    assert r.verdict == "suspicious" and any("loops over num_layers" in f.message for f in r.findings)
