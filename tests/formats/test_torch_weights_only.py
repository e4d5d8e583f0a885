"""formats.torch_weights_only on its own: the allowlist read from torch's own source (when torch
is installed) agrees with the shipped table, and pickles are judged against it."""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict

import pytest

from mlbom.formats.pickle import read_pickle
from mlbom.formats.torch_weights_only import (
    SOURCE_FILE,
    find_torch_dir,
    parse_source,
    table_from_data,
    table_from_torch,
    weights_only_check,
)
from tests.conftest import FIXTURES


def _judge(data: bytes) -> tuple[bool, str | None]:
    return weights_only_check(read_pickle(io.BytesIO(data), len(data)), table_from_data())


def test_shipped_table_is_not_empty() -> None:
    t = table_from_data()
    assert "collections.OrderedDict" in t.globals and t.opcodes and t.blocked_modules


def test_plain_data_is_accepted_and_code_refused() -> None:
    assert _judge(pickle.dumps({"a": [1, 2.0, "x"]}, protocol=2)) == (True, None)
    assert _judge(pickle.dumps(OrderedDict(a=1), protocol=2))[0]
    ok, why = _judge(b"cos\nsystem\n(S'true'\ntR.")
    assert not ok and why is not None and "os" in why


def test_broken_pickle_is_refused() -> None:
    ok, why = _judge(b"\x80\x02}q\x00(")  # no STOP
    assert not ok and why is not None and "does not load" in why


def test_real_torch_file_is_judged() -> None:
    import zipfile

    with zipfile.ZipFile(FIXTURES / "scan" / "benign" / "pytorch_model.bin") as zf:
        data = zf.read(next(n for n in zf.namelist() if n.endswith("data.pkl")))
    assert _judge(data) == (True, None)


def test_parse_source_of_hostile_text() -> None:
    facts = parse_source("def _tensor_rebuild_functions():\n    return {os.system}\n")
    assert isinstance(facts.globals, frozenset)
    with pytest.raises(SyntaxError):
        parse_source("def (:")


@pytest.mark.torch
def test_installed_torch_agrees_with_the_shipped_table() -> None:
    torch_dir = find_torch_dir()
    if torch_dir is None or not (torch_dir / SOURCE_FILE).is_file():
        pytest.skip("torch is not installed")
    live = table_from_torch(torch_dir)
    assert "collections.OrderedDict" in live.globals and live.opcodes
