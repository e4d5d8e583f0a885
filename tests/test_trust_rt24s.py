"""Red team 24s: the trust chain.

- 24s-3: one BOM, two readings. The XML reader kept every leaf as text, so ``<score>9.8</score>``
  was the string ``"9.8"`` and every reader dropped it: ``check`` passed as XML what it failed as
  JSON. XML leaves now get the type the CycloneDX JSON schema gives them; a value that does not
  convert is a reading error; a rating no reader can read fails the gate and is shown unreadable;
  ``check`` validates the BOM against its schema first.
- 24s-2: ``verify --artifacts --exclude '**/__pycache__'`` (the example of the option's own help)
  passed a folder whose unchecked-hash pyc stood in for a verified module.
- 24s-1: ``--key A --key B`` is "A or B"; ``check`` (``[signature] every-key``) and
  ``report --require-every-key`` can now ask for every key, as ``verify --require-every-key``.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import struct
import sys
from pathlib import Path

import pytest

from mlbom.cli import main
from mlbom.cyclonedx.document import parse
from mlbom.errors import InputError
from tests.helpers import cli_within_contract, es256_key_files

NUMPY = "pkg:pypi/numpy@1.26.4"
SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"


def _json_bom(score: object = 9.8, word: str = "medium") -> dict[str, object]:
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": SERIAL, "version": 1,
        "components": [{"type": "library", "bom-ref": NUMPY, "name": "numpy", "version": "1.26.4", "purl": NUMPY}],
        "vulnerabilities": [{
            "id": "CVE-2099-0001", "cwes": [79],
            "ratings": [{"score": score, "method": "CVSSv31", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                        {"severity": word, "method": "other"}],
            "affects": [{"ref": NUMPY}]}],
    }


def _xml_bom(score: str = "9.8", word: str = "medium") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="{SERIAL}" version="1">
  <components>
    <component type="library" bom-ref="{NUMPY}"><name>numpy</name><version>1.26.4</version><purl>{NUMPY}</purl></component>
  </components>
  <vulnerabilities>
    <vulnerability>
      <id>CVE-2099-0001</id>
      <ratings>
        <rating><score>{score}</score><method>CVSSv31</method><vector>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</vector></rating>
        <rating><severity>{word}</severity><method>other</method></rating>
      </ratings>
      <cwes><cwe>79</cwe></cwes>
      <affects><target><ref>{NUMPY}</ref></target></affects>
    </vulnerability>
  </vulnerabilities>
</bom>
"""


