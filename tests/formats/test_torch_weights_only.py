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


# -- torch's run-time type checks (red team 8a): BUILD / SETITEM(S) / APPEND(S) targets, persistent ids

from tests.formats.pickle_ops import (  # noqa: E402
    APPEND,
    BUILD,
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_TUPLE,
    MARK,
    NONE,
    REDUCE,
    SETITEM,
    STOP,
    glob,
    i1,
    proto,
)

_REFUSED = [
    (proto(2) + EMPTY_LIST + i1(1) + APPEND + NONE + BUILD + STOP, "BUILD on a list"),
    (proto(2) + EMPTY_LIST + i1(1) + APPEND + i1(0) + i1(7) + SETITEM + STOP, "SETITEM on a list"),
    (proto(2) + EMPTY_DICT + i1(1) + APPEND + STOP, "APPEND on a dict"),
    (proto(2) + EMPTY_DICT + EMPTY_DICT + BUILD + STOP, "BUILD on a dict"),
    (proto(2) + MARK + b"X\x06\x00\x00\x00module" + i1(1) + b"t" + b"Q" + STOP, "a persistent id of 'module'"),
    (proto(2) + EMPTY_LIST + b"Q" + STOP, "a persistent id that is a list"),
]


@pytest.mark.parametrize(("data", "why"), _REFUSED, ids=[w for _, w in _REFUSED])
def test_run_time_type_checks_refuse(data: bytes, why: str) -> None:
    ok, refused = _judge(data)
    assert not ok and refused is not None and why in refused, refused


def test_a_target_of_unknown_type_is_no_claim() -> None:
    # BUILD on a torch.Size(...) result: torch checks type(inst) against its allowlist; mlbom does not
    # model every allowlisted callable's return type, so it makes no claim
    data = proto(2) + glob("torch", "Size") + EMPTY_TUPLE + REDUCE + EMPTY_DICT + BUILD + STOP
    with pytest.raises(ValueError, match="run-time type check"):
        _judge(data)


def test_what_torch_writes_stays_accepted() -> None:
    od: OrderedDict[str, object] = OrderedDict(a=[1, 2], b={"c": 3})
    od._metadata = {"": {"version": 1}}  # type: ignore[attr-defined]  # a state_dict's BUILD
    assert _judge(pickle.dumps(od, protocol=2)) == (True, None)
    assert _judge(pickle.dumps({"x": [1, {"y": 2}], "z": (3,)}, protocol=2)) == (True, None)


def test_build_on_an_allowlisted_builtin_type_is_no_claim() -> None:
    # builtins.set is on torch's allowlist: BUILD on a set passes its type check, then depends on
    # the state (set has no __dict__): mlbom claims neither true nor false
    with pytest.raises(ValueError, match="run-time type check"):
        _judge(proto(4) + b"\x8f" + NONE + BUILD + STOP)
