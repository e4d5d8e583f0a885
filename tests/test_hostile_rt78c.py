"""Red team 78c: the input contract through the CLI (exit 0/1/2, a bad input is ONE line on stderr
and never "internal error"; no input under 1 MB does super-linear work).

78c-1: marker evaluation was requirements x extras. 78c-2: a lock's namesakes drew an edge from
every package to every package of the name. 78c-3: ``.pth`` lines were de-duplicated by a list
scan. 78c-4: ``--verify-record`` hashed a file once per duplicate RECORD row. 78c-5: one empty
package name lost a whole Pipfile.lock / environment.yml. 78c-6: a 401-digit policy number was an
internal error. 78c-7: ``sign`` wrote an XML signature ``verify`` always refuses. 78c-8: a
nameless dist-info vanished silently. 78c-9: dist-infos inside a zip on the path were skipped
silently. Small inputs are in ``tests/fixtures/hostile/{env,lock,policy,signing}/`` (README per
class); large ones are written here. Work is asserted by counting calls, never by wall clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlbom.cli import main
from tests.helpers import all_properties, quiet_output

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"


def _one_line(capsys: Any) -> str:
    """The one stderr line of a refused input (a ``mlbom: hint:`` line may follow it)."""
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not ln.startswith("mlbom: hint:")]
    assert len(err) == 1, err
    assert "internal error" not in err[0] and "Traceback" not in err[0], err
    return err[0]


def _venv(root: Path) -> Path:
    """A fake venv; returns its site-packages."""
    sp = root / "lib" / "python3.11" / "site-packages"
    sp.mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    return sp


def _dist(sp: Path, folder: str, metadata: str) -> Path:
    d = sp / folder
    d.mkdir()
    (d / "METADATA").write_text(metadata)
    return d


def _generate(args: list[str], tmp_path: Path, capsys: Any) -> dict[str, Any]:
    out = tmp_path / "bom.json"
    rc = main(["generate", "--no-gpu", *args, "-o", str(out)])
    err = quiet_output(capsys)[1]
    assert rc in (0, 1), err
    doc = json.loads(out.read_bytes())
    assert isinstance(doc, dict)
    return doc


def _components(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(c.get("name"), c.get("version")) for c in doc.get("components", [])]


def _findings(doc: dict[str, Any]) -> list[str]:
    return [str(p["value"]) for p in all_properties(doc) if p.get("name") == "mlbom:finding"]


def _aggregate(doc: dict[str, Any]) -> str:
    (comp,) = doc["compositions"]
    return str(comp["aggregate"])


# --- 78c-1: marker evaluation is linear in requirements + extras -----------------------------

def test_78c_1_markers_are_evaluated_once_per_extra_they_name(tmp_path: Path, capsys: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``a`` asks for 400 extras of ``b``; ``b`` has 400 requirements under ``extra == "never"``
    (and 400 under distinct names, and one under each of its extras). Before: one evaluation per
    (requirement, active extra), 400 x 1,200 = 480,000; now a few per distinct marker."""
    from mlbom.collectors import environment

    n = 400
    sp = _venv(tmp_path / "venv")
    extras = ",".join(f"e{i}" for i in range(n))
    _dist(sp, "a-1.0.dist-info", f"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: b[{extras}]\n")
    reqs = "".join(f'Requires-Dist: zz{i}; extra == "never"\n' for i in range(n))
    reqs += "".join(f'Requires-Dist: yy{i}; extra == "other{i}"\n' for i in range(n))
    reqs += 'Requires-Dist: a; extra == "e7" and python_version >= "3"\n'
    _dist(sp, "b-1.0.dist-info", f"Metadata-Version: 2.1\nName: b\nVersion: 1.0\n{reqs}")
    calls = 0
    real = environment.marker_holds

    def counting(*args: Any) -> bool | None:
        nonlocal calls
        calls += 1
        return real(*args)

    monkeypatch.setattr(environment, "marker_holds", counting)
    doc = _generate(["--env", str(tmp_path / "venv")], tmp_path, capsys)
    assert calls < 10 * n, calls
    deps = {d["ref"]: set(d.get("dependsOn", [])) for d in doc["dependencies"]}
    b_ref = next(r for r in deps if "pypi/b@" in r)
    a_ref = next(r for r in deps if "pypi/a@" in r)
    assert deps[b_ref] == {a_ref} and deps[a_ref] == {b_ref}  # only e7's requirement applies
    assert not any("requirement-missing" in f for f in _findings(doc))


