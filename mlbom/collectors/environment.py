"""Python environment collector: the installed distributions of a virtualenv, a site-packages
folder or an interpreter, with their dependency graph.

Read, never run: metadata is read from ``*.dist-info``/``*.egg-info`` as bytes. No
interpreter is ever started (red team 21d-1/21d-2): an interpreter file is placed statically,
as the venv it belongs to or the prefix getpath's landmark search finds for it. A venv folder's interpreter is never run (red team 20d:
getpath has its own reading of ``pyvenv.cfg``, ``home`` and its landmarks, so no rule for
"safe to run" held): its facts come from ``pyvenv.cfg`` and the folder layout (with
``site.venv``'s rules), where it takes its standard library is decided as getpath decides it,
and the BOM says so. ``.pth`` path lines are followed statically and their ``import`` lines are
never run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

import mlbom.licenses as licenses
from mlbom.collectors import BaseCollector, Context, Option
from mlbom.collectors.facts import Fact, FrameworkBuild, InstalledPackage, PythonEnvironment
from mlbom.errors import InputError
from mlbom.formats import bytecode, pymeta, safe_zip
from mlbom.formats.safe_read import read_bounded
from mlbom.hashing import default_workers, sha256_file, sha256_files
from mlbom.identity import pypi_purl, safe_url
from mlbom.limits import MAX_METADATA_BYTES, MAX_RECORD_BYTES, MAX_SMALL_JSON
from mlbom.model import (
    Collected,
    Component,
    Evidence,
    ExternalReference,
    Finding,
    Hash,
    License,
    Property,
    Relation,
    Unreadable,
)
from mlbom.properties import Prop
from mlbom.versions import contains, marker_holds, parse_version

_URL_LABELS = {
    "homepage": "website",
    "home": "website",
    "source": "vcs",
    "source code": "vcs",
    "repository": "vcs",
    "code": "vcs",
    "github": "vcs",
    "documentation": "documentation",
    "docs": "documentation",
    "issues": "issue-tracker",
    "tracker": "issue-tracker",
    "bug tracker": "issue-tracker",
    "bug reports": "issue-tracker",
    "changelog": "release-notes",
    "changes": "release-notes",
    "release notes": "release-notes",
    "download": "distribution",
}
_DIST_SUFFIXES = (".dist-info", ".egg-info")
_MAX_PTH_LINES = 10_000
"""Lines read from a recordless distribution's top_level.txt / installed-files.txt (x10)."""


@dataclass(frozen=True)
class Interpreter:
    """Where a target environment keeps its packages and how its markers evaluate."""

    root: Path
    path: list[Path]
    markers: dict[str, str]
    how: str
    sites: tuple[Path, ...] = ()
    """The site folders the interpreter processes (``.pth`` files run there): named by a queried
    interpreter, found by layout otherwise. If none exists, the environment's packages could not
    be listed, which the BOM must say."""
    cache_tags: frozenset[str] | None = None
    """The ``sys.implementation.cache_tag`` values the environment's interpreter may have (every
    Python version the layout, the interpreter names and ``pyvenv.cfg`` name: red team 21d-3, a
    free-text field alone never narrows it); None: any (every ``*.pyc`` is looked at)."""
    magic: bytes | None = None
    """The interpreter's pyc magic number: mlbom's own when every source names mlbom's own minor
    version (see :func:`_pyc_facts`), else None (pycs of mlbom's magic are compared, others are
    unverified)."""
    notes: tuple[Finding, ...] = ()
    """What locating the environment found (``source`` an absolute path): a stdlib inside the
    environment or not fixed, interpreters that are not native or not verified, system and user
    site on, a ``.pth`` not read whole."""


@dataclass
class _Dist:
    dir: Path
    site: Path
    name: str
    canonical: NormalizedName
    version: str | None
    meta: pymeta.CoreMetadata | None
    ref: str = ""
    shadowed: bool = False


def _unique(paths: list[Path]) -> list[Path]:
    """Path entries in order, each real folder once (venvs often list lib and lib64 twice)."""
    out: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        try:
            key = p.resolve()
        except (OSError, RuntimeError):
            key = p
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


_PTH_BYTES = 1 << 20
"""How much of a ``.pth`` file is read (``site`` reads it all: past this, a finding says so)."""
_PTH_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def pth_lines(text: str) -> Iterator[tuple[bool, str]]:
    """The lines ``site.addpackage`` (CPython 3.11) acts on, in order, as ``(is_import, line)``:
    the file is iterated as a text-mode file (universal newlines: lines end at ``\n``, ``\r``
    or ``\r\n`` only, not at the other characters ``str.splitlines`` splits at); a line
    starting with ``#`` or blank after ``str.strip()`` is skipped; one starting ``import `` or
    ``import<TAB>`` is executed (tested before any stripping); any other is ``rstrip()``-ed and
    joined to the site folder as a path. The one reader for path and ``import`` lines."""
    for m in _PTH_LINE.finditer(text):
        line = m.group()
        if line.startswith("#") or line.strip() == "":
            continue
        if line.startswith(("import ", "import\t")):
            yield True, line.rstrip("\r\n")
            continue
        yield False, line.rstrip()


def read_pth(pth: Path) -> tuple[str, str | None]:
    """A ``.pth`` file's text as ``site`` would read it (decoded as UTF-8, the locale encoding
    of a UTF-8 locale; undecodable bytes replaced, which reads more lines than ``site``, which
    stops there), bounded by :data:`_PTH_BYTES`; with why not all of it was read, if so.
    Raises :class:`InputError` when the file cannot be read at all."""
    data = read_bounded(pth, _PTH_BYTES, head=True)
    short = None
    if len(data) > _PTH_BYTES:
        data, short = data[:_PTH_BYTES], f"only its first {_PTH_BYTES >> 20} MiB were read"
    return data.decode("utf-8", "replace"), short


def _with_pth(sites: list[Path], notes: list[Finding] | None = None) -> list[Path]:
    """Site folders plus the entries their ``.pth`` path lines add, as ``site.addpackage``
    would: every line of the file (:func:`pth_lines`) joined to the site folder and normalized
    (``os.path.abspath``), kept when it exists (a folder, or a file: zipimport imports from a
    zip or egg on the path); ``import`` lines are not executed. A ``.pth`` that cannot be read
    whole is a finding in ``notes`` (red team 19d-8: a bound passed silently)."""
    out: list[Path] = []
    for site_dir in sites:
        if site_dir in out:
            continue
        out.append(site_dir)
        try:
            pths = sorted(p for p in site_dir.iterdir() if p.name.endswith(".pth"))
        except OSError:
            continue
        for pth in pths:
            try:
                text, short = read_pth(pth)
            except InputError as exc:
                text, short = "", exc.detail
            if short is not None and notes is not None:
                notes.append(Finding(id="python.record-unverified", severity="medium", source=pth.as_posix(),
                                     message=(f"{pth.name}: {short}; the path entries it adds past that are not "
                                              "followed, and code there is not looked at")))
            for is_import, line in pth_lines(text):
                if is_import:
                    continue
                extra = Path(os.path.abspath(os.path.join(site_dir, line)))
                if extra not in out and os.path.exists(extra):
                    out.append(extra)
    return out


def _static_markers(version: str | None) -> dict[str, str]:
    """Marker environment for an environment whose interpreter cannot be run: this host's
    platform with the target's Python version."""
    from packaging.markers import default_environment

    env = {k: str(v) for k, v in default_environment().items()}
    if version:
        parts = version.split(".")
        env["python_version"] = ".".join(parts[:2])
        env["python_full_version"] = version if len(parts) >= 3 else f"{version}.0"
    return env


def _under(path: Path, root: Path) -> bool:
    """Whether ``path`` lies inside ``root`` once both are resolved (symbolic links followed)."""
    try:
        real, real_root = os.path.realpath(path), os.path.realpath(root)
    except (OSError, ValueError):  # pragma: no cover - a path realpath cannot take
        return True
    return os.path.join(real, "").startswith(os.path.join(real_root, ""))


def _lexically_under(path: str, root: Path) -> bool:
    """Whether ``path`` (made absolute, links not followed) lies inside ``root`` as given or
    resolved: a link inside a scanned checkout is the checkout's, wherever it leads today."""
    here = os.path.join(os.path.abspath(path), "")
    return any(here.startswith(os.path.join(r, "")) for r in (os.path.abspath(root), os.path.realpath(root)))


def venv_cfg(root: Path) -> Path | None:
    """The ``pyvenv.cfg`` whose settings ``site.venv`` applies to the environment whose prefix is
    ``root``: the one beside the executable (``bin/``, ``Scripts/``) first, then the one in the
    prefix. (getpath, which places the stdlib, reads the other order: :func:`_getpath_cfg`.)"""
    for cand in (root / "bin" / "pyvenv.cfg", root / "Scripts" / "pyvenv.cfg", root / "pyvenv.cfg"):
        if cand.is_file():
            return cand
    return None


def _cfg_settings(cfg: Path) -> dict[str, str]:
    """``pyvenv.cfg`` keys as ``site.venv`` reads them: every line holding ``=`` splits at the
    first one; key stripped and lower-cased, value stripped; the last one wins."""
    try:
        text = read_bounded(cfg, 1 << 16).decode("utf-8", "replace")
    except InputError:
        return {}
    out: dict[str, str] = {}
    for m in _PTH_LINE.finditer(text):
        key, eq, value = m.group().partition("=")
        if eq:
            out[key.strip().lower()] = value.strip()
    return out


_CFG_BYTES = 1 << 16


def _cfg_places(root: Path, exe_dir: Path | None = None) -> tuple[Path, ...]:
    """Every ``pyvenv.cfg`` getpath or ``site.venv`` may read for the environment ``root``:
    ``root/pyvenv.cfg``, then the one beside the executable: ``exe_dir`` when the interpreter
    named lies elsewhere than ``bin/``/``Scripts/`` (red team 22d-2, PEP 405 "adjacent to the
    executable"), else ``bin/`` and ``Scripts/``."""
    if exe_dir is not None and exe_dir not in (root / "bin", root / "Scripts") and exe_dir != root:
        return (root / "pyvenv.cfg", exe_dir / "pyvenv.cfg")
    return (root / "pyvenv.cfg", root / "bin" / "pyvenv.cfg", root / "Scripts" / "pyvenv.cfg")


def _getpath_cfg(root: Path, exe_dir: Path | None = None) -> Path | None:
    """The ``pyvenv.cfg`` CPython's getpath (Modules/getpath.py, 3.11-3.13) reads to place the
    standard library: ``dirname(executable_dir)/pyvenv.cfg`` first, the one beside the
    executable only when that one is missing (red team 20d-1: site.venv reads the other order).
    ``exe_dir``: the folder of the interpreter named (22d-2), when it is not ``bin/``."""
    for cand in _cfg_places(root, exe_dir):
        if cand.exists():
            return cand
    return None


def _site_cfg(root: Path, exe_dir: Path | None = None) -> Path | None:
    """The ``pyvenv.cfg`` ``site.venv`` reads: the one beside the executable first (``exe_dir``
    when given, 22d-2), then the prefix's (:func:`venv_cfg`)."""
    if exe_dir is not None and (exe_dir / "pyvenv.cfg").is_file():
        return exe_dir / "pyvenv.cfg"
    return venv_cfg(root)


def _cfg_homes(cfg: Path) -> tuple[list[str], str | None]:
    """Every ``home`` value of ``cfg`` in file order, read as getpath reads them (its C
    ``readlines``: lines end at ``\\n`` only, trailing ``\\r``/``\\n`` dropped; a line holding
    ``=`` splits at the first one, key stripped and lower-cased, value stripped). getpath takes
    the **first** (red team 20d-2). With why the file was not read whole, if so."""
    try:
        data = read_bounded(cfg, _CFG_BYTES, head=True)
    except InputError as exc:
        return [], exc.detail
    short = f"only its first {_CFG_BYTES >> 10} KiB were read" if len(data) > _CFG_BYTES else None
    homes: list[str] = []
    for line in data[:_CFG_BYTES].decode("utf-8", "replace").split("\n"):
        key, eq, value = line.rstrip("\r\n").partition("=")
        if eq and key.strip().lower() == "home":
            homes.append(value.strip())
    return homes, short


_STDLIB_NAME = re.compile(r"python3\.\d+t?")


def _stdlib_dirs(prefix: str) -> list[str]:
    """The standard libraries getpath would take at ``prefix`` (its landmarks, for any Python
    3.X: the environment's own interpreter version is not known statically):
    ``lib[64]/python3.X/os.py`` or ``os.pyc`` (the prefix), ``lib[64]/python3.X/lib-dynload``
    (the exec prefix), ``lib[64]/python3X.zip`` (first on the path), ``Lib/os.py`` (Windows).
    ``prefix`` is used as given: relative to the working directory, links followed by the OS."""
    found: list[str] = []
    for lib in ("lib", "lib64"):
        folder = os.path.join(prefix, lib)
        try:
            names = sorted(os.listdir(folder))
        except (OSError, ValueError):
            continue
        for name in names:
            here = os.path.join(folder, name)
            if _STDLIB_NAME.fullmatch(name):
                landmark = (any(os.path.isfile(os.path.join(here, f)) for f in ("os.py", "os.pyc"))
                            or os.path.isdir(os.path.join(here, "lib-dynload")))
            else:
                landmark = bool(re.fullmatch(r"python3\d+t?\.zip", name)) and os.path.isfile(here)
            if landmark:
                found.append(here)
    if os.path.isfile(os.path.join(prefix, "Lib", "os.py")):
        found.append(os.path.join(prefix, "Lib"))
    return found


def _inside_stdlib(dirs: list[str], root: Path) -> str | None:
    """The first of ``dirs`` (or its ``encodings`` package, imported at every start even under
    ``-I -S``) that resolves inside ``root``."""
    for d in dirs:
        if _under(Path(d), root) or _under(Path(d) / "encodings", root):
            return d
    return None


def _search_up(home: str) -> Iterator[tuple[str, list[str]]]:
    """getpath's ``search_up`` from ``home``: every folder upward **lexically**
    (``os.path.dirname`` of the unresolved value, red team 20d-4) that holds a stdlib landmark.
    All of them, not only the first (fail closed: the interpreter's version is not known)."""
    here = home
    for _ in range(512):
        if not here:
            return
        dirs = _stdlib_dirs(here)
        if dirs:
            yield here, dirs
        up = os.path.dirname(here)
        if up == here:
            return
        here = up


