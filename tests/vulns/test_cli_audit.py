"""mlbom audit: any producer's BOM, JSON or XML; exit codes; --online against a local replay server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from mlbom.cli import main
from tests.conftest import assert_valid
from tests.vulns.conftest import PYPA_SUBSET

FOREIGN_14 = {
    "bomFormat": "CycloneDX", "specVersion": "1.4", "version": 3,
    "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    "metadata": {"component": {"type": "application", "bom-ref": "app", "name": "app"}},
    "components": [
        {"type": "library", "bom-ref": "lib-requests", "name": "requests", "version": "2.25.1",
         "purl": "pkg:pypi/requests@2.25.1"},
        {"type": "library", "bom-ref": "lib-jinja", "name": "Jinja2", "version": "2.11.2", "purl": "pkg:pypi/Jinja2@2.11.2",
         "components": [{"type": "library", "bom-ref": "nested-idna", "name": "idna", "version": "2.10",
                         "purl": "pkg:pypi/idna@2.10"}]},
        {"type": "library", "bom-ref": "lib-unpinned", "name": "flask", "purl": "pkg:pypi/flask"},
        {"type": "library", "bom-ref": "npm", "name": "left-pad", "version": "1.0.0", "purl": "pkg:npm/left-pad@1.0.0"},
        {"type": "library", "bom-ref": "lib-bad", "name": "tqdm", "version": "four", "purl": "pkg:pypi/tqdm@four"},
    ],
    "vulnerabilities": [{"bom-ref": "other-tool-1", "id": "SNYK-PYTHON-X-1", "affects": [{"ref": "lib-requests"}]}],
}

FOREIGN_XML_15 = """<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b70" version="1">
  <components>
    <component type="library" bom-ref="u3"><name>urllib3</name><version>1.26.4</version>
      <purl>pkg:pypi/urllib3@1.26.4</purl></component>
  </components>
