"""Red team 119ps: the parsers that are not the model scanner (requirements includes, dist-info
small files, Croissant, the OSV folder, Pipfile.lock categories, environment.yml mappings).

Each test fails on the code before the fix (checked with ``git stash``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import mlbom
from mlbom import limits
from mlbom.collectors import Context
from tests.helpers import bom_text as _doc
from tests.helpers import finding_ids as _ids

SECRET = "FAKE-PASSWORD-hunter2-119ps"




# --- 119ps-1: includes that leave the project are named, never read ---------------------------


def _secret_file(tmp_path: Path) -> Path:
    f = tmp_path / "dotnetrc"
    f.write_text(f"machine pypi.example.org login ci password {SECRET}\nleakedpkg==1.0\n")
    return f


def test_1_include_outside_the_project_is_not_read(tmp_path: Path) -> None:
    _secret_file(tmp_path)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("-r ../dotnetrc\nrequests==2.31.0\n")
    bom = mlbom.generate(proj, reproducible=True)
    text = _doc(bom)
    assert SECRET not in text and "leakedpkg" not in text
    (f,) = [f for f in bom.findings if f.id == "requirements.include-outside"]
    assert f.severity == "medium" and "../dotnetrc" in f.message and f.line == 1
    assert not bom.is_complete
    assert any("outside the project folder" in u.reason for u in bom.unreadable)
    assert {c.name for c in bom.components if c.type == "library"} == {"requests"}


@pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="no /proc")
def test_1_proc_environ_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_HF_TOKEN_119PS", "hf_FAKE_TOKEN_0123456789")
    (tmp_path / "requirements.txt").write_text("-r /proc/self/environ\n-c /proc/self/environ\nrequests==2.31.0\n")
    bom = mlbom.generate(tmp_path, reproducible=True)
    text = _doc(bom)
    assert "hf_FAKE_TOKEN" not in text
    assert _ids(bom).count("requirements.include-outside") == 2
    assert not bom.is_complete


def test_1_project_root_counts_even_when_it_is_slash_for_proc(tmp_path: Path) -> None:
    """A pseudo file system is never a project's file, whatever the root (``generate /``)."""
    from mlbom.collectors.requirements import _outside

    assert _outside(Path("/proc/self/environ"), (Path("/"),)) is not None
    assert _outside(Path("/sys/kernel/x"), (Path("/"),)) is not None
    assert _outside(Path("/srv/p/a.txt"), (Path("/"),)) is None


def test_1_environment_yml_pip_include_outside_is_not_read(tmp_path: Path) -> None:
    _secret_file(tmp_path)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "environment.yml").write_text("name: x\ndependencies:\n  - python=3.11\n  - pip:\n      - -r ../dotnetrc\n")
    bom = mlbom.generate(proj, reproducible=True)
    text = _doc(bom)
    assert SECRET not in text and "leakedpkg" not in text
    assert "requirements.include-outside" in _ids(bom)
    assert not bom.is_complete


def test_1_symlink_inside_the_project_to_outside_is_not_read(tmp_path: Path) -> None:
    secret = _secret_file(tmp_path)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "base.txt").symlink_to(secret)
    (proj / "requirements.txt").write_text("-r base.txt\nrequests==2.31.0\n")
    bom = mlbom.generate(proj, reproducible=True)
    assert SECRET not in _doc(bom)
    (f,) = [f for f in bom.findings if f.id == "requirements.include-outside"]
    assert "'base.txt'" in f.message