_NATIVE_MAGIC = (b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",
                 b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca", b"MZ")
_INTERPRETER_NAMES = {"bin": re.compile(r"python(?:3(?:\.\d+t?)?)?"), "Scripts": re.compile(r"pythonw?\.exe", re.I)}


def _interpreter_files(root: Path, folders: tuple[str, ...] = ("bin", "Scripts")) -> Iterator[tuple[str, str, re.Pattern[str]]]:
    """``(folder, name, pattern)`` of every file in ``root``'s ``bin/``/``Scripts/`` named as an
    interpreter (:data:`_INTERPRETER_NAMES`), by name; a folder that cannot be listed has none."""
    for folder in folders:
        pattern = _INTERPRETER_NAMES[folder]
        try:
            names = sorted(os.listdir(root / folder))
        except OSError:
            continue
        for name in names:
            if pattern.fullmatch(name):
                yield folder, name, pattern


def _in_env(path: str, root: Path) -> str:
    """``path`` for a message: relative to the environment (``ENV/...``) when it resolves inside
    it, so that a BOM does not depend on where the folder lies; as given otherwise."""
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    if not os.path.join(real, "").startswith(os.path.join(real_root, "")):
        return path
    return "ENV/" + Path(os.path.relpath(real, real_root)).as_posix()


def _pth_beside(root: Path, exe: Path | None = None) -> list[str]:
    """The ``._pth`` files getpath may read instead of ``pyvenv.cfg`` (``<executable>._pth``,
    also beside the resolved executable): every one in ``bin/``, ``Scripts/`` and the folders
    inside ``root`` that the interpreters there resolve into; beside ``exe`` (the interpreter
    named, as given and resolved) too, wherever it lies (22d-2)."""
    folders = {str(root / "bin"), str(root / "Scripts")}
    for folder, name, _pattern in _interpreter_files(root):
        real = os.path.realpath(root / folder / name)
        if _under(Path(real), root):
            folders.add(os.path.dirname(real))
    if exe is not None:
        folders |= {os.path.dirname(os.path.abspath(exe)), os.path.dirname(os.path.realpath(exe))}
    found: list[str] = []
    for folder in sorted(folders):
        with contextlib.suppress(OSError):
            found += [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.lower().endswith("._pth")]
    return found


def _getpath_home(root: Path, project: Path | None = None,
                  exe: Path | None = None) -> tuple[str | None, Path | None, list[Finding]]:
    """Where the interpreter of the environment folder ``root`` takes its standard library,
    decided statically as getpath decides it (red team 20d-1..4): the ``pyvenv.cfg`` it reads
    (:func:`_getpath_cfg`), its first ``home`` line (:func:`_cfg_homes`), the landmark search
    upward lexically from that value (:func:`_search_up`). Returns that ``home``, the base prefix
    found from it (outside the environment; None when there is none or ``home`` is relative) and
    the findings: a stdlib found inside the environment (also one in the environment's own
    prefix, which a venv never has) is high ``python.stdlib-in-environment``; a relative
    ``home`` (resolved against the working directory of whoever starts it), ``home`` lines or
    files that disagree, a cfg not read whole are medium ``python.stdlib-unverified``. ``project``:
    the scanned project folder the environment was discovered in; a standard library found there
    is high too (red team 21d-4: an absolute ``home`` naming a stdlib shipped in the checkout).
    For ``--env FOLDER`` alone an absolute ``home`` outside the folder is taken as the base.
    ``exe``: the interpreter file named (``--env ENV/x/python``): its folder is where getpath and
    site.venv look for the cfg beside the executable (22d-2)."""
    notes: list[Finding] = []
    exe_dir = Path(os.path.dirname(os.path.abspath(exe))) if exe is not None else None
    cfg = _getpath_cfg(root, exe_dir)
    cfgs = [c for c in _cfg_places(root, exe_dir) if c.exists()]
    every: list[tuple[Path, str]] = []
    home: str | None = None
    for c in cfgs:
        homes, short = _cfg_homes(c)
        every += [(c, h) for h in homes]
        if c == cfg:
            home = homes[0] if homes else None
        if short is not None:
            notes.append(Finding(id="python.stdlib-unverified", severity="medium", source=c.as_posix(),
                                 message=f"{c.name}: {short}; its home lines are not all read"))
    src = (cfg or root / "pyvenv.cfg").as_posix()
    site_cfg = _site_cfg(root, exe_dir)
    site_home = _cfg_settings(site_cfg).get("home") if site_cfg is not None else None
    if site_cfg is not None and site_home is not None and site_home != home and (site_cfg, site_home) not in every:
        every.append((site_cfg, site_home))  # site.venv's reading (lines end at \r too; the last wins)
    if len({h for _, h in every}) > 1:
        named = "; ".join(f"{Path(os.path.relpath(c, root)).as_posix()}: {h!r}" for c, h in every)
        notes.append(Finding(
            id="python.stdlib-unverified", severity="medium", source=src,
            message=(f"pyvenv.cfg names home {len(every)} times, not all alike ({named[:600]}): the interpreter "
                     "(getpath) takes the first line of ENV/pyvenv.cfg, or of bin/pyvenv.cfg when that is missing, "
                     "site.venv the last line of bin/pyvenv.cfg first; the standard library judged is the one "
                     "from the first")))
    for pth in _pth_beside(root, exe):
        notes.append(Finding(
            id="python.stdlib-in-environment", severity="high", source=src,
            message=(f"{Path(os.path.relpath(pth, root)).as_posix()} lies beside the environment's interpreter: getpath "
                     "takes the whole module search path (the standard library too) from a ._pth file named after "
                     "the executable, and ignores pyvenv.cfg; code the folder controls runs at every start; "
                     "not verified")))
    own = _inside_stdlib(_stdlib_dirs(str(root)), root)
    if own is not None:
        notes.append(Finding(
            id="python.stdlib-in-environment", severity="high", source=src,
            message=(f"a standard library ({Path(os.path.relpath(own, root)).as_posix()}) lies in the environment's own "
                     "prefix, which a virtual environment never holds: the interpreter loads it at every start when "
                     "its search for the standard library reaches the environment; no RECORD vouches for it")))
    if home is None:
        return None, None, notes
    relative = not os.path.isabs(home)
    starts = [os.path.join(str(root), home), os.path.join(str(root.parent), home)] if relative else [home]
    base: Path | None = None
    for start in starts:
        for prefix, dirs in _search_up(start):
            inside = _inside_stdlib(dirs, root)
            if inside is not None:
                if own is not None and os.path.realpath(inside) == os.path.realpath(own):
                    return home, None, notes  # the same folder, reported above
                notes.append(Finding(
                    id="python.stdlib-in-environment", severity="high", source=src,
                    message=(f"pyvenv.cfg home {home!r}: the interpreter searches upward from it for its standard "
                             f"library and finds {_in_env(inside, root)}, inside the environment: it loads it at every start "
                             "(encodings is imported even under -I -S), and no RECORD vouches for a standard "
                             "library; not verified")))
                return home, None, notes
            in_project = None if project is None or relative else (
                _inside_stdlib(dirs, project) or next((d for d in dirs if _lexically_under(d, project)), None))
            if in_project is not None and project is not None:
                notes.append(Finding(
                    id="python.stdlib-in-environment", severity="high", source=src,
                    message=(f"pyvenv.cfg home {home!r}: the interpreter searches upward from it for its standard "
                             f"library and finds PROJECT/{Path(os.path.relpath(in_project, project)).as_posix()}, "
                             "inside the scanned project (or a link there), not a base "
                             "installation: it loads it at every start (encodings is imported even under -I -S), and "
                             "no RECORD vouches for a standard library; not verified")))
                return home, None, notes
            if base is None and not relative:
                base = Path(prefix)
    if relative:
        notes.append(Finding(
            id="python.stdlib-unverified", severity="medium", source=src,
            message=(f"pyvenv.cfg home {home!r} is relative: the interpreter resolves it against the working directory "
                     "of whoever starts it, so where its standard library (and the base site folders) come from "
                     "depends on that; not verified, the base is not inventoried")))
    return home, base, notes


_MAX_INTERPRETER_BYTES = 512 << 20
"""The largest interpreter file hashed to compare a copy with the base's (red team 21d-6: a
sparse file of 1 TiB hashed for hours); a larger one is reported, not hashed."""


_ANY_INTERPRETER = re.compile(r"python(?:3(?:\.\d+t?)?)?|pythonw?\.exe", re.I)


def _interpreter_findings(root: Path, home: str | None, src: Path, project: Path | None = None,
                          named: Path | None = None) -> list[Finding]:
    """What the environment's interpreters are (red team 20d-5, 21d-5), never run: every
    ``bin/python``, ``python3``, ``python3.X``, ``Scripts/python[w].exe`` (each runs at every start
    under that name; console-script shebangs name one). Not a native executable (ELF, Mach-O,
    PE: a ``#!`` script, anything else) is high ``python.interpreter-not-native``; a native file
    inside the folder (``venv --copies``) must have the bytes of an interpreter in the base
    ``home`` names (outside the environment and outside ``project``, the scanned project folder),
    else high ``python.interpreter-unverified`` (native code the folder controls runs at every
    start); medium when the comparison cannot be made (no absolute ``home``, ``home`` not listable,
    a file over :data:`_MAX_INTERPRETER_BYTES`); sizes are compared before anything is hashed
    (21d-6). A link to a native executable outside is nothing; one that leads nowhere is low.
    ``named``: the interpreter file the user named (``--env FILE``): it is the one that runs, so
    it gets the same check whatever its name (red team 22d-3), compared with every interpreter
    of the base."""
    out: list[Finding] = []
    digests: dict[str, str | None] = {}

    def digest(path: str) -> str | None:
        if path not in digests:
            digests[path] = sha256_file(path).sha256
        return digests[path]

    def size(path: str) -> int | None:
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        return st.st_size if stat.S_ISREG(st.st_mode) else None

    checks = [(f"{folder}/{name}", root / folder / name, pattern) for folder, name, pattern in _interpreter_files(root)]
    if named is not None and os.path.abspath(named) not in {os.path.abspath(p) for _, p, _ in checks}:
        given = os.path.abspath(named)
        inside = os.path.join(given, "").startswith(os.path.join(os.path.abspath(root), ""))
        checks.append((Path(os.path.relpath(given, root)).as_posix() if inside else named.name, Path(given), _ANY_INTERPRETER))
    for shown, exe, pattern in checks:
        real = os.path.realpath(exe)
        try:
            head = read_bounded(Path(real), 4, head=True)[:4]
        except InputError as exc:
            gone = not os.path.exists(real)
            out.append(Finding(
                id="python.interpreter-unverified", severity="low" if gone else "medium", source=src.as_posix(),
                message=(f"{shown} resolves to {_in_env(real, root)}, which does not exist here: the environment cannot start on "
                         "this machine" if gone else f"{shown} cannot be read ({exc.detail}); not verified")))
            continue
        if not head.startswith(_NATIVE_MAGIC):
            what = "a #! script" if head.startswith(b"#!") else "unknown format"
            out.append(Finding(
                id="python.interpreter-not-native", severity="high", source=src.as_posix(),
                message=(f"{shown} is not a native executable ({what}, resolves to {_in_env(real, root)}): it runs at every start "
                         "of the environment under that name (console-script shebangs name it), code the folder "
                         "controls and no RECORD vouches for")))
            continue
        in_project = project is not None and _under(Path(real), project)
        if not _under(Path(real), root) and not in_project:
            continue
        where = "inside the environment" if _under(Path(real), root) else "inside the scanned project"
        severity = "high"
        if home is None or not os.path.isabs(home):
            why = "pyvenv.cfg names no home" if home is None else f"pyvenv.cfg home {home!r} is relative"
            bases: list[str] = []
            severity = "medium"
        else:
            try:
                bases = [os.path.realpath(os.path.join(home, n)) for n in sorted(os.listdir(home)) if pattern.fullmatch(n)]
            except (OSError, ValueError) as exc:
                bases = []
                why = f"home {home!r} cannot be listed ({getattr(exc, 'strerror', None) or exc})"
                severity = "medium"
            else:
                why = f"no interpreter in home {home} has its bytes"
                ours = [b for b in bases if not _under(Path(b), root) and not (project is not None and _under(Path(b), project))]
                if len(ours) < len(bases):
                    why += " (those inside the environment or the scanned project vouch for nothing)"
                elif not bases:
                    why, severity = f"home {home} holds no interpreter to compare it with", "medium"
                bases = ours
        mine_size = size(real)
        if mine_size is not None and mine_size > _MAX_INTERPRETER_BYTES:
            out.append(Finding(
                id="python.interpreter-unverified", severity="medium", source=src.as_posix(),
                message=(f"{shown} is a native executable {where} of {mine_size} bytes, too large to verify "
                         f"(over {_MAX_INTERPRETER_BYTES >> 20} MiB, not hashed): it runs at every start and nothing "
                         "vouches for it")))
            continue
        same = [b for b in bases if mine_size is not None and size(b) == mine_size]
        mine = digest(real) if same else None
        if mine is not None and any(digest(b) == mine for b in same):
            continue
        out.append(Finding(
            id="python.interpreter-unverified", severity=severity, source=src.as_posix(),
            message=(f"{shown} is a native executable {where} (a copy, as venv --copies makes, or a wrapper) "
                     f"and {why}: native code the folder controls runs at every start and nothing vouches for it")))
    return out


_PLACEHOLDER = re.compile(r"__[A-Z][A-Z0-9_]*__|\{\{ [A-Z][A-Z0-9_]* \}\}")  # venv/virtualenv; uv
_MAX_ACTIVATE_BYTES = 1 << 20
_MAX_TEMPLATE_FILES = 64
_ENTRY_FOLDERS = ("bin", "Scripts")


def _entry_script(name: str) -> bool:
    """An activate script of an environment, by name (red team 22d-1): what ``. ENV/bin/activate``
    and its siblings for other shells run in the user's shell."""
    return name.lower().startswith(("activate", "deactivate"))


@functools.cache
def _table_templates() -> tuple[str, ...]:
    """The templates of mlbom/data/activate-templates.json (CPython 3.8-3.13 venv, Debian's 3.11,
    virtualenv, uv; sources recorded there)."""
    from importlib import resources

    doc = json.loads(resources.files("mlbom").joinpath("data/activate-templates.json").read_text("utf-8"))
    return tuple(str(t["text"]) for t in doc["templates"])


def _stdlib_templates(stdlib: str) -> list[str]:
    """The activate templates of a standard library's ``venv/scripts/`` (read as files, bounded:
    the venv module is never imported)."""
    out: list[str] = []
    top = os.path.join(stdlib, "venv", "scripts")
    for sub in ("common", "posix", "nt"):
        with contextlib.suppress(OSError):
            for name in sorted(os.listdir(os.path.join(top, sub)))[:_MAX_TEMPLATE_FILES]:
                if not _entry_script(name):
                    continue
                with contextlib.suppress(InputError, UnicodeDecodeError):
                    out.append(read_bounded(Path(top, sub, name), _MAX_ACTIVATE_BYTES).decode("utf-8"))
    return out


def _quoted(value: str) -> set[str]:
    """``value`` as the creators write it into a script: as is (CPython before gh-124651, batch),
    ``shlex.quote`` (POSIX shells), PowerShell's single quotes, Python's ``repr``, JSON, nushell's
    raw string, uv's xonsh bytes literals (plain ASCII values only)."""
    import shlex

    out = {value, shlex.quote(value), "'" + value.replace("'", "''") + "'", repr(value), json.dumps(value),
           f"r#'{value}'#"}
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:  # uv's xonsh activator
        out |= {f'b"{value}".decode("utf-8")', f'__import__("os").fsdecode(b"{value}")'}
    return out


def _activate_values(root: Path, cfg: Path | None) -> dict[str, set[str]]:
    """The values an activate script of the environment ``root`` must carry, per placeholder
    (CPython's venv ``__VENV_*__`` and virtualenv's): its own folder (as given and resolved), its
    name, the prompt pyvenv.cfg records (or the name), its bin folder and interpreters."""
    dirs = {os.path.abspath(root), os.path.realpath(root)}
    names = {os.path.basename(d) for d in dirs}
    prompts = {f"({n}) " for n in names} | names
    raw = _cfg_settings(cfg).get("prompt") if cfg is not None else None
    if raw is not None:
        import ast

        with contextlib.suppress(ValueError, SyntaxError, MemoryError, RecursionError):
            value = ast.literal_eval(raw) if raw[:1] in "'\"" else raw
            if isinstance(value, str):
                prompts |= {f"({value}) ", value}
    pythons = {os.path.join(d, folder, name) for d in dirs for folder, name, _ in _interpreter_files(root)}
    libs = {os.path.relpath(site, root / "bin") for site in _layout_sites(root)}
    return {"__VENV_DIR__": dirs, "__VIRTUAL_ENV__": dirs, "__VENV_NAME__": names, "__VIRTUAL_NAME__": names,
            "__VENV_PROMPT__": prompts, "__VIRTUAL_PROMPT__": prompts | {""}, "__VENV_BIN_NAME__": set(_ENTRY_FOLDERS),
            "__BIN_NAME__": set(_ENTRY_FOLDERS), "__VENV_PYTHON__": pythons, "__PATH_SEP__": {":", ";"},
            "__TCL_LIBRARY__": {""}, "__TK_LIBRARY__": {""}, "__DECODE_PATH__": {""}, "__LIB_FOLDERS__": libs,
            # virtualenv's csh activator: the prompt shown, and two fixed prompt prefixes
            "__VIRTUAL_PROMPT_DISPLAY_TCSH__": prompts, "__VIRTUAL_PROMPT_DISPLAY_PLAIN__": prompts,
            "__VIRTUAL_PROMPT_PREFIX_TCSH__": {"""'('"$_virtualenv_prompt_tcsh:q"') '"""},
            "__VIRTUAL_PROMPT_PREFIX_PLAIN__": {"""'('"$_virtualenv_prompt_plain:q"') '"""},
            # uv's activators (virtualenv's, with {{ NAME }} placeholders)
            "{{ VIRTUAL_ENV_DIR }}": dirs, "{{ VIRTUAL_PROMPT }}": prompts | {""}, "{{ BIN_NAME }}": set(_ENTRY_FOLDERS),
            "{{ PATH_SEP }}": {":", ";"}, "{{ RELOCATABLE }}": {"true", "false"}, "{{ RELATIVE_SITE_PACKAGES }}": libs}


def _template_pattern(template: str, values: dict[str, set[str]]) -> re.Pattern[str] | None:
    """``template`` with each placeholder made the alternation of the values it may take
    (:func:`_quoted`); None when it names a placeholder mlbom has no value for."""
    parts = _PLACEHOLDER.split(template)
    keys = _PLACEHOLDER.findall(template)
    out = [re.escape(parts[0])]
    for key, literal in zip(keys, parts[1:], strict=True):
        if key not in values:
            return None
        alts = sorted({q for v in values[key] for q in _quoted(v)}, key=lambda a: (-len(a), a))
        out.append("(?:" + "|".join(re.escape(a) for a in alts) + ")" + re.escape(literal))
    return re.compile("".join(out))


_NOT_TEMPLATE = "not a known template of venv, virtualenv or uv with this environment's own values"


def _activate_findings(root: Path, home: str | None, src: Path, project: Path | None,
                       cfg: Path | None) -> list[Finding]:
    """Red team 22d-1: the activate scripts of ``bin/``/``Scripts/`` (every name starting with
    activate or deactivate) run in the shell of whoever enters the environment, before its
    interpreter, and may set ``PATH``/``PYTHONPATH``/``LD_PRELOAD``: no RECORD lists them. Each must
    be a known template with the environment's own values in its placeholders: the templates of
    the base's standard library (``home``'s, when it lies outside the environment and the
    project), of mlbom's own interpreter's, and of mlbom/data/activate-templates.json. Any other
    is medium ``python.activate-unverified`` (high when the environment lies in the scanned
    project: the checkout controls it)."""
    scripts: list[tuple[str, Path]] = []
    for folder in _ENTRY_FOLDERS:
        with contextlib.suppress(OSError):
            scripts += [(f"{folder}/{n}", root / folder / n) for n in sorted(os.listdir(root / folder)) if _entry_script(n)]
    if not scripts:
        return []
    templates: list[str] = []
    if home is not None and os.path.isabs(home):
        for _prefix, dirs in _search_up(home):
            templates += [t for d in dirs if not _under(Path(d), root) and not (project is not None and _under(Path(d), project))
                          for t in _stdlib_templates(d)]
            break
    templates += _stdlib_templates(os.path.dirname(os.path.realpath(os.__file__)))
    templates += _table_templates()
    values = _activate_values(root, cfg)
    patterns = [p for t in dict.fromkeys(templates) if (p := _template_pattern(t, values)) is not None]
    in_project = project is not None and (_under(root, project) or _lexically_under(str(root), project))
    out: list[Finding] = []
    for shown, path in scripts:
        if os.path.isdir(path):
            continue
        why = None
        try:
            text = read_bounded(path, _MAX_ACTIVATE_BYTES).decode("utf-8")
            if path.name.lower().endswith(".ps1") and text.startswith("\ufeff"):
                text = text[1:]  # virtualenv writes its PowerShell activator with a BOM
        except InputError as exc:
            why = f"it cannot be read ({exc.detail})"
        except UnicodeDecodeError:
            why = "it is not UTF-8 text"
        else:
            if any(p.fullmatch(text) for p in patterns):
                continue
        out.append(Finding(
            id="python.activate-unverified", severity="high" if in_project else "medium", source=src.as_posix(),
            message=(f"{shown}: {why or _NOT_TEMPLATE}"
                     ": whoever enters the environment (. bin/activate) runs it in their shell, before the "
                     "interpreter, and it may set PATH, PYTHONPATH or LD_PRELOAD; no RECORD vouches for it"
                     + (" (the environment lies in the scanned project: the checkout controls it)" if in_project else ""))))
    return out


def _unrecorded_executables(root: Path, dists: list[_Dist], rel: Callable[[Path], str]) -> Iterator[Finding]:
    """Red team 22d-1: every file of the venv's ``bin/``/``Scripts/`` that no RECORD lists and
    that is neither an interpreter nor an activate script: one low ``python.unrecorded-executable``
    naming them (at most 20), so the BOM says what else the folder runs."""
    listed: set[str] = set()
    for d in dists:
        with contextlib.suppress(InputError):
            for row in pymeta.parse_record(read_bounded(d.dir / "RECORD", MAX_RECORD_BYTES), d.dir / "RECORD"):
                listed.add(os.path.normpath(os.path.join(d.site, row.path)))
    extra: list[str] = []
    for folder in _ENTRY_FOLDERS:
        try:
            names = sorted(os.listdir(root / folder))
        except OSError:
            continue
        pattern = _INTERPRETER_NAMES[folder]
        for n in names:
            here = root / folder / n
            if (pattern.fullmatch(n) or _entry_script(n) or n == "pyvenv.cfg" or n == "__pycache__"
                    or os.path.normpath(here) in listed or os.path.isdir(here)):
                continue
            extra.append(f"{folder}/{n}")
    if extra:
        shown = ", ".join(extra[:20]) + (f", … ({len(extra) - 20} more)" if len(extra) > 20 else "")
        yield Finding(id="python.unrecorded-executable", severity="low", source=rel(root / "bin"),
                      message=(f"{len(extra)} file(s) in the environment's bin folder that no RECORD lists, neither "
                               f"an interpreter nor an activate script: {shown}; not verified"))


def _layout_sites(prefix: Path) -> list[Path]:
    """The site folders of a prefix by layout (stock CPython, platlibdir ``lib64``, Windows)."""
    return (sorted(prefix.glob("lib/python3*/site-packages")) + sorted(prefix.glob("lib64/python3*/site-packages"))
            + sorted(prefix.glob("Lib/site-packages")))


def _base_sites(base: Path) -> list[Path]:
    """The base installation's site folders ``site.getsitepackages`` names (stock, and Debian's
    ``dist-packages``), those that exist."""
    found = _layout_sites(base) + sorted(base.glob("local/lib/python3*/dist-packages"))
    found += sorted(base.glob("lib/python3/dist-packages")) + sorted(base.glob("lib/python3.*/dist-packages"))
    return [p for p in found if p.is_dir()]


def _not_isolated(cfg: Path, base_sites: list[Path]) -> Finding:
    where = ", ".join(p.as_posix() for p in base_sites) or "none found"
    return Finding(
        id="python.environment-not-isolated", severity="medium", source=cfg.as_posix(),
        message=("include-system-site-packages is on (a pyvenv.cfg without the key means on, as site.venv reads it): "
                 f"every start also processes the base interpreter's site folders (inventoried: {where}) and the "
                 "user site of whoever runs it (~/.local/lib/pythonX.Y/site-packages: its .pth files and "
                 "usercustomize run; not inventoried, it depends on the user), code outside the environment"))


_VERSION = re.compile(r"(3\.\d+)(?:\.(\d+))?(?:\.final\.0)?")
_MINOR = re.compile(r"python(3\.\d+)t?")


def _version_sources(root: Path, settings: dict[str, str]) -> list[tuple[str, str]]:
    """Every Python version an environment folder names, read statically, with where (red team
    21d-3: ``pyvenv.cfg`` ``version`` is free text nothing reads at run time, so it never decides
    alone): ``pyvenv.cfg`` ``version``/``version_info`` (``3.11.7``, virtualenv's
    ``3.11.7.final.0``), the ``lib/python3.X`` folders holding site-packages (``site.venv`` names
    them after the interpreter's own version), the ``bin/python3.X`` names and the names the
    interpreters there resolve to."""
    out: list[tuple[str, str]] = []
    raw = settings.get("version") or settings.get("version_info")
    if raw:
        m = _VERSION.fullmatch(raw)
        out.append(("pyvenv.cfg version", (m.group(1) + (f".{m.group(2)}" if m.group(2) else "")) if m else raw))
    for p in _layout_sites(root):
        m = _MINOR.fullmatch(p.parent.name)
        if m:
            out.append((f"{p.parent.parent.name}/{p.parent.name}/site-packages", m.group(1)))
    for folder, name, _pattern in _interpreter_files(root, ("bin",)):
        for shown in (name, os.path.basename(os.path.realpath(root / folder / name))):
            m = _MINOR.fullmatch(shown)
            if m:
                out.append((f"{folder}/{name}" + ("" if shown == name else f" (resolves to {shown})"), m.group(1)))
    return out


def _pyc_facts(sources: list[tuple[str, str]], src: Path,
               notes: list[Finding]) -> tuple[str | None, frozenset[str] | None, bytes | None]:
    """The version for the markers, the cache tags the interpreter may have and its pyc magic,
    from :func:`_version_sources`. Sources that disagree: every version named counts for the
    tags (none decides alone), the markers take none, and a medium ``python.version-unverified``
    names them all. mlbom's own magic only when every source names mlbom's own minor version of a
    final CPython release (CPython freezes the magic number per minor release after its betas)."""
    import importlib.util

    minors = sorted({v.split(".")[0] + "." + v.split(".")[1] for _, v in sources
                     if re.fullmatch(r"3\.\d+(?:\.\d+)?", v)})
    odd = [v for _, v in sources if not re.fullmatch(r"3\.\d+(?:\.\d+)?", v)]
    if len(minors) > 1 or odd:
        named = "; ".join(f"{w}: {v!r}" for w, v in sources)
        notes.append(Finding(
            id="python.version-unverified", severity="medium", source=src.as_posix(),
            message=(f"the environment's Python version is not one ({named[:600]}): which bytecode its interpreter "
                     "loads from __pycache__ and which requirement markers apply depend on it; the pycs of every "
                     "version named are looked at, markers are this host's")))
        version = None
    else:
        full = [v for w, v in sources if w == "pyvenv.cfg version"]
        version = full[0] if full else (minors[0] if minors else None)
    tags = frozenset(f"cpython-{m.replace('.', '')}" for m in minors) or None
    own = f"{sys.version_info[0]}.{sys.version_info[1]}"
    magic = (importlib.util.MAGIC_NUMBER if minors == [own] and not odd and sys.implementation.name == "cpython"
             and sys.version_info.releaselevel == "final" and tags == frozenset({sys.implementation.cache_tag}) else None)
    return version, tags, magic


_STATIC_HOW = "static (pyvenv.cfg and folder layout; a folder's interpreter is never run)"


def _locate_venv(target: Path, cfg: Path, project: Path | None = None, exe: Path | None = None) -> Interpreter:
    """A venv folder, read statically (its interpreter is never run: red team 19d-5, 20d-1..4,
    where each rule for "safe to run" missed one of getpath's readings): the site folders from
    the layout with ``site.venv``'s rules (the prefix is the folder, settings from
    :func:`venv_cfg`, system site on unless the key says otherwise); the stdlib placed as getpath
    places it (:func:`_getpath_home`); the interpreters checked (:func:`_interpreter_findings`);
    the version from ``pyvenv.cfg``, the layout and the interpreter names (:func:`_pyc_facts`),
    markers from this host with that version. ``project``: the scanned project folder the
    environment was found in (red team 21d-4: a base found there is not a base). ``exe``: the
    interpreter file named, when one was (22d-2, 22d-3): its folder's cfg and the file itself."""
    settings = _cfg_settings(cfg)
    exe_dir = Path(os.path.dirname(os.path.abspath(exe))) if exe is not None else None
    home, base, notes = _getpath_home(target, project, exe)
    getpath_cfg = _getpath_cfg(target, exe_dir) or cfg
    notes += _interpreter_findings(target, home, getpath_cfg, project, exe)
    notes += _activate_findings(target, home, getpath_cfg, project, _site_cfg(target, exe_dir))
    sites = _layout_sites(target)
    if not sites:
        raise InputError(target, "virtualenv without a site-packages folder")
    base_sites: list[Path] = []
    if settings.get("include-system-site-packages", "true").lower() == "true":
        base_sites = _base_sites(base) if base is not None and not _under(base, target) else []
        notes.insert(0, _not_isolated(cfg, base_sites))
    all_sites = _unique([*sites, *base_sites])
    path = _unique(_with_pth(all_sites, notes))
    version, tags, magic = _pyc_facts(_version_sources(target, settings), getpath_cfg, notes)
    return Interpreter(target, path, _static_markers(version), _STATIC_HOW, sites=tuple(all_sites),
                       cache_tags=tags, magic=magic, notes=tuple(notes))


def _file_venv(target: Path) -> tuple[Path, Path, Path] | None:
    """The venv an interpreter file belongs to, as getpath and ``site.venv`` find it: a
    ``pyvenv.cfg`` beside the executable or in the folder above it (its prefix is always that
    folder), for the path as given and as resolved (red team 21d-1, 21d-2). The prefix, the
    cfg found and the executable path (as given or resolved) it was found from (22d-2)."""
    for exe in (os.path.abspath(target), os.path.realpath(target)):
        exe_dir = os.path.dirname(exe)
        for cand in (os.path.join(os.path.dirname(exe_dir), "pyvenv.cfg"), os.path.join(exe_dir, "pyvenv.cfg")):
            if os.path.exists(cand):
                return Path(os.path.dirname(exe_dir)), Path(cand), Path(exe)
    return None


def _locate_file(target: Path, project: Path | None) -> Interpreter:
    """An interpreter *file*, never run (red team 21d-1: ``ENV/bin/python`` is the venv's, its
    start reads the folder's ``pyvenv.cfg`` and stdlib; 21d-2: a link to a script). Not a native
    executable: refused. In a venv (:func:`_file_venv`): that venv, read as the folder is.
    Otherwise the prefix getpath's landmark search finds upward from the executable's folder
    (resolved, then as given), read statically like a base installation: its site folders by
    layout (Debian's ``dist-packages`` too), its ``.pth`` path lines followed. The interpreter
    mlbom itself runs on (same file, same prefix) gives its cache tag and magic from this process."""
    real = os.path.realpath(target)
    try:
        head = read_bounded(Path(real), 4, head=True)[:4]
    except InputError as exc:
        raise InputError(target, f"cannot read the interpreter file: {exc.detail}") from exc
    if not head.startswith(_NATIVE_MAGIC):
        what = "a #! script" if head.startswith(b"#!") else "not a native executable"
        raise InputError(target, f"not a Python interpreter mlbom can read ({what}); mlbom never runs what it inventories",
                         hint="pass a virtualenv folder, a site-packages folder or a native python executable")
    found = _file_venv(target)
    if found is not None:
        root, cfg, exe = found
        interp = _locate_venv(root, _site_cfg(root, exe.parent) or cfg, project, exe)
        return Interpreter(interp.root, interp.path, interp.markers,
                           f"{_STATIC_HOW}; {target.name} is the interpreter of that environment", sites=interp.sites,
                           cache_tags=interp.cache_tags, magic=interp.magic, notes=interp.notes)
    prefix: str | None = None
    stdlibs: list[str] = []
    for start in (os.path.dirname(real), os.path.dirname(os.path.abspath(target))):
        for here, dirs in _search_up(start):
            prefix, stdlibs = here, dirs
            break
        if prefix is not None:
            break
    if prefix is None:
        raise InputError(target, "no standard library found upward from the interpreter (getpath's landmark search); "
                                 "its environment cannot be placed without running it, and mlbom never does",
                         hint="pass the environment's site-packages folder")
    src = Path(real)
    notes: list[Finding] = []
    for folder in sorted({os.path.dirname(real), os.path.dirname(os.path.abspath(target))}):
        with contextlib.suppress(OSError):
            for n in sorted(os.listdir(folder)):
                if n.lower().endswith("._pth"):
                    notes.append(Finding(
                        id="python.stdlib-in-environment", severity="high", source=src.as_posix(),
                        message=(f"{n} lies beside the interpreter {target.name}: getpath takes the whole module search "
                                 "path (the standard library too) from a ._pth file named after the executable; not "
                                 "verified")))
    if project is not None and (_under(Path(prefix), project) or _lexically_under(prefix, project)):
        notes.append(Finding(
            id="python.stdlib-in-environment", severity="high", source=src.as_posix(),
            message=(f"the interpreter {target.name} takes its standard library from {prefix}, inside the scanned "
                     "project: it loads it at every start and no RECORD vouches for a standard library")))
    sites = _base_sites(Path(prefix))
    sources = [(f"{Path(d).parent.name}/{Path(d).name}", m.group(1)) for d in stdlibs
               if (m := _MINOR.fullmatch(Path(d).name))]
    for shown in sorted({target.name, os.path.basename(real)}):
        if (m := _MINOR.fullmatch(shown)):
            sources.append((shown, m.group(1)))
    own = (real == os.path.realpath(sys.executable)
           and os.path.realpath(prefix) == os.path.realpath(sys.base_prefix) and sys.implementation.name == "cpython")
    if own:
        import importlib.util

        version: str | None = ".".join(str(v) for v in sys.version_info[:3])
        tags: frozenset[str] | None = frozenset({sys.implementation.cache_tag})
        magic: bytes | None = importlib.util.MAGIC_NUMBER
    else:
        version, tags, magic = _pyc_facts(sources, src, notes)
    path = _unique(_with_pth(sites, notes))
    how = f"static (the installation of {target.name}, found by getpath's landmark search; never run)"
    return Interpreter(Path(prefix), path, _static_markers(version), how, sites=tuple(sites),
                       cache_tags=tags, magic=magic, notes=tuple(notes))


def locate(target: Path, project: Path | None = None) -> Interpreter:
    """Find the environment behind ``target``: an interpreter, a venv or a site-packages dir.
    Nothing is ever run (red team 20d, 21d-1): an interpreter file is placed statically
    (:func:`_locate_file`), a folder read statically (:func:`_locate_venv`). ``project``: the
    scanned project folder the environment was discovered in (None for ``--env``): a standard
    library or base interpreter inside it vouches for nothing (21d-4).
    Raises :class:`InputError` when ``target`` is none of these.
    """
    if not target.exists():
        raise InputError(target, "no such file or directory")
    if not target.is_dir():
        return _locate_file(target, project)
    cfg = venv_cfg(target)
    if cfg is not None:
        return _locate_venv(target, cfg, project)
    if _has_dists(target):
        m = re.search(r"python(\d+\.\d+)", target.as_posix())
        notes: list[Finding] = []
        return Interpreter(target, _with_pth([target], notes), _static_markers(m.group(1) if m else None),
                           "static (site-packages folder)", sites=(target,), notes=tuple(notes),
                           cache_tags=frozenset({f"cpython-{m.group(1).replace('.', '')}"}) if m else None)
    raise InputError(
        target,
        "no Python environment here (no pyvenv.cfg, no *.dist-info, not an interpreter)",
        hint="pass a virtualenv folder, a site-packages folder or a python executable",
    )


def _has_dists(folder: Path) -> bool:
    try:
        return any(p.name.lower().endswith(_DIST_SUFFIXES) for p in folder.iterdir())
    except OSError:
        return False


def find_dist_dirs(path: list[Path]) -> list[tuple[Path, Path]]:
    """``(site, dist_dir)`` for every ``*.dist-info``/``*.egg-info`` on ``path`` in path order
    (the order the import system would see them), each folder sorted by name."""
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for entry in path:
        if entry in seen or not entry.is_dir():
            continue
        seen.add(entry)
        try:
            children = sorted(entry.iterdir(), key=lambda p: p.name)
        except OSError:
            continue
        found += [(entry, c) for c in children if c.name.lower().endswith(_DIST_SUFFIXES)]
    return found


class EnvironmentCollector(BaseCollector):
    """Installed distributions of one Python environment."""

    name: ClassVar[str] = "environment"
    patterns: ClassVar[tuple[str, ...]] = (".venv", "venv", "env", ".env")
    options: ClassVar[tuple[Option, ...]] = (
        Option("verify_record", bool, "Re-hash every installed file against its distribution's RECORD (tamper evidence)."),
    )

    def __init__(self, *, verify_record: bool = False) -> None:
        self.verify_record = verify_record

    def collect(self, ctx: Context) -> Iterator[Collected | Fact]:
        path = ctx.path
        if not ctx.explicit and venv_cfg(path) is None:
            return
        interp = locate(path, ctx.project if ctx.project is not None else (None if ctx.explicit else ctx.base))
        ctx.say(f"reading environment {path} ({interp.how})")
        root = interp.root if interp.root.exists() else path

        def rel(p: Path) -> str:
            try:
                return Path(os.path.relpath(p, root)).as_posix()
            except ValueError:  # pragma: no cover
                return p.as_posix()

        if interp.sites and not any(s.is_dir() for s in interp.sites):
            yield Unreadable(path=rel(root), collector="environment",
                             reason="none of the site-packages folders the interpreter names exists ("
                                    + ", ".join(s.as_posix() for s in interp.sites) + "): packages not listed")
        dists: list[_Dist] = []
        for site, ddir in find_dist_dirs(interp.path):
            dist, problems = _read_dist(site, ddir, rel)
            yield from problems
            if dist is not None:
                dists.append(dist)

        by_name: dict[NormalizedName, list[_Dist]] = {}
        for d in dists:
            by_name.setdefault(d.canonical, []).append(d)
        for d in dists:
            base = pypi_purl(d.name, d.version)
            same = by_name[d.canonical]
            d.shadowed = same[0] is not d
            d.ref = base if not d.shadowed else f"{base}#{rel(d.dir)}"

        markers_json = json.dumps(interp.markers, sort_keys=True)
        impl = interp.markers.get("implementation_name", "python")
        py_version = interp.markers.get("python_full_version")
        runtime = Component(
            bom_ref=f"python:{ctx.rel(path)}",
            type="platform",
            name=impl,
            version=py_version,
            description=f"Python interpreter of the environment {ctx.rel(path)}",
            properties=(Property(name=Prop.PY_ENVIRONMENT.value, value=interp.how),
                        Property(name=Prop.PY_MARKER_ENV.value, value=markers_json)),
            evidence=(Evidence(fact="version", source=ctx.rel(path), field="python_full_version"),),
        )
        yield runtime
        for note in interp.notes:
            yield note.model_copy(update={"source": rel(Path(note.source)) if note.source else None})
        yield from _duplicate_findings(by_name, rel, root)
        edges, dep_findings, extras = _resolve(dists, by_name, interp.markers, rel)
        yield from dep_findings
        cuda_props: dict[str, list[Property]] = {}
        yield from _cuda_stack(dists, rel, cuda_props)
        if interp.how.startswith(_STATIC_HOW):
            yield from _unrecorded_executables(root, dists, rel)
        if self.verify_record:
            yield from _verify_records(dists, root, rel, ctx, interp)
        for d in dists:
            comp, comp_findings = _component(d, rel, cuda_props.get(d.ref, []), extras[d.ref])
            yield comp
            yield from comp_findings
            targets = sorted(edges.get(d.ref, set()))
            yield Relation(ref=d.ref, depends_on=tuple(targets))
        yield PythonEnvironment(markers=dict(interp.markers), packages=tuple(
            InstalledPackage(ref=d.ref, name=d.name, version=d.version) for d in dists if not d.shadowed))


def _cuda_stack(dists: list[_Dist], rel: Callable[[Path], str],
                props: dict[str, list[Property]]) -> Iterator[Collected | Fact]:
    """Framework builds (what CUDA they were built for, read from their files) and the CUDA
    families of NVIDIA wheels, as properties added to ``props`` (by bom-ref) and as
    :class:`FrameworkBuild` facts; mixing and cuDNN/NCCL mismatches as findings. Host facts
    (driver, GPUs) are checked against the builds by the post-collection pass
    :func:`mlbom.collectors.passes.cuda_host`."""
    from mlbom.formats import cuda_builds as cb

    families: dict[int, list[str]] = {}
    installed: dict[str, list[tuple[str, _Dist]]] = {}
    builds: list[tuple[_Dist, cb.Build]] = []
    for d in dists:
        if d.shadowed:
            continue
        d_props = props.setdefault(d.ref, [])
        fam = cb.wheel_family(d.name, d.version)
        if fam is not None:
            d_props.append(Property(name=Prop.CUDA_FAMILY.value, value=str(fam)))
            families.setdefault(fam, []).append(f"{d.name} {d.version}")
        lib = cb.cudnn_major_of(d.name, d.version)
        if lib is not None:
            installed.setdefault(lib[0], []).append((lib[1], d))
        build = None
        if d.canonical == "torch":
            build = cb.torch_build(d.site, d.version, d.meta.all("Requires-Dist") if d.meta is not None else [])
        elif d.canonical in ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly"):
            build = cb.tensorflow_build(d.site, d.version)
        elif d.canonical.startswith("onnxruntime"):
            build = cb.onnxruntime_build(d.site, d.name, d.version)
        if build is None:
            continue
        builds.append((d, build))
        for problem in build.problems:
            yield Finding(id="cuda.build-unreadable", severity="low", subject=d.ref, source=rel(d.site / build.evidence),
                          message=f"{d.name} {d.version}: {build.evidence}: {problem}; its build facts may be incomplete")
        kind = f"cuda-{build.cuda}" if build.cuda else f"rocm-{build.rocm}" if build.rocm else "cpu" if build.cpu_only else None
        if kind:
            d_props.append(Property(name=Prop.CUDA_BUILD.value, value=kind))
            yield FrameworkBuild(ref=d.ref, name=d.name, version=d.version, build=kind, archs=tuple(build.archs))
        if build.archs:
            d_props.append(Property(name=Prop.CUDA_ARCHS.value, value=",".join(build.archs)))
        for lib_name, major in (("cudnn", build.cudnn_major), ("nccl", build.nccl_major)):
            if major:
                d_props.append(Property(name=Prop.CUDA_EXPECTS.value, value=f"{lib_name}={major}"))
        if build.providers:
            d_props.append(Property(name=Prop.CUDA_PROVIDERS.value, value=",".join(build.providers)))
        if build.bundled:
            d_props.append(Property(name=Prop.CUDA_BUNDLED.value, value=",".join(build.bundled)))
        if build.git_version:
            d_props.append(Property(name=Prop.BUILD_COMMIT.value, value=build.git_version))
        if build.cuda_major is not None:
            families.setdefault(build.cuda_major, []).append(f"{d.name} {d.version} (built for CUDA {build.cuda})")
    if len(families) > 1:
        parts = "; ".join(f"CUDA {m}: {', '.join(sorted(v))}" for m, v in sorted(families.items()))
        loaders = [f"{d.name} {d.version} loads " + (f"the CUDA libraries it bundles ({', '.join(b.bundled)})" if b.bundled
                                                     else f"the CUDA {b.cuda_major} libraries it was built for")
                   for d, b in builds if b.cuda_major is not None]
        yield Finding(id="cuda.multiple-runtimes", severity="medium",
                      message=(f"this environment mixes CUDA major versions ({parts})"
                               + (f"; {'; '.join(loaders)}" if loaders else "")
                               + "; wheels of the other family are dead weight or, when loaded by another package, a "
                                 "second CUDA runtime in the process (docs/cuda-compatibility.md)"))
    for d, b in builds:
        why = "its Requires-Dist pin" if b.framework == "torch" else b.evidence
        for lib_name, want in (("cudnn", b.cudnn_major), ("nccl", b.nccl_major)):
            for have, dist in installed.get(lib_name, []):
                if want and have != want and (b.cuda_major is None or cb.wheel_family(dist.name, dist.version) == b.cuda_major):
                    yield Finding(id=f"cuda.{lib_name}-mismatch", severity="high", subject=d.ref,
                                  message=(f"{d.name} {d.version} expects {lib_name} {want}.x ({why}) "
                                           f"but {dist.name} {dist.version} is installed: a major mismatch fails at load time "
                                           "(docs/cuda-compatibility.md)"))


def _read_dist(site: Path, ddir: Path, rel: Callable[[Path], str]) -> tuple[_Dist | None, list[Collected]]:
    """Read one distribution's metadata; malformed metadata is a finding, not a crash."""
    problems: list[Collected] = []
    meta_file = ddir / "METADATA" if ddir.name.lower().endswith(".dist-info") else ddir / "PKG-INFO"
    if ddir.is_file():  # an egg-info *file* holds the metadata itself
        meta_file = ddir
    dir_name, dir_version = pymeta.parse_dist_dirname(ddir.name)
    meta: pymeta.CoreMetadata | None = None
    try:
        meta = pymeta.parse_metadata(read_bounded(meta_file, MAX_METADATA_BYTES), meta_file)
    except InputError as exc:
        problems.append(Unreadable(path=rel(meta_file), reason=exc.detail, collector="environment"))
    name = (meta.first("Name") if meta else None) or dir_name
    version = (meta.first("Version") if meta else None) or dir_version
    if not name:
        return None, problems
    dist = _Dist(dir=ddir, site=site, name=name, canonical=canonicalize_name(name), version=version, meta=meta)
    if meta is not None and (not meta.first("Name") or not meta.first("Version")):
        missing = [f for f in ("Name", "Version") if not meta.first(f)]
        problems.append(Finding(
            id="python.metadata-malformed", severity="medium",
            message=f"{name}: METADATA lacks {', '.join(missing)}; taken from the folder name {ddir.name}",
            subject=pypi_purl(name, version), source=rel(meta_file)))
    du_path = ddir / "direct_url.json"
    if ddir.is_dir() and du_path.is_file():  # where it came from: unreadable origin makes the inventory incomplete
        try:
            pymeta.parse_direct_url(read_bounded(du_path, MAX_SMALL_JSON), du_path)
        except InputError as exc:
            problems.append(Unreadable(path=rel(du_path), reason=exc.detail, collector="environment"))
    return dist, problems


def _component(d: _Dist, rel: Callable[[Path], str], extra: list[Property],
               extras: set[str]) -> tuple[Component, list[Finding]]:
    findings: list[Finding] = []
    meta = d.meta
    meta_rel = rel(d.dir / ("METADATA" if d.dir.name.lower().endswith(".dist-info") else "PKG-INFO"))
    props: list[Property] = list(extra)
    ev: list[Evidence] = [Evidence(fact="name", source=meta_rel, field="Name"),
                          Evidence(fact="version", source=meta_rel, field="Version")]
    qualifiers: dict[str, str] = {}
    refs: list[ExternalReference] = []
    lic: list[License] = []
    if meta is not None:
        lic, lic_ev, lic_props, unclear = _licenses(meta, meta_rel)
        if unclear:
            findings.append(Finding(id="license.unclear", severity="low",
                                    message=f"{d.name} {d.version}: licence unclear: {unclear}",
                                    subject=d.ref, source=meta_rel))
        ev += lic_ev
        props += lic_props
        refs += _project_urls(meta)
        rp = meta.first("Requires-Python")
        if rp:
            props.append(Property(name=Prop.PY_REQUIRES_PYTHON.value, value=rp))
    installer = _small_text(d.dir / "INSTALLER")
    if installer:
        props.append(Property(name=Prop.PY_INSTALLER.value, value=installer))
        ev.append(Evidence(fact="installer", source=rel(d.dir / "INSTALLER")))
    du_path = d.dir / "direct_url.json"
    if du_path.is_file():
        du_refs, du_props, qualifiers = _direct_url(du_path)
        refs += du_refs
        props += du_props
        ev.append(Evidence(fact="origin", source=rel(du_path)))
    refs += _shipped_sboms(d.dir, rel)
    props.append(Property(name=Prop.PY_LOCATION.value, value=rel(d.site)))
    if d.shadowed:
        props.append(Property(name=Prop.PY_SHADOWED.value, value="true"))
    active = sorted(e for e in extras if e)
    if active:
        props.append(Property(name=Prop.PY_EXTRAS.value, value=",".join(active)))
    summary = meta.first("Summary") if meta else None
    return Component(
        bom_ref=d.ref,
        type="library",
        name=d.name,
        version=d.version,
        purl=pypi_purl(d.name, d.version, qualifiers),
        description=summary or None,
        licenses=tuple(lic),
        external_references=tuple(refs),
        properties=tuple(props),
        evidence=tuple(ev),
    ), findings


def _licenses(
    meta: pymeta.CoreMetadata, src: str
) -> tuple[list[License], list[Evidence], list[Property], str | None]:
    """The distribution's licence, most precise source first: PEP 639 ``License-Expression``;
    then classifiers that name one SPDX licence; then a ``License`` field that is an SPDX id or
    expression or a short name. A ``License`` field holding a copyright notice or a whole licence
    text names no licence: the classifiers' names are taken then (the text kept as the licence's
    text), else the field's first line as a name. Returns the licences, evidence, properties and,
    for the last two cases, why the licence is unclear."""
    props = [Property(name=Prop.PY_LICENSE_FILE.value, value=f) for f in meta.all("License-File")]
    expr = meta.first("License-Expression")
    if expr:
        return [licenses.from_expression(expr)], [Evidence(fact="license", source=src, field="License-Expression")], props, None
    classifiers = sorted({c for c in meta.all("Classifier") if c.startswith("License ::")})
    found = [licenses.from_classifier(c) for c in classifiers]
    by_classifier = list({(lc.kind, lc.value): lc for lc in found}.values())
    ids = [lc for lc in by_classifier if lc.kind != "name"]
    if ids:
        return ids, [Evidence(fact="license", source=src, field="Classifier")], props, None
    text = _unfold(meta.first("License"))
    if text and text.strip().upper() in ("UNKNOWN", "NONE"):
        text = None
    if text and not licenses.looks_like_text(text):
        return [licenses.from_name(text)], [Evidence(fact="license", source=src, field="License")], props, None
    if by_classifier:
        lics = [lc.model_copy(update={"text": text}) if text and len(by_classifier) == 1 else lc for lc in by_classifier]
        why = (f"classifier {', '.join(repr(lc.value) for lc in by_classifier)} names no single SPDX licence"
               + (" and the License field is a copyright notice or licence text" if text else ""))
        return lics, [Evidence(fact="license", source=src, field="Classifier")], props, why
    if text:
        why = "the License field is a copyright notice or licence text, not a licence's name or SPDX id"
        return [licenses.from_name(text)], [Evidence(fact="license", source=src, field="License")], props, why
    return [], [], props, None


def _unfold(value: str | None) -> str | None:
    """Undo core-metadata header folding: continuation lines are indented (8 spaces, or 7 and
    a ``|`` as setuptools writes them)."""
    if not value:
        return value
    first, *rest = value.splitlines()
    body = [ln[8:] if ln.startswith(" " * 8) else ln.lstrip() for ln in rest]
    body = [ln[1:] if ln.startswith("|") else ln for ln in body]
    return "\n".join([first, *body]).strip()


def _project_urls(meta: pymeta.CoreMetadata) -> list[ExternalReference]:
    refs: list[ExternalReference] = []
    home = meta.first("Home-page")
    if home and (url := safe_url(home)):
        refs.append(ExternalReference(type="website", url=url))
    for entry in meta.all("Project-URL"):
        label, sep, raw = entry.partition(",")
        if not sep or not (url := safe_url(raw)):
            continue
        key = re.sub(r"[\s_\-.]+", " ", label.strip().lower()).strip()
        kind = _URL_LABELS.get(key, "other")
        refs.append(ExternalReference(type=kind, url=url, comment=label.strip() or None))
    return refs


def _small_text(path: Path) -> str | None:
    try:
        return read_bounded(path, 4096).decode("utf-8", "replace").strip() or None
    except InputError:
        return None


def _direct_url(path: Path) -> tuple[list[ExternalReference], list[Property], dict[str, str]]:
    try:
        du = pymeta.parse_direct_url(read_bounded(path, MAX_SMALL_JSON), path)
    except InputError as exc:
        return [], [Property(name=Prop.UNREADABLE.value, value=f"direct_url.json: {exc.detail}")], {}
    props = [Property(name=Prop.PY_DIRECT_URL.value, value=du.url)]
    refs: list[ExternalReference] = []
    qualifiers: dict[str, str] = {}
    url = safe_url(du.url)
    if du.kind == "vcs" and url:
        vcs_url = f"{du.vcs}+{du.url}@{du.commit_id}"
        qualifiers["vcs_url"] = vcs_url
        refs.append(ExternalReference(type="vcs", url=url, comment=f"{du.vcs} commit {du.commit_id}"))
    elif du.kind == "archive" and url:
        qualifiers["download_url"] = du.url
        hashes = tuple(Hash(alg="SHA-256", content=v) for k, v in du.hashes.items()
                       if k == "sha256" and re.fullmatch(r"[0-9a-f]{64}", v))
        refs.append(ExternalReference(type="distribution", url=url, hashes=hashes))
    elif du.kind == "dir" and du.editable:
        props.append(Property(name=Prop.PY_EDITABLE.value, value="true"))
    if du.subdirectory:
        qualifiers["subpath"] = du.subdirectory
    return refs, props, qualifiers


def _shipped_sboms(ddir: Path, rel: Callable[[Path], str]) -> list[ExternalReference]:
    """PEP 770: SBOMs a distribution ships in ``.dist-info/sboms/`` are referenced with their
    hash, so the BOM points at them instead of losing them."""
    sbom_dir = ddir / "sboms"
    if not sbom_dir.is_dir():
        return []
    refs: list[ExternalReference] = []
    for f in sorted(sbom_dir.iterdir()):
        if not f.is_file():
            continue
        digest = sha256_file(f)
        url = safe_url(rel(f))
        if url is None:
            continue
        hashes = (Hash(alg="SHA-256", content=digest.sha256),) if digest.sha256 else ()
        refs.append(ExternalReference(type="bom", url=url, hashes=hashes, comment="PEP 770 SBOM shipped with the distribution"))
    return refs


def _duplicate_findings(by_name: dict[NormalizedName, list[_Dist]], rel: Callable[[Path], str],
                        root: Path) -> Iterator[Finding]:
    """One ``python.duplicate-distribution`` per name installed more than once on the path, on
    the copy that is imported (the first). Low when that copy is the environment's own and every
    other is outside it (a venv shadowing its base with system site on: ``venv
    --system-site-packages`` installs pip and setuptools in both, red team 20d-6); medium
    otherwise (two copies inside, or an outside copy first)."""
    for name, group in sorted(by_name.items()):
        if len(group) < 2:
            continue
        where = "; ".join(f"{d.version} at {rel(d.dir)}" for d in group)
        first = group[0]
        venv_wins = _under(first.dir, root) and not any(_under(d.dir, root) for d in group[1:])
        tail = (": the environment's copy wins, the base's is shadowed" if venv_wins
                else f": the first ({first.version} at {rel(first.dir)}) is imported, the others are shadowed")
        yield Finding(id="python.duplicate-distribution", severity="low" if venv_wins else "medium",
                      message=f"{name} is installed {len(group)} times on the path ({where}){tail}",
                      subject=first.ref, source=rel(first.dir))


Parsed = dict[str, list[tuple[Requirement, int | None]]]


def _resolve(
    dists: list[_Dist], by_name: dict[NormalizedName, list[_Dist]], markers: dict[str, str], rel: Callable[[Path], str]
) -> tuple[dict[str, set[str]], list[Finding], dict[str, set[str]]]:
    """Evaluate every Requires-Dist for the target interpreter, in three phases: parse them,
    activate the extras other installed distributions ask for, draw the edges (and check the
    versions) the active requirements make. Returns edges, findings and each distribution's
    active extras (``""`` stands for the distribution itself), by bom-ref."""
    parsed, findings = _parse_requires(dists, rel)
    extras = _activate_extras(dists, by_name, parsed, markers)
    edges, edge_findings = _draw_edges(dists, by_name, parsed, extras, markers, rel)
    return edges, findings + edge_findings, extras


def _parse_requires(dists: list[_Dist], rel: Callable[[Path], str]) -> tuple[Parsed, list[Finding]]:
    """Each distribution's Requires-Dist lines as requirements (with their line numbers); a line
    that does not parse is a finding."""
    parsed: Parsed = {}
    findings: list[Finding] = []
    for d in dists:
        reqs: list[tuple[Requirement, int | None]] = []
        src = rel(d.dir / "METADATA")
        for raw in d.meta.all("Requires-Dist") if d.meta else []:
            line = d.meta.lines.get(("requires-dist", raw)) if d.meta else None
            try:
                reqs.append((Requirement(raw), line))
            except (InvalidRequirement, InvalidMarker) as exc:
                findings.append(Finding(
                    id="python.requirement-invalid", severity="medium",
                    message=f"{d.name} {d.version}: cannot parse Requires-Dist {raw!r}: {str(exc).splitlines()[0]}",
                    subject=d.ref, source=src, line=line))
        parsed[d.ref] = reqs
    return parsed, findings


def _applies(req: Requirement, extras: set[str], markers: dict[str, str]) -> bool:
    """Whether ``req`` holds for the target interpreter with any of ``extras`` active."""
    if req.marker is None:
        return True
    for extra in sorted(extras):
        holds = marker_holds(req.marker, {**markers, "extra": extra})
        if holds is None:
            return False
        if holds:
            return True
    return False


def _activate_extras(dists: list[_Dist], by_name: dict[NormalizedName, list[_Dist]], parsed: Parsed,
                     markers: dict[str, str]) -> dict[str, set[str]]:
    """The extras of each distribution that installed distributions ask for, until nothing
    changes. A worklist, not rounds over everything: a distribution is looked at again only when
    its active extras grew, so a chain of n extras costs O(n), not O(n^2) marker evaluations
    (issue 19: every graph walk linear)."""
    extras: dict[str, set[str]] = {d.ref: {""} for d in dists}
    work = deque(d for d in dists if not d.shadowed)
    queued = {d.ref for d in work}
    while work:
        d = work.popleft()
        queued.discard(d.ref)
        for req, _ in parsed[d.ref]:
            target = by_name.get(canonicalize_name(req.name))
            if not target or not req.extras or not _applies(req, extras[d.ref], markers):
                continue
            active = target[0]
            new = {canonicalize_name(e) for e in req.extras} - extras[active.ref]
            if new:
                extras[active.ref] |= new
                if not active.shadowed and active.ref not in queued:
                    work.append(active)
                    queued.add(active.ref)
    return extras


def _draw_edges(dists: list[_Dist], by_name: dict[NormalizedName, list[_Dist]], parsed: Parsed,
                extras: dict[str, set[str]], markers: dict[str, str],
                rel: Callable[[Path], str]) -> tuple[dict[str, set[str]], list[Finding]]:
    """The dependency edges of the active requirements, and a finding for each one that is
    missing or whose installed version does not satisfy it."""
    findings: list[Finding] = []
    edges: dict[str, set[str]] = {}
    for d in dists:
        src = rel(d.dir / "METADATA")
        for req, line in parsed[d.ref]:
            target = by_name.get(canonicalize_name(req.name))
            if not _applies(req, extras[d.ref], markers):
                # An optional (extra) requirement nobody asked for draws no edge even when its
                # target is installed for another reason (joblib[docs] -> pandas): an edge claims
                # "this requires that", and it does not. Its version is not checked either (pip).
                continue
            spec = str(req)
            if not target:
                if not d.shadowed:
                    findings.append(Finding(
                        id="python.requirement-missing", severity="medium",
                        message=f"{d.name} {d.version} requires {spec} but no {req.name} is installed",
                        subject=d.ref, source=src, line=line))
                continue
            active = target[0]
            edges.setdefault(d.ref, set()).add(active.ref)
            if d.shadowed or not req.specifier or active.version is None:
                continue
            have = parse_version(active.version)
            ok = contains(req.specifier, have) if have is not None else None
            if ok is None:
                what = (f"{active.name} version {active.version[:80]!r} is not PEP 440" if have is None
                        else "a version in the specifier is not PEP 440 (or too long)")
                findings.append(Finding(
                    id="python.version-invalid", severity="low",
                    message=f"{what}; cannot check {d.name}'s requirement {spec[:200]}",
                    subject=active.ref if have is None else d.ref, source=rel(active.dir if have is None else d.dir)))
                continue
            if not ok:
                findings.append(Finding(
                    id="python.version-conflict", severity="high",
                    message=(f"{d.name} {d.version} requires {spec}, but {active.name} {active.version} "
                             f"is installed (at {rel(active.site)})"),
                    subject=d.ref, source=src, line=line))
    return edges, findings


def _stays_inside(target: str, real_root: str, real_dirs: dict[str, str]) -> bool:
    """Whether ``target`` (lexically inside the environment) still is once symbolic links are
    followed: a RECORD entry that is a link to ``/dev/zero`` or ``/etc/passwd``, or that sits in a
    linked folder leading out, is not hashed. Folders are resolved once each (``real_dirs``), so
    30,000 entries cost one ``lstat`` each, not one per path component."""
    head = os.path.dirname(target)
    real_dir = real_dirs.get(head)
    if real_dir is None:
        real_dir = real_dirs[head] = os.path.join(os.path.realpath(head), "")
    if not real_dir.startswith(real_root):
        return False
    if os.path.islink(target):
        return os.path.realpath(target).startswith(real_root)
    return True


_UNHASHED_OK = frozenset({"RECORD", "RECORD.jws", "RECORD.p7s"})
"""RECORD rows that carry no hash by the spec: RECORD itself and its signatures."""


def _verify_records(dists: list[_Dist], root: Path, rel: Callable[[Path], str], ctx: Context,
                    interp: Interpreter) -> Iterator[Collected]:
    """Re-hash every file a RECORD lists with a hash; report mismatches and missing files.
    Files outside the environment root are not followed (a RECORD is untrusted input)."""
    jobs: list[tuple[_Dist, str, str, pymeta.RecordRow]] = []
    names: dict[tuple[str, str], tuple[_Dist, str]] = {}  # (site, top-level import name) -> a row installing it
    recordless: list[_Dist] = []  # distributions whose files nothing verifies (red team 18d-6)
    bad: set[str] = set()  # listed files not proven: mismatched, unreadable, or not hashed (outside)
    # String paths in this loop: pathlib costs more than hashing for 30k small files.
    prefixes = tuple({os.path.join(str(root), ""), os.path.join(str(root.resolve()), "")})
    real_root = os.path.join(os.path.realpath(root), "")
    real_dirs: dict[str, str] = {}
    listed: dict[str, tuple[_Dist, pymeta.RecordRow]] = {}  # every RECORD row, by normalized path
    tops: dict[str, _Dist] = {}  # the package folders a RECORD installs into (absolute)
    for d in dists:
        record = d.dir / "RECORD"
        record_rel = rel(record)
        if not d.dir.name.lower().endswith(".dist-info") or not record.is_file():
            recordless.append(d)  # reported with its folders by _unrecorded_code
            continue
        try:
            rows = pymeta.parse_record(read_bounded(record, MAX_RECORD_BYTES), record)
        except InputError as exc:
            yield Unreadable(path=record_rel, reason=exc.detail, collector="environment")
            yield Finding(id="python.record-unreadable", severity="medium",
                          message=f"{d.name} {d.version}: RECORD cannot be read ({exc.detail}); files not verified",
                          subject=d.ref, source=record_rel)
            continue
        site = str(d.site)
        outside: list[str] = []
        weak: dict[str, int] = {}
        unverified: list[str] = []
        for row in rows:
            here = os.path.normpath(os.path.join(site, row.path))
            listed.setdefault(here, (d, row))
            head, sep, _ = row.path.replace("\\", "/").partition("/")
            if sep and head not in ("", ".", "..") and not head.lower().endswith((".dist-info", ".data")):
                tops.setdefault(os.path.normpath(os.path.join(site, head)), d)
            name = _import_name(head, bool(sep))
            if name is not None:
                names.setdefault((site, name), (d, row.path))
            if row.alg is None or row.digest_hex is None:
                # No hash: RECORD itself cannot hold its own (and its signatures are beside
                # it); pip and installer write compiled bytecode without one (see
                # _unrecorded_code). Anything else is a file nobody can check.
                folder, _, base = row.path.rpartition("/")
                if not (base in _UNHASHED_OK and folder.endswith(".dist-info")) and not base.endswith(".pyc"):
                    unverified.append(row.path)
                continue
            if row.alg not in pymeta.RECORD_STRONG_ALGS and row.alg not in pymeta.RECORD_WEAK_ALGS:
                unverified.append(f"{row.path} ({row.alg[:20]})")
                continue
            if row.alg in pymeta.RECORD_WEAK_ALGS:
                weak[row.alg] = weak.get(row.alg, 0) + 1
            target = os.path.normpath(os.path.join(site, row.path))
            startup = "/" not in row.path.replace("\\", "/") and row.path.endswith(".pth")
            if (not target.startswith(prefixes) or not _stays_inside(target, real_root, real_dirs)) and not startup:
                # a .pth at the top of a site folder outside (the base's, system site on) runs at
                # every start of this environment: hashed all the same (few, small; red team 20d-6)
                outside.append(row.path)
                bad.add(target)
                continue
            jobs.append((d, target, record_rel, row))
        if outside:
            yield Finding(id="python.record-outside-environment", severity="low",
                          message=(f"{d.name} {d.version}: {len(outside)} RECORD entr{'y' if len(outside) == 1 else 'ies'} "
                                   f"outside the environment not verified (first: {outside[0]})"),
                          subject=d.ref, source=record_rel)
        if unverified:
            yield Finding(id="python.record-unverified", severity="medium",
                          message=(f"{d.name} {d.version}: {len(unverified)} RECORD entr{'y' if len(unverified) == 1 else 'ies'} "
                                   f"with no hash or a hash algorithm that is not verified (first: {unverified[0][:200]})"),
                          subject=d.ref, source=record_rel)
        if weak:
            algs = ", ".join(f"{n} with {a}" for a, n in sorted(weak.items()))
            yield Finding(id="python.record-weak-hash", severity="medium",
                          message=(f"{d.name} {d.version}: RECORD hashes files with an algorithm the wheel spec "
                                   f"refuses or below sha256 ({algs}): checked, but a match proves nothing"),
                          subject=d.ref, source=record_rel)
    ctx.say(f"verifying {len(jobs)} RECORD entries")
    total = sum(r.size for _, _, _, r in jobs if r.size is not None)
    with ctx.progress_bytes(f"verifying {len(jobs)} RECORD entries", total or None):
        digests = list(sha256_files([j[1] for j in jobs], algs=[j[3].alg or "sha256" for j in jobs]))
    for (d, path, record_rel, row), got in zip(jobs, digests, strict=True):
        if got.sha256 is None or got.sha256 != row.digest_hex:
            bad.add(path)
        if got.sha256 is None:
            if not os.path.lexists(path):
                yield Finding(id="python.record-missing-file", severity="medium",
                              message=f"{d.name} {d.version}: {row.path} is listed in RECORD but missing",
                              subject=d.ref, source=record_rel, line=row.line)
            else:
                yield Finding(id="python.record-unreadable-file", severity="medium",
                              message=f"{d.name} {d.version}: {row.path} cannot be read ({got.error})",
                              subject=d.ref, source=record_rel, line=row.line)
        elif got.sha256 != row.digest_hex:
            yield Finding(id="python.record-mismatch", severity="high",
                          message=(f"{d.name} {d.version}: {row.path} does not match RECORD "
                                   f"({got.alg} {got.sha256}, recorded {row.digest_hex})"),
                          subject=d.ref, source=record_rel, line=row.line)
    # every site folder the interpreter processes (red team 18d-4: also one holding no
    # distribution, and a bare venv), then the folders distributions were found in
    sites = [str(p) for p in _unique([*interp.sites, *sorted({d.site for d in dists})])]
    on_path = [str(p) for p in interp.path]
    first_site = next((i for i, p in enumerate(on_path) if p in sites), 0)
    walk = _Walk(listed=listed, bad=bad, rel=rel, real_root=real_root, tags=interp.cache_tags, magic=interp.magic)
    yield from _unrecorded_code(sites, tops, walk, ctx, names=names, site_path=on_path[first_site:], path=on_path,
                                recordless=recordless)


_CODE_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth")
_STARTUP_MODULES = ("sitecustomize", "usercustomize")
_MAX_WALK_FILES = 500_000
_MAX_ZIP_MEMBERS = 100_000


def _pth_exec_line(text: str) -> str | None:
    """The first line ``site.addpackage`` executes (:func:`pth_lines`)."""
    return next((line for is_import, line in pth_lines(text) if is_import), None)


_VIRTUALENV_PTH = "_virtualenv.pth"


def _virtualenv_hook_only(data: bytes) -> bool:
    """Whether a ``.pth``'s bytes hold virtualenv's hook and nothing else that runs: at most
    64 KiB of UTF-8 whose every line ``site`` acts on is exactly ``import _virtualenv`` (no
    other ``import`` line, and no path lines either)."""
    if len(data) > 1 << 16:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    acts = list(pth_lines(text))
    return bool(acts) and all(is_import and line.strip() == "import _virtualenv" for is_import, line in acts)


def _pyc_unchecked(path: str) -> bool:
    """Whether the pyc at ``path`` is hash-based and unchecked (flags ``0b01``): importlib loads
    it whatever its source holds (``_bootstrap_external.SourceLoader.get_code``)."""
    head = bytecode.read_head(path, 15)
    return head is not None and len(head) >= 8 and int.from_bytes(head[4:8], "little") & 0b11 == 0b01


_MODULE_SUFFIXES = (".py", ".pyw", ".pyc", ".so", ".pyd")
_SOURCE_SUFFIXES = (".py", ".pyw")


def _import_name(head: str, folder: bool) -> str | None:
    """The top-level name ``import`` finds a RECORD row under: its folder's name, or a module
    file's stem (``six.py``, ``_cffi_backend.cpython-311-x86_64-linux-gnu.so``)."""
    if folder:
        name = head
    elif head.endswith(_MODULE_SUFFIXES):
        name = head.partition(".")[0]
    else:
        return None
    return name if name.isidentifier() and name != "__pycache__" else None


@dataclass
class _Walk:
    """What the search for unrecorded code shares: the RECORD rows, the listed files that are
    not proven (mismatched, unreadable, not hashed), and folder listings, whose entries count
    against :data:`_MAX_WALK_FILES` with the files walked."""

    listed: dict[str, tuple[_Dist, pymeta.RecordRow]]
    bad: set[str]
    rel: Callable[[Path], str]
    real_root: str
    tags: frozenset[str] | None
    """The cache tags the environment's interpreter may have (None: any)."""
    magic: bytes | None = None
    seen: int = 0
    stopped: bool = False
    listings: dict[str, frozenset[str]] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    zips: dict[str, frozenset[str] | None] = field(default_factory=dict)

    def vouched(self, path: str) -> bool:
        """Whether a RECORD row with a strong hash lists ``path`` and the file matched it."""
        entry = self.listed.get(path)
        return (entry is not None and entry[1].alg in pymeta.RECORD_STRONG_ALGS
                and entry[1].digest_hex is not None and path not in self.bad)

    def count(self, n: int = 1) -> bool:
        """Count ``n`` more files against the bound; False once it is passed."""
        self.seen += n
        if self.seen > _MAX_WALK_FILES:
            self.stopped = True
        return not self.stopped

    def listing(self, folder: str) -> frozenset[str]:
        """The names in ``folder`` (empty when it is no readable folder), listed once."""
        got = self.listings.get(folder)
        if got is None:
            got = frozenset()
            if not self.stopped:
                with contextlib.suppress(OSError):
                    got = frozenset(os.listdir(folder))
                self.count(len(got))
            self.listings[folder] = got
        return got

    def inside(self, path: str) -> bool:
        return os.path.join(os.path.realpath(path), "").startswith(self.real_root)

    def zip_members(self, path: str) -> frozenset[str] | None:
        """The member names of the zip (or egg) file ``path`` on the path, read statically from
        its central directory once (red team 19d-1: zipimport imports from it); None when
        ``zipfile`` cannot read it or it holds more than :data:`_MAX_ZIP_MEMBERS`."""
        if path not in self.zips:
            got: frozenset[str] | None = None
            try:
                with safe_zip.open_archive(Path(path)) as zf:
                    infos = zf.infolist()
                    if len(infos) <= _MAX_ZIP_MEMBERS and self.count(len(infos)):
                        got = frozenset(i.filename.replace("\\", "/") for i in infos)
            except (InputError, OSError, ValueError, RuntimeError):
                got = None
            self.zips[path] = got
        return self.zips[path]


def _cached_pyc(source: str, walk: _Walk) -> list[str]:
    """The bytecode importlib loads for the source file ``source`` instead of compiling it
    (``SourceLoader.get_code`` reads ``cache_from_source(source)``: ``__pycache__/<stem>.<cache
    tag>[.opt-N].pyc`` beside it). The one place that names it, for every check of cached
    bytecode: every tag the interpreter may have (red team 21d-3); without a known tag every
    ``<stem>.*.pyc`` there counts."""
    folder, base = os.path.split(source)
    stem = base.rpartition(".")[0]
    cache = os.path.join(folder, "__pycache__")
    names = walk.listing(cache)
    if walk.tags is None:
        wanted = sorted(n for n in names if n.startswith(stem + ".") and n.endswith(".pyc"))
    else:
        wanted = sorted(n for n in {f"{stem}.{t}{o}.pyc" for t in walk.tags for o in ("", ".opt-1", ".opt-2")}
                        if n in names)
    return [os.path.join(cache, n) for n in wanted]


def _cache_findings(d: _Dist | None, source: str, walk: _Walk) -> Iterator[Finding]:
    """Findings on the bytecode importlib would load for a vouched source (today: an unchecked
    hash-based pyc, loaded whatever the source holds)."""
    for pyc in _cached_pyc(source, walk):
        if pyc not in walk.reported and _pyc_unchecked(pyc):
            walk.reported.add(pyc)
            yield _unchecked_finding(d, pyc, walk.rel)


def _unchecked_finding(d: _Dist | None, path: str, rel: Callable[[Path], str]) -> Finding:
    who = f"{d.name} {d.version}: " if d is not None else ""
    return Finding(id="python.pyc-unchecked", severity="high",
                   message=(f"{who}{rel(Path(path))} is an unchecked hash-based pyc: Python loads it "
                            "whatever its source holds, and no RECORD hash vouches for it"),
                   subject=d.ref if d is not None else None, source=rel(Path(path)))


def _is_extension(entry: str, stem: str) -> bool:
    """Whether ``entry`` may be the extension module ``stem`` (``stem.so``, ``stem.abi3.so``,
    ``stem.cpython-311-x86_64-linux-gnu.so``, ``.pyd``): the target's exact
    ``EXTENSION_SUFFIXES`` are not known here, so every such name counts (fail closed)."""
    return entry.startswith(stem + ".") and entry.endswith((".so", ".pyd"))


def _first_candidate(folder: str, stem: str, entries: frozenset[str]) -> list[str]:
    """The file(s) FileFinder's loaders pick for ``stem`` among ``entries``: extension
    suffixes, then ``.py`` (``.pyw``), then ``.pyc``; several extension candidates all count."""
    exts = [p for p in (os.path.join(folder, e) for e in sorted(entries) if _is_extension(e, stem)) if os.path.isfile(p)]
    if exts:
        return exts
    for suffix in (*_SOURCE_SUFFIXES, ".pyc"):
        path = os.path.join(folder, stem + suffix)
        if stem + suffix in entries and os.path.isfile(path):
            return [path]
    return []


def _find_spec(folder: str, name: str, walk: _Walk) -> list[str]:
    """The file(s) ``import name`` loads from the path entry ``folder``, as CPython 3.11's
    ``FileFinder.find_spec`` decides (``importlib/_bootstrap_external.py``): a package
    ``name/__init__`` first, then a module ``name`` + suffix; empty when nothing there (a
    namespace portion loads no code, and the search goes on to later entries)."""
    if os.path.isfile(folder):
        return _zip_spec(folder, name, walk)
    entries = walk.listing(folder)
    if name in entries:
        base = os.path.join(folder, name)
        found = _first_candidate(base, "__init__", walk.listing(base) if os.path.isdir(base) else frozenset())
        if found:
            return found
    return _first_candidate(folder, name, entries)


def _zip_spec(archive: str, name: str, walk: _Walk) -> list[str]:
    """What zipimport (CPython 3.11 ``zipimport._zip_searchorder``) loads for ``import name``
    from the zip ``archive``: ``name/__init__.pyc``, ``name/__init__.py``, ``name.pyc``,
    ``name.py``; every present candidate of the first kind that exists counts (a stale pyc
    falls back to the source)."""
    members = walk.zip_members(archive) or frozenset()
    for cands in ((f"{name}/__init__.pyc", f"{name}/__init__.py"), (f"{name}.pyc", f"{name}.py")):
        found = [os.path.join(archive, c) for c in cands if c in members]
        if found:
            return found
    return []


def _zip_names(members: frozenset[str]) -> list[str]:
    """The top-level names ``import`` finds in a zip on the path (modules and packages)."""
    names = set()
    for m in members:
        head, sep, rest = m.partition("/")
        if sep and rest in ("__init__.py", "__init__.pyc") and head.isidentifier():
            names.add(head)
        elif not sep and m.endswith((".py", ".pyc")) and m.rpartition(".")[0].isidentifier():
            names.add(m.rpartition(".")[0])
    return sorted(names)


def _zip_entries(path: list[str], walk: _Walk) -> Iterator[Finding]:
    """Red team 19d-1: a zip or egg file on the path (a ``.pth`` path line may name one, as
    easy_install wrote them) is a code container zipimport imports from. One no RECORD vouches
    for: its importable names are listed; an egg (``EGG-INFO/PKG-INFO``) is an install nothing
    verifies (medium, like an egg-info folder), any other zip holding code is high, one that
    cannot be read or holds no code medium. Startup modules and shadowing names in it are
    reported by the path-wide checks."""
    for entry in path:
        if not os.path.isfile(entry) or walk.vouched(entry):
            continue
        where = walk.rel(Path(entry))
        members = walk.zip_members(entry)
        if members is None:
            yield Finding(id="python.unrecorded-code", severity="medium", source=where,
                          message=(f"{where} is a file on the interpreter's path that mlbom cannot read as a zip; "
                                   "zipimport may import code from it, and no RECORD vouches for it"))
            continue
        names = _zip_names(members)
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        if "EGG-INFO/PKG-INFO" in members:
            yield Finding(id="python.record-absent", severity="medium", source=where,
                          message=(f"{where} is an egg on the interpreter's path (zipimport): nothing in it is verified "
                                   f"({len(names)} importable name{'' if len(names) == 1 else 's'}: {shown or 'none'})"))
        elif names:
            yield Finding(id="python.unrecorded-code", severity="high", source=where,
                          message=(f"{where} is a zip on the interpreter's path that no RECORD vouches for; `import` "
                                   f"finds {len(names)} name{'' if len(names) == 1 else 's'} in it ({shown})"))
        else:
            yield Finding(id="python.unrecorded-code", severity="medium", source=where,
                          message=(f"{where} is a zip on the interpreter's path that no RECORD vouches for "
                                   "(no importable module found in it)"))


def _import_winner(entries: list[str], name: str, walk: _Walk) -> tuple[str, list[str]] | None:
    """The first path entry (in order) where ``import name`` finds code, with the file(s)."""
    for entry in entries:
        files = _find_spec(entry, name, walk)
        if files:
            return entry, files
    return None


def _upto(site_path: list[str], site: str) -> list[str]:
    """The path entries searched before and at ``site`` (just ``site`` if it is not on it)."""
    return site_path[: site_path.index(site) + 1] if site in site_path else [site]


def _shadowing(names: dict[tuple[str, str], tuple[_Dist, str]], site_path: list[str], walked: set[str],
               walk: _Walk) -> Iterator[Finding]:
    """Red team 18d-2: for every top-level name a RECORD installs, what ``import NAME`` loads.
    The site folders and the folders their ``.pth`` path lines add are searched in order up to
    the distribution's own, and the first code found wins; it must be a file a RECORD vouches
    for. Otherwise something shadows the recorded code: a package folder beside a recorded
    module, an extension module beside a ``.py``, the same name in an earlier site folder."""
    for (site, name), (d, recorded) in sorted(names.items(), key=lambda kv: kv[0]):
        found = _import_winner(_upto(site_path, site), name, walk)
        if found is None:
            # a namespace package (or nothing importable: a missing file is reported by the
            # RECORD check): every portion on the path is searched for its submodules
            yield from _namespace_portions(d, name, site_path, walked, walk)
            continue
        entry, files = found
        # a file a RECORD lists outside the environment (the base's site folders, with system
        # site on) is not hashed and is reported as such (python.record-outside-environment)
        wrong = [f for f in files if not walk.vouched(f) and (f not in walk.listed or walk.inside(f))]
        if not wrong:
            if os.path.dirname(files[0]) == entry and files[0].endswith(_SOURCE_SUFFIXES):
                yield from _cache_findings(d, files[0], walk)  # a top-level module's bytecode
            continue
        if entry == site and os.path.dirname(wrong[0]) in walked:
            continue  # inside a package folder the walk covers, and reported there
        walk.reported.update(wrong)
        yield Finding(id="python.unrecorded-code", severity="high",
                      message=(f"{d.name} {d.version}: `import {name}` loads {walk.rel(Path(wrong[0]))}, which no RECORD "
                               f"vouches for, and not the recorded {recorded} (import precedence)"),
                      subject=d.ref, source=walk.rel(Path(wrong[0])))


def _namespace_portions(d: _Dist, name: str, site_path: list[str], walked: set[str], walk: _Walk) -> Iterator[Finding]:
    """Red team 19d-6: ``import name.sub`` of a namespace package searches every portion
    (``_NamespacePath``: each path entry's ``name/`` folder without ``__init__``, in path order),
    so a portion in another path entry, earlier or later, can provide or shadow its submodules.
    Portions a RECORD installs into are walked already; any other portion's importable files
    that no RECORD vouches for are high."""
    for entry in site_path:
        portion = os.path.join(entry, name)
        if portion in walked or not os.path.isdir(portion) or _find_spec(entry, name, walk):
            continue
        walked.add(portion)
        code = [os.path.join(f, n) for f, n in _files_under(portion, walk, {})
                if (n.endswith(_CODE_SUFFIXES) or ".so." in n) and os.path.basename(f) != "__pycache__"]
        code = [p for p in code if not walk.vouched(p) and p not in walk.reported]
        if not code:
            continue
        walk.reported.update(code)
        first = ", ".join(walk.rel(Path(p)) for p in code[:3])
        yield Finding(id="python.unrecorded-code", severity="high", subject=d.ref, source=walk.rel(Path(code[0])),
                      message=(f"{d.name} {d.version}: {name} is a namespace package, and {walk.rel(Path(portion))} is "
                               f"a portion of it on the path: `import {name}.<sub>` finds {len(code)} importable "
                               f"file{'' if len(code) == 1 else 's'} there that no RECORD vouches for ({first})"))


def _unrecorded_tops(sites: list[str], tops: dict[str, _Dist], recordless: list[_Dist], walked: set[str],
                     walk: _Walk) -> Iterator[Finding]:
    """Red team 19d-3: every importable top-level entry of every site folder inside the
    environment (a module ``X.py``/``X.pyc``/``X.*.so``, a folder ``X/`` holding code) that no
    RECORD lists and no RECORD-less distribution's metadata claims is code ``import X`` runs
    (an optional ``try: import psutil`` of a recorded package is enough): high. Not code:
    ``__pycache__`` (compared with the sources), ``*.dist-info``/``*.egg-info``/``*.data``,
    ``.pth`` files (their own check), names that are no identifier; virtualenv's
    ``_virtualenv.py`` is judged with its hook."""
    claimed: set[str] = set(tops) | walked
    for d in recordless:
        if d.dir.is_dir():
            folders, files = _recordless_code(d, walk)
            claimed.update(folders, files)
    for site in sites:
        if not walk.inside(site):
            continue
        entries = walk.listing(site)
        for name in sorted(entries):
            path_ = os.path.join(site, name)
            stem = name.partition(".")[0]
            if path_ in claimed or not stem.isidentifier() or stem == "__pycache__" or name.endswith(".pth"):
                continue
            if stem in _STARTUP_MODULES:
                continue  # reported by the .pth and startup scan above
            if name.lower().endswith((*_DIST_SUFFIXES, ".data")):
                continue
            if os.path.isdir(path_):
                if name != stem:
                    continue
                claimed.add(path_)
                code = [os.path.join(f, n) for f, n in _files_under(path_, walk, {})
                        if (n.endswith(_CODE_SUFFIXES) or ".so." in n) and os.path.basename(f) != "__pycache__"]
            elif name.endswith(_MODULE_SUFFIXES):
                if stem == "_virtualenv" and _VIRTUALENV_PTH in entries:
                    continue  # reported with virtualenv's hook
                code = [path_]
            else:
                continue
            code = [p for p in code if p not in walk.listed and p not in walk.reported and p not in claimed]
            if not code:
                continue
            walk.reported.update(code)
            first = ", ".join(walk.rel(Path(p)) for p in code[:3])
            yield Finding(id="python.unrecorded-code", severity="high", source=walk.rel(Path(code[0])),
                          message=(f"{walk.rel(Path(path_))} is importable from a site folder (`import {stem}`) and no "
                                   f"RECORD lists it: {len(code)} file{'' if len(code) == 1 else 's'} of code "
                                   f"({first}) that runs when anything imports {stem}"))


def _startup_modules(path: list[str], stdlib: int, sites: list[str], walk: _Walk) -> Iterator[Finding]:
    """Red team 18d-3: ``site.main`` imports ``sitecustomize`` and ``usercustomize`` after the
    ``.pth`` path lines are added, so from anywhere on ``sys.path``: the stdlib folders (the
    first ``stdlib`` entries), the site folders and the folders ``.pth`` path lines add, first
    found wins. Site folders are covered by the ``.pth`` scan; in a folder a ``.pth`` path line
    adds (wherever it leads) or a stdlib folder inside the environment, one no RECORD vouches
    for is high (whether it wins today or is shadowed); one in a stdlib folder outside the
    environment (the base interpreter's own, e.g. Debian's) is low, and only when it runs."""
    for mod in _STARTUP_MODULES:
        first = True
        for i, entry in enumerate(path):
            files = _find_spec(entry, mod, walk)
            if not files:
                continue
            wins, first = first, False
            wrong = [f for f in files if not walk.vouched(f)]
            if entry in sites or not wrong:
                continue
            where = walk.rel(Path(wrong[0]))
            walk.reported.update(wrong)
            if i >= stdlib or walk.inside(entry):
                yield Finding(id="python.unrecorded-code", severity="high",
                              message=(f"{where} is a {mod} module on the interpreter's path (a folder a .pth path line or "
                                       f"the stdlib adds); `import {mod}` runs at every start "
                                       + ("and finds it first" if wins else "(an earlier one wins today)")
                                       + ", and no RECORD vouches for it"),
                              source=where)
            elif wins:
                yield Finding(id="python.unrecorded-code", severity="low",
                              message=(f"{wrong[0]} (outside the environment: the base interpreter's) is the {mod} "
                                       "module that runs at every start; not verified"),
                              source=where)


def _files_under(top: str, walk: _Walk, links: dict[str, tuple[str, bool]]) -> Iterator[tuple[str, str]]:
    """Every file under the package folder ``top`` in sorted order, within the bound. A folder
    that is a symbolic link (``top`` itself or one below) is walked through the link when its
    target stays inside the environment, each target once; one leading out is not. Both are
    noted in ``links`` (red team 18d-2c: a linked package folder was skipped silently)."""
    if walk.stopped or not os.path.isdir(top):
        return
    targets: set[str] = set()

    def follow(folder: str) -> bool:
        if not os.path.islink(folder):
            return True
        real = os.path.realpath(folder)
        inside = os.path.join(real, "").startswith(walk.real_root)
        links.setdefault(folder, (real, inside))
        if not inside or real in targets:
            return False
        targets.add(real)
        return True

    if not follow(top):
        return
    for folder, dirs, files in os.walk(top, followlinks=True):
        dirs[:] = sorted(x for x in dirs if follow(os.path.join(folder, x)))
        for name in sorted(files):
            if not walk.count():
                return
            yield folder, name


def _recordless_code(d: _Dist, walk: _Walk) -> tuple[list[str], list[str]]:
    """Where a distribution with no RECORD put its code, as far as its metadata says: the
    folders and module files named by ``top_level.txt`` and by the first parts of
    ``installed-files.txt`` paths (egg-info; relative to the egg-info folder); failing both,
    the project's name as an import name."""
    site = str(d.site)
    heads: set[str] = set()
    for fname in ("top_level.txt", "installed-files.txt"):
        try:
            text = read_bounded(d.dir / fname, MAX_RECORD_BYTES).decode("utf-8", "replace")
        except InputError:
            continue
        for line in text.splitlines()[:_MAX_PTH_LINES * 10]:
            line = line.strip().replace("\\", "/")
            if fname == "installed-files.txt" and line:
                try:
                    line = os.path.relpath(os.path.normpath(os.path.join(str(d.dir), line)), site).replace(os.sep, "/")
                except ValueError:  # pragma: no cover - another drive (Windows)
                    continue
            head, sep, _ = line.partition("/")
            if head.isidentifier():
                heads.add(head)
            elif not sep and head.endswith(_MODULE_SUFFIXES) and head.partition(".")[0].isidentifier():
                heads.add(head.partition(".")[0])
    if not heads:  # no such file (a wheel need not ship top_level.txt): the project's own name
        guess = d.name.replace("-", "_").replace(".", "_")
        heads = {n for n in (guess, guess.lower()) if n.isidentifier()}
    folders: list[str] = []
    files: list[str] = []
    entries = walk.listing(site)
    for head in sorted(heads):
        path = os.path.join(site, head)
        if head in entries and os.path.isdir(path):
            folders.append(path)
        files += _first_candidate(site, head, entries)
    return folders, files


def _unrecorded_code(sites: list[str], tops: dict[str, _Dist], walk: _Walk, ctx: Context, *,
                     names: dict[tuple[str, str], tuple[_Dist, str]], site_path: list[str], path: list[str],
                     recordless: list[_Dist]) -> Iterator[Collected]:
    """Code the interpreter runs that no RECORD row vouches for (red team 15b-2, 18d-2..4, 18d-6):
    ``.pth`` files with an ``import`` line (run at every start) in every site folder,
    ``sitecustomize``/``usercustomize`` anywhere on the path and owned by no distribution,
    unchecked hash-based ``.pyc`` files, importable files in a distribution's package folders
    that no RECORD lists, whatever shadows a recorded top-level name, and the code of
    distributions that have no RECORD. The walk is bounded (:data:`_MAX_WALK_FILES`)."""
    rel = walk.rel
    vouched = walk.vouched
    for site in sites:
        try:
            names_here = sorted(os.listdir(site))
        except OSError:
            continue
        for name in names_here:
            path_ = os.path.join(site, name)
            if name.endswith(".pth"):
                line: str | None = None
                data = b""
                try:
                    data = read_bounded(Path(path_), 1 << 20)
                    line = _pth_exec_line(data.decode("utf-8", "replace"))
                    if line is None:
                        continue
                    what = f"runs code at every interpreter start: {line[:200]!r}"
                except InputError as exc:
                    what = f"cannot be read ({exc.detail}); it may run code at every interpreter start"
                owner = walk.listed.get(path_)
                if vouched(path_):
                    assert owner is not None
                    yield Finding(id="python.pth-code", severity="low",
                                  message=f"{name} {what} (installed by {owner[0].name} {owner[0].version}; matches RECORD)",
                                  subject=owner[0].ref, source=rel(Path(path_)))
                elif owner is None and name == _VIRTUALENV_PTH and _virtualenv_hook_only(data):
                    yield from _virtualenv_hook(site, name, what, site_path, walk)
                else:
                    state = ("its RECORD row does not vouch for it (no strong hash, or a mismatch)" if owner is not None
                             else "no RECORD lists it")
                    yield Finding(id="python.pth-code", severity="high", message=f"{name} {what}; {state}",
                                  subject=owner[0].ref if owner is not None else None, source=rel(Path(path_)))
            elif name.partition(".")[0] in _STARTUP_MODULES and not vouched(path_) and (
                    name.endswith(_CODE_SUFFIXES) or os.path.isdir(path_)):
                yield Finding(id="python.unrecorded-code", severity="high",
                              message=(f"{name} in site-packages is imported at every interpreter start and no RECORD "
                                       "vouches for it"),
                              source=rel(Path(path_)))
    yield from _startup_modules(path, len(path) - len(site_path), sites, walk)
    per_dist: dict[str, tuple[_Dist, list[str]]] = {}
    unchecked: list[tuple[_Dist, str]] = []
    cached: list[tuple[_Dist | None, str, str, int]] = []  # (owner, pyc, its source, optimize level)
    links: dict[str, tuple[str, bool]] = {}
    walked: set[str] = set()
    for top in sorted(tops):
        d = tops[top]
        walked.add(top)
        for folder, name in _files_under(top, walk, links):
            if not name.endswith(_CODE_SUFFIXES) and ".so." not in name:
                continue
            path_ = os.path.join(folder, name)
            if name.endswith(".pyc") and _pyc_unchecked(path_):
                unchecked.append((d, path_))
                continue
            if name.endswith(".pyc") and os.path.basename(folder) == "__pycache__":
                # a cache file importlib revalidates against its source's mtime or hash only:
                # compared with the source's compile below (docs/design.md)
                split = bytecode.split_name(name, walk.tags)
                if split is not None:
                    cached.append((d, path_, os.path.join(os.path.dirname(folder), split[0] + ".py"), split[1]))
                continue
            if path_ in walk.listed:
                continue
            per_dist.setdefault(d.ref, (d, []))[1].append(path_)
    for d, paths in per_dist.values():
        first = ", ".join(rel(Path(p)) for p in paths[:3])
        yield Finding(id="python.unrecorded-code", severity="high",
                      message=(f"{d.name} {d.version}: {len(paths)} importable file{'' if len(paths) == 1 else 's'} in its "
                               f"package folders that no RECORD lists ({first})"),
                      subject=d.ref, source=rel(Path(paths[0])))
    for d, p in unchecked:
        walk.reported.add(p)
        yield _unchecked_finding(d, p, rel)
    yield from _shadowing(names, site_path, walked, walk)
    yield from _zip_entries(site_path, walk)
    yield from _unrecorded_tops(sites, tops, recordless, walked, walk)
    yield from _recordless_findings(recordless, walk, links)
    yield from _cached_bytecode(_site_cached(sites, walk.listed, walk.tags) + cached + _recorded_cached(walk), walk, ctx)
    for link, (real, inside) in sorted(links.items()):
        yield Finding(id="python.linked-folder", severity="low" if inside else "medium",
                      message=(f"{rel(Path(link))} is a symbolic link to {real}, "
                               + ("inside the environment: walked through the link" if inside else
                                  "outside the environment: not walked, nothing there is verified"
                                  + (" but the pycs importlib would load through it for recorded sources (compared "
                                     "with their sources)" if os.path.basename(link) == "__pycache__" else ""))),
                      source=rel(Path(link)))
    if walk.stopped:
        yield Finding(id="python.record-unverified", severity="medium",
                      message=f"stopped looking for unrecorded code after {_MAX_WALK_FILES} files in package folders")


def _site_cached(sites: list[str], listed: dict[str, tuple[_Dist, pymeta.RecordRow]],
                 tags: frozenset[str] | None) -> list[tuple[_Dist | None, str, str, int]]:
    """The pycs of top-level modules (``site-packages/__pycache__/six.<tag>.pyc`` for
    ``six.py``), which the walk of package folders does not reach: each with the distribution
    whose RECORD lists its source (or the pyc), if any."""
    found: list[tuple[_Dist | None, str, str, int]] = []
    for site in sites:
        cache = os.path.join(site, "__pycache__")
        if not os.path.isdir(cache):  # a link is followed, as importlib follows it (red team 20f-2)
            continue
        try:
            names = sorted(os.listdir(cache))[:_MAX_WALK_FILES]
        except OSError:
            continue
        for name in names:
            split = bytecode.split_name(name, tags)
            if split is None:
                continue
            pyc, source = os.path.join(cache, name), os.path.join(site, split[0] + ".py")
            owner = listed.get(source) or listed.get(pyc)
            found.append((owner[0] if owner else None, pyc, source, split[1]))
    return found


def _recorded_cached(walk: _Walk) -> list[tuple[_Dist | None, str, str, int]]:
    """The pycs importlib would load for every ``.py`` a RECORD lists (``__pycache__`` beside
    it), found from the RECORD rather than by the walk of package folders: so also through a
    ``__pycache__`` (or a folder above it) that is a symbolic link leading out of the
    environment, which the walk does not enter (red team 20f-2), and past the walk's bound
    (:data:`_MAX_WALK_FILES`, 20f-7). Each ``__pycache__`` is listed once (its first
    :data:`_MAX_WALK_FILES` names), whatever the walk has counted."""
    found: list[tuple[_Dist | None, str, str, int]] = []
    caches: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for source in sorted(walk.listed):
        if not source.endswith(".py"):
            continue
        folder, base = os.path.split(source)
        cache = os.path.join(folder, "__pycache__")
        by_stem = caches.get(cache)
        if by_stem is None:
            by_stem = caches[cache] = {}
            try:
                names = sorted(os.listdir(cache))[:_MAX_WALK_FILES] if os.path.isdir(cache) else []
            except OSError:
                names = []
            for name in names:
                split = bytecode.split_name(name, walk.tags)
                if split is not None:
                    by_stem.setdefault(split[0], []).append((name, split[1]))
        for name, optimize in by_stem.get(base[:-3], []):
            found.append((walk.listed[source][0], os.path.join(cache, name), source, optimize))
    return found


def _cached_bytecode(cached: list[tuple[_Dist | None, str, str, int]], walk: _Walk, ctx: Context) -> Iterator[Finding]:
    """``__pycache__`` pycs importlib would load instead of compiling their source (red team
    18, the forged-pyc hole): each is compared with its source's compile
    (:func:`mlbom.formats.bytecode.check_pyc`). One that differs is ``python.pyc-mismatch``
    (high), and so is one that cannot be proved its source's compile on this Python (a body the
    reader cannot read, a source that does not compile here: red team 20f-1, 20f-5); those that
    cannot be compared at all (bytecode for another Python, a source over the bound) are one
    ``python.pyc-unverified`` (medium) per distribution."""
    tags, magic, rel = walk.tags, walk.magic, walk.rel
    seen = set(walk.reported)  # an unchecked pyc reported already; one found twice (walk, RECORD): once
    unique: list[tuple[_Dist | None, str, str, int]] = []
    for c in cached:
        if c[1] not in seen:
            seen.add(c[1])
            unique.append(c)
    cached = unique
    if not cached:
        return
    ctx.say(f"comparing {len(cached)} __pycache__ files with their sources' bytecode")
    unverified: dict[str, tuple[_Dist | None, list[tuple[str, str]]]] = {}
    checks = bytecode.check_pycs([(pyc, source, optimize) for _, pyc, source, optimize in cached], magic,
                                 workers=default_workers())
    for (d, pyc, source, _), got in zip(cached, checks, strict=True):
        who = f"{d.name} {d.version}: " if d is not None else ""
        if got.outcome == "mismatch":
            yield Finding(id="python.pyc-mismatch", severity="high",
                          message=(f"{who}{rel(Path(pyc))}: Python would run bytecode its source "
                                   f"{rel(Path(source))} does not hold ({got.reason}); no RECORD hash vouches for a pyc"),
                          subject=d.ref if d is not None else None, source=rel(Path(pyc)))
        elif got.outcome == "unchecked":  # a top-level module's (the walk reports the others)
            yield Finding(id="python.pyc-unchecked", severity="high",
                          message=(f"{who}{rel(Path(pyc))} is an unchecked hash-based pyc: Python loads it "
                                   "whatever its source holds, and no RECORD hash vouches for it"),
                          subject=d.ref if d is not None else None, source=rel(Path(pyc)))
        elif got.outcome == "unverified":
            unverified.setdefault(d.ref if d is not None else "", (d, []))[1].append((pyc, got.reason))
    why_tag = "; the environment's bytecode cache tag is not known (its interpreter was not run)" if tags is None else ""
    for d, items in unverified.values():
        reasons = sorted({r for _, r in items})
        first = ", ".join(rel(Path(p)) for p, _ in items[:3])
        hint = (f"; mlbom runs on Python {sys.version_info[0]}.{sys.version_info[1]}: run it with the environment's "
                "interpreter to compare" if any("another Python" in r for r in reasons) else "")
        yield Finding(id="python.pyc-unverified", severity="medium",
                      message=(f"{f'{d.name} {d.version}: ' if d is not None else ''}{len(items)} __pycache__ "
                               f"file{'' if len(items) == 1 else 's'} Python may load instead of compiling the source "
                               f"could not be compared with the source ({first}): {'; '.join(reasons)[:300]}{hint}{why_tag}"),
                      subject=d.ref if d is not None else None, source=rel(Path(items[0][0])))


def _virtualenv_hook(site: str, name: str, what: str, site_path: list[str], walk: _Walk) -> Iterator[Finding]:
    """virtualenv writes ``_virtualenv.pth`` and ``_virtualenv.py`` into every environment it
    makes, and no RECORD lists them: reported below the usual gate (medium) with the module's
    digest (its content is virtualenv's, not verified here; compare it across builds), but only
    when ``import _virtualenv`` loads that very file (red team 18d-2d: a ``_virtualenv/``
    package beside it wins); otherwise high."""
    module = os.path.join(site, "_virtualenv.py")
    found = _import_winner(_upto(site_path, site), "_virtualenv", walk)
    source = walk.rel(Path(os.path.join(site, name)))
    if found is None or found[1] == [module]:
        digest = sha256_file(Path(module)).sha256 if found is not None else None
        yield Finding(id="python.pth-code", severity="medium",
                      message=(f"{name} {what}: virtualenv's startup hook; _virtualenv.py "
                               + (f"(SHA-256 {digest})" if digest else "(missing)")
                               + " is listed by no RECORD, so its content is not verified"),
                      source=source)
        if found is not None:
            yield from _cache_findings(None, module, walk)
        return
    yield Finding(id="python.pth-code", severity="high",
                  message=(f"{name} {what}: virtualenv's hook, but `import _virtualenv` loads "
                           f"{walk.rel(Path(found[1][0]))}, not {walk.rel(Path(module))}, and no RECORD vouches for it"),
                  source=source)


def _recordless_findings(recordless: list[_Dist], walk: _Walk, links: dict[str, tuple[str, bool]]) -> Iterator[Finding]:
    """Red team 18d-6: a distribution with no RECORD (an egg-info install, a dist-info whose
    RECORD is gone) has nothing verified. One medium finding each, counting the importable files
    in the folders its metadata names (walked like a RECORD's; unchecked pycs there are high)."""
    for d in recordless:
        folders, files = _recordless_code(d, walk) if d.dir.is_dir() else ([], [])
        code = list(files)
        for top in folders:
            for folder, name in _files_under(top, walk, links):
                if name.endswith(_CODE_SUFFIXES) or ".so." in name:
                    p = os.path.join(folder, name)
                    code.append(p)
                    if name.endswith(".pyc") and p not in walk.reported and _pyc_unchecked(p):
                        walk.reported.add(p)
                        yield _unchecked_finding(d, p, walk.rel)
        kind = "an egg-info install (no RECORD)" if d.dir.name.lower().endswith(".egg-info") else "a dist-info with no RECORD"
        where = ", ".join(walk.rel(Path(p)) for p in [*folders, *files][:3])
        held = (f"{len(code)} importable file{'' if len(code) == 1 else 's'} in {where}" if where else
                "no package folder found from top_level.txt, installed-files.txt or its name")
        yield Finding(id="python.record-absent", severity="medium",
                      message=f"{d.name} {d.version} is {kind}: nothing in its files is verified ({held})",
                      subject=d.ref, source=walk.rel(d.dir))


if __name__ == "__main__":  # pragma: no cover
    print(locate(Path(sys.argv[1])))
