"""The OSV API, opt-in (``--online``): ``POST /v1/querybatch`` for every PyPI component, then
``GET /v1/vulns/{id}`` for each id it names (https://google.github.io/osv.dev/api/).

The records fetched go through the same validation as a database on disk and become an
in-memory :class:`~mlbom.vulns.db.Database`, so matching is mlbom's own and identical offline
and online (the API's own verdict is only used to pick which records to fetch). Every answer
is bounded in size; a network failure is an :class:`~mlbom.errors.MlbomError` (exit 2): a
check that could not be completed never passes. The base URL comes from ``MLBOM_OSV_API``
(default ``https://api.osv.dev``) — the tests point it at a local server replaying recorded
answers.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import quote

import orjson

from mlbom.errors import MlbomError
from mlbom.versions import parse_version
from mlbom.vulns.db import Database, database_from_files
from mlbom.vulns.match import Target

DEFAULT_API = "https://api.osv.dev"
MAX_RESPONSE = 64 << 20
MAX_IDS = 20_000
BATCH = 1000
TIMEOUT = 30.0
MAX_PAGES = 20


def api_base() -> str:
    return os.environ.get("MLBOM_OSV_API", DEFAULT_API).rstrip("/")


def _request(url: str, body: bytes | None = None) -> object:
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                 headers={"Content-Type": "application/json", "User-Agent": "mlbom"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            data = resp.read(MAX_RESPONSE + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise MlbomError(f"OSV API {url}: {getattr(exc, 'reason', exc)}",
                         hint="run without --online to use only --vuln-db") from exc
    if len(data) > MAX_RESPONSE:
        raise MlbomError(f"OSV API {url}: answer larger than {MAX_RESPONSE >> 20} MiB")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MlbomError(f"OSV API {url}: answer is not JSON: {exc}") from exc


def _query_versions(version: str) -> list[str]:
    """The version, and its public version when it has a local label (``2.0.0+cu118`` →
    ``2.0.0``): mlbom matches a local build by its public version (PEP 440; see
    :mod:`mlbom.vulns.match`), so the records naming the public version are fetched too, whatever
    the API makes of the local label."""
    parsed = parse_version(version)
    return [version, parsed.public] if parsed is not None and parsed.local is not None else [version]


def query_ids(targets: Sequence[Target]) -> list[str]:
    """The ids the API lists for these components (version queries; VCS installs are skipped)."""
    base = api_base()
    queries = [{"package": {"name": t.name, "ecosystem": "PyPI"}, "version": v}
               for t in targets if t.version and t.vcs_repo is None for v in _query_versions(t.version)]
    ids: set[str] = set()
    for start in range(0, len(queries), BATCH):
        batch = queries[start:start + BATCH]
        for _ in range(MAX_PAGES):
            answer = _request(f"{base}/v1/querybatch", orjson.dumps({"queries": batch}))
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list):
                raise MlbomError(f"OSV API {base}: querybatch answer has no results list")
            follow = []
            for q, res in zip(batch, results, strict=False):
                vulns = res.get("vulns") if isinstance(res, dict) else None
                for v in vulns if isinstance(vulns, list) else []:
                    if isinstance(v, dict) and isinstance(v.get("id"), str):
                        ids.add(v["id"])
                token = res.get("next_page_token") if isinstance(res, dict) else None
                if isinstance(token, str) and token:
                    follow.append({**q, "page_token": token})
            if len(ids) > MAX_IDS:
                raise MlbomError(f"OSV API {base}: more than {MAX_IDS} vulnerability ids")
            if not follow:
                break
            batch = follow
    return sorted(ids)


def query_database(targets: Sequence[Target], *, progress: Callable[[str], None] | None = None) -> Database:
    """An in-memory database of the records the API names for ``targets``."""
    ids = query_ids(targets)
    base = api_base()
    files: list[tuple[str, bytes]] = []
    for i, vid in enumerate(ids):
        if progress:
            progress(f"OSV API: {i + 1}/{len(ids)} {vid}")
        files.append((f"{vid}.json", orjson.dumps(_request(f"{base}/v1/vulns/{quote(vid, safe='')}"))))
    return database_from_files(base, files)


DEFAULT_EXPORT = "https://osv-vulnerabilities.storage.googleapis.com"
MAX_EXPORT = 2 << 30


def download_pypi_export(dest: Path) -> Path:
    """Download OSV's PyPI export (``PyPI/all.zip``) into the folder ``dest`` as ``PyPI-all.zip``,
    atomically (a failed download leaves the previous file in place). ``MLBOM_OSV_EXPORT`` sets
    the base URL. Raises :class:`MlbomError` when it cannot."""
    import tempfile
    import zipfile

    url = os.environ.get("MLBOM_OSV_EXPORT", DEFAULT_EXPORT).rstrip("/") + "/PyPI/all.zip"
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MlbomError(f"{dest}: cannot create the folder: {exc.strerror or exc}") from exc
    fd, tmp = tempfile.mkstemp(prefix=".PyPI-all-", suffix=".zip", dir=dest)
    try:
        total = 0
        with os.fdopen(fd, "wb") as out:
            req = urllib.request.Request(url, headers={"User-Agent": "mlbom"})
            try:
                with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                    while chunk := resp.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_EXPORT:
                            raise MlbomError(f"{url}: larger than {MAX_EXPORT >> 30} GiB; not kept")
                        out.write(chunk)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                raise MlbomError(f"{url}: {getattr(exc, 'reason', exc)}") from exc
        if not zipfile.is_zipfile(tmp):
            raise MlbomError(f"{url}: the download is not a zip; not kept")
        final = dest / "PyPI-all.zip"
        os.replace(tmp, final)
        return final
    finally:
        Path(tmp).unlink(missing_ok=True)