def test_1_explicit_file_own_folder_is_a_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--requirements reqs/dev.txt`` without a project: its folder (and below) is read, ``..`` is
    not; naming the project folder too makes ``..`` inside it readable."""
    proj = tmp_path / "proj"
    (proj / "reqs" / "sub").mkdir(parents=True)
    (proj / "base.txt").write_text("numpy==1.26.4\n")
    (proj / "reqs" / "sub" / "x.txt").write_text("idna==3.7\n")
    (proj / "reqs" / "dev.txt").write_text("-r ../base.txt\n-r sub/x.txt\nrequests==2.31.0\n")
    monkeypatch.chdir(tmp_path)  # the current folder is no root
    bom = mlbom.generate(requirements=proj / "reqs" / "dev.txt", reproducible=True)
    assert {c.name for c in bom.components if c.type == "library"} == {"requests", "idna"}
    assert "requirements.include-outside" in _ids(bom)
    bom = mlbom.generate(proj, requirements=proj / "reqs" / "dev.txt", reproducible=True)
    assert {c.name for c in bom.components if c.type == "library"} == {"requests", "idna", "numpy"}
    assert "requirements.include-outside" not in _ids(bom)
    assert bom.is_complete


def test_1_cli_include_outside(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.cli import main

    _secret_file(tmp_path)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("-r ../dotnetrc\n")
    assert main(["generate", str(proj), "--no-gpu", "-o", str(tmp_path / "bom.json")]) == 0
    out = capsys.readouterr()
    assert "include" in out.err and SECRET not in out.err + out.out
    assert SECRET not in (tmp_path / "bom.json").read_text()


def test_1_invalid_line_quoted_clipped(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("ok==1.0\nfoo ; python_version >>> '" + "x" * 5000 + "'\n")
    bom = mlbom.generate(requirements=tmp_path / "r.txt", reproducible=True)
    (f,) = [f for f in bom.findings if f.id == "requirements.invalid-line"]
    assert len(f.message) < 1000 and "5,0" in f.message
    assert all(len(u.reason) < 1000 for u in bom.unreadable)


def test_1_corpus_includes_still_read(corpus: Path) -> None:
    """FP guard: the real corpus's includes lie beside or below the files including them."""
    files = sorted(p for p in (corpus / "requirements").rglob("*") if p.suffix in (".txt", ".in"))
    for f in files:
        bom = mlbom.generate(requirements=f, reproducible=True)
        assert "requirements.include-outside" not in _ids(bom), f


# --- 119ps-7: include cycles at depth, and a bound over the include tree -----------------------


def _chain(tmp_path: Path, deep_lines: int) -> Path:
    names = [f"f{k:02d}.txt" for k in range(32)]
    for k, n in enumerate(names):
        body = f"-r {names[k + 1]}\n" if k + 1 < len(names) else ""
        if k >= len(names) - 8:
            body += f"-r {names[0]}\n" * deep_lines
        (tmp_path / n).write_text(body)
    return tmp_path / names[0]


def test_7_cycles_one_finding_per_file_and_target_with_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real_rel = Context.rel

    def counting(self: Context, path: Path) -> str:
        nonlocal calls
        calls += 1
        return real_rel(self, path)

    monkeypatch.setattr(Context, "rel", counting)
    bom = mlbom.generate(requirements=_chain(tmp_path, 1500), reproducible=True)
    cycles = [f for f in bom.findings if f.id == "requirements.include-cycle"]
    assert len(cycles) == 8
    assert all("1,500 include lines" in f.message and "f00.txt -> " in f.message for f in cycles)
    assert calls < 2_000, calls  # the chain is made once a file, not once a line (old: 12,000 lines x 32)
    assert bom.is_complete


def test_7_include_tree_bound_is_never_silent(tmp_path: Path) -> None:
    per = getattr(limits, "MAX_INCLUDE_TREE_LINES", 20_000) * 9 // 20  # each file under the one-file bound, three over the tree's
    (tmp_path / "a.txt").write_text("-r b.txt\n-r c.txt\n-r d.txt\n-r e.txt\n")
    for n in "bcd":
        (tmp_path / f"{n}.txt").write_text("--index-url https://pypi.org/simple\n" * per)
    (tmp_path / "e.txt").write_text("requests==2.31.0\n")
    bom = mlbom.generate(requirements=tmp_path / "a.txt", reproducible=True)
    too_many = [f for f in bom.findings if f.id == "requirements.too-many-lines"]
    assert len(too_many) == 2 and all(f.severity == "high" for f in too_many)
    assert any("include tree" in f.message and f.source and f.source.endswith("d.txt") for f in too_many)
    assert any("e.txt" in f.message and "1 included file" in f.message for f in too_many)
    assert not bom.is_complete
    assert "requests" not in {c.name for c in bom.components}
    _doc(bom)


