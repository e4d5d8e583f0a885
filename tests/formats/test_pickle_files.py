"""Real files through the pickle walker: benign fixtures written by torch, scikit-learn, pandas,
numpy and joblib (tests/fixtures/pickles/make_fixtures.py), the hostile reproducers, the shared
corpus; the generated allowlist doc; torch's weights_only verdicts."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from pathlib import Path

import pytest

from mlbom.formats.pickle import allowlist_markdown, read_pickle
from mlbom.formats.torch_weights_only import load_table, parse_source, table_from_data, weights_only_check
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent.parent
BENIGN = FIXTURES / "pickles" / "benign"
HOSTILE = FIXTURES / "hostile" / "pickle"


def _walk(data: bytes, **kw: bool) -> object:
    return read_pickle(io.BytesIO(data), len(data), **kw)


@pytest.mark.parametrize("name", sorted(p.name for p in BENIGN.iterdir() if not p.name.endswith(".py")))
def test_benign_real_pickles_are_safe(name: str) -> None:
    data = (BENIGN / name).read_bytes()
    rep = read_pickle(io.BytesIO(data), len(data), joblib=name.endswith(".joblib"))
    assert rep.verdict == "safe", rep.findings
    assert rep.complete and rep.end == len(data)


def _expected(path: Path) -> list[tuple[str, str, str]]:
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:] if line.strip()]
    return [(r[0], r[1], r[2]) for r in rows]


@pytest.mark.parametrize(("name", "verdict", "mode"), _expected(HOSTILE / "EXPECTED.tsv"))
def test_hostile_reproducers(name: str, verdict: str, mode: str) -> None:
    data = (HOSTILE / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    rep = read_pickle(io.BytesIO(data), len(data), joblib=mode == "joblib", check_trailing=True)
    assert rep.verdict == verdict, rep.findings


def test_every_hostile_file_is_listed() -> None:
    listed = {r[0] for r in _expected(HOSTILE / "EXPECTED.tsv")}
    assert listed == {p.name for p in HOSTILE.iterdir() if p.name != "EXPECTED.tsv"}


def _inflate(data: bytes) -> bytes:
    if data.startswith(b"ZF"):  # joblib < 0.10
        return zlib.decompress(data[21:])
    for fn in (zlib.decompress, gzip.decompress, bz2.decompress, lzma.decompress):
        try:
            return fn(data)
        except (OSError, ValueError, EOFError, zlib.error, lzma.LZMAError):
            continue
    return data


@pytest.mark.parametrize(("name", "verdict"), [
    ("compressed-zlib.joblib", "safe"), ("model-like.joblib", "safe"), ("proto2.joblib", "safe"),
    ("evil-after-array.joblib", "unsafe"), ("evil-in-object-array.joblib", "unsafe"), ("evil-zlib.joblib", "unsafe"),
    ("evil-gzip.joblib", "unsafe"), ("evil-bz2.joblib", "unsafe"), ("evil-xz.joblib", "unsafe"),
    ("truncated.joblib", "error"),
])
def test_joblib_fixtures(name: str, verdict: str) -> None:
    data = _inflate((FIXTURES / "joblib" / name).read_bytes())
    rep = read_pickle(io.BytesIO(data), len(data), joblib=True)
    assert rep.verdict == verdict, rep.findings
    if verdict == "unsafe":
        assert "posix.system" in rep.globals


_VERDICT = {"safe": "safe", "dangerous": "unsafe"}


def test_shared_corpus_plain_pickles(corpus: Path) -> None:
    base = corpus / "pickles"
    wrong = []
    for name, verdict, _ in _expected(base / "EXPECTED.tsv"):
        if not name.endswith((".pkl", ".pickle")) or verdict not in _VERDICT:
            continue
        data = (base / name).read_bytes()
        got = read_pickle(io.BytesIO(data), len(data), check_trailing=True).verdict
        if got != _VERDICT[verdict]:
            wrong.append((name, verdict, got))
    assert wrong == []


def test_allowlist_doc_matches_the_data() -> None:
    doc = (ROOT / "docs" / "pickle-allowlist.md").read_text("utf-8")
    assert doc == allowlist_markdown(), "regenerate: python -m mlbom.formats.pickle > docs/pickle-allowlist.md"


# ---------------------------------------------------------------------------------------
# torch weights_only


def _report(name: str) -> object:
    data = (BENIGN / name).read_bytes()
    return read_pickle(io.BytesIO(data), len(data))


@pytest.mark.parametrize(("name", "ok", "refused"), [
    ("torch_state_dict.pkl", True, None),
    ("torch_training.pkl", True, None),
    ("torch_dtypes.pkl", True, None),
    ("torch_legacy_main.pkl", True, None),
    ("torch_full_model.pkl", False, "torch.nn.modules.container.Sequential"),
    ("sk_logistic.pkl", False, "opcode FRAME"),
])
def test_weights_only_from_the_table(name: str, ok: bool, refused: str | None) -> None:
    assert weights_only_check(_report(name), table_from_data()) == (ok, refused)  # type: ignore[arg-type]


def test_weights_only_refuses_blocked_modules_and_broken_pickles() -> None:
    from tests.formats.pickle_ops import STOP, proto, system, walk

    table = table_from_data()
    assert weights_only_check(walk(proto(2) + system() + STOP), table) == (False, "os.system (module os is blocked)")
    assert weights_only_check(walk(proto(2)), table)[0] is False


def test_weights_only_table_records_its_source() -> None:
    t = table_from_data()
    assert t.torch_version.startswith("2.") and "_weights_only_unpickler.py" in t.source
    assert "torch._utils._rebuild_tensor_v2" in t.globals and "torch.FloatStorage" in t.globals
    assert {"GLOBAL", "REDUCE", "BINPERSID"} <= t.opcodes and "STACK_GLOBAL" not in t.opcodes
    assert t.blocked_modules == {"os", "posix", "nt", "sys"}


def test_weights_only_source_parser_on_a_synthetic_source(tmp_path: Path) -> None:
    src = '''
_blocklisted_modules = ["sys", "os"]
def _tensor_rebuild_functions():
    return {torch._utils._rebuild_tensor_v2, torch._utils._rebuild_new_thing}
def _get_allowed_globals():
    rc = {"collections.OrderedDict": OrderedDict, "torch.Size": torch.Size}
    for qt in [torch.per_tensor_affine]:
        rc[str(qt)] = qt
    rc["torch._tensor._rebuild_from_type_v2"] = f
    return rc
class Unpickler:
    def load(self):
        if key[0] == GLOBAL[0]: pass
        elif key[0] in [BINGET[0], LONG_BINGET[0]]: pass
'''
    facts = parse_source(src)
    assert facts.globals == {"collections.OrderedDict", "torch.Size", "torch.per_tensor_affine",
                             "torch._tensor._rebuild_from_type_v2", "torch._utils._rebuild_tensor_v2",
                             "torch._utils._rebuild_new_thing"}
    assert facts.opcodes == {"GLOBAL", "BINGET", "LONG_BINGET"} and facts.blocked_modules == {"sys", "os"}
    d = tmp_path / "torch"
    d.mkdir()
    (d / "_weights_only_unpickler.py").write_text(src)
    (d / "version.py").write_text("__version__ = '9.9.9'\n")
    t = load_table(d)
    assert t.torch_version == "9.9.9" and "torch._utils._rebuild_new_thing" in t.globals
    assert "torch.FloatStorage" in t.globals  # computed families come from the table


def test_installed_torch_source_agrees_with_the_table() -> None:
    from mlbom.formats.torch_weights_only import find_torch_dir, table_from_torch

    d = find_torch_dir()
    if d is None:
        pytest.skip("no torch installed")
    live, table = table_from_torch(d), table_from_data()
    if live.torch_version != table.torch_version:
        pytest.skip(f"installed torch {live.torch_version}, table from {table.torch_version}")
    assert (live.globals, live.opcodes, live.blocked_modules) == (table.globals, table.opcodes, table.blocked_modules)


@pytest.mark.parametrize("name", ["model.bin", "weights.dat", "x.pt3", "noext", "config.json", "model.safetensors"])
def test_pickle_under_any_name_is_judged_as_a_pickle(tmp_path: Path, name: str) -> None:
    """CVE-2025-1889 / CVE-2025-10155: a pickle hidden behind a non-pickle extension."""
    from mlbom.scanner import scan_file
    from tests.formats.pickle_ops import REDUCE, STOP, TUPLE, bs, glob, proto

    (tmp_path / name).write_bytes(proto(2) + glob("posix", "system") + b"(" + bs("id") + TUPLE + REDUCE + STOP)
    r = scan_file(tmp_path / name)
    assert r.verdict == "unsafe" and any(f.id == "pickle.dangerous-callable" for f in r.findings)