def _policy(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "policy.toml"
    p.write_text(text)
    return p


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def _report_line(out: str) -> str:
    return next(line.strip() for line in out.splitlines() if "CVE-2099-0001" in line)


# ---- 24s-3 -----------------------------------------------------------------------------

def test_xml_and_json_give_the_same_gate_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    js, xml = tmp_path / "vuln.json", tmp_path / "vuln.xml"
    js.write_text(json.dumps(_json_bom()))
    xml.write_text(_xml_bom())
    for bom in (js, xml):
        assert _run(["validate", str(bom)], capsys)[0] == 0
    severity = _policy(tmp_path, '[vulnerabilities]\nfail-on = "high"\n')
    cvss = tmp_path / "cvss.toml"
    cvss.write_text('[vulnerabilities]\nmax-cvss = 9.0\nmissing-data = "warn"\n')
    for bom in (js, xml):
        rc, out, _ = _run(["check", str(bom), "--policy", str(severity)], capsys)
        assert rc == 1 and "CVE-2099-0001 is critical" in out, (bom.name, out)
        rc, out, _ = _run(["check", str(bom), "--policy", str(cvss)], capsys)
        assert rc == 1 and "CVE-2099-0001 has CVSS 9.8 > max-cvss 9.0" in out, (bom.name, out)
        rc, out, _ = _run(["report", str(bom), "--format", "text"], capsys)
        assert rc == 0 and _report_line(out).startswith("critical"), (bom.name, out)


def test_xml_leaves_get_the_schema_type() -> None:
    fmt, doc, spec, _ = parse(_xml_bom().encode(), "vuln.xml")
    assert (fmt, spec) == ("xml", "1.6")
    vuln = doc["vulnerabilities"][0]  # type: ignore[index]
    assert vuln["ratings"][0]["score"] == 9.8 and isinstance(vuln["ratings"][0]["score"], float)
    assert vuln["cwes"] == [79]  # an integer array: items typed too
    assert vuln["ratings"][0]["vector"].startswith("CVSS:3.1/")  # strings stay strings
    assert doc["version"] == 1
    _, jdoc, _, _ = parse(json.dumps(_json_bom()).encode(), "vuln.json")
    assert vuln["ratings"] == jdoc["vulnerabilities"][0]["ratings"]  # type: ignore[index]


def test_xml_booleans_and_integers_are_typed() -> None:
    xml = f"""<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="{SERIAL}" version=" 3 ">
  <components><component type="library" bom-ref="a"><name>a</name>
    <swid tagId="t" name="a" tagVersion="2" patch="true"/></component></components></bom>"""
    _, doc, _, _ = parse(xml.encode(), "b.xml")
    swid = doc["components"][0]["swid"]  # type: ignore[index]
    assert doc["version"] == 3 and swid["tagVersion"] == 2 and swid["patch"] is True


@pytest.mark.parametrize("value", ["high", "9,8", "NaN", "INF", "", "0x10"])
def test_xml_value_that_is_not_its_type_is_a_reading_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          value: str) -> None:
    bom = tmp_path / "bad.xml"
    bom.write_text(_xml_bom(score=value))
    with pytest.raises(InputError, match="score"):
        parse(bom.read_bytes(), "bad.xml")
    policy = _policy(tmp_path, '[vulnerabilities]\nfail-on = "high"\n')
    _, err = cli_within_contract(["check", str(bom), "--policy", str(policy)], capsys, want={2})
    assert "bad.xml" in err
    cli_within_contract(["report", str(bom), "--format", "text"], capsys, want={2})
    # validate still reports the schema's problem as an invalid BOM (exit 1), not as unreadable
    cli_within_contract(["validate", str(bom)], capsys, want={1})


def test_check_validates_the_bom_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """3b: a JSON BOM whose producer wrote the score as a string cannot be evaluated (exit 2,
    the validator's first problem), as ``validate`` refuses it."""
    bom = tmp_path / "strscore.json"
    bom.write_text(json.dumps(_json_bom(score="9.8")))
    policy = _policy(tmp_path, '[vulnerabilities]\nfail-on = "high"\n')
    _, err = cli_within_contract(["check", str(bom), "--policy", str(policy)], capsys, want={2})
    assert "not a valid CycloneDX 1.6 BOM" in err and "score" in err


@pytest.mark.parametrize(("score", "word", "shown"), [
    ("9.8", "medium", 'score "9.8"'), (True, "medium", "score true"), (None, "medium", "score null"),
    (9.8, "severe", 'severity "severe"'), ({"v": 9.8}, "low", 'score {"v": 9.8}'),
])
def test_an_unreadable_rating_fails_the_gate_and_reads_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  score: object, word: str, shown: str) -> None:
    """Whoever reads the BOM without the schema (the gate's rules, report, diff): a rating that
    cannot be read is never dropped."""
    from mlbom.policy import load_policy, rules
    from mlbom.policy.facts import from_loaded
    from mlbom.reader import loads
    from mlbom.readmodel import UNREADABLE, vulnerabilities

    doc = _json_bom(score=score, word=word)
    data = json.dumps(doc).encode()
    (view,) = vulnerabilities(doc)
    assert view.severity == UNREADABLE and shown in view.unreadable
    for text in ('[vulnerabilities]\nfail-on = "critical"\n', '[vulnerabilities]\nmax-cvss = 9.9\n'):
        result = rules.check(from_loaded(loads(data, "v.json"), data), load_policy(_policy(tmp_path, text)))
        assert result.exit_code == 1
        (v,) = [v for v in result.violations if v.kind == "violation"]
        assert "CVE-2099-0001 has a rating mlbom cannot read" in v.fact and shown in v.fact
    bom = tmp_path / "v.json"
    bom.write_bytes(data)
    rc, out, _ = _run(["report", str(bom), "--format", "text"], capsys)
    assert rc == 0 and _report_line(out).startswith(UNREADABLE) and shown in out


