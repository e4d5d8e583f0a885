"""Red team 121p: Croissant JSON-LD keys (term chains, container maps, expanded form, merged
nodes), a site-packages linked out of the project, many aliases × embedded contexts.

Each test fails on the code before the fix (checked against ``git archive`` of the base)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlbom
from tests.test_rt120p import _CTX, _FO, _ZERO, _ds, _ids, _state, _write

# --- 121p-1: term chains and term-defined prefixes are expanded to a fixpoint --------------------

_NO_SHA = {k: v for k, v in _FO.items() if k != "sha256"}
_CHAINS: dict[str, dict[str, object]] = {
    "term-chain": _ds([{**_NO_SHA, "h": _ZERO}], ctx={**_CTX, "h": "s2", "s2": "sc:sha256"}),
    "term-chain-id": _ds([{**_NO_SHA, "h": _ZERO}], ctx={**_CTX, "h": {"@id": "s2"}, "s2": "sc:sha256"}),
    "prefix-term": _ds([{**_NO_SHA, "y:sha256": _ZERO}], ctx={**_CTX, "y": "sc:"}),
    "prefix-chain": _ds([{**_NO_SHA, "y:sha256": _ZERO}], ctx={**_CTX, "y": "s1", "s1": "https://schema.org/"}),
}


@pytest.mark.parametrize("form", sorted(_CHAINS))
def test_1_term_chains_are_expanded(tmp_path: Path, form: str) -> None:
    bom = mlbom.generate(datasets=_write(tmp_path, _CHAINS[form]), reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom), (form, _ids(bom))
    assert _state(bom) == "mismatch"


@pytest.mark.parametrize("ctx", [
    {**_CTX, "h": "a", "a": "b", "b": "a"},  # a cycle
    {**_CTX, "h": "t0", **{f"t{i}": f"t{i + 1}" for i in range(40)}, "t40": "sc:sha256"},  # past the bound
])
def test_1_cyclic_or_long_chain_fails_closed(tmp_path: Path, ctx: dict[str, object]) -> None:
    bom = mlbom.generate(datasets=_write(tmp_path, _ds([{**_NO_SHA, "h": _ZERO}], ctx=ctx)), reproducible=True)
    assert "croissant.unmodelled" in _ids(bom), _ids(bom)
    assert not bom.is_complete



# --- 121p-2: @language / @index container maps are read; a non-text checksum is said -------------

_MAPS: dict[str, dict[str, object]] = {
    "language": _ds([{**_NO_SHA, "h": {"en": _ZERO}}], ctx={**_CTX, "h": {"@id": "sc:sha256", "@container": "@language"}}),
    "index": _ds([{**_NO_SHA, "h": {"a": _ZERO}}], ctx={**_CTX, "h": {"@id": "sc:sha256", "@container": "@index"}}),
    "index-set": _ds([{**_NO_SHA, "h": {"a": [_ZERO]}}],
                     ctx={**_CTX, "h": {"@id": "sc:sha256", "@container": ["@index", "@set"]}}),
    "standard-name": _ds([{**_NO_SHA, "sha256": {"a": _ZERO}}],
                         ctx={**_CTX, "sha256": {"@id": "sc:sha256", "@container": "@index"}}),
}


@pytest.mark.parametrize("form", sorted(_MAPS))
def test_2_container_maps_are_read(tmp_path: Path, form: str) -> None:
    bom = mlbom.generate(datasets=_write(tmp_path, _MAPS[form]), reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom), (form, _ids(bom))
    assert _state(bom) == "mismatch"


@pytest.mark.parametrize("value", [{"en": _ZERO}, 12345, [{"x": _ZERO}]])
def test_2_non_text_checksum_fails_closed(tmp_path: Path, value: object) -> None:
    bom = mlbom.generate(datasets=_write(tmp_path, _ds([{**_NO_SHA, "sha256": value}])), reproducible=True)
    assert "croissant.unmodelled" in _ids(bom), _ids(bom)
    assert not bom.is_complete



# --- 121p-3: an expanded-form manifest (no or an empty @context) is recognised --------------------

_S = "https://schema.org/"


def _expanded(ctx: object) -> dict[str, object]:
    fo = {"@id": "data.csv", "@type": ["http://mlcommons.org/croissant/FileObject"],
          f"{_S}name": "data.csv", f"{_S}contentUrl": "data.csv", f"{_S}encodingFormat": "text/csv",
          f"{_S}sha256": _ZERO}
    doc: dict[str, object] = {"@type": [f"{_S}Dataset"], "@id": "ds", f"{_S}name": "demo",
                              "http://purl.org/dc/terms/conformsTo": "http://mlcommons.org/croissant/1.0",
                              f"{_S}distribution": [fo]}
    return doc if ctx is None else {"@context": ctx, **doc}


@pytest.mark.parametrize("ctx", [None, {}])
def test_3_expanded_form_is_recognised_and_checked(tmp_path: Path, ctx: object) -> None:
    from mlbom.collectors.datasets import _is_croissant

    ds = _write(tmp_path, _expanded(ctx))
    assert _is_croissant(ds / "croissant.json")
    bom = mlbom.generate(datasets=ds, reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom), _ids(bom)
    assert _state(bom) == "mismatch"


def test_3_plain_json_without_croissant_types_is_not_a_manifest(tmp_path: Path) -> None:
    """FP guard: JSON with no context and no Croissant/schema.org dataset type is not Croissant."""
    from mlbom.collectors.datasets import _is_croissant

    f = tmp_path / "metadata.json"
    for doc in ({"name": "x", "sha256": _ZERO}, {"@type": "Dataset"}, [{"@type": ["https://example.org/Dataset"]}]):
        f.write_text(json.dumps(doc))
        assert not _is_croissant(f), doc



# --- 121p-5: a site folder of the project's environment linked out of it is not read ------------

_SECRET = "SECRET_121p_META"


def _outside_site(where: Path) -> Path:
    site = where / "site-packages"
    d = site / "good-1.0.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: good\nVersion: 1.0\nSummary: {_SECRET}\n"
                                f"License: {_SECRET}_LIC\n")
    (d / "RECORD").write_text("")
    (site / "zz.pth").write_text(f"import os; KEY='{_SECRET}_PTH'\n")
    return site


def _proj_venv(proj: Path) -> Path:
    venv = proj / ".venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.4\n")
    return venv


@pytest.mark.parametrize("link", ["site-packages", "lib", "python3.11"])
def test_5_site_packages_linked_out_of_the_project_is_not_read(tmp_path: Path, link: str) -> None:
    site = _outside_site(tmp_path / "out" / "lib" / "python3.11")
    venv = _proj_venv(tmp_path / "proj")
    if link == "site-packages":
        (venv / "lib" / "python3.11").mkdir()
        (venv / "lib" / "python3.11" / "site-packages").symlink_to(site)
    elif link == "python3.11":
        (venv / "lib" / "python3.11").symlink_to(site.parent)
    else:
        (venv / "lib").rmdir()
        (venv / "lib").symlink_to(site.parent.parent)
    for verify in (False, True):
        bom = mlbom.generate(tmp_path / "proj", verify_record=verify, reproducible=True)
        assert _SECRET not in mlbom.dumps(bom).decode()
        assert not bom.is_complete
        assert any("site-packages" in u.path and "outside the environment folder" in u.reason for u in bom.unreadable)


def test_5_environment_given_by_path_still_read_where_it_lies(tmp_path: Path) -> None:
    """FP guard (store layouts): an environment named by path is read where its folders lie."""
    site = _outside_site(tmp_path / "store" / "lib" / "python3.11")
    venv = _proj_venv(tmp_path / "env")
    (venv / "lib" / "python3.11").mkdir()
    (venv / "lib" / "python3.11" / "site-packages").symlink_to(site)
    bom = mlbom.generate(env=venv, reproducible=True)
    assert any(c.name == "good" for c in bom.components)


def test_5_site_packages_inside_the_project_still_read(tmp_path: Path) -> None:
    """FP guard: a site folder in the environment (a link inside it included) is read."""
    venv = _proj_venv(tmp_path / "proj")
    _outside_site(venv / "real")
    (venv / "lib" / "python3.11").mkdir()
    (venv / "lib" / "python3.11" / "site-packages").symlink_to(venv / "real" / "site-packages")
    bom = mlbom.generate(tmp_path / "proj", reproducible=True)
    assert any(c.name == "good" for c in bom.components)
    assert not any("outside the environment folder" in u.reason for u in bom.unreadable)



# --- 121p-6: an embedded context shares its parent's terms and aliases, copying none -------------


def test_6_embedded_contexts_do_not_copy_the_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.formats import croissant

    made: list[croissant._Keys] = []
    init = croissant._Keys.__init__

    def counting(self: croissant._Keys, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(croissant._Keys, "__init__", counting)
    aliases = {f"t{i}": "@type" for i in range(2000)}
    nodes = [{"@context": {"x": "sc:x"}, "@id": f"n{i}", "x": "v"} for i in range(50)]
    ds = _write(tmp_path, _ds([_FO], ctx={**_CTX, **aliases}, isBasedOn=nodes))
    c = croissant.parse_croissant(ds / "croissant.json")
    assert [fo.sha256 for fo in c.file_objects] == [_ZERO]
    inner = [k for k in made if "x" in k.ctx]
    assert len(inner) >= 50
    # each embedded context holds its own one term, over the shared maps: no copy of 2,000 terms
    assert all(len(k.ctx.maps[0]) == 1 and len(k.aliases.maps[0]) == 1 for k in inner)
    assert all(k.keyword("t1999") == "@type" for k in inner)


def test_6_embedded_context_redefining_an_alias_masks_it(tmp_path: Path) -> None:
    """FP guard: a term an embedded context redefines is no longer the parent's keyword alias."""
    node = {"@context": {"kind": "sc:kind"}, "kind": "sc:Dataset", **_FO}
    bom = mlbom.generate(datasets=_write(tmp_path, _ds([node], ctx={**_CTX, "kind": "@type"})), reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom), _ids(bom)



