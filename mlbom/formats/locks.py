"""Lock files, parsed as data: uv.lock, poetry.lock, Pipfile.lock, pylock.toml (PEP 751) and
conda environment.yml.

Specs: PEP 751 (https://packaging.python.org/en/latest/specifications/pylock-toml/, read with
``packaging.pylock``); uv.lock (https://docs.astral.sh/uv/concepts/projects/sync/, format
version 1); poetry.lock (lock-version 1.x and 2.x); Pipfile.lock (pipfile-spec 6); conda
environment files (https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html).

Each parser takes bytes and a path (for messages) and returns a :class:`LockFile`; syntax errors
and unknown versions are :class:`InputError` naming the file and line where known. One bad
package entry (no name, an empty name, one pylock.toml's validation refuses, a conda entry that is
no match spec) never loses the others: it is left out and listed in :attr:`LockFile.skipped`,
the same in every format (red team 78c-5: an empty Pipfile.lock key lost the whole lock, while
uv.lock refused the file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlbom.errors import InputError
from mlbom.formats.safe_read import Loaded, load_json, load_toml, load_yaml
from mlbom.limits import MAX_LOCK_BYTES, MAX_LOCK_PACKAGES

__all__ = ["MAX_LOCK_BYTES", "Artifact", "LockFile", "LockFormat", "LockedPackage", "detect", "parse"]
LockFormat = Literal["uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml", "conda"]


@dataclass(frozen=True)
class Artifact:
    """One downloadable file of a locked package (wheel, sdist, archive)."""

    url: str | None
    filename: str | None
    sha256: str | None


@dataclass(frozen=True)
class LockedPackage:
    name: str
    version: str | None
    ecosystem: Literal["pypi", "conda"] = "pypi"
    source: str | None = None  # registry, git, url, path, directory, editable, virtual
    source_url: str | None = None
    vcs_commit: str | None = None
    index: str | None = None
    marker: str | None = None
    group: str | None = None
    specifier: str | None = None  # for conda / loose entries: the declared spec
    build: str | None = None  # conda: the build string the match spec pins
    channel: str | None = None  # conda: the channel a ``channel::name`` spec names
    subdir: str | None = None  # conda: the platform a ``channel/subdir::name`` spec names
    artifacts: tuple[Artifact, ...] = ()
    dependencies: tuple[str, ...] = ()
    pins: tuple[tuple[str, str], ...] = ()
    """What a dependency entry says of the one locked package it means, by dependency name: uv's
    exact ``version`` (written when a name is locked more than once), poetry's constraint."""