def test_readable_ratings_are_not_unreadable() -> None:
    from mlbom.readmodel import unreadable_ratings

    assert unreadable_ratings({"ratings": [{"score": 9.8, "severity": "critical"}, {"method": "SSVC"}]}) == ()
    assert unreadable_ratings({"id": "x"}) == ()


# ---- 24s-2 -----------------------------------------------------------------------------

def _npy() -> bytes:
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
    header += b" " * (64 - 10 - len(header) - 1) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 24


def _signed_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, Path]:
    proj = tmp_path / "proj"
    (proj / "model").mkdir(parents=True)
    (proj / "model" / "w.npy").write_bytes(_npy())
    (proj / "model" / "config.json").write_text('{"model_type": "x"}')
    (proj / "model" / "helper.py").write_text("X = 1\n")
    bom, signed = tmp_path / "bom.json", tmp_path / "bom.signed.json"
    assert _run(["generate", str(proj), "--reproducible", "-o", str(bom)], capsys)[0] == 0
    _, key, pub = es256_key_files(tmp_path)
    assert _run(["sign", str(bom), "--key", str(key), "-o", str(signed)], capsys)[0] == 0
    listed = json.loads(bom.read_text())
    assert any(p.get("value") == "model/helper.py" for c in listed["components"] for p in c.get("properties", []))
    return proj, signed, pub


def _pyc(flags: int, code_src: str, source: Path | None = None) -> bytes:
    head = importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little")
    if flags == 0b11 and source is not None:
        head += importlib.util.source_hash(source.read_bytes())
    elif flags == 0 and source is not None:
        st = source.stat()
        head += struct.pack("<II", int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF)
    else:
        head += b"\0" * 8
    return head + marshal.dumps(compile(code_src, str(source or "helper.py"), "exec", dont_inherit=True))


@pytest.mark.parametrize(("flags", "body"), [
    (0b01, "import os; X = 1\n"),  # unchecked-hash: importlib never reads the source
    (0b11, "import os; X = 1\n"),  # checked-hash with the listed source's hash, other bytecode
    (0b00, "import os; X = 1\n"),  # timestamp pyc stamped with the source's mtime and size
])
def test_an_excluded_pyc_standing_in_for_a_listed_source_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               flags: int, body: str) -> None:
    proj, signed, pub = _signed_project(tmp_path, capsys)
    cache = proj / "model" / "__pycache__"
    cache.mkdir()
    pyc = cache / f"helper.{sys.implementation.cache_tag}.pyc"
    pyc.write_bytes(_pyc(flags, body, proj / "model" / "helper.py"))
    base = ["verify", str(signed), "--key", str(pub), "--artifacts", str(proj)]
    for extra in (["--exclude", "**/__pycache__"], ["--exclude", "**/*.pyc"], ["--listed-only"]):
        _, err = cli_within_contract(base + extra, capsys, want={1})
        assert "Python would run this instead of the listed model/helper.py" in err, (extra, err)