</bom>
"""


def test_foreign_json_14_bom(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "foreign.json"
    src.write_text(json.dumps(FOREIGN_14), "utf-8")
    out = tmp_path / "out.json"
    assert main(["audit", str(src), "--vuln-db", str(PYPA_SUBSET), "-o", str(out)]) == 0
    doc = assert_valid(out.read_bytes())
    assert doc["version"] == 4 and doc["serialNumber"] == FOREIGN_14["serialNumber"]
    vulns = doc["vulnerabilities"]
    assert isinstance(vulns, list)
    assert vulns[0]["id"] == "SNYK-PYTHON-X-1"  # another tool's finding is kept
    refs = {a["ref"] for v in vulns for a in v.get("affects", [])}
    assert {"lib-requests", "lib-jinja", "nested-idna"} <= refs
    assert "lib-unpinned" not in refs and "npm" not in refs
    tqdm = next(c for c in doc["components"] if c["bom-ref"] == "lib-bad")  # type: ignore[union-attr]
    assert any("vuln.version-invalid" in p["value"] for p in tqdm["properties"])
    err = capsys.readouterr().err
    assert "4 PyPI component(s) checked" in err


def test_foreign_xml_bom_is_written_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "foreign.xml"
    src.write_text(FOREIGN_XML_15, "utf-8")
    out = tmp_path / "out.json"
    assert main(["audit", str(src), "--vuln-db", str(PYPA_SUBSET), "-o", str(out)]) == 0
    doc = assert_valid(out.read_bytes())
    assert doc["specVersion"] == "1.5"
    assert {v["id"] for v in doc["vulnerabilities"]} >= {"PYSEC-2021-108", "PYSEC-2023-192"}  # type: ignore[union-attr]
    assert "read as XML, written as JSON" in capsys.readouterr().err


def test_signed_bom_loses_its_signature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    signed = dict(FOREIGN_14, signature={"algorithm": "ES256", "value": "AAAA"})
    src = tmp_path / "signed.json"
    src.write_text(json.dumps(signed), "utf-8")
    out = tmp_path / "out.json"
    assert main(["audit", str(src), "--vuln-db", str(PYPA_SUBSET), "-o", str(out)]) == 0
    assert "signature" not in json.loads(out.read_bytes())
    assert "re-sign it" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--vuln-db", "/nonexistent/db"], 2, "cannot read the vulnerability database"),
    ([], 2, "give --vuln-db"),
])
def test_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str) -> None:
    src = tmp_path / "foreign.json"
    src.write_text(json.dumps(FOREIGN_14), "utf-8")
    assert main(["audit", str(src), *args]) == code
    assert message in capsys.readouterr().err


def test_not_a_bom_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "x.json"
    src.write_text("{}", "utf-8")
    assert main(["audit", str(src), "--vuln-db", str(PYPA_SUBSET)]) == 2


def test_fail_on_unrated_is_never_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "foreign.json"
    src.write_text(json.dumps(FOREIGN_14), "utf-8")
    # requests' PYSEC-2023-74 carries no CVSS vector in the PyPA record: it meets every threshold
    assert main(["audit", str(src), "--vuln-db", str(PYPA_SUBSET), "--fail-on", "critical", "-o", str(tmp_path / "o")]) == 1
    assert "PYSEC-2023-74" in capsys.readouterr().err


def test_generate_vex_without_db_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--requirements", str(tmp_path / "r.txt"), "--vex", str(tmp_path / "v.json")]) == 2


# ---------------------------------------------------------------------------------------
# --online: a local server replays recorded OSV API answers (no real network).


def _recorded_answers() -> dict[str, bytes]:
    """The answers api.osv.dev gives for urllib3 1.26.4, recorded as the API shapes them: the
    querybatch lists ids (and modified), /v1/vulns/ID returns the record as JSON."""
    answers: dict[str, bytes] = {}
    ids = []
    for path in sorted((PYPA_SUBSET / "vulns" / "urllib3").glob("*.yaml")):
        rec = yaml.safe_load(path.read_text("utf-8"))
        rec = json.loads(json.dumps(rec, default=lambda d: d.isoformat().replace("+00:00", "Z")))
        answers[f"/v1/vulns/{rec['id']}"] = json.dumps(rec).encode()
        ids.append({"id": rec["id"], "modified": rec["modified"]})
    answers["/v1/querybatch"] = json.dumps({"results": [{"vulns": ids}]}).encode()
    return answers


@pytest.fixture()
def osv_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    answers = _recorded_answers()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(f"{self.command} {self.path}")
            if self.command == "POST":
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                assert body == {"queries": [{"package": {"name": "urllib3", "ecosystem": "PyPI"}, "version": "1.26.4"}]}
            data = answers.get(self.path)
            self.send_response(200 if data else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data or b'{"code": 5, "message": "Bug not found."}')

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MLBOM_OSV_API", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def test_online_queries_the_batch_endpoint(tmp_path: Path, osv_server: list[str]) -> None:
    src = tmp_path / "foreign.xml"
    src.write_text(FOREIGN_XML_15, "utf-8")
    out = tmp_path / "out.json"
    assert main(["audit", str(src), "--online", "-o", str(out)]) == 0
    doc = assert_valid(out.read_bytes())
    offline = tmp_path / "offline.json"
    assert main(["audit", str(src), "--vuln-db", str(PYPA_SUBSET), "-o", str(offline)]) == 0
    ids = {v["id"] for v in doc["vulnerabilities"]}  # type: ignore[union-attr]
    assert ids == {v["id"] for v in json.loads(offline.read_bytes())["vulnerabilities"]}
    assert osv_server[0] == "POST /v1/querybatch"


def test_online_failure_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLBOM_OSV_API", "http://127.0.0.1:9")  # discard port: nothing listens
    src = tmp_path / "foreign.xml"
    src.write_text(FOREIGN_XML_15, "utf-8")
    assert main(["audit", str(src), "--online"]) == 2
    assert "OSV API" in capsys.readouterr().err


def test_reaudit_replaces_the_earlier_audit(tmp_path: Path) -> None:
    src = tmp_path / "foreign.json"
    src.write_text(json.dumps(FOREIGN_14), "utf-8")
    once, twice = tmp_path / "once.json", tmp_path / "twice.json"
    assert main(["audit", str(src), "--vuln-db", str(PYPA_SUBSET), "-o", str(once)]) == 0
    assert main(["audit", str(once), "--vuln-db", str(PYPA_SUBSET), "-o", str(twice)]) == 0
    a, b = json.loads(once.read_bytes()), assert_valid(twice.read_bytes())
    assert [v["id"] for v in a["vulnerabilities"]] == [v["id"] for v in b["vulnerabilities"]]
    assert b["version"] == a["version"] + 1


def test_requirements_pins_are_matched(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("jinja2==2.11.2\nrequests>=2.0\n", "utf-8")
    out = tmp_path / "bom.json"
    assert main(["generate", "--requirements", str(req), "--vuln-db", str(PYPA_SUBSET), "--reproducible", "-o", str(out)]) == 0
    doc = assert_valid(out.read_bytes())
    refs = {a["ref"] for v in doc["vulnerabilities"] for a in v["affects"]}  # type: ignore[union-attr]
    assert any("jinja2" in r for r in refs) and not any("requests" in r for r in refs)  # unpinned: nothing to compare


def test_lock_file_packages_are_matched(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\nrequires-python = ">=3.10"\n\n[[package]]\nname = "jinja2"\nversion = "2.11.2"\n'
                    'source = { registry = "https://pypi.org/simple" }\n\n[[package]]\nname = "certifi"\n'
                    'version = "2024.8.30"\nsource = { registry = "https://pypi.org/simple" }\n', "utf-8")
    out = tmp_path / "bom.json"
    assert main(["generate", "--lock", str(lock), "--vuln-db", str(PYPA_SUBSET), "--reproducible", "-o", str(out)]) == 0
    doc = assert_valid(out.read_bytes())
    by_ref = {a["ref"]: v["id"] for v in doc["vulnerabilities"] for a in v["affects"]}  # type: ignore[union-attr]
    assert [ref for ref in by_ref if "jinja2" in ref] and not [ref for ref in by_ref if "certifi" in ref]


def test_update_db_downloads_the_pypi_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((PYPA_SUBSET / "vulns" / "urllib3").glob("*.yaml")):
            zf.writestr(path.name, path.read_bytes())
    payload = buf.getvalue()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            ok = self.path == "/PyPI/all.zip"
            self.send_response(200 if ok else 404)
            self.end_headers()
            self.wfile.write(payload if ok else b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("MLBOM_OSV_EXPORT", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        assert main(["audit", "--update-db", str(tmp_path / "db")]) == 2  # needs --online
        assert main(["audit", "--update-db", str(tmp_path / "db"), "--online"]) == 0
        assert (tmp_path / "db" / "PyPI-all.zip").read_bytes() == payload
        src = tmp_path / "foreign.xml"
        src.write_text(FOREIGN_XML_15, "utf-8")
        out = tmp_path / "out.json"
        assert main(["audit", str(src), "--update-db", str(tmp_path / "db"), "--online", "-o", str(out)]) == 0
        assert "PYSEC-2021-108" in {v["id"] for v in assert_valid(out.read_bytes())["vulnerabilities"]}  # type: ignore[union-attr]
        assert seen == ["/PyPI/all.zip", "/PyPI/all.zip"]
    finally:
        server.shutdown()
        server.server_close()