@dataclass(frozen=True)
class LockFile:
    format: LockFormat
    packages: list[LockedPackage]
    channels: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Package entries left out, each ``WHERE: why`` (``package[3]: package without a name``)."""
    pip_file: Any = None
    """conda: the ``pip:`` lists read as the requirements file conda hands to ``pip install -r``
    (a ``pip_requirements_parser.RequirementsFile``; its option lines, includes among them, are
    the collector's to follow), None without one (97c-2)."""
    overridden: list[str] = field(default_factory=list)
    """conda: entries a later mapping replaces, so conda does not install them (``WHERE: what``);
    left out of the inventory, each a finding (red team 119ps-6)."""


def detect(path: Path) -> LockFormat | None:
    """The lock format of a file, from its name (each format has a fixed file name)."""
    name = path.name
    if name == "uv.lock":
        return "uv.lock"
    if name == "poetry.lock":
        return "poetry.lock"
    if name == "Pipfile.lock":
        return "Pipfile.lock"
    if re.fullmatch(r"pylock(\.[^.]+)?\.toml", name):
        return "pylock.toml"
    if name in ("environment.yml", "environment.yaml") or name.endswith((".conda.yml", ".conda.yaml")):
        return "conda"
    return None


def parse(data: bytes, path: Path, fmt: LockFormat) -> LockFile:
    """Parse a lock file of a known format. Every read goes through
    :mod:`mlbom.formats.safe_read` (depth, alias and size bounds); what reading noticed (text
    replaced, duplicate keys) is in :attr:`LockFile.notes`."""
    if fmt == "conda":
        return parse_conda(data, path)
    if fmt == "Pipfile.lock":
        return parse_pipfile_lock(data, path)
    doc, loaded = load_toml(data, path)
    if fmt == "uv.lock":
        lock = parse_uv_lock(doc, path)
    elif fmt == "poetry.lock":
        lock = parse_poetry_lock(doc, path)
    else:
        lock = parse_pylock(doc, path)
    lock.notes.extend(loaded.notes(path.name))
    return lock


def _noted(lock: LockFile, loaded: Loaded, path: Path) -> LockFile:
    lock.notes.extend(loaded.notes(path.name))
    return lock


def _sha256(value: object) -> str | None:
    """``sha256:HEX`` or ``{sha256 = HEX}`` to lower-case hex; anything else None."""
    if isinstance(value, str):
        alg, sep, hexd = value.partition(":")
        if sep and alg.lower() == "sha256" and re.fullmatch(r"[0-9a-fA-F]{64}", hexd):
            return hexd.lower()
    if isinstance(value, dict):
        return _sha256(f"sha256:{value.get('sha256', '')}")
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _name(value: object) -> str | None:
    """A package entry's name: a string with something besides white space in it."""
    return value if isinstance(value, str) and value.strip() else None


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


_UV_SOURCE_KINDS = ("registry", "git", "url", "path", "directory", "editable", "virtual")


def _pinned(value: str | None) -> str | None:
    """The one version a PEP 440 specifier pins: ``==X`` (no wildcard) or ``===X``, parsed with
    ``packaging`` (``== 2.0`` is ``2.0``); anything else (a range, several clauses, a wildcard,
    text that is no specifier) pins nothing (97c-4: ``===1.0`` gave ``=1.0``)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not value:
        return None
    try:
        specs = list(SpecifierSet(value))
    except InvalidSpecifier:
        return None
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version or None
    return None


def parse_uv_lock(doc: dict[str, object], path: Path) -> LockFile:
    version = doc.get("version")
    if version != 1:
        raise InputError(path, f"unknown uv.lock version {version!r} (mlbom reads version 1)", at="version")
    packages: list[LockedPackage] = []
    skipped: list[str] = []
    for i, raw in enumerate(_list(doc.get("package"))):
        pkg = _dict(raw)
        name = _name(pkg.get("name"))
        if name is None:
            skipped.append(f"package[{i}]: package without a name")
            continue
        src = _dict(pkg.get("source"))
        # uv's source table names its kind by one key (registry, git, url, path, directory,
        # editable, virtual); the others (subdirectory, ...) qualify it (97c-3)
        kind = next((k for k in _UV_SOURCE_KINDS if k in src), None)
        src_url = _str(src.get(kind)) if kind else None
        commit = None
        if kind == "git" and src_url and "#" in src_url:
            src_url, _, commit = src_url.partition("#")
        sub = _str(src.get("subdirectory"))
        if kind in ("url", "git") and src_url and sub and "subdirectory=" not in src_url:
            src_url = f"{src_url}#subdirectory={sub}"  # PEP 508/pip's spelling of the qualifier
        arts: list[Artifact] = []
        sdist = _dict(pkg.get("sdist"))
        if sdist:
            arts.append(Artifact(_str(sdist.get("url")), _str(sdist.get("path")), _sha256(sdist.get("hash"))))
        for w in _list(pkg.get("wheels")):
            wd = _dict(w)
            arts.append(Artifact(_str(wd.get("url")), _str(wd.get("path")), _sha256(wd.get("hash"))))
        entries = [_dict(d) for d in _list(pkg.get("dependencies"))]
        deps = tuple(sorted({str(d.get("name")) for d in entries if d.get("name")}))
        pins = tuple(sorted({(str(d["name"]), v) for d in entries if d.get("name") and (v := _str(d.get("version")))}))
        packages.append(LockedPackage(
            name=name, version=_str(pkg.get("version")), source=kind, source_url=src_url,
            vcs_commit=commit, index=src_url if kind == "registry" else None,
            artifacts=tuple(arts), dependencies=deps, pins=pins))
    return LockFile("uv.lock", packages, skipped=skipped)


def parse_poetry_lock(doc: dict[str, object], path: Path) -> LockFile:
    meta = _dict(doc.get("metadata"))
    lv = str(meta.get("lock-version", ""))
    if not re.fullmatch(r"[12]\.\d+", lv):
        raise InputError(path, f"unknown poetry lock-version {lv!r} (mlbom reads 1.x and 2.x)", at="metadata.lock-version")
    legacy_files = _dict(meta.get("files"))
    packages: list[LockedPackage] = []
    skipped: list[str] = []
    for i, raw in enumerate(_list(doc.get("package"))):
        pkg = _dict(raw)
        name = _name(pkg.get("name"))
        if name is None:
            skipped.append(f"package[{i}]: package without a name")
            continue
        files = _list(pkg.get("files")) or _list(legacy_files.get(name))
        arts = tuple(Artifact(None, _str(_dict(f).get("file")), _sha256(_dict(f).get("hash"))) for f in files)
        src = _dict(pkg.get("source"))
        src_type = _str(src.get("type"))
        groups = pkg.get("groups")
        group = ",".join(str(g) for g in _list(groups)) if groups else _str(pkg.get("category"))
        packages.append(LockedPackage(
            name=name, version=_str(pkg.get("version")),
            source=src_type or "registry", source_url=_str(src.get("url")),
            vcs_commit=_str(src.get("resolved_reference")),
            # a package from another index than PyPI (poetry's [[tool.poetry.source]], type
            # "legacy", or a named "pypi"-type mirror): where it resolves from (red team 102c-3)
            index=_str(src.get("url")) if src_type in ("legacy", "pypi") else None,
            group=group, artifacts=arts,
            dependencies=tuple(sorted(str(k) for k in _dict(pkg.get("dependencies")))),
            pins=tuple(sorted((str(k), c) for k, v in _dict(pkg.get("dependencies")).items()
                              if (c := _str(v) or _str(_dict(v).get("version")))))))
    return LockFile("poetry.lock", packages, skipped=skipped)


def parse_pipfile_lock(data: bytes, path: Path) -> LockFile:
    loaded = load_json(data, path)
    doc = loaded.value
    if not isinstance(doc, dict):
        raise InputError(path, "not a Pipfile.lock (top level is not an object)")
    meta = _dict(doc.get("_meta"))
    spec = meta.get("pipfile-spec")
    if spec != 6:
        raise InputError(path, f"unknown pipfile-spec {spec!r} (mlbom reads 6)", at="_meta.pipfile-spec")
    sources = {str(_dict(s).get("name")): _str(_dict(s).get("url")) for s in _list(meta.get("sources"))}
    packages: list[LockedPackage] = []
    skipped: list[str] = []
    # every top-level object but _meta is a package category: pipenv locks a Pipfile section
    # [training] under the key "training" (pipenv/utils/dependencies.py
    # get_lockfile_section_using_pipfile_category: packages -> default, dev-packages -> develop, any
    # other category -> itself) and installs it with --categories (red team 119ps-5: dropped unsaid)
    groups = ["default", "develop", *sorted(k for k in doc if k not in ("_meta", "default", "develop"))]
    for group in groups:
        if group in doc and not isinstance(doc[group], dict):
            skipped.append(f"{group[:80]!r}: not a package category (an object of packages); not read")
            continue
        for name, raw in sorted(_dict(doc.get(group)).items()):
            if _name(name) is None:
                skipped.append(f"{group}[{name!r}]: package without a name")
                continue
            pkg = _dict(raw)
            ver = _str(pkg.get("version"))
            version = _pinned(ver)
            arts = tuple(Artifact(None, None, h) for h in (_sha256(x) for x in _list(pkg.get("hashes"))) if h)
            idx = _str(pkg.get("index"))
            src = "git" if pkg.get("git") else ("path" if pkg.get("path") else ("url" if pkg.get("file") else "registry"))
            packages.append(LockedPackage(
                name=name, version=version, source=src,
                source_url=_str(pkg.get("git")) or _str(pkg.get("file")),
                vcs_commit=_str(pkg.get("ref")), index=sources.get(idx or "") or idx,
                marker=_str(pkg.get("markers")), group=group, specifier=ver if version is None else None,
                artifacts=arts))
    return _noted(LockFile("Pipfile.lock", packages, skipped=skipped), loaded, path)


def parse_pylock(doc: dict[str, object], path: Path) -> LockFile:
    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    # The header is validated on its own, then each package entry on its own under a plain 1.0
    # header: an entry packaging refuses is left out and listed, the others are kept (78c-5).
    raw_packages = doc.get("packages")
    entries = raw_packages if isinstance(raw_packages, list) else []
    skipped: list[str] = []
    # The entries kept are those validated one by one: packaging validates a lock's header and
    # each package on its own (nothing across packages), so validating the whole lock again only
    # doubled the work (a 930 KB pylock.toml of 3,600 packages: 0.3 s more).
    try:
        Pylock.from_dict({**doc, "packages": []} if isinstance(raw_packages, list) else doc)
        kept = []
        for i, entry in enumerate(entries):
            try:
                one = Pylock.from_dict({"lock-version": "1.0", "created-by": "mlbom", "packages": [entry]})
            except PylockValidationError as exc:
                skipped.append(f"packages[{i}]: {str(exc).replace('packages[0]', 'package')}")
                continue
            kept.append(one.packages[0])
    except PylockUnsupportedVersionError as exc:
        raise InputError(path, str(exc), at="lock-version") from exc
    except PylockValidationError as exc:
        raise InputError(path, str(exc)) from exc
    packages: list[LockedPackage] = []
    for pkg in kept:
        arts: list[Artifact] = []
        for art in [pkg.sdist, pkg.archive, *(pkg.wheels or [])]:
            if art is None:
                continue
            sha = art.hashes.get("sha256") if art.hashes else None
            url = getattr(art, "url", None)
            fname = getattr(art, "name", None) or getattr(art, "path", None)
            arts.append(Artifact(url, fname, sha.lower() if sha else None))
        source = "registry"
        src_url = None
        commit = None
        if pkg.vcs is not None:
            source, src_url, commit = "git", pkg.vcs.url or pkg.vcs.path, pkg.vcs.commit_id
        elif pkg.directory is not None:
            source = "editable" if pkg.directory.editable else "directory"
            src_url = pkg.directory.path
        elif pkg.archive is not None:
            source, src_url = "url", pkg.archive.url or pkg.archive.path
        packages.append(LockedPackage(
            name=str(pkg.name), version=str(pkg.version) if pkg.version else None,
            source=source, source_url=src_url, vcs_commit=commit, index=pkg.index,
            marker=str(pkg.marker) if pkg.marker else None, artifacts=tuple(arts),
            dependencies=tuple(sorted(str(_dict(d).get("name")) for d in (pkg.dependencies or []) if _dict(d).get("name")))))
    return LockFile("pylock.toml", packages, skipped=skipped)


_CONDA_NAME = re.compile(r"[^\s=<>!~]+")  # one class, one quantifier: linear
_CONDA_PLAIN_VERSION = re.compile(r"[^\s,|*<>=!~\[\]]+")
_CONDA_BUILD_BAD = "-=,|<>~"  # characters conda's build-string group never holds
_CONDA_OPERATOR_BEFORE = "=!|,<>~"  # a '=' after one of these is part of an operator
_CONDA_SUBDIR = re.compile(r"noarch|(?:linux|osx|win|emscripten|wasi|zos|freebsd)-[a-z0-9_]+")
"""A conda platform subdirectory (``linux-64``, ``osx-arm64``, ``noarch``): the last part of a
``channel/subdir`` as conda's ``Channel`` splits it."""


@dataclass(frozen=True)
class CondaSpec:
    """One conda match spec, split as conda's ``MatchSpec`` string parser splits it."""

    name: str
    version: str | None  # the version part as written (``=1.2``, ``>=1,<2``, ``1.2.3``)
    build: str | None
    channel: str | None
    declared: str  # everything after the name, as written (``=1.21.0=py39h6635163_0``)
    subdir: str | None = None  # the platform of a ``channel/subdir::`` or ``[subdir=...]``

    @property
    def pinned(self) -> str | None:
        """The one version the spec pins: ``==V``, ``=V``, ``V`` (no operator, wildcard,
        ``,`` or ``|``). conda reads ``=V`` without a build as ``V*``; ``conda env export
        --no-builds`` writes it for the installed version, which mlbom records."""
        v = self.version
        if not v:
            return None
        v = v[2:] if v.startswith("==") else (v[1:] if v.startswith("=") else v)
        v = v.strip()
        return v if _CONDA_PLAIN_VERSION.fullmatch(v) else None


def parse_conda_spec(text: str) -> CondaSpec | None:
    """``[channel[/subdir]::]name[ ]version[ |=]build[[key=value,...]]`` as conda's
    ``_parse_spec_str`` reads it (https://docs.conda.io/projects/conda/en/stable/user-guide/concepts/pkg-search.html):
    a ``#`` comment dropped, ``[version=..., build=...]`` brackets overriding the positional
    parts, the channel before the last ``::``, the name up to a blank or an operator, then the
    version and the build string split at the first blank or ``=`` (not part of an operator)
    after which no ``-=,|<>~`` follows (``numpy=1.21.0=py39h6635163_0``: ``=1.21.0`` and
    ``py39h6635163_0``; 97c-1: the build form lost its version). Linear in the text; None for a
    spec without a name."""
    spec = text.split("#", 1)[0].strip()
    brackets: dict[str, str] = {}
    bracketed = ""
    if spec.endswith("]") and "[" in spec:
        at = spec.rfind("[")
        bracketed = spec[at:]
        brackets = _conda_brackets(spec[at + 1 : -1])
        spec = spec[:at].strip()
    channel = None
    if "::" in spec:
        channel, _, spec = spec.rpartition("::")
        channel = channel.strip() or None
    spec = spec.strip()
    m = _CONDA_NAME.match(spec)
    if m is None:
        return None
    name, rest = m.group(0), spec[m.end() :].strip()
    version, build = _conda_version_build(rest) if rest else (None, None)
    version = brackets.get("version", version)
    build = brackets.get("build", build)
    channel = brackets.get("channel", channel) or None
    subdir = None
    if channel and "/" in channel:  # ``conda-forge/linux-64``: the channel and its platform
        head, _, tail = channel.rstrip("/").rpartition("/")
        if head and _CONDA_SUBDIR.fullmatch(tail):
            channel, subdir = head, tail
    return CondaSpec(name=name, version=version or None, build=build or None, channel=channel,
                     declared=f"{rest}{bracketed}", subdir=brackets.get("subdir", subdir) or None)


_CONDA_VERSION_CHARS = re.compile(r"[0-9A-Za-z*.+!_\-=<>~,|()\s]*")
"""The characters a conda version spec may hold outside a regex (``^...$``): conda's
``VersionOrder`` accepts ``[*.+!_0-9a-z]`` once lower-cased and ``-`` made ``_``
(conda/models/version.py ``version_check_re``), the spec adds its operators and grouping."""


def conda_refuses(spec: CondaSpec) -> str | None:
    """Why conda's ``MatchSpec`` would refuse ``spec``, or None (red team 120p, the unnumbered
    note: ``- -r ../x`` under ``dependencies:`` became a conda package named ``-r``; conda reads
    ``../x`` as its version and raises ``InvalidVersionSpec`` for the ``/``). A name starting
    with ``-`` is a pip option written where conda wants a match spec; a version (not a regex)
    with characters no conda version holds is refused as conda refuses it. Never guessed
    further: a spec conda takes is kept as it was."""
    if spec.name.startswith("-"):
        return "the name starts with '-': a pip option, which belongs under pip:"
    v = spec.version
    if v is not None and not (v.startswith("^") and v.endswith("$")) and not _CONDA_VERSION_CHARS.fullmatch(v):
        bad = sorted({c for c in v if not _CONDA_VERSION_CHARS.fullmatch(c)})
        return f"its version holds {''.join(bad)[:10]!r}, which no conda version holds: InvalidVersionSpec"
    return None


_CONDA_BRACKET_SEP = re.compile(r"[, ]")


def _conda_brackets(text: str) -> dict[str, str]:
    """``key=value`` pairs of a match spec's brackets as conda's ``_parse_spec_str`` reads them
    (``([a-zA-Z0-9_-]+?)=(["']?)([^'"]*?)(\2)(?:[, ]|$)``): a quoted value is read whole up to its
    closing quote, commas and blanks included, an unquoted one up to the next ``,`` or blank
    (red team 98c-2: ``version='1.5,<2|>=3'`` split at the quoted comma became pin ``1.5``).
    Keys lower-cased; the last of a key wins. Linear: one pass, each find from where the last
    ended."""
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        if text[i] in ", ":
            i += 1
            continue
        eq = text.find("=", i)
        if eq < 0:
            break
        key = _CONDA_BRACKET_SEP.split(text[i:eq])[-1].lower()  # text before it that is no pair: skipped
        j = eq + 1
        if j < n and text[j] in "'\"":
            close = text.find(text[j], j + 1)
            end = n if close < 0 else close
            value, i = text[j + 1 : end], end + 1
        else:
            stop = _CONDA_BRACKET_SEP.search(text, j)  # the first separator: never a scan past it
            end = stop.start() if stop else n
            value, i = text[j:end], end
        if key:
            out[key] = value.strip()
    return out


def _conda_version_build(text: str) -> tuple[str, str | None]:
    """conda's ``_parse_version_plus_build``: the earliest blank or ``=`` (not ending an
    operator, not first) after which the rest holds none of ``-=,|<>~`` splits version from
    build; without one the whole text is the version. Linear (conda's regex is lazy)."""
    last_bad = max(text.rfind(c) for c in _CONDA_BUILD_BAD)
    for i in range(max(last_bad, 1), len(text) - 1):
        if text[i] in " =" and text[i - 1] not in _CONDA_OPERATOR_BEFORE and text[i - 1] != " ":
            return text[:i].strip(), text[i + 1 :].strip() or None
    return text, None


def parse_conda(data: bytes, path: Path) -> LockFile:
    """A conda ``environment.yml``: conda match specs (``name``, ``name=1.2``, ``name>=1``,
    ``name=1.2=build``, ``channel::name``) and a nested ``pip:`` list of pip requirement strings,
    read as conda reads them (``conda/env/env.py`` ``Dependencies.parse``: the conda list starts
    empty; a string entry is appended to it; a mapping entry ``update`` s the installer lists, so
    ``- conda: [...]`` *replaces* the conda specs before it — the later strings are added to it —
    and a second ``- pip: [...]`` replaces the first; ``conda env create`` then runs one
    installer per key, and fails on a key it has none for, ``Unable to install package for uv``).
    Entries so replaced are :attr:`LockFile.overridden`; a key other than ``conda``/``pip``, or
    a value that is no list, is left out and listed (red team 119ps-6: ``- conda: [pytorch]`` was
    dropped, both ``pip:`` lists read)."""
    loaded = load_yaml(data, path)
    doc = loaded.value
    if not isinstance(doc, dict) or not isinstance(doc.get("dependencies"), list):
        raise InputError(path, "not a conda environment file (no 'dependencies' list)")
    channels = tuple(str(c) for c in _list(doc.get("channels")))
    packages: list[LockedPackage] = []
    skipped: list[str] = []
    overridden: list[str] = []
    conda_specs: list[tuple[str, str]] = []  # (where, spec text), as conda's "conda" list
    pip_entries: list[tuple[str, object]] = []  # (where, entry): the pip: list conda keeps (the last)
    pip_at = ""
    for i, entry in enumerate(_list(doc.get("dependencies"))):
        if not isinstance(entry, dict):
            conda_specs.append((f"dependencies[{i}]", str(entry)))
            continue
        for key, val in entry.items():
            where = f"dependencies[{i}].{key}"
            if key not in ("conda", "pip"):
                skipped.append(f"{where[:120]}: conda has no installer for {str(key)[:40]!r} (conda env create fails: "
                               "Unable to install package for it); its entries are not read")
                continue
            if not isinstance(val, list):
                skipped.append(f"{where}: not a list; not read")
                val = []
            if key == "conda":
                if conda_specs:
                    overridden.append(_replaced(where, "conda specs", [t for _, t in conda_specs]))
                conda_specs = [(f"{where}[{j}]", str(x)) for j, x in enumerate(val)]
            else:
                if pip_entries:
                    overridden.append(_replaced(where, f"pip: entries of {pip_at}", [str(e) for _, e in pip_entries]))
                pip_entries, pip_at = [(f"{where}[{j}]", x) for j, x in enumerate(val)], where
    pip_lines: list[str] = []
    for where, pip_req in pip_entries:
        if str(pip_req).strip():
            pip_lines.append(str(pip_req))
        else:  # an entry with nothing in it: left out and listed, as in every format (78c-5)
            skipped.append(f"{where}: package without a name")
    for where, text in conda_specs:
        cs = parse_conda_spec(text)
        if cs is None:
            skipped.append(f"{where}: {text[:80]!r} is not a conda match spec")
            continue
        if (why := conda_refuses(cs)) is not None:
            skipped.append(f"{where}: {text[:80]!r} is not a match spec conda accepts ({why})")
            continue
        packages.append(LockedPackage(name=cs.name, version=cs.pinned, ecosystem="conda", source="conda",
                                      specifier=cs.declared or None, build=cs.build, channel=cs.channel,
                                      subdir=cs.subdir))
    pip_file = None
    if pip_lines:  # (the entries past MAX_LOCK_PACKAGES are not read: the collector says so)
        pip_file = _pip_file(pip_lines, path, 2 * max(0, MAX_LOCK_PACKAGES - len(packages)))  # (reqfile.line_weight)
        for req in pip_file.requirements:  # the named ones: read by the requirements collector (98c-4)
            if not req.name:
                link = str(req.link.url) if req.link is not None else str(req.line)
                skipped.append(f"pip line {req.line_number}: {link[:80]!r} names no package (no #egg=)")
        for bad in pip_file.invalid_lines:
            msg = str(bad.error_message).splitlines()[0] if str(bad.error_message) else "invalid"
            skipped.append(f"pip line {bad.line_number}: {str(bad.line)[:80]!r} not understood ({msg[:120]})")
    lock = LockFile("conda", packages, channels=channels, skipped=skipped, pip_file=pip_file, overridden=overridden)
    return _noted(lock, loaded, path)


def _replaced(where: str, what: str, texts: list[str]) -> str:
    """``WHERE: what`` for entries a later mapping of an environment.yml replaces."""
    shown = ", ".join(repr(t[:60]) for t in texts[:5]) + (f" and {len(texts) - 5} more" if len(texts) > 5 else "")
    return (f"{where} replaces the {len(texts)} {what} before it ({shown}): conda env create does not install "
            "them, so they are left out")


def _pip_file(lines: list[str], path: Path, max_lines: int | None = None) -> Any:
    """The ``pip:`` entries as pip reads them: conda writes them, one a line, to a requirements
    file beside the environment file and runs ``pip install -r`` on it, so they are read by
    mlbom's requirements reader (options, includes, URL and editable lines included; 97c-2:
    ``-r x.txt`` became a package named ``-r``)."""
    from mlbom.formats.reqfile import parse_requirements_text

    try:
        return parse_requirements_text("\n".join(lines), str(path), max_lines=max_lines)
    except Exception as exc:  # the parser wraps pip internals; any failure names the file
        raise InputError(path, f"cannot parse the pip: list: {str(exc).splitlines()[0]}", at="dependencies") from exc