def test_7_repeated_include_followed_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r b.txt\n" * 50 + "-c b.txt\n")
    (tmp_path / "b.txt").write_text("requests==2.31.0\n")
    bom = mlbom.generate(requirements=tmp_path / "a.txt", reproducible=True)
    assert [c.name for c in bom.components if c.type == "library"] == ["requests"]
    assert bom.is_complete


# --- 119ps-2: small files of a distribution folder that leave it are not read -------------------


def _site(tmp_path: Path, **links: Path) -> Path:
    site = tmp_path / "site-packages"
    d = site / "foo-1.0.dist-info"
    d.mkdir(parents=True)
    files = {"METADATA": "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n", "INSTALLER": "pip\n", "RECORD": ""}
    for name, text in files.items():
        if name not in links:
            (d / name).write_text(text)
    for name, target in links.items():
        (d / name.replace("_json", ".json")).symlink_to(target)
    return site


def _foo(bom: mlbom.Bom) -> mlbom.Component:
    return next(c for c in bom.components if c.type == "library")


@pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="no /proc")
def test_2_installer_link_to_proc_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_HF_TOKEN_119PS", "hf_FAKE_TOKEN_0123456789")
    bom = mlbom.generate(env=_site(tmp_path, INSTALLER=Path("/proc/self/environ")), reproducible=True)
    assert "hf_FAKE_TOKEN" not in _doc(bom)
    props = {p.name: p.value for p in _foo(bom).properties}
    assert "mlbom:python:installer" not in props and "INSTALLER" in props["mlbom:unreadable"]
    assert not bom.is_complete and any(u.path.endswith("INSTALLER") for u in bom.unreadable)


def test_2_dist_files_linked_outside_are_not_read(tmp_path: Path) -> None:
    out = tmp_path / "outside"
    out.mkdir()
    (out / "inst").write_text(SECRET)
    (out / "meta").write_text(f"Metadata-Version: 2.1\nName: leaked\nVersion: 9\nSummary: {SECRET}\n")
    (out / "du").write_text(json.dumps({"url": f"https://example.com/{SECRET}", "dir_info": {}}))
    (out / "record").write_text(f"{SECRET}/x.py,,\n")
    site = _site(tmp_path, INSTALLER=out / "inst", METADATA=out / "meta", direct_url_json=out / "du",
                 RECORD=out / "record")
    bom = mlbom.generate(env=site, verify_record=True, reproducible=True)
    text = _doc(bom)
    assert SECRET not in text and "leaked" not in text
    assert _foo(bom).name == "foo"  # from the folder's name
    reasons = " ".join(u.reason for u in bom.unreadable)
    assert reasons.count("outside its distribution folder") >= 4, [(u.path, u.reason) for u in bom.unreadable]
    assert "python.record-unreadable" in _ids(bom)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_2_installer_fifo_says_why(tmp_path: Path) -> None:
    site = _site(tmp_path)
    inst = site / "foo-1.0.dist-info" / "INSTALLER"
    inst.unlink()
    os.mkfifo(inst)
    bom = mlbom.generate(env=site, reproducible=True)
    props = {p.name: p.value for p in _foo(bom).properties}
    assert "not a regular file" in props["mlbom:unreadable"]