@pytest.mark.parametrize(("marker", "extras", "want"), [
    ('extra == "x"', "x", True), ('extra == "X_"', "x-", True), ('extra != "x"', "x", True),
    ('extra != "x"', "", True), ('extra == "x" and extra == "y"', "x,y", False),
    ('extra == "x" or os_name == "nope"', "", False), ('extra in "xyz"', "y", True),
    ('extra in "xyz"', "q", True), ('extra == "x" and python_version < "3"', "x", False),
    ('"y" == extra', "y", True),
])
def test_78c_1_the_fast_path_agrees_with_evaluating_every_extra(marker: str, extras: str, want: bool) -> None:
    from packaging.requirements import Requirement

    from mlbom.collectors.environment import _Markers
    from mlbom.versions import marker_holds

    env = {"python_version": "3.11", "os_name": "posix", "python_full_version": "3.11.7"}
    active = {"", *filter(None, extras.split(","))}
    req = Requirement(f"dep; {marker}")
    assert req.marker is not None
    slow = False
    for e in sorted(active):
        holds = marker_holds(req.marker, {**env, "extra": e})
        if holds is None:
            break
        if holds:
            slow = True
            break
    fast = _Markers(env).applies(None, req, active, sorted(active))  # type: ignore[arg-type]
    assert fast == slow == want


# --- 78c-2: a dependency resolves to ONE locked package ---------------------------------------

def _uv(packages: list[str]) -> str:
    return 'version = 1\nrequires-python = ">=3.8"\n' + "".join(packages)


def _uv_pkg(name: str, version: str, deps: str = "") -> str:
    return (f'[[package]]\nname = "{name}"\nversion = "{version}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
            f"dependencies = [{deps}]\n")


def _edges(doc: dict[str, Any]) -> dict[str, set[str]]:
    return {d["ref"]: set(d.get("dependsOn", [])) for d in doc.get("dependencies", [])}


def test_78c_2_namesakes_draw_no_cross_product(tmp_path: Path, capsys: Any) -> None:
    """1,000 packages named ``a``, each depending on ``a`` with no version: before, 1,000,000
    edges; now none, and one finding for the name."""
    lock = tmp_path / "uv.lock"
    lock.write_text(_uv([_uv_pkg("a", f"1.{i}", '{ name = "a" }') for i in range(1000)]))
    doc = _generate(["--lock", str(lock)], tmp_path, capsys)
    assert sum(len(v) for r, v in _edges(doc).items() if "pypi/a@" in r) == 0
    ambiguous = [f for f in _findings(doc) if "lock.dependency-ambiguous" in f]
    assert len(ambiguous) == 1 and "1000 dependencies on a" in ambiguous[0], ambiguous


def test_78c_2_uv_version_picks_the_one_namesake(tmp_path: Path, capsys: Any) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(_uv([
        _uv_pkg("app", "0.1", '{ name = "numpy", version = "2.0.0", marker = "python_version >= \'3.10\'" }, '
                              '{ name = "numpy", version = "1.26.4", marker = "python_version < \'3.10\'" }, '
                              '{ name = "six" }'),
        _uv_pkg("numpy", "1.26.4"), _uv_pkg("numpy", "2.0.0"), _uv_pkg("six", "1.16.0"),
        _uv_pkg("lib", "1.0", '{ name = "numpy", version = "2.0.0" }')]))
    doc = _generate(["--lock", str(lock)], tmp_path, capsys)
    edges = _edges(doc)
    app = next(r for r in edges if "/app@" in r)
    lib = next(r for r in edges if "/lib@" in r)
    assert {r.split("/")[-1] for r in edges[app]} == {"numpy@1.26.4", "numpy@2.0.0", "six@1.16.0"}
    assert {r.split("/")[-1] for r in edges[lib]} == {"numpy@2.0.0"}
    assert not any("dependency-ambiguous" in f for f in _findings(doc))


def test_78c_2_poetry_constraint_picks_the_one_namesake(tmp_path: Path, capsys: Any) -> None:
    lock = tmp_path / "poetry.lock"
    lock.write_text('[metadata]\nlock-version = "2.0"\n'
                    '[[package]]\nname = "app"\nversion = "1"\nfiles = []\n'
                    '[package.dependencies]\nnumpy = ">=2"\nsix = "*"\n'
                    '[[package]]\nname = "numpy"\nversion = "1.26.4"\nfiles = []\n'
                    '[[package]]\nname = "numpy"\nversion = "2.0.0"\nfiles = []\n'
                    '[[package]]\nname = "six"\nversion = "1.16.0"\nfiles = []\n')
    doc = _generate(["--lock", str(lock)], tmp_path, capsys)
    edges = _edges(doc)
    app = next(r for r in edges if "/app@" in r)
    assert {r.split("/")[-1] for r in edges[app]} == {"numpy@2.0.0", "six@1.16.0"}


