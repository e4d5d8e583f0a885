"""Issue 14's truth fixes: a BOM claims only what shipped. Each test runs on a real input (a real
venv built by pip from hand-made wheels, real card texts from the corpus)."""

from __future__ import annotations

from pathlib import Path

import mlbom
from tests.conftest import assert_valid


def _libs(bom: mlbom.Bom) -> dict[str, list[mlbom.Component]]:
    out: dict[str, list[mlbom.Component]] = {}
    for c in bom.components:
        if c.type == "library":
            out.setdefault(c.name, []).append(c)
    return out


def _props(c: mlbom.Component, name: str) -> list[str]:
    return [p.value for p in c.properties if p.name == name]


def test_a_pin_other_than_the_installed_version_is_a_property_not_a_component(venv: Path, tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("alpha==1.0\nbeta==1.1 --hash=sha256:" + "ab" * 32 + "\nomega==2.0\n")
    bom = mlbom.generate(env=venv, requirements=req, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    libs = _libs(bom)
    assert [c.version for c in libs["beta"]] == ["1.2"]  # one component per shipped distribution
    beta = libs["beta"][0]
    assert _props(beta, "mlbom:python:requirement") == ["beta==1.1"]
    assert not beta.hashes  # the pinned version's hash is not the installed file's
    drift = [f for f in bom.findings if f.id == "lock.drift"]
    assert [f.subject for f in drift] == [beta.bom_ref]
    assert "pins beta 1.1 but 1.2 is installed" in drift[0].message
    refs = {c.bom_ref for c in bom.components}
    assert all(t in refs for r in bom.relations for t in r.depends_on)
    assert "pkg:pypi/beta@1.1" not in {t for r in bom.relations for t in (r.ref, *r.depends_on)}
    # a pin of a package that is not installed is still the declaration (and a finding)
    assert [c.version for c in libs["omega"]] == ["2.0"]
    assert any(f.id == "lock.not-installed" and "omega" in f.message for f in bom.findings)


def test_an_extra_nobody_requested_draws_no_edge(tmp_path: Path) -> None:
    """joblib[docs] -> pandas: pandas installed for another reason is not a dependency of joblib."""
    from tests.helpers import make_venv, make_wheel

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "joblib", "1.4.2", requires=["pandas; extra == 'docs'"], extras=["docs"])
    make_wheel(wheels, "pandas", "2.2.3", requires=["numpy>=1.26"])
    make_wheel(wheels, "numpy", "2.1.3")
    make_wheel(wheels, "safetensors", "0.4.5", requires=["numpy>=1.21.6; extra == 'numpy'"], extras=["numpy"])
    make_wheel(wheels, "scikit-learn", "1.5.2", requires=["joblib>=1.2", "numpy>=1.19"])
    make_wheel(wheels, "app", "0.1", requires=["safetensors[numpy]", "pandas"])
    venv = make_venv(tmp_path / "venv", wheels, ["joblib", "pandas", "numpy", "safetensors", "scikit-learn", "app"])
    bom = mlbom.generate(env=venv, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    ref = {c.name: c.bom_ref for c in bom.components if c.type == "library"}
    edges = {r.ref: set(r.depends_on) for r in bom.relations}
    assert edges[ref["joblib"]] == set()
    assert edges[ref["safetensors"]] == {ref["numpy"]}  # app asks for safetensors[numpy]
    assert edges[ref["app"]] == {ref["safetensors"], ref["pandas"]}
    # nothing declared: the release's direct dependencies are the distributions no one requires
    assert {t for t in edges[bom.root.bom_ref] if t.startswith("pkg:")} == {ref["app"], ref["scikit-learn"]}

    # the project declares its direct dependencies: those are the release's
    req = tmp_path / "requirements.txt"
    req.write_text("scikit-learn==1.5.2\npandas>=2\n")
    bom = mlbom.generate(env=venv, requirements=req, reproducible=True)
    edges = {r.ref: set(r.depends_on) for r in bom.relations}
    assert {t for t in edges[bom.root.bom_ref] if t.startswith("pkg:")} == {ref["scikit-learn"], ref["pandas"]}
    assert_valid(mlbom.dumps(bom))


def test_a_uv_virtual_project_root_is_not_a_missing_package(venv: Path, corpus: Path) -> None:
    """kohya_ss's real uv.lock: its root ``kohya-ss`` has ``source = { virtual = "." }``."""
    lock = corpus / "requirements" / "lockfiles" / "uv.lock" / "kohya_ss" / "uv.lock"
    bom = mlbom.generate(env=venv, locks=lock, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    missing = [f.message for f in bom.findings if f.id == "lock.not-installed"]
    assert missing and not any("kohya-ss" in m for m in missing)
    assert any(" accelerate " in m for m in missing)
    # the project root's dependencies are the release's direct dependencies
    root = next(r for r in bom.relations if r.ref == bom.root.bom_ref)
    names = {c.bom_ref: c.name for c in bom.components}
    direct = {names[t] for t in root.depends_on if t.startswith("pkg:")}
    assert {"accelerate", "diffusers", "numpy"} <= direct
    assert "nvidia-cudnn-cu12" not in direct  # required by torch, not by the project


def test_licence_classifier_and_copyright_text(tmp_path: Path) -> None:
    """scipy's real METADATA: ``License`` is its copyright and licence text, the classifier says
    'BSD License' (a family, no single SPDX id): the classifier names it, the text is kept, and
    the licence is flagged unclear. A classifier that maps to SPDX wins over a copyright line."""
    import importlib.metadata
    import shutil

    import pytest

    from tests.helpers import make_venv, make_wheel, site_packages

    try:
        scipy = importlib.metadata.distribution("scipy")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("scipy is not installed")
    meta_text = scipy.read_text("METADATA")
    assert meta_text is not None
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "mitpkg", "1.0", license_text="Copyright (c) 2020 Example Authors",
               classifiers=["License :: OSI Approved :: MIT License"])
    make_wheel(wheels, "shortname", "1.0", license_text="BSD-3-Clause")
    venv = make_venv(tmp_path / "venv", wheels, ["mitpkg", "shortname"])
    dist = site_packages(venv) / f"scipy-{scipy.version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(meta_text)
    shutil.copy(Path(str(scipy.locate_file(f"scipy-{scipy.version}.dist-info/WHEEL"))), dist / "WHEEL")
    bom = mlbom.generate(env=venv, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    libs = {c.name: c for c in bom.components if c.type == "library"}
    (lic,) = libs["scipy"].licenses
    assert (lic.kind, lic.value) == ("name", "BSD License")
    assert lic.text and lic.text.startswith("Copyright (c) 2001-2002 Enthought")
    unclear = [f for f in bom.findings if f.id == "license.unclear"]
    assert [(f.subject, f.severity) for f in unclear] == [(libs["scipy"].bom_ref, "low")]
    assert [(lc.kind, lc.value) for lc in libs["mitpkg"].licenses] == [("id", "MIT")]
    assert [(lc.kind, lc.value) for lc in libs["shortname"].licenses] == [("id", "BSD-3-Clause")]


_CORPUS_CROISSANT = "croissant/datasets/1.0/recipes/minimal_recommended.json"


def test_croissant_licence_url_is_an_spdx_id_and_card_disagreement_a_finding(corpus: Path, tmp_path: Path) -> None:
    import shutil

    ds = tmp_path / "data"
    ds.mkdir()
    shutil.copy(corpus / _CORPUS_CROISSANT, ds / "croissant.json")  # license: creativecommons.org/licenses/by/4.0/
    shutil.copy(corpus / "dataset-cards" / "hf-datasets.squad.README.md", ds / "README.md")  # license: cc-by-4.0
    bom = mlbom.generate(datasets=ds, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    (data,) = [c for c in bom.components if c.type == "data" and c.bom_ref.startswith("dataset:")]
    assert [(lc.kind, lc.value, lc.url) for lc in data.licenses] == [
        ("id", "CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")]
    assert not [f for f in bom.findings if f.id == "dataset.license-mismatch"]

    shutil.copy(corpus / "dataset-cards" / "securecode-v2.README.md", ds / "README.md")  # cc-by-nc-sa-4.0
    bom = mlbom.generate(datasets=ds, reproducible=True)
    (mismatch,) = [f for f in bom.findings if f.id == "dataset.license-mismatch"]
    assert "CC-BY-NC-SA-4.0" in mismatch.message and "CC-BY-4.0" in mismatch.message
    assert mismatch.severity == "medium"


def test_licence_urls_map_to_spdx_ids_only_where_the_spdx_list_says_so() -> None:
    from mlbom.licenses import spdx_id_for_url

    assert spdx_id_for_url("https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode") == "CC-BY-NC-SA-4.0"
    assert spdx_id_for_url("http://creativecommons.org/licenses/by/3.0/de/") == "CC-BY-3.0-DE"
    assert spdx_id_for_url("https://creativecommons.org/publicdomain/zero/1.0/") == "CC0-1.0"
    assert spdx_id_for_url("https://choosealicense.com/licenses/cc-by-sa-4.0/") == "CC-BY-SA-4.0"
    assert spdx_id_for_url("https://opendatacommons.org/licenses/odbl/1-0/") == "ODbL-1.0"
    assert spdx_id_for_url("https://www.apache.org/licenses/LICENSE-2.0") == "Apache-2.0"
    assert spdx_id_for_url("https://creativecommons.org/licenses/by/9.0/") is None  # no such licence
    assert spdx_id_for_url("https://commoncrawl.org/terms-of-use") is None
    assert spdx_id_for_url("https://www.gnu.org/licenses/gpl-3.0.html") is None  # -only or -or-later?
    assert spdx_id_for_url("file:///etc/passwd") is None


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_generated_card_heading_fills_use_cases_and_limitations(tmp_path: Path) -> None:
    import shutil

    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(FIXTURES / "model-cards" / "legal_t5_small_multitask_sv_fr.README.md", model / "README.md")
    bom = mlbom.generate(models=model, reproducible=True)
    doc = assert_valid(mlbom.dumps(bom))
    (m,) = [c for c in doc["components"] if c["type"] == "machine-learning-model"]  # type: ignore[index,union-attr]
    cons = m["modelCard"]["considerations"]
    said = "The model could be used for translation of legal texts from Swedish to French."
    assert cons["useCases"][0].startswith(said)
    assert cons["technicalLimitations"] == [cons["useCases"][0]]
    props = {(p["name"], p["value"]) for p in m["properties"]}
    assert ("mlbom:model:language", "Swedish French") in props
    assert ("mlbom:model:tag", "translation Swedish French  model") in props


def test_card_language_tags_library_and_transformers_version(corpus: Path, tmp_path: Path) -> None:
    import shutil

    model = tmp_path / "nb-whisper-small-beta"
    model.mkdir()
    shutil.copy(corpus / "model-cards" / "nb-whisper-small-beta.README.md", model / "README.md")
    shutil.copy(corpus / "model-cards" / "nb-whisper-small-beta.config.json", model / "config.json")
    bom = mlbom.generate(models=model, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert _props(m, "mlbom:model:library-name") == ["transformers"]
    assert {"no", "nb", "nn", "en"} <= set(_props(m, "mlbom:model:language"))
    assert "audio" in _props(m, "mlbom:model:tag")
    (fw,) = [c for c in bom.components if c.type == "framework"]
    assert (fw.name, fw.version, fw.purl) == ("transformers", "4.31.0.dev0", None)
    assert fw.bom_ref in next(r for r in bom.relations if r.ref == m.bom_ref).depends_on


def _cli(*args: str) -> tuple[int, str]:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "mlbom", *args], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stderr


def test_empty_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = str(tmp_path / "bom.json")
    for args in (["generate", str(empty)], ["generate", "--model", str(empty)], ["generate", "--dataset", str(empty)]):
        rc, err = _cli(*args, "-o", out)
        assert rc == 2, (args, err)
        assert len(err.strip().splitlines()) == 1 and "nothing to inventory" in err, err
    (empty / "data").mkdir()  # discovered, but holds nothing
    rc, err = _cli("generate", str(empty), "-o", out)
    assert rc == 2 and "nothing to inventory" in err
    assert not Path(out).exists()


def test_a_single_file_in_no_model_format_is_refused(tmp_path: Path) -> None:
    import shutil
    import sys

    exe = Path(shutil.which("ls") or sys.executable)  # a real executable: an ELF binary
    rc, err = _cli("generate", "--model", str(exe), "-o", str(tmp_path / "bom.json"))
    assert rc == 2 and "not a model file" in err and len(err.strip().splitlines()) == 1


def test_a_dangling_discovered_requirements_link_is_recorded(tmp_path: Path) -> None:
    import json

    for target in ("missing.txt", "/nonexistent/mlbom-test/requirements.txt"):
        proj = tmp_path / ("inside" if "/" not in target else "outside")
        proj.mkdir()
        (proj / "requirements.txt").symlink_to(target)
        bom = mlbom.generate(project_dir=proj, reproducible=True)
        assert [u.path for u in bom.unreadable] == ["requirements.txt"]
        assert "dangling symbolic link" in bom.unreadable[0].reason
        doc = json.loads(mlbom.dumps(bom))
        assert doc["compositions"][0]["aggregate"] == "incomplete"
        assert any(p["name"] == "mlbom:unreadable" for p in doc["metadata"]["component"]["properties"])


def _sha256sum_tree(folder: Path) -> str:
    """The documented digest, computed by coreutils: sha256sum over the files in C-sorted order."""
    import hashlib
    import shutil
    import subprocess

    if shutil.which("sha256sum") is None:  # pragma: no cover
        lines = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n"
                        for p in sorted(folder.rglob("*"), key=lambda q: q.relative_to(folder).as_posix()) if p.is_file())
        return hashlib.sha256(lines.encode()).hexdigest()
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    out = subprocess.run(["sha256sum", "--", *names], cwd=folder, capture_output=True, check=True,
                         env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}).stdout
    return hashlib.sha256(out).hexdigest()


def test_model_and_dataset_components_carry_a_digest_over_their_files(corpus: Path, tmp_path: Path) -> None:
    import hashlib
    import json
    import shutil

    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    shutil.copy(corpus / "model-cards" / "nb-whisper-small-beta.README.md", model / "README.md")
    shutil.copy(corpus / "model-cards" / "nb-whisper-small-beta.config.json", model / "config.json")
    shutil.copy(corpus / "model-cards" / "nb-whisper-small-beta.generation_config.json", model / "sub" / "generation_config.json")
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("text,label\nhello,1\n")
    doc = json.loads((corpus / _CORPUS_CROISSANT).read_text())
    sha = hashlib.sha256((data / "train.csv").read_bytes()).hexdigest()
    doc["distribution"] = [{"@type": "cr:FileObject", "@id": "train", "name": "train", "contentUrl": "train.csv",
                            "encodingFormat": "text/csv", "sha256": sha}]
    (data / "croissant.json").write_text(json.dumps(doc))
    bom = mlbom.generate(models=model, datasets=data, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    (m,) = [c for c in bom.components if c.type == "machine-learning-model"]
    assert [(h.alg, h.content) for h in m.hashes] == [("SHA-256", _sha256sum_tree(model))]
    (d,) = [c for c in bom.components if c.type == "data" and _props(c, "mlbom:dataset:inspected") == ["true"]]
    assert [(h.alg, h.content) for h in d.hashes] == [("SHA-256", _sha256sum_tree(data))]
    train = next(c for c in bom.components if c.type == "file" and c.name == "train.csv")
    assert _props(train, "mlbom:dataset:checksum") == ["verified"]
    # deterministic: a second run gives the same digests
    again = mlbom.generate(models=model, datasets=data, reproducible=True)
    assert mlbom.dumps(again) == mlbom.dumps(bom)


def test_cuda_toolkit_parts_are_nested_under_the_toolkit_not_environment_libraries(venv: Path) -> None:
    """This machine's real wheel-built CUDA toolkit (/usr/local/cuda with a dist-info folder)."""
    import pytest

    from mlbom.collectors.gpu import find_toolkit
    from mlbom.cyclonedx.build import dumps
    from mlbom.cyclonedx.validate import validate_bytes

    tk = find_toolkit([Path("/usr/local/cuda")])
    if tk is None or not tk.parts:
        pytest.skip("no CUDA toolkit with dist-infos in /usr/local/cuda")
    bom = mlbom.generate(env=venv, gpu=True, reproducible=True)
    for fmt in ("json", "xml"):
        report = validate_bytes(dumps(bom, fmt))  # type: ignore[arg-type]
        assert report.ok, (fmt, report)
    (toolkit,) = [c for c in bom.components if c.type == "framework" and c.name == "cuda-toolkit"]
    assert sorted((p.name, p.version) for p in toolkit.components) == sorted(tk.parts)
    assert all(p.bom_ref.startswith(toolkit.bom_ref + "#") for p in toolkit.components)
    top_libs = {c.name for c in bom.components if c.type == "library"}
    assert top_libs == {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "zeta"}  # the environment's only


def test_a_base_model_and_a_dataset_named_twice_are_one_component(corpus: Path, tmp_path: Path) -> None:
    """The example release's model names ``acme/tiny-encoder`` as its base; the base model is
    inventoried too. A dataset card's source dataset that a model card also names is one
    component; the pedigree ancestor points at it."""
    import shutil

    example = Path(__file__).resolve().parent.parent / "examples" / "tiny-release" / "model"
    tuned = tmp_path / "tuned"
    shutil.copytree(example, tuned)
    base = tmp_path / "tiny-encoder"
    base.mkdir()
    shutil.copy(example / "model.safetensors", base / "model.safetensors")
    card = (tuned / "README.md").read_text()
    (tuned / "README.md").write_text(card.replace("- acme/tiny-reviews", "- common_voice"))
    voice = tmp_path / "voice"
    voice.mkdir()
    shutil.copy(corpus / "dataset-cards" / "hf-datasets.common_voice.README.md", voice / "README.md")  # extended|common_voice
    (voice / "clips.tsv").write_text("path\tsentence\n")
    bom = mlbom.generate(models=[tuned, base], datasets=voice, reproducible=True)
    assert_valid(mlbom.dumps(bom))
    comps = {c.bom_ref: c for c in bom.components}
    encoders = [c for c in bom.components if c.type == "machine-learning-model" and c.name == "tiny-encoder"]
    assert len(encoders) == 1
    tuned_c = next(c for c in bom.components if c.name == "tiny-release-classifier")
    (anc,) = tuned_c.ancestors
    assert _props(anc, "mlbom:pedigree:ref") == [encoders[0].bom_ref]
    named = [c for c in bom.components if c.type == "data" and c.name == "common_voice"]
    assert len(named) == 1  # the card's dataset and the source dataset: one component
    datasets = tuned_c.model_card["modelParameters"]["datasets"]  # type: ignore[index]
    assert datasets == [{"ref": named[0].bom_ref}]
    voice_c = next(c for c in bom.components if c.type == "data" and c.ancestors)
    assert [_props(a, "mlbom:pedigree:ref") for a in voice_c.ancestors] == [[named[0].bom_ref]]
    assert all(t in comps for r in bom.relations for t in r.depends_on)
