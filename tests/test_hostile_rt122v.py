"""Red team 122v.

122v-1: ``verify ENVELOPE --key K [--bom F]`` said "verified (dsse)" for a predicate whose ROOT JSF
``signature`` nobody checked (a forged signer naming another party's key X, with a value X never
made). The predicate's root signature is now verified as ``verify`` does a JSON BOM's, under the
same keys: every signer by a key in K, else verification FAILED (exit 1, one line). ``sign --dsse``
still attests a JSF-signed BOM, with one line on stderr when its own key does not verify it.

122v-3: ``report`` of a valid 896 KB BOM of 30,000 minimal dataset components made one section and
two tables per dataset (60,000 tables), 4.5 s and 33-57 MB of report. Now full sections for at most
``MAX_REPORT_SECTIONS`` models and datasets, at most ``MAX_REPORT_TABLE_ROWS`` rows per table and
``MAX_REPORT_CELLS`` cells in all, each cut counted in the report. Asserted through counted calls,
table cells and output size, never time.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from mlbom import dsse, jsf, signing
from mlbom.cli import main
from mlbom.limits import MAX_REPORT_CELLS, MAX_REPORT_SECTIONS, MAX_REPORT_TABLE_ROWS
from tests.helpers import counting_calls


def _keypair(tmp_path: Path, name: str) -> tuple[signing.PrivateKey, Path, Path]:
    k = signing.generate_key("es256")
    pub = tmp_path / f"{name}.pub"
    pub.write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    priv = tmp_path / f"{name}.key"
    priv.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return k, pub, priv


def _base() -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "bom-ref": "a", "name": "a", "version": "1"}]}


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


def _attest(tmp_path: Path, bom_bytes: bytes, k: signing.PrivateKey) -> tuple[Path, Path]:
    """The BOM file and a DSSE envelope over it by ``k`` (built directly: no CLI note involved)."""
    bom = tmp_path / "bom.json"
    bom.write_bytes(bom_bytes)
    env = tmp_path / "bom.intoto.json"
    env.write_bytes(dsse.sign_statement(bom_bytes, json.loads(bom_bytes), k, bom_name="bom.json", extra_subjects=[]))
    return bom, env


def _verify_both(env: Path, bom: Path, pub: Path) -> list[int]:
    return [main(["verify", str(env), "--key", str(pub)]),
            main(["verify", str(env), "--key", str(pub), "--bom", str(bom)])]


def test_a_forged_root_signer_in_the_predicate_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The red team's case: a signer naming X's key with a value X never made."""
    k, pub, _ = _keypair(tmp_path, "ci")
    x, _, _ = _keypair(tmp_path, "sec")
    doc = _base()
    doc["signature"] = {"signers": [{"algorithm": "ES256", "publicKey": jsf.jwk_of(x.public_key()),
                                     "value": base64.urlsafe_b64encode(b"\x01" * 64).rstrip(b"=").decode()}]}
    bom, env = _attest(tmp_path, json.dumps(doc).encode(), k)
    for rc in _verify_both(env, bom, pub):
        assert rc == 1
    err = _err(capsys)
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("FAILED" in line and "JSF signature" in line for line in lines), err


def test_a_forged_root_signer_by_a_key_in_k_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The forged value names K itself: the signature is checked, not only its key."""
    k, pub, _ = _keypair(tmp_path, "ci")
    doc = _base()
    doc["signature"] = {"signers": [{"algorithm": "ES256", "publicKey": jsf.jwk_of(k.public_key()),
                                     "value": base64.urlsafe_b64encode(b"\x01" * 64).rstrip(b"=").decode()}]}
    bom, env = _attest(tmp_path, json.dumps(doc).encode(), k)
    assert _verify_both(env, bom, pub) == [1, 1]
    assert "does not match" in _err(capsys)


def test_a_root_signer_valid_by_an_untrusted_key_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    k, pub, _ = _keypair(tmp_path, "ci")
    _x, xpub, xpriv = _keypair(tmp_path, "other")
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(_base()))
    signed = tmp_path / "signed.json"
    assert main(["sign", str(plain), "--key", str(xpriv), "-o", str(signed)]) == 0
    assert main(["verify", str(signed), "--key", str(xpub)]) == 0  # genuinely signed by X
    bom, env = _attest(tmp_path, signed.read_bytes(), k)
    _err(capsys)
    assert _verify_both(env, bom, pub) == [1, 1]
    err = _err(capsys)
    assert len(err.strip().splitlines()) == 2 and "not a trusted key" in err, err
    # trusting X as well, every signature on the input is by a key in K: verified
    assert main(["verify", str(env), "--key", str(pub), "--key", str(xpub)]) == 0


def test_a_root_signer_valid_by_a_key_in_k_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Sign, then attest with the same key (the workflow the rule keeps)."""
    _k, pub, priv = _keypair(tmp_path, "ci")
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(_base()))
    signed = tmp_path / "signed.json"
    assert main(["sign", str(plain), "--key", str(priv), "-o", str(signed)]) == 0
    env = tmp_path / "signed.intoto.json"
    assert main(["sign", "--dsse", str(signed), "--key", str(priv), "-o", str(env)]) == 0
    assert "note:" not in _err(capsys)  # its own key verifies the BOM: nothing to say
    assert _verify_both(env, signed, pub) == [0, 0]
    out = capsys.readouterr().out
    assert "JSF ES256 in the predicate" in out and "verified (dsse)" in out


