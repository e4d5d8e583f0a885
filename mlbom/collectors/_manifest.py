"""Pieces shared by the requirements and lock collectors: the manifest file itself as a
``file`` component, and a declared package as a ``library`` component."""

from __future__ import annotations

from pathlib import Path

from mlbom.collectors import Context
from mlbom.errors import InputError
from mlbom.formats.safe_read import read_bounded
from mlbom.hashing import sha256_file
from mlbom.identity import conda_purl, pypi_purl, safe_url
from mlbom.model import Component, Evidence, ExternalReference, Hash, Property
from mlbom.properties import Prop


def manifest_ref(ctx: Context, path: Path) -> str:
    return f"file:{ctx.rel(path)}"


def read_manifest(path: Path, limit: int) -> bytes:
    """A manifest named on the command line: missing or too large is an InputError."""
    if not path.exists():
        raise InputError(path, "dangling symbolic link" if path.is_symlink() else "no such file")
    if path.is_dir():
        raise InputError(path, "is a folder, not a file")
    return read_bounded(path, limit)


def manifest_component(path: Path, ctx: Context, fmt: str) -> Component:
    """The requirements or lock file as a ``file`` component with its SHA-256, so the BOM
    records exactly which declaration it was built from; file-level findings attach here."""
    digest = sha256_file(path)
    return Component(
        bom_ref=manifest_ref(ctx, path),
        type="file",
        name=ctx.rel(path),
        hashes=(Hash(alg="SHA-256", content=digest.sha256),) if digest.sha256 else (),
        properties=(Property(name=Prop.LOCK_FORMAT.value, value=fmt), Property(name=Prop.FILE_PATH.value, value=ctx.rel(path)),
                    *((Property(name=Prop.FILE_SIZE.value, value=str(digest.size)),) if digest.size is not None else ())),
    )


def vcs_with_commit(url: str, commit: str | None) -> str:
    """pip's VCS URL form ``URL@REV?QUERY#FRAGMENT``: the commit goes at the end of the path,
    before any ``?`` or ``#`` (red team 98c-3: after ``#subdirectory=libs/x`` it became part of
    the sub-path, and the URL named no revision). A path whose last segment already names a
    revision (``repo.git@v1``) is kept as it is."""
    if not commit:
        return url
    cut = min((k for k in (url.find("?"), url.find("#")) if k >= 0), default=len(url))
    base, rest = url[:cut], url[cut:]
    return url if "@" in base.rsplit("/", 1)[-1] else f"{base}@{commit}{rest}"


def package_component(
    *,
    name: str,
    version: str | None,
    ecosystem: str = "pypi",
    source_file: str,
    line: int | None = None,
    hashes: list[str] | None = None,
    artifacts: list[tuple[str | None, str | None]] | None = None,
    url: str | None = None,
    vcs_commit: str | None = None,
    properties: list[Property] | None = None,
    conda: dict[str, str] | None = None,
) -> Component:
    """A package declared by a manifest. The bom-ref is the purl without qualifiers, so the
    same package from an environment and a lock merges into one component. A conda package's
    ``conda`` qualifiers (the purl spec's ``build``, ``channel``, ``subdir``) pick one artifact, so
    they stay in its purl and bom-ref: two builds or channels of one version are two components,
    and ``diff`` reads a changed one as an origin-change (red team 98c-1)."""
    qualifiers: dict[str, str] = {}
    refs: list[ExternalReference] = []
    if url:
        if vcs_commit or url.startswith(("git+", "hg+", "svn+", "bzr+")):
            qualifiers["vcs_url"] = vcs_with_commit(url, vcs_commit)
            kind = "vcs"
        else:
            qualifiers["download_url"] = url
            kind = "distribution"
        if safe := safe_url(url.split("+", 1)[1] if kind == "vcs" and "+" in url.split(":")[0] else url):
            refs.append(ExternalReference(type=kind, url=safe, comment=f"commit {vcs_commit}" if vcs_commit else None))
    for art_url, digest in artifacts or []:
        if art_url and (safe := safe_url(art_url)):
            refs.append(ExternalReference(
                type="distribution", url=safe,
                hashes=(Hash(alg="SHA-256", content=digest),) if digest else ()))
    if ecosystem == "conda":
        purl = conda_purl(name, version, conda)
        ref = purl
    else:
        purl = pypi_purl(name, version, qualifiers)
        ref = pypi_purl(name, version) if qualifiers else purl  # one purl to build when they are the same
    uniq = sorted(set(hashes or []))
    where = f"{source_file}:{line}" if line else source_file
    props = [Property(name=Prop.SOURCE.value, value=where), *list(properties or [])]
    return Component(
        bom_ref=ref,
        type="library",
        name=name,
        version=version,
        purl=purl,
        hashes=tuple(Hash(alg="SHA-256", content=h) for h in uniq),
        external_references=tuple(refs),
        properties=tuple(props),
        evidence=(Evidence(fact="declared", source=source_file, field=f"line {line}" if line else None),),
    )
