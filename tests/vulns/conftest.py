from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PYPA_SUBSET = FIXTURES / "osv" / "pypa-subset"

OLD_RELEASES = {"requests": "2.25.1", "urllib3": "1.26.4", "Jinja2": "2.11.2", "Flask": "1.0", "Werkzeug": "2.0.0",
                "joblib": "1.1.0", "nltk": "3.6.5", "tqdm": "4.11.0", "certifi": "2020.12.5", "idna": "2.10"}


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own index cache; nothing is written to the user's."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(cache))
    monkeypatch.delenv("MLBOM_OSV_API", raising=False)
    yield cache


def write_site_packages(root: Path, dists: dict[str, str]) -> Path:
    """A site-packages folder with one hand-written .dist-info/METADATA per distribution."""
    sp = root / "lib" / "python3.11" / "site-packages"
    for name, version in dists.items():
        d = sp / f"{name}-{version}.dist-info"
        d.mkdir(parents=True)
        (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", "utf-8")
        (d / "INSTALLER").write_text("pip\n", "utf-8")
    return sp


@pytest.fixture()
def old_site_packages(tmp_path: Path) -> Path:
    return write_site_packages(tmp_path / "venv", OLD_RELEASES)


def record(rid: str, package: str, *, events: list[dict[str, str]] | None = None, versions: list[str] | None = None,
           aliases: list[str] | None = None, rtype: str = "ECOSYSTEM", extra: dict[str, object] | None = None,
           ecosystem: str = "PyPI") -> dict[str, object]:
    """A minimal valid OSV record."""
    affected: dict[str, object] = {"package": {"ecosystem": ecosystem, "name": package}}
    if events is not None:
        affected["ranges"] = [{"type": rtype, "events": events}]
    if versions is not None:
        affected["versions"] = versions
    rec: dict[str, object] = {"schema_version": "1.6.0", "id": rid, "modified": "2024-01-01T00:00:00Z",
                              "published": "2023-06-01T00:00:00Z", "summary": f"{rid} in {package}",
                              "details": f"details of {rid}", "affected": [affected]}
    if aliases:
        rec["aliases"] = aliases
    rec.update(extra or {})
    return rec


def write_db(folder: Path, records: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, r in enumerate(records):
        (folder / f"{i:03d}-{r['id']}.json").write_text(json.dumps(r), "utf-8")
    return folder