def test_sign_dsse_says_when_its_key_does_not_verify_the_bom(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``sign --dsse`` keeps attesting a BOM signed by another key, with one line on stderr."""
    _k, pub, priv = _keypair(tmp_path, "ci")
    _x, xpub, xpriv = _keypair(tmp_path, "other")
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(_base()))
    signed = tmp_path / "signed.json"
    assert main(["sign", str(plain), "--key", str(xpriv), "-o", str(signed)]) == 0
    _err(capsys)
    env = tmp_path / "e.json"
    assert main(["sign", "--dsse", str(signed), "--key", str(priv), "-o", str(env)]) == 0
    notes = [line for line in _err(capsys).splitlines() if not line.startswith("wrote ")]
    assert len(notes) == 1 and notes[0].startswith("note:") and "JSF signature" in notes[0], notes
    assert main(["verify", str(env), "--key", str(pub)]) == 1
    assert main(["verify", str(env), "--key", str(pub), "--key", str(xpub)]) == 0


# ---- 122v-3: report --------------------------------------------------------------------

def _many(n: int, kind: str = "data") -> bytes:
    doc = _base()
    doc["components"] = [{"type": kind, "name": f"{i:x}"} for i in range(n)]
    return json.dumps(doc, separators=(",", ":")).encode()


def _cells(report: Any) -> int:
    from mlbom.report.model import Facts, Table

    return sum(len(b.rows) * len(b.head) if isinstance(b, Table) else 2 * len(b.pairs) if isinstance(b, Facts) else 0
               for s in report.sections for b in s.blocks)


@pytest.mark.parametrize("kind", ["data", "machine-learning-model"])
def test_report_details_a_bounded_number_of_components(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twice the components: the same number of sections, and a report of about the same size in
    every format (it grew ~1.1 KB a component, 37-63 x the input); each cut is stated."""
    import mlbom.report.model as rm
    from mlbom import reader
    from mlbom import report as rp

    section = "_dataset_section" if kind == "data" else "_model_section"
    what = "datasets" if kind == "data" else "models"
    sizes: list[dict[str, int]] = []
    for n in (MAX_REPORT_TABLE_ROWS + 1000, 2 * (MAX_REPORT_TABLE_ROWS + 1000)):
        data = _many(n, kind)
        with counting_calls(monkeypatch, rm, section) as calls:
            r = rp.build(reader.loads(data, "many.json"))
        assert calls[0] == MAX_REPORT_SECTIONS  # was one section per component
        assert _cells(r) <= MAX_REPORT_CELLS
        sizes.append({})
        for fmt in ("markdown", "text", "html"):
            text = rp.render(r, fmt)  # type: ignore[arg-type]
            sizes[-1][fmt] = len(text)
            assert len(text) < 10 * len(data), (fmt, len(text), len(data))  # was 37-63 x
            assert f"Full sections for the first {MAX_REPORT_SECTIONS} of {n} {what}" in text
            assert f"{n - MAX_REPORT_TABLE_ROWS} more row(s) not shown" in text  # never silently dropped
    for fmt, small in sizes[0].items():
        assert sizes[1][fmt] < small * 1.1, (fmt, small, sizes[1][fmt])  # the licence table names every one


def test_report_through_the_cli_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "many.json"
    bom.write_bytes(_many(MAX_REPORT_TABLE_ROWS + 100))
    for fmt in ("markdown", "text", "html"):
        out = tmp_path / f"r.{fmt}"
        assert main(["report", str(bom), "--format", fmt, "-o", str(out)]) == 0
        assert "100 more row(s) not shown" in out.read_text("utf-8")
    capsys.readouterr()


def test_report_cells_are_bounded_whatever_the_sharing(tmp_path: Path) -> None:
    """Files shared by every dataset: each dataset's Files table would list all of them (datasets x
    files rows from an input of datasets + files); the cell budget holds, and the cut is counted."""
    from mlbom import reader
    from mlbom import report as rp

    files = [{"type": "file", "name": f"f{i}", "bom-ref": f"f{i}"} for i in range(1000)]
    datasets = [{"type": "data", "name": f"d{i}", "bom-ref": f"d{i}"} for i in range(MAX_REPORT_SECTIONS)]
    doc = _base()
    doc["components"] = datasets + files
    doc["dependencies"] = [{"ref": f"d{i}", "dependsOn": [f"f{j}" for j in range(1000)]}
                           for i in range(MAX_REPORT_SECTIONS)]
    data = json.dumps(doc).encode()
    r = rp.build(reader.loads(data, "shared.json"))
    assert _cells(r) <= MAX_REPORT_CELLS + 2 * 20 * (2 * MAX_REPORT_SECTIONS + 20)  # Facts are counted, never cut
    from mlbom.report.model import Table

    assert sum(b.omitted for s in r.sections for b in s.blocks if isinstance(b, Table)) > 0
    text = rp.render(r, "markdown")
    assert "more row(s) not shown" in text and len(text) < 12 * len(data)


def test_report_key_and_min_score_are_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The sign-off path: report --key of a genuinely signed many-component BOM, and --min-score's
    stderr (one line per low score before)."""
    _k, pub, priv = _keypair(tmp_path, "k")
    n = 2 * MAX_REPORT_TABLE_ROWS
    bom = tmp_path / "many.json"
    bom.write_bytes(_many(n))
    signed = tmp_path / "many.signed.json"
    assert main(["sign", str(bom), "--key", str(priv), "-o", str(signed)]) == 0
    out = tmp_path / "r.md"
    capsys.readouterr()
    assert main(["report", str(signed), "--key", str(pub), "--min-score", "100", "-o", str(out)]) == 1
    text = out.read_text("utf-8")
    assert "verified | yes" in text and len(text) < 3 * signed.stat().st_size
    err = capsys.readouterr().err.splitlines()
    assert len(err) <= MAX_REPORT_SECTIONS + 2 and any(f"{n - MAX_REPORT_SECTIONS + 1} more below" in e or
                                                       f"{n - MAX_REPORT_SECTIONS} more below" in e for e in err), err[-3:]


# ---- 122v-4: audit ---------------------------------------------------------------------

PYPA_SUBSET = Path(__file__).parent / "fixtures" / "osv" / "pypa-subset"


def _audit_bom(tmp_path: Path, n: int) -> Path:
    pk = ["requests", "jinja2", "flask", "torch", "idna", "tqdm"]
    doc = _base()
    doc["components"] = [{"type": "library", "name": pk[i % len(pk)], "version": f"0.{i}", "bom-ref": f"c{i}",
                          "purl": f"pkg:pypi/{pk[i % len(pk)]}@0.{i}"} for i in range(n)]
    bom = tmp_path / "many.json"
    bom.write_text(json.dumps(doc))
    return bom


def test_audit_builds_each_vulnerability_object_once_without_cyclic_collection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each vulnerability is made a CycloneDX object once (BOM and VEX: it was twice), aliases are
    joined once per record (it was once per match), and no cyclic collection runs while the
    matches' objects are built (each walked every live container: 0.8 of 2.0 s at 10,000
    components). The output is what CycloneDX requires: every affected component listed."""
    import gc

    import mlbom.cyclonedx.build as cb
    import mlbom.vulns.audit as au
    from mlbom.unionfind import IdGroups
    from mlbom.vulns import service

    bom = _audit_bom(tmp_path, 600)
    seen_gc: list[bool] = []
    real = au.audit_components

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen_gc.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "audit_components", spy)
    with counting_calls(monkeypatch, cb, "vulnerability_dict") as made, \
            counting_calls(monkeypatch, IdGroups, "union") as unions:
        out = service.audit_file(bom, [PYPA_SUBSET])
    assert gc.isenabled()  # back on after
    assert seen_gc == [False]
    vulns = out.vulnerabilities
    assert vulns and made[0] == len(vulns)
    matches = sum(len(v.affects) for v in vulns)
    assert matches > 10 * len(vulns)
    aliases = sum(len(v.references) + 1 for v in vulns)
    assert unions[0] <= aliases, (unions[0], aliases)
    doc = json.loads(out.bom_json)
    assert sum(len(v["affects"]) for v in doc["vulnerabilities"]) == matches  # nothing cut


def test_report_and_convert_build_without_cyclic_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's read model and scores, and the SPDX graph, are built with the cyclic collector
    paused (its older generations walked every live container: report 1.05 -> 0.79 s, convert 3.90
    -> 3.27 s in-process at 30,000 components), and it is back on after."""
    import gc

    import mlbom.score as score
    import mlbom.spdx3 as spdx3
    from mlbom import reader
    from mlbom import report as rp

    seen: list[bool] = []
    for owner, name in ((score, "score_all"), (spdx3, "build")):
        real = getattr(owner, name)

        def spy(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            seen.append(gc.isenabled())
            return _real(*args, **kwargs)

        monkeypatch.setattr(owner, name, spy)
    loaded = reader.loads(_many(50), "m.json")
    rp.build(loaded)
    spdx3.to_spdx3(loaded)
    assert seen == [False, False] and gc.isenabled()