def test_an_excluded_faithful_pyc_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pyc Python itself writes for the verified source (its compile) is what exclusion is for."""
    proj, signed, pub = _signed_project(tmp_path, capsys)
    src = proj / "model" / "helper.py"
    cache = proj / "model" / "__pycache__"
    import py_compile

    for mode in (py_compile.PycInvalidationMode.TIMESTAMP, py_compile.PycInvalidationMode.CHECKED_HASH):
        for opt in (-1, 1):
            py_compile.compile(str(src), doraise=True, invalidation_mode=mode, optimize=opt)
    assert len(list(cache.iterdir())) == 2
    (cache / "other.cpython-311.pyc").write_bytes(b"junk")  # for no listed source: exclusion's business
    base = ["verify", str(signed), "--key", str(pub), "--artifacts", str(proj)]
    cli_within_contract([*base, "--exclude", "**/__pycache__"], capsys, want={0})
    _, err = cli_within_contract(base, capsys, want={1})  # not excluded: unlisted, as before
    assert "artifact not in the BOM" in err


@pytest.mark.parametrize("shadow", ["helper.cpython-311-x86_64-linux-gnu.so", "helper.abi3.so", "helper/__init__.py"])
def test_an_excluded_module_importlib_prefers_to_a_listed_source_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                       shadow: str) -> None:
    """FileFinder tries a package, then extension modules, before ``helper.py``: the same class."""
    proj, signed, pub = _signed_project(tmp_path, capsys)
    target = proj / "model" / shadow
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(b"import os\n")
    pattern = "model/helper" if "/" in shadow else "**/*.so"
    _, err = cli_within_contract(["verify", str(signed), "--key", str(pub), "--artifacts", str(proj),
                                  "--exclude", pattern], capsys, want={1})
    assert f"model/{shadow}: Python would" in err and "instead of the listed model/helper.py" in err


def test_exclude_help_recommends_nothing_that_hides_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "__pycache__" not in out and "*.log" in out


# ---- 24s-1 -----------------------------------------------------------------------------

def _two_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, Path, Path]:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(_json_bom()))
    _, a_key, a_pub = es256_key_files(tmp_path, "A")
    _, b_key, b_pub = es256_key_files(tmp_path, "B")
    only_a, both = tmp_path / "a.json", tmp_path / "ab.json"
    assert _run(["sign", str(bom), "--key", str(a_key), "-o", str(only_a)], capsys)[0] == 0
    assert _run(["sign", str(only_a), "--key", str(b_key), "--add", "-o", str(both)], capsys)[0] == 0
    return only_a, both, a_pub, b_pub


def test_every_key_in_check_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    only_a, both, a_pub, b_pub = _two_keys(tmp_path, capsys)
    keys = ["--key", str(a_pub), "--key", str(b_pub)]
    anyone = _policy(tmp_path, "[signature]\nrequired = true\n")
    every = tmp_path / "every.toml"
    every.write_text("[signature]\nrequired = true\nevery-key = true\n")
    # several keys: any one valid signature by one of them (documented), in all three commands
    assert _run(["verify", str(only_a), *keys], capsys)[0] == 0
    assert _run(["check", str(only_a), "--policy", str(anyone), *keys], capsys)[0] == 0
    # every key: B never signed -> fails everywhere
    assert _run(["verify", str(only_a), *keys, "--require-every-key"], capsys)[0] == 1
    rc, out, _ = _run(["check", str(only_a), "--policy", str(every), *keys], capsys)
    assert rc == 1 and "every key named must have signed" in out and "B.pub" in out
    rc, out, _ = _run(["report", str(only_a), "--format", "text", *keys, "--require-every-key"], capsys)
    assert rc == 0 and "every key named must have signed" in out
    rc, out, _ = _run(["report", str(only_a), "--format", "text", *keys], capsys)
    assert "every key named" not in out
    # both signed: passes everywhere
    assert _run(["verify", str(both), *keys, "--require-every-key"], capsys)[0] == 0
    assert _run(["check", str(both), "--policy", str(every), *keys], capsys)[0] == 0
    rc, out, _ = _run(["report", str(both), "--format", "text", *keys, "--require-every-key"], capsys)
    assert rc == 0 and "not verified" not in out
    cli_within_contract(["report", str(both), "--require-every-key"], capsys, want={2})


def test_every_key_is_a_policy_key(tmp_path: Path) -> None:
    from mlbom.policy import PolicyError, load_policy

    assert load_policy(_policy(tmp_path, "[signature]\nrequired = true\nevery-key = true\n")).signature_every_key
    with pytest.raises(PolicyError):
        load_policy(_policy(tmp_path, '[signature]\nevery-key = "yes"\n'))