# --- 78c-3: .pth lines are de-duplicated with a set ---------------------------------------------

def test_78c_3_pth_lines_are_compared_linearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two links to the site folder and 2,000 distinct existing paths over them: before, each new
    line was compared with every kept one (about 2,000,000 ``Path.__eq__``); now a set lookup."""
    import itertools

    from mlbom.collectors import _interpreter

    sp = _venv(tmp_path / "venv")
    for s in ("l", "m"):
        (sp / s).symlink_to(".")
    lines: list[str] = []
    length = 1
    while len(lines) < 2000:
        lines.extend("/".join(t) for t in itertools.product("lm", repeat=length))
        length += 1
    (sp / "zz.pth").write_text("\n".join(lines[:2000]) + "\n")
    compared = 0

    class Counting(type(Path())):  # type: ignore[misc]
        def __eq__(self, other: object) -> bool:
            nonlocal compared
            compared += 1
            return super().__eq__(other)

        __hash__ = type(Path()).__hash__

    monkeypatch.setattr(_interpreter, "Path", Counting)
    out = _interpreter._with_pth([Counting(sp)])
    assert len(out) == 2001
    assert compared < 20_000, compared


# --- 78c-4: --verify-record hashes each file once ----------------------------------------------

def test_78c_4_a_file_listed_many_times_is_hashed_once(tmp_path: Path, capsys: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import hashlib

    from mlbom.collectors import _verify_record

    sp = _venv(tmp_path / "venv")
    d = _dist(sp, "good-1.0.dist-info", "Metadata-Version: 2.1\nName: good\nVersion: 1.0\n")
    data = b"\0" * 10_000
    (sp / "blob.bin").write_bytes(data)
    good = base64.urlsafe_b64encode(hashlib.sha3_512(data).digest()).rstrip(b"=").decode()
    wrong = base64.urlsafe_b64encode(hashlib.sha256(b"x").digest()).rstrip(b"=").decode()
    rows = [f"blob.bin,sha3_512={good},10000\n"] * 500 + [f"blob.bin,sha256={wrong},10000\n"] * 3
    (d / "RECORD").write_text("".join(rows) + "good-1.0.dist-info/METADATA,,\ngood-1.0.dist-info/RECORD,,\n")
    hashed: list[str] = []
    real = _verify_record.sha256_files

    def counting(paths: Any, **kw: Any) -> Any:
        items = list(paths)
        hashed.extend(str(p) for p in items)
        return real(items, **kw)

    monkeypatch.setattr(_verify_record, "sha256_files", counting)
    doc = _generate(["--env", str(tmp_path / "venv"), "--verify-record"], tmp_path, capsys)
    assert sorted(Path(p).name for p in hashed) == ["blob.bin", "blob.bin"], hashed  # sha3_512 once, sha256 once
    mismatches = [f for f in _findings(doc) if "record-mismatch" in f]
    assert len(mismatches) == 3, mismatches  # each bad row keeps its verdict


# --- 78c-6: every numeric policy value is range-checked before it is converted ------------------

POLICY_401 = HOSTILE / "policy" / "rt78c-6-max-cvss-401-digits.toml"
TORCH_BOM = HOSTILE / "source-date-epoch" / "torch.cdx.json"


@pytest.mark.parametrize("value", ["1" + "0" * 400, "-1" + "0" * 400, "11", "10.5", "nan", "inf", "-0.1"])
def test_78c_6_a_cvss_bound_out_of_range_is_one_line(value: str, tmp_path: Path, capsys: Any) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(f"[vulnerabilities]\nmax-cvss = {value}\n")
    assert main(["check", str(TORCH_BOM), "--policy", str(policy)]) == 2
    line = _one_line(capsys)
    assert "max-cvss" in line and "is not a CVSS score" in line and len(line) < 300, line


def test_78c_6_the_red_team_policy_in_every_place_it_is_read(tmp_path: Path, capsys: Any) -> None:
    assert main(["check", str(TORCH_BOM), "--policy", str(POLICY_401)]) == 2
    assert "an integer past 10^18" in _one_line(capsys)
    project = tmp_path / "project"
    project.mkdir()
    (project / "mlbom.toml").write_text("[policy.vulnerabilities]\nmax-cvss = 1" + "0" * 400 + "\n")
    (project / "requirements.txt").write_text("requests==2.31.0\n")
    assert main(["check", str(TORCH_BOM), "--policy", str(project / "mlbom.toml")]) == 2
    _one_line(capsys)
    assert main(["generate", "--no-gpu", str(project), "--policy", str(POLICY_401), "-o", str(tmp_path / "o.json")]) == 2
    _one_line(capsys)


def test_78c_6_scores_in_range_still_load(tmp_path: Path) -> None:
    from mlbom.policy.config import load

    for value, want in (("0", 0.0), ("10", 10.0), ("7.5", 7.5)):
        policy = tmp_path / f"p{want}.toml"
        policy.write_text(f"[vulnerabilities]\nmax-cvss = {value}\n")
        assert load(policy).max_cvss == want


# --- 78c-7: sign refuses what verify would refuse ----------------------------------------------

def _xml_bom(extra_namespaces: int) -> str:
    ns = " ".join(f'xmlns:n{i}="urn:x:{i}"' for i in range(extra_namespaces))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bom xmlns="http://cyclonedx.org/schema/bom/1.6" {ns} '
            'serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1"><components>'
            '<component type="library"><name>c</name><version>1</version></component></components></bom>\n')


@pytest.mark.parametrize(("algorithm", "fits"), [("es256", 29), ("rs256", 30)])
def test_78c_7_sign_never_writes_a_signature_verify_refuses(algorithm: str, fits: int, tmp_path: Path,
                                                          capsys: Any) -> None:
    """The signature adds ds: (and ds11: for an EC key) under the root; the bound of 32 in scope is
    checked on the signed tree. ``fits`` extra declarations sign and verify; one more is refused
    by sign in one line (the red team's BOM, 30 extra, with an EC key)."""
    assert main(["keygen", "--algorithm", algorithm, "-o", str(tmp_path / "k")]) == 0
    capsys.readouterr()
    for extra in (fits, fits + 1):
        bom = tmp_path / f"bom{extra}.xml"
        bom.write_text(_xml_bom(extra))
        out = tmp_path / f"signed{extra}.xml"
        rc = main(["sign", str(bom), "--key", str(tmp_path / "k.key"), "-o", str(out)])
        if extra == fits:
            assert rc == 0
            quiet_output(capsys)[1]
            assert main(["verify", str(out), "--key", str(tmp_path / "k.pub")]) == 0
            quiet_output(capsys)[1]
        else:
            assert rc == 2
            assert "namespaces" in _one_line(capsys)
            assert not out.exists()
    assert main(["sign", str(HOSTILE / "signing" / "rt78c-7-31-namespaces.cdx.xml"), "--key",
                 str(tmp_path / "k.key"), "-o", str(tmp_path / "rt.xml")]) == (2 if algorithm == "es256" else 0)


# --- 78c-5: one bad lock entry costs that entry, never the lock -------------------------------

LOCK_ENTRIES = {
    "rt78c-5-pipfile-empty-key": ({"good1", "zgood2"}, ["default['']"]),
    "rt78c-5-pipfile-slash-key": ({"good1", "zgood2"}, ["default[' ']", "package '/'"]),
    "rt78c-5-conda-empty-pip": ({"numpy", "requests", "scipy"}, ["dependencies[1].pip[0]"]),
    "rt78c-5-conda-not-a-spec": ({"numpy", "scipy"}, ["dependencies[1]: '=1.0' is not a conda match spec"]),
    "rt78c-5-uv-nameless": ({"good", "zgood"}, ["package[1]", "package[2]"]),
    "rt78c-5-poetry-nameless": ({"good", "zgood"}, ["package[1]", "package[2]"]),
    "rt78c-5-pylock-bad-entries": ({"good", "zgood"}, ["packages[1]", "packages[2]"]),
}


@pytest.mark.parametrize("case", sorted(LOCK_ENTRIES))
def test_78c_5_a_bad_lock_entry_is_a_finding_and_the_others_stay(case: str, tmp_path: Path, capsys: Any) -> None:
    """Every lock format the same way: the entry is left out with a ``lock.package-invalid``
    finding naming where it is, the lock's composition is incomplete, every good package is a
    component, exit 0, and no exception text reaches the output."""
    (lock,) = [p for p in (HOSTILE / "lock" / case).iterdir() if p.is_file()]
    out = tmp_path / "bom.json"
    rc = main(["generate", "--no-gpu", "--lock", str(lock), "-o", str(out)])
    err = quiet_output(capsys)[1]
    assert rc == 0, err
    assert "Error" not in err, err  # never "ValueError: Invalid purl" as the reason a lock was not read
    doc = json.loads(out.read_bytes())
    good, wheres = LOCK_ENTRIES[case]
    assert {c["name"] for c in doc["components"] if c["type"] == "library"} == good
    bad = [f for f in _findings(doc) if "lock.package-invalid" in f]
    assert len(bad) == len(wheres), bad
    for where in wheres:
        assert any(where in f for f in bad), (where, bad)
    assert _aggregate(doc) == "incomplete"


# --- 78c-8: a dist-info without a usable name is reported, never dropped ---------------------

def test_78c_8_a_nameless_distribution_is_a_finding_and_the_inventory_incomplete(tmp_path: Path, capsys: Any) -> None:
    doc = _generate(["--env", str(HOSTILE / "env" / "rt78c-8-nameless-dist")], tmp_path, capsys)
    assert {n for n, _ in _components(doc)} == {"good", "slash", "cpython"}
    findings = [f for f in _findings(doc) if "python.metadata-malformed" in f]
    for folder in ("-2.0.dist-info", ".dist-info", "-3.0.dist-info"):
        assert any(f"site-packages/{folder}:" in f and "not inventoried" in f for f in findings), (folder, findings)
    assert any("slash: METADATA lacks Name" in f for f in findings), findings
    unreadable = [str(p["value"]) for p in all_properties(doc) if p.get("name") == "mlbom:unreadable"]
    assert sorted(u.split(":")[0].rsplit("/", 1)[1] for u in unreadable) == [
        "-2.0.dist-info", "-3.0.dist-info", ".dist-info"]
    assert _aggregate(doc) == "incomplete"


# --- 78c-9: a zip on the import path holding distributions is reported ------------------------

def test_78c_9_a_zip_of_distributions_on_the_path_is_reported(tmp_path: Path, capsys: Any) -> None:
    doc = _generate(["--env", str(HOSTILE / "env" / "rt78c-9-zip-on-path")], tmp_path, capsys)
    findings = [f for f in _findings(doc) if "python.path-archive-not-read" in f]
    assert len(findings) == 1 and "site-packages/vendor.zip" in findings[0] and "bar-2.0.dist-info" in findings[0]
    unreadable = [str(p["value"]) for p in all_properties(doc) if p.get("name") == "mlbom:unreadable"]
    assert len(unreadable) == 1 and "vendor.zip" in unreadable[0], unreadable
    assert _aggregate(doc) == "incomplete"


def test_78c_9_eggs_count_and_other_files_on_the_path_do_not(tmp_path: Path, capsys: Any) -> None:
    """An ``.egg`` with ``EGG-INFO`` is reported as importlib.metadata lists it; a zip with only
    code (a stdlib zip), a file that is no zip, and a zip inside a folder no .pth names are not."""
    import zipfile

    sp = _venv(tmp_path / "venv")
    _dist(sp, "good-1.0.dist-info", "Metadata-Version: 2.1\nName: good\nVersion: 1.0\n")
    with zipfile.ZipFile(sp / "old.egg", "w") as z:
        z.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.1\nName: old\nVersion: 0.1\n")
        z.writestr("old/__init__.py", "")
    with zipfile.ZipFile(sp / "code.zip", "w") as z:
        z.writestr("mod/__init__.py", "")
    with zipfile.ZipFile(sp / "unlisted.zip", "w") as z:
        z.writestr("x-1.0.dist-info/METADATA", "Name: x\nVersion: 1.0\n")
    (sp / "notazip.bin").write_bytes(b"PK\x05\x06 not really")
    (sp / "paths.pth").write_text("old.egg\ncode.zip\nnotazip.bin\n")
    doc = _generate(["--env", str(tmp_path / "venv")], tmp_path, capsys)
    findings = [f for f in _findings(doc) if "python.path-archive-not-read" in f]
    assert len(findings) == 1 and "site-packages/old.egg" in findings[0] and "EGG-INFO" in findings[0], findings
    assert _aggregate(doc) == "incomplete"
