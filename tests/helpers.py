"""Test helpers: real wheel files built by hand (a zip with a .dist-info), so the test
environment is made by a real ``pip install`` without reaching any index."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

T = TypeVar("T")

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pytest

    import mlbom


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(out: Path, name: str, version: str, *, requires: list[str] = (),  # type: ignore[assignment]
               extras: list[str] = (), license_expr: str | None = None,  # type: ignore[assignment]
               license_text: str | None = None, classifiers: list[str] = (),  # type: ignore[assignment]
               sbom: bytes | None = None, summary: str = "test package") -> Path:
    """Write ``name-version-py3-none-any.whl`` with one module and a valid RECORD."""
    mod = name.replace("-", "_")
    dist = f"{mod}-{version}.dist-info"
    meta = [f"Metadata-Version: {'2.4' if license_expr else '2.1'}", f"Name: {name}", f"Version: {version}",
            f"Summary: {summary}", "Home-page: https://example.org/" + name,
            "Project-URL: Source, https://github.com/example/" + name]
    if license_expr:
        meta.append(f"License-Expression: {license_expr}")
        meta.append("License-File: LICENSE")
    if license_text:
        meta.append("License: " + license_text.replace("\n", "\n        "))
    meta += [f"Classifier: {c}" for c in classifiers]
    meta += [f"Provides-Extra: {e}" for e in extras]
    meta += [f"Requires-Dist: {r}" for r in requires]
    files: dict[str, bytes] = {
        f"{mod}/__init__.py": f"# {name} {version}\nVALUE = {version!r}\n".encode(),
        f"{dist}/METADATA": ("\n".join(meta) + "\n\nLong description.\n").encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: mlbom-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if license_expr:
        files[f"{dist}/licenses/LICENSE"] = b"license text\n"
    if sbom is not None:
        files[f"{dist}/sboms/{name}.cdx.json"] = sbom
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in files.items()) + f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record.encode()
    path = out / f"{mod}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
    return path


def make_venv(root: Path, wheels_dir: Path, packages: list[str]) -> Path:
    """A real virtualenv (without pip) populated by the running pip, offline."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    py = root / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check", "--python", str(py),
         "install", "--no-index", "--find-links", str(wheels_dir), "--no-compile", "-q", "--no-deps", *packages],
        check=True,
    )
    return root


def site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python*/site-packages"))


def set_direct_url(dist_info: Path, doc: dict[str, object]) -> None:
    (dist_info / "direct_url.json").write_text(json.dumps(doc))


def all_properties(doc: object) -> list[dict[str, object]]:
    """Every ``properties`` entry anywhere in a BOM document (components at any depth,
    metadata, vulnerabilities…), walked without recursion."""
    found: list[dict[str, object]] = []
    stack: list[object] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, list):
                found += [p for p in props if isinstance(p, dict)]
            stack += list(node.values())
        elif isinstance(node, list):
            stack += node
    return found


def cli_within_contract(args: list[str], capsys: pytest.CaptureFixture[str], *, want: set[int],
                        limit_s: float = 10.0) -> tuple[str, str]:
    """Run the CLI in-process on hostile input and hold it to the contract: an exit code in
    ``want``, never an internal error or a traceback, an error (exit 2) is one line on stderr
    (hints aside), and the run ends within ``limit_s``. Returns (stdout, stderr)."""
    import time

    from mlbom.cli import main

    start = time.perf_counter()
    rc = main(args)
    took = time.perf_counter() - start
    out, err = capsys.readouterr()
    assert rc in want, f"exit {rc}, stderr: {err}"
    assert "internal error" not in err and "Traceback" not in err, err
    if rc == 2:
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("mlbom: hint:")]
        assert len(lines) == 1, err
        assert len(lines[0]) < 1000, lines[0]
    assert took < limit_s, f"took {took:.1f}s"
    return out, err


def keras_archive(cfg: object) -> bytes:
    """A Keras 3 ``.keras`` archive (metadata and config, no weights) holding ``cfg``."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", '{"keras_version": "3.15.1", "date_saved": "2026-12-01@12:34:00"}')
        z.writestr("config.json", json.dumps(cfg))
    return buf.getvalue()


def bom_text(bom: mlbom.Bom) -> str:
    """``bom`` serialized, checked against the CycloneDX schema."""
    import mlbom
    from tests.conftest import assert_valid

    text = mlbom.dumps(bom).decode()
    assert_valid(text.encode())
    return text


def finding_ids(bom: mlbom.Bom) -> list[str]:
    """The ids of ``bom``'s findings, sorted."""
    return sorted(f.id for f in bom.findings)


