"""Red team 120p: leaks and omissions left after fix119ps (pyvenv.cfg and .pth linked out of the
project, Croissant JSON-LD forms, an OSV folder that cannot be listed, many includes, a conda
dependency conda refuses).

Each test fails on the code before the fix (checked against ``git archive`` of the base)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import mlbom
from tests.helpers import bom_text as _doc
from tests.helpers import finding_ids as _ids

SECRET = "FAKE-TOKEN-ghp_120p_SECRET"




# --- 120p-1: a pyvenv.cfg linked out of the environment is not read ------------------------------


def _venv(proj: Path, cfg: Path | str | None) -> Path:
    venv = proj / ".venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    d = site / "good-1.0.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text("Metadata-Version: 2.1\nName: good\nVersion: 1.0\n")
    (d / "RECORD").write_text("")
    (d / "INSTALLER").write_text("pip\n")
    if cfg is None:
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.4\n")
    else:
        (venv / "pyvenv.cfg").symlink_to(cfg)
    return venv


def test_1_pyvenv_cfg_linked_outside_is_not_read(tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "credentials.ini").write_text(f"[default]\nversion = {SECRET}\nprompt = {SECRET}2\nhome = {SECRET}3\n")
    proj = tmp_path / "proj"
    _venv(proj, out / "credentials.ini")
    bom = mlbom.generate(proj, reproducible=True)
    text = _doc(bom)
    assert SECRET not in text
    assert not bom.is_complete
    (u,) = [u for u in bom.unreadable if u.path.endswith("pyvenv.cfg")]
    assert "outside the environment folder" in u.reason
    assert "good" in {c.name for c in bom.components if c.type == "library"}


@pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="no /proc")
def test_1_pyvenv_cfg_linked_to_proc_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CI_SECRET_120P", SECRET)
    proj = tmp_path / "proj"
    _venv(proj, "/proc/self/environ")
    bom = mlbom.generate(proj, reproducible=True)
    assert SECRET not in _doc(bom)
    assert any("/proc" in u.reason for u in bom.unreadable if u.path.endswith("pyvenv.cfg"))


def test_1_bin_cfg_linked_outside_is_recorded(tmp_path: Path) -> None:
    """getpath reads ``bin/pyvenv.cfg`` when the prefix's is missing: the same rule there."""
    out = tmp_path / "secret.cfg"
    out.write_text(f"home = {SECRET}\nversion = {SECRET}\n")
    venv = _venv(tmp_path / "proj", None)
    (venv / "pyvenv.cfg").unlink()
    (venv / "bin").mkdir()
    (venv / "bin" / "pyvenv.cfg").symlink_to(out)
    bom = mlbom.generate(env=venv, reproducible=True)
    assert SECRET not in _doc(bom)
    assert any(u.path.endswith("pyvenv.cfg") and "outside" in u.reason for u in bom.unreadable)


def test_1_in_environment_cfg_still_read(tmp_path: Path) -> None:
    """FP guard: a plain pyvenv.cfg, and one linked inside the environment, are read as before."""
    venv = _venv(tmp_path / "proj", None)
    bom = mlbom.generate(tmp_path / "proj", reproducible=True)
    assert not any(u.path.endswith("pyvenv.cfg") for u in bom.unreadable)
    (venv / "etc").mkdir()
    (venv / "pyvenv.cfg").rename(venv / "etc" / "real.cfg")
    (venv / "pyvenv.cfg").symlink_to("etc/real.cfg")
    bom2 = mlbom.generate(tmp_path / "proj", reproducible=True)
    assert not any(u.path.endswith("pyvenv.cfg") for u in bom2.unreadable)
    assert _ids(bom) == _ids(bom2) and bom2.is_complete == bom.is_complete


# --- 120p-2: --verify-record: a .pth linked out of its site folder is not quoted -----------------


def test_2_pth_linked_outside_is_not_quoted(tmp_path: Path) -> None:
    out = tmp_path / "deploy_settings.py"
    out.write_text(f"import os; API_KEY = '{SECRET}'\n")
    venv = _venv(tmp_path / "proj", None)
    (venv / "lib" / "python3.11" / "site-packages" / "zz_settings.pth").symlink_to(out)
    bom = mlbom.generate(tmp_path / "proj", verify_record=True, reproducible=True)
    assert SECRET not in _doc(bom)
    (f,) = [f for f in bom.findings if f.id == "python.pth-code" and "zz_settings.pth" in f.message]
    assert f.severity == "high" and "outside its site-packages folder" in f.message
    assert "may run code" in f.message


