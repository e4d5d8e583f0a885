"""Red team 87c: identities built from raw names, through the CLI (exit 0/1/2, never "internal
error"; identities correct and injective; nothing good is lost).

87c-1: a Hugging Face cache folder ``models--my org--my model`` (also ``%``, ``[``): the
``distribution`` URL was the raw folder-name parts, the BOM failed schema validation, internal
error. 87c-2: ``generate --dataset "train set.jsonl"`` (a manifest): ``url`` was the raw file name
(``x:y.jsonl`` a URL with the scheme ``x``, ``a#b.jsonl`` a fragment). Every URL built from a name
now goes through :func:`mlbom.identity.url_from_segments`: each name one percent-encoded path segment.

87c-5: ``pkg:huggingface/{name}@{rev}`` by string formatting: a card's ``base_model:
"org/x@rev"`` read as a pinned version, ``"org/x?arch=1#sub"`` as qualifiers and a subpath, a cache
folder ``bert-base-uncased#`` moved the revision into a subpath. Every purl is now built by
packageurl (:func:`mlbom.identity.make_purl`) and read back; ordinary names give the same bytes.

The inputs are written here.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from packageurl import PackageURL

from mlbom.cli import main
from mlbom.properties import Prop
from tests.helpers import all_properties, quiet_output

REV = "a" * 40


def _cache(tmp_path: Path, org: str, name: str) -> Path:
    """A consistent HF cache snapshot ``models--ORG--NAME/snapshots/<rev>``: config.json and a
    README, each a link into ``blobs/`` named by its SHA-256."""
    repo = tmp_path / f"models--{org}--{name}"
    snap = repo / "snapshots" / REV
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REV)
    snap.mkdir(parents=True)
    for fname, data in (("config.json", b'{"model_type": "bert", "architectures": ["BertModel"]}'),
                        ("README.md", b"---\nlicense: mit\n---\n# m\n")):
        h = hashlib.sha256(data).hexdigest()
        (repo / "blobs" / h).write_bytes(data)
        os.symlink(f"../../blobs/{h}", snap / fname)
    return snap


def _generate(args: list[str], out: Path, capsys: Any) -> dict[str, Any]:
    rc = main(["generate", *args, "--no-gpu", "--name", "x", "--version", "1", "-o", str(out)])
    quiet_output(capsys)
    assert rc == 0
    assert main(["validate", str(out)]) == 0
    quiet_output(capsys)
    bom: dict[str, Any] = json.loads(out.read_text())
    return bom


def _model(bom: dict[str, Any]) -> dict[str, Any]:
    (m,) = [c for c in bom["components"] if c["type"] == "machine-learning-model"]
    return m


@pytest.mark.parametrize(("org", "name"), [("my org", "my model"), ("o%zz", "n%41"), ("o[x]", "n]"),
                                           ("evil", "bert-base-uncased#"), ("o@g", "n?m#e")])
def test_87c_1_5_hf_cache_odd_folder_names(tmp_path: Path, capsys: Any, org: str, name: str) -> None:
    m = _model(_generate(["--model", str(_cache(tmp_path, org, name))], tmp_path / "b.json", capsys))
    # the identity the folder states, nothing lost: group, name, revision, licence, the files
    assert (m.get("group"), m["name"], m.get("version")) == (org, name, REV)
    assert [lic["license"].get("id") for lic in m["licenses"]] == ["MIT"]
    (url,) = [r["url"] for r in m["externalReferences"] if r["type"] == "distribution"]
    assert url == f"https://huggingface.co/{quote(org, safe='')}/{quote(name, safe='')}/tree/{REV}"
    assert [unquote(s) for s in url.removeprefix("https://huggingface.co/").split("/")] == [org, name, "tree", REV]
    p = PackageURL.from_string(m["purl"])
    assert (p.type, p.namespace, p.name, p.version, p.qualifiers, p.subpath) == ("huggingface", org, name, REV, {}, None)


def test_87c_plain_hf_names_unchanged(tmp_path: Path, capsys: Any) -> None:
    """Golden: an ordinary repo id gives the same purl and URL bytes as before the fix."""
    m = _model(_generate(["--model", str(_cache(tmp_path, "meta-llama", "Llama-2-7b-hf"))], tmp_path / "b.json", capsys))
    assert m["purl"] == f"pkg:huggingface/meta-llama/Llama-2-7b-hf@{REV}"
    assert [r["url"] for r in m["externalReferences"] if r["type"] == "distribution"] == [
        f"https://huggingface.co/meta-llama/Llama-2-7b-hf/tree/{REV}"]


@pytest.mark.parametrize("fname", ["train set.jsonl", "%zz.jsonl", "[x].jsonl", "x:y.jsonl", "a#b.jsonl", "plain.jsonl"])
def test_87c_2_manifest_file_name_is_one_url_segment(tmp_path: Path, capsys: Any, fname: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        (data / f"f{i}.csv").write_bytes(b"%d\n" % i)
    manifest = tmp_path / fname
    assert main(["manifest", str(data), "-o", str(manifest)]) == 0
    quiet_output(capsys)
    bom = _generate(["--dataset", str(manifest)], tmp_path / "b.json", capsys)
    (d,) = [c for c in bom["components"] if c["type"] == "data"]
    (ref,) = d["externalReferences"]
    assert ref["url"] == quote(fname, safe="") and unquote(ref["url"]) == fname
    assert ref["hashes"][0]["content"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    if fname == "plain.jsonl":
        assert ref["url"] == "plain.jsonl"


def test_87c_5_card_base_model_cannot_inject(tmp_path: Path, capsys: Any) -> None:
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "llama"}')
    bases = ["meta-llama/Llama-2-7b-hf@01c7f73d771dfac7d292323805ebc428287df4f9", "org/x?arch=1#sub", "org/na me",
             "meta-llama/Llama-2-7b-hf"]
    (model / "README.md").write_text("---\nbase_model:\n" + "".join(f"  - {json.dumps(b)}\n" for b in bases) + "---\n# c\n")
    m = _model(_generate(["--model", str(model)], tmp_path / "b.json", capsys))
    ancestors = m["pedigree"]["ancestors"]
    assert len(ancestors) == len(bases)  # none lost
    read = {}
    for a in ancestors:
        p = PackageURL.from_string(a["purl"])
        assert (p.version, p.qualifiers, p.subpath) == (None, {}, None), a["purl"]
        read[f"{p.namespace}/{p.name}"] = a["purl"]
    assert sorted(read) == sorted(bases)
    assert read["meta-llama/Llama-2-7b-hf"] == "pkg:huggingface/meta-llama/Llama-2-7b-hf"  # golden


def test_87c_identity_helpers() -> None:
    from mlbom.identity import make_purl, url_from_segments

    assert make_purl("huggingface", "meta-llama", "Llama-2-7b-hf", REV) == f"pkg:huggingface/meta-llama/Llama-2-7b-hf@{REV}"
    assert make_purl("huggingface", "org", "x/y") is None  # no name the purl reads back
    assert make_purl("huggingface", "org", " ") is None
    assert url_from_segments("bert-base-uncased", base="https://huggingface.co") == "https://huggingface.co/bert-base-uncased"
    assert url_from_segments("..") is None and url_from_segments("") is None and url_from_segments("a\ud800") is None
    assert url_from_segments("a\udcff") == "a%FF"  # a file-name byte that is no UTF-8: that byte


def test_87c_5_base_model_no_purl_can_name_is_kept_without_one(tmp_path: Path, capsys: Any) -> None:
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "llama"}')
    (model / "README.md").write_text('---\nbase_model: "org/x/y"\n---\n# c\n')
    bom = _generate(["--model", str(model)], tmp_path / "b.json", capsys)
    (a,) = _model(bom)["pedigree"]["ancestors"]
    assert (a["group"], a["name"], a.get("purl")) == ("org", "x/y", None)  # never pkg:huggingface/org/x/y (namespace org/x)
    findings = [str(p["value"]) for p in all_properties(bom) if p.get("name") == Prop.FINDING.value]
    assert [f for f in findings if f.startswith("medium model.card-malformed") and "'org/x/y'" in f], findings


def test_87c_advisory_page_urls_encode_the_id() -> None:
    """The same rule for the advisory pages ``audit`` writes: an OSV id or alias is any text."""
    from mlbom.vulns.audit import source_for

    assert source_for("CVE-2021-1234").url == "https://nvd.nist.gov/vuln/detail/CVE-2021-1234"  # golden
    assert source_for("GHSA-xxxx-yyyy-zzzz").url == "https://github.com/advisories/GHSA-xxxx-yyyy-zzzz"
    assert source_for("PYSEC-2020-1").url == "https://osv.dev/vulnerability/PYSEC-2020-1"
    assert source_for("CVE-1 x#y").url == "https://nvd.nist.gov/vuln/detail/CVE-1%20x%23y"
    assert source_for("..").url is None