# --- 121p-4: nodes are merged by their expanded @id (a compact IRI is its IRI) -------------------


def test_4_checksum_on_a_node_merged_by_compact_id(tmp_path: Path) -> None:
    fo = {**_NO_SHA, "@id": "http://example.org/train"}
    alias = {"@id": "ex:train", "@type": "sc:Dataset", "sha256": _ZERO}
    doc = _ds([fo], ctx={**_CTX, "ex": "http://example.org/"}, isBasedOn=alias)
    bom = mlbom.generate(datasets=_write(tmp_path, doc), reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom), _ids(bom)
    assert _state(bom) == "mismatch"


def test_4_reference_by_compact_id(tmp_path: Path) -> None:
    """A distribution reference in compact form names the node defined by its full IRI."""
    fo = {**_FO, "@id": "http://example.org/train"}
    doc = _ds([{"@id": "ex:train"}], ctx={**_CTX, "ex": "http://example.org/"}, isBasedOn=fo)
    bom = mlbom.generate(datasets=_write(tmp_path, doc), reproducible=True)
    assert "dataset.checksum-mismatch" in _ids(bom), _ids(bom)
    assert "croissant.unmodelled" not in _ids(bom)


def test_corpus_croissant_unchanged(corpus: Path) -> None:
    """FP guard: every corpus Croissant file is still recognised, gains no croissant.unmodelled
    finding (120p-3's JSON-LD forms, 121p's term expansion), and keeps its checksums."""
    from mlbom.collectors.datasets import _is_croissant
    from mlbom.errors import InputError
    from mlbom.formats.croissant import parse_croissant

    files = sorted((corpus / "croissant").rglob("*.json"))
    assert files
    sums = 0
    for f in files:
        try:
            c = parse_croissant(f)
        except InputError:
            continue
        assert _is_croissant(f), f
        assert not any(p[0] == "croissant.unmodelled" for p in c.problems), (f, c.problems)
        sums += sum(1 for fo in c.file_objects if fo.sha256 or fo.md5)
    assert sums