def model_verdicts(proj: Path) -> dict[str, str | None]:
    """Each machine-learning-model component of ``generate``'s BOM of the project folder ``proj``, by
    bom-ref, with its ``mlbom:safety:verdict``."""
    from mlbom.inventory import Inputs, generate

    bom = generate(Inputs(project_dir=proj), reproducible=True)
    return {c.bom_ref: next((p.value for p in c.properties if p.name == "mlbom:safety:verdict"), None)
            for c in bom.components if c.type == "machine-learning-model"}


def file_refs(proj: Path) -> set[str]:
    """The bom-refs of the file components of ``generate``'s BOM of the project folder ``proj``."""
    from mlbom.inventory import Inputs, generate

    bom = generate(Inputs(project_dir=proj), reproducible=True)
    return {c.bom_ref for c in bom.components if c.type == "file"}


def keras_verdict(effects: dict[str, str]) -> str:
    """The verdict a Keras judgement's effects fold to."""
    vals = set(effects.values())
    return next((v for v in ("unsafe", "error", "suspicious") if v in vals), "safe")


def keras_judged(doc: object, loader: str | None = "keras3") -> tuple[str, set[str]]:
    """The verdict and finding ids :func:`mlbom.formats.keras.judge_config` gives ``doc`` under ``loader``'s rules."""
    from mlbom.formats.keras import judge_config

    f = judge_config(doc, "config.json", loader=loader)
    return keras_verdict(dict(f.effects)), {i for i, _, _ in f.findings}


def keras_dense(**config: object) -> dict[str, object]:
    """A Keras 3 Dense layer's config, with ``config`` added to its own."""
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": "d", "units": 2, **config}}


def keras_model(*layers: dict[str, object], compile_config: object = None) -> dict[str, object]:
    """A Keras 3 Sequential model of ``layers`` behind an InputLayer."""
    doc: dict[str, object] = {"module": "keras", "class_name": "Sequential", "registered_name": None,
                              "config": {"name": "s", "layers": [
                                  {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                                   "config": {"batch_shape": [None, 4], "name": "in"}}, *layers]}}
    if compile_config is not None:
        doc["compile_config"] = compile_config
    return doc


def es256_key_files(folder: Path, name: str = "k") -> tuple[object, Path, Path]:
    """A fresh ES256 key written as ``NAME.key`` (PKCS#8 PEM) and ``NAME.pub`` (SPKI PEM):
    (the private key, its file, the public key's file)."""
    from cryptography.hazmat.primitives import serialization

    from mlbom import signing

    key = signing.generate_key("es256")
    priv, pub = folder / f"{name}.key", folder / f"{name}.pub"
    priv.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, priv, pub


_OPENS_PROOF = r"""
import pickle, sys
opened = []
sys.addaudithook(lambda ev, args: opened.append(str(args[0])) if ev == "open" and args else None)
try:
    pickle.loads(bytes.fromhex(sys.argv[1]))
except Exception:
    pass
print(sys.argv[2] in opened)
"""


