from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlbom.cyclonedx.validate import validate_bytes
from tests.helpers import make_venv, make_wheel, set_direct_url, site_packages

# One OpenMP/BLAS thread for the scikit-learn fits of the native-state tests (set before any such
# library loads): on a busy 2-core machine their spinning worker threads made a 0.3 s fit take 15 s.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _cache_key_outside_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The OSV index cache's per-user key (``mlbom.vulns.db.cache_key``) and the cache folder (the
    hash cache) in temporary folders, never the user's ``~/.config`` or ``~/.cache``: another
    checkout's mlbom sharing the user's hash cache (a newer schema) made a command warn."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLBOM_CACHE_KEY_FILE", str(tmp_path_factory.mktemp("cache-key") / "cache.key"))
        mp.setenv("MLBOM_CACHE_DIR", str(tmp_path_factory.mktemp("mlbom-cache")))  # OSV indexes
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))  # the hash cache
        yield


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present beside the checkout")
    return CORPUS


def assert_valid(data: bytes) -> dict[str, object]:
    """Every BOM a test produces is validated against the official schema."""
    report = validate_bytes(data)
    assert report.ok, report.problems[:10]
    return json.loads(data) if data.lstrip()[:1] == b"{" else {}


SBOM = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}).encode()


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    make_wheel(out, "alpha", "1.0", requires=["beta>=1.0", "gamma[fast]>=2; python_version >= '3'",
                                               "notinstalled>=1; extra == 'full'"],
               extras=["full"], license_expr="MIT OR Apache-2.0", sbom=SBOM)
    make_wheel(out, "beta", "1.2", license_text="BSD-3-Clause")
    make_wheel(out, "gamma", "2.0", requires=["delta; extra == 'fast'"], extras=["fast"],
               classifiers=["License :: OSI Approved :: MIT License"])
    make_wheel(out, "delta", "0.5", requires=["beta<1.0", "missing-pkg>=2"],
               license_text="Custom licence\nwith several lines of text\nthat is not SPDX")
    make_wheel(out, "epsilon", "3.0", license_expr="LicenseRef-Proprietary")
    make_wheel(out, "eta", "1.0", requires=["beta<1.0; extra == 'opt'"], extras=["opt"])
    make_wheel(out, "zeta", "0.1", summary="installed from a VCS (direct_url rewritten)")
    return out


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    """A real venv (pip install --no-deps, as sequential installs leave it): alpha needs beta and
    gamma[fast], which pulls delta; delta pins beta<1.0, which conflicts, and needs missing-pkg."""
    root = make_venv(tmp_path_factory.mktemp("env") / "venv", wheels, ["alpha", "beta", "gamma", "delta", "epsilon", "eta", "zeta"])
    sp = site_packages(root)
    set_direct_url(sp / "zeta-0.1.dist-info", {
        "url": "https://github.com/example/zeta.git",
        "vcs_info": {"vcs": "git", "commit_id": "0123456789abcdef0123456789abcdef01234567",
                     "requested_revision": "main"}})
    set_direct_url(sp / "epsilon-3.0.dist-info", {"url": "file:///src/epsilon", "dir_info": {"editable": True}})
    return root


@pytest.fixture()
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh mlbom cache folder and key for one test, no OSV API, a fixed SOURCE_DATE_EPOCH: the
    CLI red-team tests' setting (a cached OSV index from another test never answers)."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MLBOM_CACHE_DIR", str(cache))
    monkeypatch.setenv("MLBOM_CACHE_KEY_FILE", str(tmp_path_factory.mktemp("key") / "cache.key"))
    # the hash cache (mlbom.manifest.cache.default_dir) too: one left by another mlbom version warns
    # that it is rebuilt, a line on stderr the one-line tests do not expect
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.delenv("MLBOM_OSV_API", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return cache


@pytest.fixture()
def chdir_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server on loopback: ``MLBOM_TEST_POSTGRES_URL`` when set (``.ci/run`` sets it),
    else one started here from the Debian server binaries, else the test is skipped with the reason."""
    import os

    url = os.environ.get("MLBOM_TEST_POSTGRES_URL")
    started = False
    # one server per test session: two sessions sharing a folder would stop each other's server
    where = Path(os.environ.get("MLBOM_TEST_POSTGRES_DIR", f"/tmp/mlbom-test-postgres-pytest-{os.getpid()}"))
    if not url:
        from tests import postgres_server as pgs

        try:
            url = pgs.start(where)
            started = True
        except Exception as exc:  # any failure to start is a reason to skip
            pytest.skip(f"no PostgreSQL server could be started ({exc}); set MLBOM_TEST_POSTGRES_URL")
    yield url
    if started:
        from tests import postgres_server as pgs

        pgs.stop(where)
        if "MLBOM_TEST_POSTGRES_DIR" not in os.environ:
            shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty index database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.db'}"
        return
    import uuid

    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install mlbom[postgresql])")
    server = request.getfixturevalue("postgres_server")
    name = f"mlbom_t_{uuid.uuid4().hex[:12]}"
    admin = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    from mlbom.index import dispose_all

    dispose_all()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