def test_2_plain_and_store_linked_dists_still_read(tmp_path: Path) -> None:
    """FP guard: a plain INSTALLER is read; a distribution folder that is itself a link into a
    store (Nix) is read where it lies."""
    site = _site(tmp_path)
    store = tmp_path / "store" / "bar-2.0.dist-info"
    store.mkdir(parents=True)
    (store / "METADATA").write_text("Metadata-Version: 2.1\nName: bar\nVersion: 2.0\n")
    (store / "INSTALLER").write_text("nix\n")
    (site / "bar-2.0.dist-info").symlink_to(store)
    bom = mlbom.generate(env=site, reproducible=True)
    by_name = {c.name: {p.name: p.value for p in c.properties} for c in bom.components if c.type == "library"}
    assert by_name["foo"]["mlbom:python:installer"] == "pip"
    assert by_name["bar"]["mlbom:python:installer"] == "nix"
    assert bom.is_complete


# --- 119ps-3: Croissant "one or many" and every spelling of a property --------------------------

_ZERO = "0" * 64
_CTX = {"@vocab": "https://schema.org/", "sc": "https://schema.org/", "cr": "http://mlcommons.org/croissant/"}


def _croissant(tmp_path: Path, distribution: object, **extra: object) -> Path:
    ds = tmp_path / "ds"
    ds.mkdir(exist_ok=True)
    (ds / "data.csv").write_text("a,b\n1,2\n")
    doc = {"@context": _CTX, "@type": "sc:Dataset", "name": "demo", "conformsTo": "http://mlcommons.org/croissant/1.0",
           "license": "MIT", "distribution": distribution, **extra}
    (ds / "croissant.json").write_text(json.dumps(doc))
    return ds


def _fo(**kw: object) -> dict[str, object]:
    return {"@type": "cr:FileObject", "@id": "data.csv", "name": "data.csv", "contentUrl": "data.csv",
            "encodingFormat": "text/csv", **kw}


def _checksum_state(bom: mlbom.Bom) -> str | None:
    c = next(c for c in bom.components if c.name == "data.csv")
    return next((p.value for p in c.properties if p.name == "mlbom:dataset:checksum"), None)


@pytest.mark.parametrize("dist", [
    _fo(sha256=_ZERO),  # one node, not an array
    [_fo(**{"sc:sha256": _ZERO})],  # the compact IRI
    [_fo(**{"https://schema.org/sha256": _ZERO})],  # the full IRI
    [_fo(sha256=[_ZERO])],  # an array of one value
    [_fo(sha256={"@value": _ZERO})],  # a value object
])
def test_3_croissant_spellings_keep_the_checksum(tmp_path: Path, dist: object) -> None:
    bom = mlbom.generate(datasets=_croissant(tmp_path, dist), reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom)
    assert _checksum_state(bom) == "mismatch"


def test_3_croissant_term_defined_in_context(tmp_path: Path) -> None:
    ctx = {**_CTX, "digest": "sc:sha256", "files": {"@id": "sc:distribution"}}
    ds = _croissant(tmp_path, [])
    doc = json.loads((ds / "croissant.json").read_text())
    doc.pop("distribution")
    doc["@context"] = ctx
    doc["files"] = _fo(digest=_ZERO)
    (ds / "croissant.json").write_text(json.dumps(doc))
    bom = mlbom.generate(datasets=ds, reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom)


def test_3_croissant_two_checksums_conflict(tmp_path: Path) -> None:
    import hashlib

    real = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    bom = mlbom.generate(datasets=_croissant(tmp_path, [_fo(sha256=real, **{"sc:sha256": _ZERO})]), reproducible=True)
    assert "croissant.property-conflict" in _ids(bom)


def test_3_croissant_single_license_object_and_record_set(tmp_path: Path) -> None:
    from mlbom.formats.croissant import parse_croissant

    ds = _croissant(tmp_path, _fo(sha256=_ZERO), license={"@type": "sc:CreativeWork", "name": "CC-BY-4.0"},
                    recordSet={"@type": "cr:RecordSet", "name": "rs", "field": {"@type": "cr:Field", "name": "a",
                                                                                   "dataType": "sc:Text"}})
    c = parse_croissant(ds / "croissant.json")
    assert c.license == ["CC-BY-4.0"] and c.fields == ["rs/a: Text"] and len(c.file_objects) == 1


