"""Library :class:`UsageError`s name settings as the library spells them (never a command-line
flag); the CLI turns them back into flags, so its messages stay as helpful (issue 14)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mlbom import signing
from mlbom.cli import main
from mlbom.errors import UsageError
from mlbom.keys import generate_key, load_private_key, write_keypair

BOM = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
       "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
       "components": [{"type": "library", "name": "numpy", "version": "2.1.3", "bom-ref": "numpy"}]}


def _library(call: Callable[[], object]) -> UsageError:
    with pytest.raises(UsageError) as err:
        call()
    assert "--" not in str(err.value) and "--" not in (err.value.hint or ""), str(err.value)
    return err.value


def _cli(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    capsys.readouterr()
    assert main([str(a) for a in args]) == 2
    return capsys.readouterr().err


@pytest.fixture()
def bom(tmp_path: Path) -> Path:
    p = tmp_path / "bom.json"
    p.write_text(json.dumps(BOM))
    return p


def test_query(bom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.query import Filters, checked_spec

    assert _library(lambda: checked_spec(Filters(min_severity="bogus"))).option == "min_severity"
    assert _library(lambda: checked_spec(Filters(version_spec="=>1"))).value == "=>1"
    assert "mlbom: error: --severity 'bogus': must be one of critical" in _cli(capsys, "query", bom, "--severity", "bogus")
    assert "mlbom: error: --version-spec '=>1': " in _cli(capsys, "query", bom, "--version-spec", "=>1")


def test_diff(bom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.diff import parse_fail_on

    assert _library(lambda: parse_fail_on("hash-drift,nope")).option == "fail_on"
    assert "mlbom: error: --fail-on 'nope': unknown kind (known: " in _cli(capsys, "diff", bom, bom, "--fail-on", "nope")
    assert "mlbom: error: --fail-on 'new-finding:huge': severity must be one of" in \
        _cli(capsys, "diff", bom, bom, "--fail-on", "new-finding:huge")


def test_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.index import open_index, vulnerability_releases

    assert _library(lambda: open_index("mysql://db/x")).option == "db"
    engine = open_index(f"sqlite:///{tmp_path / 'ix.db'}")
    assert _library(lambda: vulnerability_releases(engine, "CVE-1 CVE-2")).option == "vuln_id"
    assert "mlbom: error: --db: mysql://db/x: mlbom indexes into SQLite or PostgreSQL" in \
        _cli(capsys, "query", "--db", "mysql://db/x", "--name", "x")
    assert "mlbom: error: --vuln 'CVE-1 CVE-2': give one vulnerability id" in \
        _cli(capsys, "query", "--db", f"sqlite:///{tmp_path / 'ix.db'}", "--vuln", "CVE-1 CVE-2")


def test_artifacts() -> None:
    from mlbom.artifacts import ExcludePattern

    err = _library(lambda: ExcludePattern.parse("../up"))
    assert err.option == "exclude" and err.render("--exclude") == "--exclude '../up': not a pattern relative to the folder"


def _keys(tmp_path: Path, algorithm: str) -> tuple[Path, Path]:
    key, pub, _ = write_keypair(generate_key(algorithm), tmp_path / algorithm)  # type: ignore[arg-type]
    return key, pub


def test_signing_and_trust(tmp_path: Path, bom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom.trust import TrustPolicy

    key, _ = _keys(tmp_path, "es256")
    signed = tmp_path / "signed.json"
    signed.write_bytes(signing.sign(bom.read_bytes(), load_private_key(key)))
    assert _library(lambda: signing.sign(signed.read_bytes(), load_private_key(key))).related == ("add", "replace")
    assert "mlbom: error: the BOM is already signed: say --add (another signer) or --replace" in \
        _cli(capsys, "sign", signed, "--key", key)
    single = tmp_path / "single.json"
    single.write_text(json.dumps({**BOM, "signature": {"algorithm": "ES256", "value": "AAAA"}}))
    assert _library(lambda: signing.sign(single.read_bytes(), load_private_key(key), mode="add")).option == "add"
    assert "mlbom: error: --add: needs an existing 'signers' signature; this one is a single signer or a chain, " \
           "and adding would invalidate it (re-sign with --replace)" in _cli(capsys, "sign", single, "--key", key, "--add")
    _library(lambda: TrustPolicy())
    assert "pass --key (or, unsafe, --allow-embedded-key to trust" in _cli(capsys, "verify", signed)


def test_dsse(tmp_path: Path, bom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom import dsse
    from mlbom.trust import TrustPolicy

    key, _ = _keys(tmp_path, "es256")
    env = tmp_path / "env.json"
    env.write_bytes(signing.attest(bom.read_bytes(), load_private_key(key), bom_name="bom.json"))
    envelope = dsse.parse_envelope(json.loads(env.read_bytes()))
    _library(lambda: dsse.verify_envelope(envelope, TrustPolicy(key_ids=frozenset({"a" * 64}))))
    assert "pass the signer's key with --key (--allow-embedded-key and --key-id do not apply)" in \
        _cli(capsys, "verify", env, "--key-id", "a" * 64)


def test_xmldsig(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlbom import xmldsig

    xml = tmp_path / "bom.xml"
    xml.write_text('<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"/>')
    ed, _ = _keys(tmp_path, "ed25519")
    err = _library(lambda: xmldsig.sign_xml(xml.read_bytes(), load_private_key(ed)))
    assert err.hint == "make one with mlbom keygen algorithm es256"
    out = _cli(capsys, "sign", xml, "--key", ed)
    assert "XML-DSig needs an ECDSA or RSA key" in out and "mlbom: hint: make one with mlbom keygen --algorithm es256" in out
    es, _ = _keys(tmp_path, "es256")
    xml.write_bytes(xmldsig.sign_xml(xml.read_bytes(), load_private_key(es)))
    _library(lambda: xmldsig.sign_xml(xml.read_bytes(), load_private_key(es)))
    assert "mlbom: error: the XML BOM is already signed: --replace to re-sign" in _cli(capsys, "sign", xml, "--key", es)


def test_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import mlbom

    err = _library(lambda: mlbom.generate(None))
    assert err.related == ("envs", "requirements", "locks", "models", "datasets")
    assert "give a PROJECT_DIR or envs/requirements/locks/models/datasets" in str(err)
    assert err.render(None, lambda n: "--" + n.rstrip("s")) == \
        "nothing to inventory: give a PROJECT_DIR or --env/--requirement/--lock/--model/--dataset"