def pickle_load_opens(data: bytes, target: Path) -> bool:
    """Whether the real ``pickle.loads`` of ``data`` opens ``target`` (an audit hook watching
    ``open``, in a throw-away subprocess; an error after the open does not matter)."""
    out = subprocess.run([sys.executable, "-c", _OPENS_PROOF, data.hex(), str(target)], capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    return out == ["True"]


def generate_findings(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The ``mlbom:finding`` values of ``generate ARGS`` (no GPU, no cache; a fresh ``bom.json``)."""
    from mlbom.cli import main

    out = tmp_path / "bom.json"
    if out.exists():
        out.unlink()
    assert main(["generate", *args, "--no-gpu", "--no-cache", "-o", str(out)]) in (0, 1)
    capsys.readouterr()
    doc = json.loads(out.read_bytes())
    return [str(p["value"]) for p in all_properties(doc) if p.get("name") == "mlbom:finding"]


def verify_record_findings(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The ``mlbom:finding`` values of ``generate --env ROOT --verify-record`` (no GPU, no cache)."""
    return generate_findings(["--env", str(root), "--verify-record"], tmp_path, capsys)


def scan_json_by_rel(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, tuple[str, list[str]]]]:
    """``mlbom scan PATH --format json``: the exit code and each file's verdict and finding ids, by
    its path relative to ``path``."""
    from mlbom.cli import main

    capsys.readouterr()
    rc = main(["scan", str(path), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    return rc, {Path(x["path"]).relative_to(path).as_posix(): (x["verdict"], [f["id"] for f in x["findings"]])
                for x in out}


def stored_zip(members: dict[str, bytes], *, deflated: bool = False) -> bytes:
    """A zip archive of ``members`` (name → bytes), in order: stored uncompressed, or deflated."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


HF_REV = "0123456789abcdef0123456789abcdef01234567"  # a commit hash for hub cache snapshots


def git_sha1(data: bytes) -> str:
    """The git blob SHA-1 of ``data``: the etag the Hub gives a file stored in git (not LFS)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def hub_etag(rel: str, data: bytes) -> str:
    """The etag the Hub gives a file: SHA-256 for an LFS file (weights), the git blob SHA-1 else."""
    return hashlib.sha256(data).hexdigest() if rel.endswith((".bin", ".safetensors")) else git_sha1(data)


def hub_repo(hub: Path, files: dict[str, bytes], *, name: str = "models--acme--tiny", rev: str = HF_REV,
             etag: Callable[[str, bytes], str] = hub_etag) -> Path:
    """A hub cache repository as huggingface_hub writes it: ``blobs/<etag>``, ``refs/main``,
    ``snapshots/<rev>/<file>`` → a relative link to ``blobs/<etag>`` (``../../blobs/<etag>`` for a
    top-level file). ``etag(rel, data)`` names each blob."""
    repo = hub / name
    snap = repo / "snapshots" / rev
    snap.mkdir(parents=True)
    (repo / "blobs").mkdir(exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(rev)
    for rel, data in files.items():
        tag = etag(rel, data)
        if not (repo / "blobs" / tag).exists():
            (repo / "blobs" / tag).write_bytes(data)
        (snap / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(repo / "blobs" / tag, (snap / rel).parent), snap / rel)
    return repo


def bash_sources_activate(project: Path, home: Path) -> None:
    """Source ``PROJECT/.venv/bin/activate`` in an interactive bash (no rc files) and show one
    prompt after it — where bash expands ``PS1`` again (``promptvars``); skip without bash."""
    import pytest

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    subprocess.run([bash, "--norc", "--noprofile", "-i"], input=". .venv/bin/activate\necho x\n", text=True,
                   cwd=project, capture_output=True, timeout=60, check=False,
                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TERM": "dumb"})


def activate_unverified(root: Path, project: Path) -> list[tuple[str, str]]:
    """(severity, message) of each ``python.activate-unverified`` note of the environment at ``root``."""
    from mlbom.collectors._interpreter import locate

    return [(n.severity, n.message) for n in locate(root, project).notes if n.id == "python.activate-unverified"]


def dump_model(model: object, path: Path, how: str) -> Path:
    """Write ``model`` as ``how`` says: ``p<N>`` a pickle of protocol N, ``joblib`` / ``joblib-z``
    ``joblib.dump`` plain or compressed (joblib is imported only then)."""
    import pickle

    if how.startswith("p"):
        with path.open("wb") as f:
            pickle.dump(model, f, protocol=int(how[1:]))
    else:
        import joblib

        joblib.dump(model, path, compress=3 if how == "joblib-z" else 0)
    return path


def fit_once(build: Callable[..., T]) -> Callable[..., T]:
    """``build`` (a model fit, slow under load) runs once per process for each set of
    arguments; every call returns an independent deep copy, free to edit."""
    import copy

    made: dict[tuple[object, ...], T] = {}

    @functools.wraps(build)
    def get(*args: object, **kw: object) -> T:
        key = (args, tuple(sorted(kw.items())))
        if key not in made:
            try:  # one OpenMP thread: a busy machine makes scikit-learn's spinning threads crawl
                from threadpoolctl import threadpool_limits
            except ImportError:
                made[key] = build(*args, **kw)
            else:
                with threadpool_limits(limits=1):
                    made[key] = build(*args, **kw)
        return copy.deepcopy(made[key])
    return get


def template_worst(template: str) -> tuple[str, list[str]]:
    """The worst effect the chat-template judge gives ``template`` (``safe`` when none) and its
    findings as ``id: message`` lines: the red-team template tests' one assertion shape."""
    from mlbom.formats.jinja_ast import check_template

    found = check_template(template, where="t")
    order = ("unsafe", "error", "suspicious")
    worst = next((e for e in order if any(f.effect == e for f in found)), "safe")
    return worst, [f"{f.id}: {f.message}" for f in found]


def quiet_output(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Captured (stdout, stderr) of a CLI call, asserting no internal error or traceback reached stderr."""
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    return str(out), str(err)


@contextlib.contextmanager
def counting_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> Iterator[list[int]]:
    """Counts the calls of ``owner.name`` (a function, or a method looked up on its class) made
    inside the ``with`` block: the work-count tests' one counter (growth is asserted as a ratio
    of counts, never as time)."""
    calls = [0]
    real = getattr(owner, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        return real(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(owner, name, counted)
        yield calls


class OsSystem:
    """An object whose pickle calls ``os.system("true")`` when loaded (tests never load it)."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("true",))


def evil_pickle(path: Path) -> Path:
    """Write the pickle of :class:`OsSystem` at ``path`` (folders made)."""
    import pickle

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(OsSystem()))
    return path