def test_3_croissant_corpus_unchanged(corpus: Path) -> None:
    """FP guard: every corpus Croissant file reads the same FileObjects and checksums as its
    array form (nothing new is flagged as a conflict)."""
    from mlbom.errors import InputError
    from mlbom.formats.croissant import parse_croissant

    files = sorted((corpus / "croissant").rglob("*.json"))
    assert files
    for f in files:
        try:
            c = parse_croissant(f)
        except InputError:
            continue
        assert not any(p[0] == "croissant.property-conflict" for p in c.problems), f


# --- 119ps-4: an OSV folder's sub-folders not walked are counted, noted, and make it incomplete ---


def _osv(ident: str, name: str) -> str:
    return json.dumps({"schema_version": "1.6.0", "id": ident, "modified": "2024-01-01T00:00:00Z",
                       "summary": "demo flaw", "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                       "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}]}]})


def _osv_audit(tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    from mlbom.cli import main

    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "name": "requests", "version": "2.31.0", "purl": "pkg:pypi/requests@2.31.0", "bom-ref": "r"}]}))
    out = tmp_path / "audit.json"
    rc = main(["audit", str(bom), "--vuln-db", str(db), "-o", str(out), *extra])
    return rc, capsys.readouterr().err, out.read_text() if out.exists() else ""


@pytest.mark.parametrize("how", ["link", "hidden"])
def test_4_osv_folder_not_walked_is_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str) -> None:
    db = tmp_path / "db"
    db.mkdir()
    (db / "PYSEC-2099-2.json").write_text(_osv("PYSEC-2099-2", "numpy"))
    if how == "link":
        (tmp_path / "mirror").mkdir()
        (tmp_path / "mirror" / "PYSEC-2099-1.json").write_text(_osv("PYSEC-2099-1", "requests"))
        (db / "PyPI").symlink_to(tmp_path / "mirror")
    else:
        (db / ".PyPI").mkdir()
        (db / ".PyPI" / "PYSEC-2099-1.json").write_text(_osv("PYSEC-2099-1", "requests"))
    for _ in range(2):  # the second run from the cache says the same
        rc, err, text = _osv_audit(tmp_path, db, capsys)
        assert rc == 0
        assert "NOT WALKED" in err and "the audit is incomplete" in err, err
        assert "vuln.db-incomplete" in text and ("PyPI" in text)
    rc, err, _ = _osv_audit(tmp_path, db, capsys, "--fail-on", "critical")
    assert rc == 1, err


