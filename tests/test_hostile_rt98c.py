"""Red team 98c, lock readers, diff and SPDX 3: wrong answers, not crashes (exit 0/1, one
stderr line and never "internal error", nothing good lost).

98c-1: a conda package's channel and build were no part of its identity: two builds from two
channels merged into one component and ``diff`` saw no origin change. The purl spec's conda
qualifiers ``build``, ``channel`` and ``subdir`` are now in the purl and bom-ref.

98c-2: ``numpy[version='1.5,<2|>=3']`` was split at the comma inside the quotes and recorded as
pinned ``numpy@1.5``; bracket pairs are now read as conda reads them (a quoted value whole).

98c-3: a uv.lock git source with ``subdirectory`` got ``vcs_url=…#subdirectory=libs/x@COMMIT``:
the commit inside the sub-path. The commit now goes at the end of the URL's path, before ``?``
and ``#`` (pip's ``URL@REV#subdirectory=…``).

98c-4: the ``pip:`` list of an environment.yml dropped ``--hash`` and ``-e`` without a word (no
``requirements.hash-missing``, an editable line's requirement ``tool None``); each line now goes
through the requirements collector's per-requirement handling, as in a requirements.txt.

98c-5: ``convert --to spdx3`` kept the text ``Proprietary-no-redistribution-61b44d05db0aac5f`` as its
LicenseRef, which is the stem + digest LicenseRef of ``Proprietary: no redistribution``; a text kept
as is that ends in ``-`` + 16 hex digits now gets its own digest too.

The inputs are written here.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from mlbom.properties import Prop
from tests.helpers import quiet_output

_quiet = quiet_output


@pytest.fixture(autouse=True)
def _cache(isolated_cache: Path) -> Path:
    return isolated_cache


def _generate(lock: Path, tmp_path: Path, capsys: Any) -> dict[str, Any]:
    out = tmp_path / "bom.json"
    rc = main(["generate", "--no-gpu", "--lock", str(lock), "--reproducible", "-o", str(out)])
    _, err = _quiet(capsys)
    assert rc == 0, err
    assert "error" not in err.lower(), err
    doc = json.loads(out.read_bytes())
    assert isinstance(doc, dict)
    return doc


def _libs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c["name"]): c for c in doc.get("components", []) if c.get("type") == "library"}


def _props(comp: dict[str, Any], name: Prop) -> list[str]:
    return [str(p["value"]) for p in comp.get("properties", []) if p.get("name") == name.value]


def _findings(doc: dict[str, Any]) -> list[str]:
    out = []
    for c in doc.get("components", []):
        out += _props(c, Prop.FINDING)
    return out


def _lock_bom(env: Path, out: Path, capsys: Any) -> Path:
    assert main(["generate", "--no-gpu", "--lock", str(env), "--reproducible", "-o", str(out)]) == 0
    _quiet(capsys)
    return out


def test_98c_1_conda_channel_and_build_are_part_of_the_identity(tmp_path: Path, capsys: Any) -> None:
    boms = []
    for d, chan, build in (("old", "conda-forge", "py39h6635163_0"), ("new", "evil-channel", "py39hdeadbee_9")):
        (tmp_path / d).mkdir()
        env = tmp_path / d / "environment.yml"
        env.write_text(f"name: demo\ndependencies:\n  - {chan}::numpy=1.21.0={build}\n  - scipy=1.7.1\n")
        boms.append(_lock_bom(env, tmp_path / f"{d}.json", capsys))
    old, new = boms
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    out, _ = _quiet(capsys)
    changes = [c for c in json.loads(out)["changes"] if c["identity"] == "pkg:conda/numpy"]
    assert [c["kind"] for c in changes] == ["origin-change"], changes
    assert "channel=conda-forge" in changes[0]["old"] and "build=py39hdeadbee_9" in changes[0]["new"]
    assert main(["diff", str(old), str(new), "--fail-on", "origin-change"]) == 1
    _, err = _quiet(capsys)
    assert len(err.strip().splitlines()) == 1 and "origin-change" in err, err
    assert main(["diff", str(old), str(old), "--fail-on", "origin-change"]) == 0  # same is same
    _quiet(capsys)
    # in one file: two components, each with its own qualifiers; an unqualified spec keeps a plain purl
    env = tmp_path / "environment.yml"
    env.write_text("name: demo\ndependencies:\n  - conda-forge::numpy=1.21.0=py39h6635163_0\n"
                   "  - evil-channel/linux-64::numpy=1.21.0=py39hdeadbee_9\n  - scipy=1.7.1\n")
    doc = _generate(env, tmp_path, capsys)
    purls = sorted(str(c["purl"]) for c in doc["components"] if c.get("type") == "library")
    assert purls == ["pkg:conda/numpy@1.21.0?build=py39h6635163_0&channel=conda-forge",
                     "pkg:conda/numpy@1.21.0?build=py39hdeadbee_9&channel=evil-channel&subdir=linux-64",
                     "pkg:conda/scipy@1.7.1"], purls
    refs = [str(c["bom-ref"]) for c in doc["components"]]
    assert len(refs) == len(set(refs))


def test_98c_5_a_licence_text_cannot_take_another_texts_licenseref(tmp_path: Path, capsys: Any) -> None:
    a = "Proprietary: no redistribution"
    b = "Proprietary-no-redistribution-" + hashlib.sha256(a.encode()).hexdigest()[:16]
    names = [a, b, b.upper(), "Plain-Name-1.0", "Build-0123456789abcde"]  # the last: 15 hex digits
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
           "metadata": {"component": {"type": "application", "name": "rel", "version": "1", "bom-ref": "rel"}},
           "components": [{"type": "library", "bom-ref": f"p{i}", "name": f"p{i}", "version": "1",
                           "purl": f"pkg:pypi/p{i}@1", "licenses": [{"license": {"name": n}}]}
                          for i, n in enumerate(names)]}
    src = tmp_path / "bom.json"
    src.write_text(json.dumps(bom))
    out = tmp_path / "out.spdx.json"
    assert main(["convert", str(src), "--to", "spdx3", "-o", str(out)]) == 0
    _quiet(capsys)
    exprs = {}
    for el in json.loads(out.read_text())["@graph"]:
        if el.get("type") == "simplelicensing_LicenseExpression" and "comment" in el:  # not the data licence
            text = str(el["comment"]).split(": ", 1)[1]
            exprs[text] = str(el["simplelicensing_licenseExpression"])
    assert set(exprs) == set(names), exprs  # nothing lost: one expression per text
    assert len(set(exprs.values())) == len(names), exprs
    assert exprs["Plain-Name-1.0"] == "LicenseRef-Plain-Name-1.0"  # an ordinary name is kept as it is
    assert exprs["Build-0123456789abcde"] == "LicenseRef-Build-0123456789abcde"
    assert exprs[b] != "LicenseRef-" + b and exprs[b].startswith("LicenseRef-" + b + "-")
    assert all(re.fullmatch(r"LicenseRef-[A-Za-z0-9.\-]+", e) for e in exprs.values()), exprs


def test_98c_2_conda_bracket_values_are_read_whole_inside_quotes(tmp_path: Path, capsys: Any) -> None:
    env = tmp_path / "environment.yml"
    env.write_text("name: e\ndependencies:\n"
                   "  - numpy[version='1.5,<2|>=3']\n"
                   "  - scipy[version=\">=1.7, <2\", build=py39_0]\n"
                   "  - pandas[version='1.3.0', build='py39_0']\n"
                   "  - torch[version=2.0.1,build=cuda_0]\n")
    doc = _generate(env, tmp_path, capsys)
    libs = _libs(doc)
    assert {n: c.get("version") for n, c in libs.items()} == {
        "numpy": None, "scipy": None, "pandas": "1.3.0", "torch": "2.0.1"}
    assert _props(libs["scipy"], Prop.CONDA_BUILD) == ["py39_0"]
    assert _props(libs["pandas"], Prop.CONDA_BUILD) == ["py39_0"]
    assert _props(libs["torch"], Prop.CONDA_BUILD) == ["cuda_0"]
    unpinned = sorted(f for f in _findings(doc) if "lock.unpinned" in f)
    assert len(unpinned) == 2 and "numpy" in unpinned[0] and "scipy" in unpinned[1], unpinned


def test_98c_3_uv_git_commit_goes_before_the_subdirectory(tmp_path: Path, capsys: Any) -> None:
    from urllib.parse import unquote

    commit = "0123456789abcdef0123456789abcdef01234567"
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\nrequires-python = ">=3.9"\n\n'
                    '[[package]]\nname = "mylib"\nversion = "1.0.0"\n'
                    f'source = {{ git = "https://github.com/acme/mono?rev=main#{commit}", subdirectory = "libs/mylib" }}\n\n'
                    '[[package]]\nname = "plain"\nversion = "2.0"\n'
                    f'source = {{ git = "https://github.com/acme/plain#{commit}" }}\n')
    doc = _generate(lock, tmp_path, capsys)
    libs = _libs(doc)
    vcs = unquote(str(libs["mylib"]["purl"]).split("vcs_url=", 1)[1])
    assert vcs == f"https://github.com/acme/mono@{commit}?rev=main#subdirectory=libs/mylib", vcs
    plain = unquote(str(libs["plain"]["purl"]).split("vcs_url=", 1)[1])
    assert plain == f"https://github.com/acme/plain@{commit}", plain


def test_98c_4_conda_pip_lines_keep_hashes_and_editables(tmp_path: Path, capsys: Any) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    lines = ["requests==2.31.0 --hash=sha256:" + "b" * 64, "flask==3.0.0",
             f"-e git+https://github.com/acme/tool@{commit}#egg=tool", "-r extra.txt"]
    (tmp_path / "extra.txt").write_text("urllib3==2.0.0 --hash=sha256:" + "c" * 64 + "\n")
    env = tmp_path / "environment.yml"
    env.write_text("name: demo\ndependencies:\n  - python=3.11\n  - pip:\n"
                   + "".join(f'    - "{line}"\n' for line in lines))
    control = tmp_path / "control"
    control.mkdir()
    (control / "extra.txt").write_text((tmp_path / "extra.txt").read_text())
    (control / "requirements.txt").write_text("\n".join(lines) + "\n")
    doc = _generate(env, tmp_path, capsys)
    libs = _libs(doc)
    assert {n: c.get("version") for n, c in libs.items()} == {
        "python": "3.11", "requests": "2.31.0", "flask": "3.0.0", "tool": None, "urllib3": "2.0.0"}
    assert [h["content"] for h in libs["requests"].get("hashes", [])] == ["b" * 64]
    assert [h["content"] for h in libs["urllib3"].get("hashes", [])] == ["c" * 64]
    assert _props(libs["tool"], Prop.PY_EDITABLE) == ["true"]
    assert not any("None" in r for r in _props(libs["tool"], Prop.PY_REQUIREMENT)), libs["tool"]
    missing = [f for f in _findings(doc) if "requirements.hash-missing" in f]
    assert len(missing) == 1 and "flask" in missing[0], missing
    # the same lines in a requirements.txt give the same packages, hashes and finding
    out = tmp_path / "control.json"
    assert main(["generate", "--no-gpu", "--requirements", str(control / "requirements.txt"), "--reproducible",
                 "-o", str(out)]) == 0
    _quiet(capsys)
    ctrl = json.loads(out.read_bytes())
    clibs = _libs(ctrl)
    for name in ("requests", "flask", "tool", "urllib3"):
        assert libs[name].get("hashes") == clibs[name].get("hashes"), name
        assert libs[name]["purl"] == clibs[name]["purl"], name
    assert [f for f in _findings(ctrl) if "requirements.hash-missing" in f] and _props(clibs["tool"], Prop.PY_EDITABLE)