def test_2_pth_in_site_still_quoted(tmp_path: Path) -> None:
    """FP guard: a .pth in the site folder is quoted as before."""
    venv = _venv(tmp_path / "proj", None)
    (venv / "lib" / "python3.11" / "site-packages" / "hook.pth").write_text("import hook_module_120p\n")
    bom = mlbom.generate(tmp_path / "proj", verify_record=True, reproducible=True)
    assert any(f.id == "python.pth-code" and "hook_module_120p" in f.message for f in bom.findings)


# --- 120p-4: an OSV sub-folder that cannot be listed is noted, the audit incomplete -------------


def _unlistable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` cannot be listed (as for a folder of mode 000 when not root)."""
    real = os.scandir

    def scandir(path: object = ".") -> object:
        if os.path.abspath(str(path)) == str(folder):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)


def test_4_osv_unlistable_folder_is_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_rt119ps import _osv, _osv_audit

    db = tmp_path / "db"
    (db / "PyPI").mkdir(parents=True)
    (db / "OTHER-1.json").write_text(_osv("OTHER-1", "numpy"))
    (db / "PyPI" / "PYSEC-2099-1.json").write_text(_osv("PYSEC-2099-1", "requests"))
    rc, err, text = _osv_audit(tmp_path, db, capsys, "--no-cache")
    assert "PYSEC-2099-1" in text and "NOT WALKED" not in err, err  # listable: read
    _unlistable(monkeypatch, db / "PyPI")
    rc, err, text = _osv_audit(tmp_path, db, capsys, "--no-cache")
    assert rc == 0
    assert "NOT WALKED" in err and "the audit is incomplete" in err and "cannot be listed" in err, err
    assert "vuln.db-incomplete" in text and "PyPI" in text


def test_4_osv_unlistable_top_folder_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_rt119ps import _osv, _osv_audit

    db = tmp_path / "db"
    db.mkdir()
    (db / "OTHER-1.json").write_text(_osv("OTHER-1", "numpy"))
    _unlistable(monkeypatch, db)
    rc, err, _ = _osv_audit(tmp_path, db, capsys, "--no-cache")
    assert rc == 2 and "cannot be listed" in err, err


# --- 120p note: a conda dependency conda refuses is a finding, never a package named "-r" -------


@pytest.mark.parametrize("spec", ["-r ../outside/s.txt", "-e .", "foo 1.0/2"])
def test_6_conda_spec_conda_refuses(tmp_path: Path, spec: str) -> None:
    (tmp_path / "environment.yml").write_text(f"name: x\ndependencies:\n  - numpy=1.26.4\n  - {spec}\n")
    bom = mlbom.generate(tmp_path, reproducible=True)
    names = {c.name for c in bom.components if c.type == "library"}
    assert names == {"numpy"}, names
    (f,) = [f for f in bom.findings if f.id == "lock.package-invalid"]
    assert "conda accepts" in f.message
    assert not bom.is_complete


def test_6_corpus_conda_specs_accepted(corpus: Path) -> None:
    """FP guard: every conda spec of the corpus's environment files is one conda accepts."""
    from mlbom.formats.locks import conda_refuses, parse_conda_spec

    files = sorted(p for p in (corpus / "requirements").rglob("environment.y*ml"))
    assert files
    import yaml

    for f in files:
        for dep in yaml.safe_load(f.read_text())["dependencies"]:
            if isinstance(dep, str):
                cs = parse_conda_spec(dep)
                assert cs is not None and conda_refuses(cs) is None, (f, dep)


# --- 120p-3: Croissant FileObjects in other JSON-LD forms are read, or said ----------------------

_ZERO = "0" * 64
_CTX = {"@vocab": "https://schema.org/", "sc": "https://schema.org/", "cr": "http://mlcommons.org/croissant/",
        "dct": "http://purl.org/dc/terms/", "conformsTo": "dct:conformsTo"}
_FO = {"@type": "cr:FileObject", "@id": "data.csv", "name": "data.csv", "contentUrl": "data.csv",
       "encodingFormat": "text/csv", "sha256": _ZERO}


def _ds(distribution: object, ctx: object = None, **extra: object) -> dict[str, object]:
    return {"@context": _CTX if ctx is None else ctx, "@type": "sc:Dataset", "@id": "ds", "name": "demo",
            "conformsTo": "http://mlcommons.org/croissant/1.0", "license": "MIT", "distribution": distribution, **extra}


def _write(tmp_path: Path, doc: dict[str, object] | str) -> Path:
    ds = tmp_path / "ds"
    ds.mkdir(parents=True, exist_ok=True)
    (ds / "data.csv").write_text("a,b\n1,2\n")
    (ds / "croissant.json").write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return ds


def _state(bom: mlbom.Bom) -> str | None:
    c = next(c for c in bom.components if c.name == "data.csv")
    return next((p.value for p in c.properties if p.name == "mlbom:dataset:checksum"), None)


_FORMS: dict[str, dict[str, object] | str] = {
    "set": _ds({"@set": [_FO]}),
    "alias": _ds([{("kind" if k == "@type" else k): v for k, v in _FO.items()}], ctx={**_CTX, "kind": "@type"}),
    "type-term": _ds([{**_FO, "@type": "FO"}], ctx={**_CTX, "FO": "cr:FileObject"}),
    "reference": _ds([{"@id": "data.csv"}], isBasedOn=_FO),
    "embedded-context": _ds([{**{k: v for k, v in _FO.items() if k != "sha256"}, "@context": {"h": "sc:sha256"},
                              "h": _ZERO}]),
    "checksum-set": _ds([{**_FO, "sha256": {"@set": [_ZERO]}}]),
    "context-late": {"description": "A long description. " * 300, **_ds([_FO])},
    "escaped-key": json.dumps(_ds([_FO])).replace('"@context"', '"\\u0040context"', 1),
    "graph": {"@context": _CTX, "@graph": [{k: v for k, v in _ds([{"@id": "data.csv"}]).items() if k != "@context"},
                                           _FO]},
    "context-array": _ds([_FO], ctx=["https://schema.org/", _CTX]),
}


@pytest.mark.parametrize("form", sorted(_FORMS))
def test_3_croissant_jsonld_forms_are_checked(tmp_path: Path, form: str) -> None:
    bom = mlbom.generate(datasets=_write(tmp_path, _FORMS[form]), reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom), (form, _ids(bom))
    assert _state(bom) == "mismatch"
    assert "croissant.unmodelled" not in _ids(bom)


def test_3_reference_to_a_node_not_in_the_document(tmp_path: Path) -> None:
    bom = mlbom.generate(datasets=_write(tmp_path, _ds([{"@id": "elsewhere.csv"}])), reproducible=True)
    (f,) = [f for f in bom.findings if f.id == "croissant.unmodelled"]
    assert f.severity == "high" and "elsewhere.csv" in f.message
    assert not bom.is_complete


@pytest.mark.parametrize("doc", [
    _ds([], hasPart=_FO),  # a FileObject outside the distribution
    _ds([{"@id": "data.csv", "@reverse": {"distribution": {"@id": "ds"}}}], isBasedOn=_FO),
    _ds([_FO], ctx={**_CTX, "distribution": {"@id": "sc:distribution", "@context": {"x": "sc:sha256"}}}),
])
def test_3_unread_forms_fail_closed(tmp_path: Path, doc: dict[str, object]) -> None:
    bom = mlbom.generate(datasets=_write(tmp_path, doc), reproducible=True)
    assert "croissant.unmodelled" in _ids(bom), _ids(bom)
    assert not bom.is_complete


def test_3_unknown_remote_context_is_said_not_fetched(tmp_path: Path) -> None:
    bom = mlbom.generate(datasets=_write(tmp_path, _ds([_FO], ctx=["https://example.org/ctx.jsonld", _CTX])),
                         reproducible=True)
    assert any(f.id == "croissant.context" and "example.org" in f.message for f in bom.findings)
    assert "dataset.checksum-mismatch" in _ids(bom)


def test_3_json_with_context_but_not_croissant_is_not_a_manifest(tmp_path: Path) -> None:
    """FP guard: a metadata.json that is JSON-LD of something else is not read as Croissant."""
    from mlbom.collectors.datasets import _is_croissant

    f = tmp_path / "metadata.json"
    f.write_text(json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "type": "Note"}))
    assert not _is_croissant(f)
    f.write_text(json.dumps({"x": 1, "@context": {"cr": "http://mlcommons.org/croissant/"}}))
    assert _is_croissant(f)
    f.write_text(json.dumps([{"@context": _CTX, "@type": "sc:Dataset"}]))  # read, then refused with a finding
    assert _is_croissant(f)


# --- 120p-5: distinct includes are bounded per pip run, the rest counted ---------------------------


@pytest.mark.parametrize("target", ["m{i}.txt", "../o{i}.txt"])
def test_5_many_distinct_includes_are_bounded_and_counted(tmp_path: Path, target: str) -> None:
    from mlbom.collectors.requirements import MAX_INCLUDES

    proj = tmp_path / "proj"
    proj.mkdir()
    extra = 500
    lines = [f"-r {target.format(i=i)}" for i in range(MAX_INCLUDES + extra)]
    (proj / "requirements.txt").write_text("\n".join([*lines, "requests==2.31.0"]) + "\n")
    bom = mlbom.generate(proj, reproducible=True)
    per_line = [f for f in bom.findings if f.id in ("requirements.include-unreadable", "requirements.include-outside")]
    assert len(per_line) == MAX_INCLUDES
    (past,) = [f for f in bom.findings if f.id == "requirements.too-many-lines"]
    assert f"{extra:,} include line(s) past the first {MAX_INCLUDES:,}" in past.message
    assert not bom.is_complete
    assert "requests" in {c.name for c in bom.components if c.type == "library"}


def test_5_few_includes_unchanged(tmp_path: Path) -> None:
    """FP guard: a file with a few includes reads them all, no bound finding."""
    (tmp_path / "base.txt").write_text("numpy==1.26.4\n")
    (tmp_path / "dev.txt").write_text("-r base.txt\npytest==8.0.0\n")
    (tmp_path / "requirements.txt").write_text("-r dev.txt\n-c base.txt\nrequests==2.31.0\n")
    bom = mlbom.generate(tmp_path, reproducible=True)
    assert {"numpy", "pytest", "requests"} <= {c.name for c in bom.components if c.type == "library"}
    assert "requirements.too-many-lines" not in _ids(bom)


@pytest.mark.parametrize("target", ["/dev/null", "missing.cfg"])
def test_1_pyvenv_cfg_not_a_regular_file_is_said(tmp_path: Path, target: str) -> None:
    proj = tmp_path / "proj"
    _venv(proj, target)
    bom = mlbom.generate(proj, reproducible=True)
    assert any(u.path.endswith("pyvenv.cfg") for u in bom.unreadable), [(u.path, u.reason) for u in bom.unreadable]
    assert not bom.is_complete


def test_3_nested_and_included_forms(tmp_path: Path) -> None:
    """``@included`` nodes resolve a reference; a checksum under ``@nest`` (not read) fails
    closed; a ``@json`` literal (Croissant's ``data``) holds no nodes."""
    bom = mlbom.generate(datasets=_write(tmp_path / "a", _ds([{"@id": "data.csv"}], **{"@included": [_FO]})),
                         reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom)
    nest = {**{k: v for k, v in _FO.items() if k != "sha256"}, "checks": {"sha256": _ZERO}}
    bom = mlbom.generate(datasets=_write(tmp_path / "b", _ds([nest], ctx={**_CTX, "checks": "@nest"})), reproducible=True)
    assert "croissant.unmodelled" in _ids(bom) and not bom.is_complete
    ctx = {**_CTX, "data": {"@id": "cr:data", "@type": "@json"}}
    rs = {"@type": "cr:RecordSet", "name": "rs", "data": [{"rs/sha256": _ZERO, "contentUrl": "x", "sha256": _ZERO}]}
    bom = mlbom.generate(datasets=_write(tmp_path / "c", _ds([_FO], ctx=ctx, recordSet=[rs])), reproducible=True)
    assert "croissant.unmodelled" not in _ids(bom) and "dataset.checksum-mismatch" in _ids(bom)