def test_4_osv_git_checkout_folders_are_not_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """FP guard: the PyPA advisory database is a git checkout (``.git/``, ``.github/``)."""
    db = tmp_path / "advisory-database"
    (db / "vulns" / "requests").mkdir(parents=True)
    (db / "vulns" / "requests" / "PYSEC-2099-1.json").write_text(_osv("PYSEC-2099-1", "requests"))
    (db / ".git").mkdir()
    (db / ".github" / "workflows").mkdir(parents=True)
    (db / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    rc, err, text = _osv_audit(tmp_path, db, capsys)
    assert rc == 0 and "NOT WALKED" not in err and "incomplete" not in err, err
    assert "PYSEC-2099-1" in text and "vuln.db-incomplete" not in text


def test_4_osv_corpus_walked_whole(corpus: Path) -> None:
    """FP guard: the PyPA advisory database of the corpus has no folder left unwalked."""
    from mlbom.vulns.db import open_database

    db = open_database(corpus / "osv" / "pypa-advisory-database", use_cache=False)
    assert db.stats.unwalked_folders == 0 and not db.stats.incomplete and db.stats.pypi_records > 0


# --- 119ps-5: Pipfile.lock custom categories ---------------------------------------------------


def _pipfile_lock(tmp_path: Path, **groups: object) -> Path:
    doc = {"_meta": {"pipfile-spec": 6, "sources": [{"name": "pypi", "url": "https://pypi.org/simple"}]}, **groups}
    f = tmp_path / "Pipfile.lock"
    f.write_text(json.dumps(doc))
    return f


def test_5_pipfile_custom_category_is_read(tmp_path: Path) -> None:
    lock = _pipfile_lock(tmp_path, default={"requests": {"version": "==2.31.0"}}, develop={},
                         training={"torch": {"version": "==1.13.0", "index": "pypi"}})
    bom = mlbom.generate(locks=lock, reproducible=True)
    torch = next(c for c in bom.components if c.name == "torch")
    assert torch.version == "1.13.0"
    assert {p.name: p.value for p in torch.properties}["mlbom:lock:group"] == "training"
    assert bom.is_complete


def test_5_pipfile_category_not_an_object_is_reported(tmp_path: Path) -> None:
    lock = _pipfile_lock(tmp_path, default={}, develop={}, training=["torch==1.13.0"])
    bom = mlbom.generate(locks=lock, reproducible=True)
    assert "lock.package-invalid" in _ids(bom) and not bom.is_complete


# --- 119ps-6: environment.yml mappings as conda reads them -------------------------------------


def _env_yml(tmp_path: Path, deps: str) -> Path:
    f = tmp_path / "environment.yml"
    f.write_text("name: demo\nchannels: [conda-forge]\ndependencies:\n" + deps)
    return f


def _libs(bom: mlbom.Bom) -> set[str]:
    return {c.name for c in bom.components if c.type == "library"}


def test_6_conda_mapping_replaces_and_is_read(tmp_path: Path) -> None:
    f = _env_yml(tmp_path, "  - python=3.11\n  - conda:\n      - pytorch=1.13.0\n  - numpy=1.26.4\n"
                           "  - pip:\n      - requests==2.31.0\n  - pip:\n      - idna==3.7\n")
    bom = mlbom.generate(locks=f, reproducible=True)
    assert _libs(bom) == {"pytorch", "numpy", "idna"}  # conda's Dependencies.parse: update() replaces
    over = [x for x in bom.findings if x.id == "lock.entry-overridden"]
    assert len(over) == 2
    assert any("python=3.11" in x.message for x in over) and any("requests==2.31.0" in x.message for x in over)
    assert bom.is_complete


def test_6_other_installer_key_is_reported(tmp_path: Path) -> None:
    f = _env_yml(tmp_path, "  - python=3.11\n  - uv:\n      - torch==2.0\n")
    bom = mlbom.generate(locks=f, reproducible=True)
    assert _libs(bom) == {"python"}
    (x,) = [x for x in bom.findings if x.id == "lock.package-invalid"]
    assert "'uv'" in x.message and not bom.is_complete


def test_6_plain_environment_unchanged(tmp_path: Path) -> None:
    """FP guard: the usual layout (strings, then one pip: list) reads as before, no finding."""
    f = _env_yml(tmp_path, "  - python=3.11\n  - pip\n  - pip:\n      - requests==2.31.0\n")
    bom = mlbom.generate(locks=f, reproducible=True)
    assert _libs(bom) == {"python", "pip", "requests"}
    assert not [x for x in bom.findings if x.id in ("lock.entry-overridden", "lock.package-invalid")]


def test_6_lock_corpus_unchanged(corpus: Path) -> None:
    """FP guard: no corpus lock gets the new findings."""
    files = [p for p in (corpus / "requirements").rglob("*") if p.name in (
        "environment.yml", "environment.yaml", "Pipfile.lock") and p.is_file()]
    assert files
    for f in files:
        bom = mlbom.generate(locks=f, reproducible=True)
        assert "lock.entry-overridden" not in _ids(bom), f
        assert not [x for x in bom.findings if x.id == "lock.package-invalid" and (
            "installer" in x.message or "category" in x.message or "not a list" in x.message)], f
