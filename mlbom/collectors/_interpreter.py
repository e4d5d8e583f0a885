"""Locating and judging a Python environment's interpreter: where the environment keeps its
packages (:func:`locate`), where its standard library comes from, whether its interpreter files
and activate scripts are what they claim.

No interpreter is ever started (red team 21d-1/21d-2): an interpreter file is placed statically,
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlbom.collectors._dists import Dist, has_dists, outside_file, read_dist_file, read_inside
from mlbom.errors import InputError
from mlbom.formats import pymeta
from mlbom.formats.safe_read import read_bounded
from mlbom.hashing import sha256_file
from mlbom.limits import MAX_ACTIVATE_PROMPT_CHARS, MAX_RECORD_BYTES
from mlbom.model import (
    Finding,
)


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
    unread: tuple[tuple[Path, str], ...] = ()
    """Files of the environment not read, with why (a ``pyvenv.cfg`` linked out of the
    environment: :func:`cfg_outside`): each is an ``Unreadable`` record, the inventory incomplete."""
    unread_sites: tuple[tuple[Path, str], ...] = ()
    """Site folders of the layout not read, with why (:func:`_linked_out_sites`): each an
    ``Unreadable`` record, the inventory incomplete."""




def unique(paths: list[Path]) -> list[Path]:
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


def read_pth(pth: Path, site: Path) -> tuple[str, str | None]:
    """A ``.pth`` file's text as ``site`` would read it (decoded as UTF-8, the locale encoding
    of a UTF-8 locale; undecodable bytes replaced, which reads more lines than ``site``, which
    stops there), bounded by :data:`_PTH_BYTES`; with why not all of it was read, if so.
    Raises :class:`InputError` when the file cannot be read at all, or is not read: a link out
    of its site folder ``site`` or into ``/proc`` (:func:`~mlbom.collectors._dists.outside_file`,
    red team 120p-2)."""
    data = read_inside(pth, _PTH_BYTES, [site], "its site-packages folder", head=True)
    short = None
    if len(data) > _PTH_BYTES:
        data, short = data[:_PTH_BYTES], f"only its first {_PTH_BYTES >> 20} MiB were read"
    return data.decode("utf-8", "replace"), short


def _with_pth(sites: list[Path], notes: list[Finding] | None = None) -> list[Path]:
    """Site folders plus the entries their ``.pth`` path lines add, as ``site.addpackage``
    would: every line of the file (:func:`pth_lines`) joined to the site folder and normalized
    (``os.path.abspath``), kept when it exists (a folder, or a file: zipimport imports from a
    zip or egg on the path); ``import`` lines are not executed. A ``.pth`` that cannot be read
    whole is a finding in ``notes`` (red team 19d-8: a bound passed silently). A set beside the
    list keeps the de-duplication linear (red team 78c-3: a list scan per line, 8,000 lines 14 s)."""
    out: list[Path] = []
    seen: set[Path] = set()
    for site_dir in sites:
        if site_dir in seen:
            continue
        out.append(site_dir)
        seen.add(site_dir)
        try:
            pths = sorted(p for p in site_dir.iterdir() if p.name.endswith(".pth"))
        except OSError:
            continue
        for pth in pths:
            try:
                text, short = read_pth(pth, site_dir)
            except InputError as exc:
                text, short, whole = "", exc.detail, True
            else:
                whole = False
            if short is not None and notes is not None:
                past = "" if whole else " past that"
                notes.append(Finding(id="python.record-unverified", severity="medium", source=pth.as_posix(),
                                     message=(f"{pth.name}: {short}; the path entries it adds{past} are not "
                                              "followed, and code there is not looked at")))
            for is_import, line in pth_lines(text):
                if is_import:
                    continue
                extra = Path(os.path.abspath(os.path.join(site_dir, line)))
                if extra not in seen and os.path.exists(extra):
                    out.append(extra)
                    seen.add(extra)
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


def under(path: Path, root: Path) -> bool:
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


_CFG_WHERE = "the environment folder"


def cfg_outside(cfg: Path, root: Path) -> str | None:
    """Why the ``pyvenv.cfg`` ``cfg`` of the environment ``root`` is not read, or None: it must
    stay inside the environment folder once resolved, never in ``/proc``, ``/sys``, ``/dev``
    (red team 120p-1: a cfg linked to a user's file or ``/proc/self/environ`` had its
    ``version``/``home``/``prompt`` values quoted in findings). The rule of the distribution
    files (:func:`~mlbom.collectors._dists.outside_file`); a cfg refused is recorded
    (:attr:`Interpreter.unread`) and its settings are not known."""
    return outside_file(cfg, [root], _CFG_WHERE)


def _cfg_unread(cfg: Path, root: Path) -> str | None:
    """Why the ``pyvenv.cfg`` ``cfg`` of ``root`` is not read, or None: linked out of the
    environment (:func:`cfg_outside`), no regular file, a link to nothing, unreadable."""
    try:
        read_inside(cfg, _CFG_BYTES, [root], _CFG_WHERE, head=True)
    except InputError as exc:
        return exc.detail
    return None


def _cfg_settings(cfg: Path, root: Path) -> dict[str, str]:
    """``pyvenv.cfg`` keys as ``site.venv`` reads them: every line holding ``=`` splits at the
    first one; key stripped and lower-cased, value stripped; the last one wins. ``root``: the
    environment folder the cfg must stay inside (:func:`cfg_outside`)."""
    try:
        text = read_inside(cfg, _CFG_BYTES, [root], _CFG_WHERE).decode("utf-8", "replace")
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


def _cfg_homes(cfg: Path, root: Path) -> tuple[list[str], str | None]:
    """Every ``home`` value of ``cfg`` in file order, read as getpath reads them (its C
    ``readlines``: lines end at ``\\n`` only, trailing ``\\r``/``\\n`` dropped; a line holding
    ``=`` splits at the first one, key stripped and lower-cased, value stripped). getpath takes
    the **first** (red team 20d-2). With why the file was not read whole, if so."""
    try:
        data = read_inside(cfg, _CFG_BYTES, [root], _CFG_WHERE, head=True)
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
        if under(Path(d), root) or under(Path(d) / "encodings", root):
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
        if under(Path(real), root):
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
        homes, short = _cfg_homes(c, root)
        every += [(c, h) for h in homes]
        if c == cfg:
            home = homes[0] if homes else None
        if short is not None:
            notes.append(Finding(id="python.stdlib-unverified", severity="medium", source=c.as_posix(),
                                 message=f"{c.name}: {short}; its home lines are not all read"))
    src = (cfg or root / "pyvenv.cfg").as_posix()
    site_cfg = _site_cfg(root, exe_dir)
    site_home = _cfg_settings(site_cfg, root).get("home") if site_cfg is not None else None
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
        in_project = project is not None and under(Path(real), project)
        if not under(Path(real), root) and not in_project:
            continue
        where = "inside the environment" if under(Path(real), root) else "inside the scanned project"
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
                ours = [b for b in bases if not under(Path(b), root) and not (project is not None and under(Path(b), project))]
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
def _table_templates() -> tuple[tuple[str, str], ...]:
    """The templates of mlbom/data/activate-templates.json (CPython 3.8-3.13 venv, Debian's 3.11,
    virtualenv, uv; sources recorded there)."""
    from importlib import resources

    doc = json.loads(resources.files("mlbom").joinpath("data/activate-templates.json").read_text("utf-8"))
    return tuple((str(t["name"]), str(t["text"])) for t in doc["templates"])


def _stdlib_templates(stdlib: str) -> list[tuple[str, str]]:
    """The activate templates (name, text) of a standard library's ``venv/scripts/`` (read as
    files, bounded: the venv module is never imported)."""
    out: list[tuple[str, str]] = []
    top = os.path.join(stdlib, "venv", "scripts")
    for sub in ("common", "posix", "nt"):
        with contextlib.suppress(OSError):
            for name in sorted(os.listdir(os.path.join(top, sub)))[:_MAX_TEMPLATE_FILES]:
                if not _entry_script(name):
                    continue
                with contextlib.suppress(InputError, UnicodeDecodeError):
                    out.append((name, read_bounded(Path(top, sub, name), _MAX_ACTIVATE_BYTES).decode("utf-8")))
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


def _language(name: str) -> str:
    """The language a template named ``name`` is written in, which fixes how its creator quotes
    the values it substitutes: POSIX shells (bash/zsh ``activate``), csh, fish, nushell,
    PowerShell, batch, Python (``activate_this.py``, xonsh)."""
    low = name.lower()
    for suffix, lang in ((".csh", "csh"), (".fish", "fish"), (".nu", "nu"), (".ps1", "ps1"), (".bat", "bat"),
                         (".py", "py"), (".xsh", "py")):
        if low.endswith(suffix):
            return lang
    return "sh"


@functools.lru_cache(maxsize=256)
def _contexts(template: str, lang: str) -> tuple[str, ...]:
    """The quoting context of each placeholder of ``template``, in order (red team 24d-1): ``u``
    (a bare word / Python code), ``d`` (inside double quotes), ``s`` (inside single quotes), ``c``
    (a comment). Read from the template itself, which mlbom ships or reads from the base's
    standard library: the checkout never chooses it. Cached: it depends on the template alone, and
    reading it is most of the cost of matching a script (each environment's values are new)."""
    out: list[str] = []
    state = "u"
    triple = ""
    i, n = 0, len(template)
    while i < n:
        m = _PLACEHOLDER.match(template, i)
        if m:
            out.append(state)
            i = m.end()
            continue
        ch = template[i]
        if state == "c":
            state = "u" if ch in "\r\n" else "c"
        elif state == "b":  # PowerShell's <# … #> block comment
            if template.startswith("#>", i):
                state, i = "u", i + 2
                continue
        elif lang == "py":
            if state == "u":
                if ch == "#":
                    state = "c"
                elif ch in "'\"":
                    triple = ch * 3 if template.startswith(ch * 3, i) else ""
                    state = "d" if ch == '"' else "s"
                    i += len(triple) or 1
                    continue
            elif ch == "\\":
                i += 2
                continue
            elif triple and template.startswith(triple, i):
                state, i = "u", i + 3
                continue
            elif not triple and (ch == ("'" if state == "s" else '"') or ch in "\r\n"):
                state = "u"
        elif lang == "bat":
            if ch == '"':
                state = "u" if state == "d" else "d"
            elif ch in "\r\n":
                state = "u"  # cmd reads a batch file line by line: a quote never spans lines
        else:
            esc = "`" if lang == "ps1" else "\\"
            if ch == esc and (state != "s" or lang == "fish"):
                i += 2
                continue
            if state == "u":
                if lang == "ps1" and template.startswith("<#", i):
                    state, i = "b", i + 2
                    continue
                if ch == "#" and (i == 0 or template[i - 1] in " \t\r\n;"):
                    state = "c"
                elif ch == "'":
                    state = "s"
                elif ch == '"':
                    state = "d"
            elif (state == "s" and ch == "'") or (state == "d" and ch == '"'):
                state = "u"
        i += 1
    return tuple(out)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def _py_literal(source: str, value: str) -> bool:
    import ast

    try:
        return bool(ast.literal_eval(source) == value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def _inert_forms(value: str, lang: str, context: str) -> set[str]:
    """The ways ``value`` may stand at a ``context`` position of a ``lang`` template (red team
    24d-1/24d-2): as a creator quotes it there (CPython's venv ``replace_variables``, virtualenv's
    activators' ``quote``, uv) AND inert there. A value that the quoting used there does not
    neutralise has no form, so the template cannot match and the script is unverified.

    - POSIX shells: a bare word is ``shlex.quote`` (CPython's venv since gh-124651, virtualenv);
      inside double quotes the raw value without ``"``, ``\\``, ``$`` or a backtick (CPython
      before gh-124651 substituted raw values there: a prompt ``$(cmd)`` runs ``cmd``); inside
      single quotes the raw value, ``'`` written as uv's ``'\\''``.
    - csh: a bare word is virtualenv's (``shlex.quote``, always quoted, ``\\`` and ``!`` outside
      the quotes) or ``shlex.quote`` without ``!``/``\\`` (csh expands ``!`` inside quotes).
    - fish: virtualenv's ``'…'`` with ``\\``/``'`` escaped, or ``shlex.quote`` without ``\\``
      (fish reads ``\\'`` inside single quotes as an escape).
    - PowerShell: ``'…'`` with every single-quote character doubled (PowerShell reads ‘ ’ ‚ ‛ as
      ``'``; CPython doubles only ``'``, so a value with a typographic quote has only
      virtualenv's form); inside double quotes no ``$``, backtick or quote character.
    - nushell: virtualenv's ``r#…'…'#…`` raw string, or ``'…'`` without ``'``.
    - batch: inside double quotes, no ``"``, ``!`` or line break, ``%`` doubled (virtualenv) or absent.
    - Python: code is a string literal equal to the value (``ast.literal_eval``: ``repr``,
      ``ascii``, JSON; uv's xonsh bytes forms for plain ASCII); inside a string the value read
      back as that string; a comment a value without a line break.
    No control character or line break is accepted in a shell position."""
    import shlex

    if context == "c":
        return {q for q in _quoted(value) if not re.search(r"[\r\n\x0c]", q)}
    if lang == "py":
        if context == "u":
            forms = {repr(value), ascii(value), json.dumps(value)}
            if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
                forms |= {f'b"{value}".decode("utf-8")', f'__import__("os").fsdecode(b"{value}")'}  # uv's xonsh
            return {f for f in forms if f.startswith(("b", "_")) or _py_literal(f, value)}
        quote = '"' if context == "d" else "'"
        return {f for f in (value, json.dumps(value)[1:-1], repr(value)[1:-1], ascii(value)[1:-1])
                if "\n" not in f and "\r" not in f and _py_literal(quote + f + quote, value)}
    if _CONTROL.search(value):
        return set()
    bare = shlex.quote(value)
    if lang in ("sh", "csh", "fish"):
        if context == "d":
            return set() if re.search(r"[\"\\$`]", value) or (lang == "csh" and "!" in value) else {value}
        if context == "s":
            bad = "!" if lang == "csh" else "\\" if lang == "fish" else ""
            return set() if bad and bad in value else {value.replace("'", "'\\''")}
        if lang == "sh":
            return {bare}
        if lang == "csh":
            forms = {(f"'{bare}'" if bare == value else bare).replace("\\", "'\\\\'").replace("!", "'\\!'")}
            return forms | ({bare} if not re.search(r"[!\\]", value) else set())
        return {"'" + re.sub(r"[\\']", lambda m: "'\\" + m.group() + "'", value) + "'"} | (
            {bare} if "\\" not in value else set())
    if lang == "ps1":
        singles = "'\u2018\u2019\u201a\u201b"
        every = "".join(c * 2 if c in singles else c for c in value)
        only = value.replace("'", "''") if not any(c in value for c in singles[1:]) else every
        if context == "u":
            return {f"'{every}'", f"'{only}'"}
        if context == "s":
            return {every, only}
        return set() if re.search("[\"$`\u201c\u201d\u201e]", value) else {value}
    if lang == "nu":
        sharps = "#" * (max((len(r) for r in re.findall("#+", value)), default=0) + 1)
        if context == "u":
            return {f"r{sharps}'{value}'{sharps}"} | ({f"r#'{value}'#"} if "'#" not in value else set()) | (
                {f"'{value}'"} if "'" not in value else set())
        return {value} if context == "s" and "'" not in value else set()
    # batch: only inside double quotes, where cmd still expands %VAR% (and !VAR! when delayed)
    return {value.replace("%", "%%")} | ({value} if "%" not in value else set()) if (
        context == "d" and not re.search(r'["!\x1a]', value)) else set()


def _prompt_too_long(raw: str) -> str | None:
    """Why the ``pyvenv.cfg`` prompt ``raw`` is not matched (over :data:`MAX_ACTIVATE_PROMPT_CHARS`,
    besides the quotes venv writes around it), or None when it is."""
    if len(raw) <= MAX_ACTIVATE_PROMPT_CHARS + 2:
        return None
    return (f"the prompt pyvenv.cfg records is {len(raw)} characters long (quotes included), over the "
            f"{MAX_ACTIVATE_PROMPT_CHARS} mlbom matches a script with")


def _activate_values(root: Path, cfg: Path | None) -> dict[str, set[str]]:
    """The values an activate script of the environment ``root`` must carry, per placeholder
    (CPython's venv ``__VENV_*__`` and virtualenv's): its own folder (as given and resolved), its
    name, the prompt pyvenv.cfg records (or the name), its bin folder and interpreters."""
    dirs = {os.path.abspath(root), os.path.realpath(root)}
    names = {os.path.basename(d) for d in dirs}
    prompts = {f"({n}) " for n in names} | names
    raw = _cfg_settings(cfg, root).get("prompt") if cfg is not None else None
    if raw is not None and _prompt_too_long(raw) is None:
        import ast

        values = {raw}
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            values.add(raw[1:-1])  # virtualenv writes prompt = "…" without escaping what is inside
        with contextlib.suppress(ValueError, SyntaxError, MemoryError, RecursionError):
            value = ast.literal_eval(raw) if raw[:1] in "'\"" else raw
            if isinstance(value, str):
                values.add(value)
        # each candidate is only a value to look for: where it sits it must still be inert (24d-1)
        prompts |= {f"({v}) " for v in values} | values
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


_FIXED = frozenset({"__VIRTUAL_PROMPT_PREFIX_TCSH__", "__VIRTUAL_PROMPT_PREFIX_PLAIN__"})  # mlbom's own constants
_PROMPT_EXPANDED = re.compile(r"[$`\\]")  # what bash (promptvars) and zsh (PROMPT_SUBST) expand in PS1 again
_ESCAPE_FUNCTION = re.compile(r"_escape_prompt\s*\(\)\s*\{(.*?)\n\s*\}\n", re.S)


def _prompt_reexpanded(template: str, lang: str) -> bool:
    """Whether a template puts its prompt into ``PS1`` unescaped (red team 26b-3, computed from the
    template text at load): a POSIX-shell template that assigns ``PS1`` and defines no prompt escape
    (virtualenv's ``_virtualenv_escape_prompt``, whose ``case`` must cover ``\\``, ``$`` and a backtick;
    its zsh branch hands the prompt over as ``psvar`` data). bash expands ``PS1`` again at every prompt
    (``promptvars``, on by default; zsh under ``PROMPT_SUBST``), so a prompt quoted inert where it is
    substituted still runs ``$(…)`` then. The other languages show the prompt as data (fish
    ``printf``/``echo``, PowerShell ``Write-Host``, nushell a closure's string, batch ``$`` doubled)."""
    if lang != "sh" or re.search(r"\bPS1=", template) is None:
        return False
    m = _ESCAPE_FUNCTION.search(template)
    return m is None or not all(part in m.group(1) for part in ("\\\\)", "\\$", "\\`"))


def _folder_names(values: dict[str, set[str]]) -> set[str]:
    """The names a template may derive its prompt from at run time (red team 27b-1): uv's and
    CPython 3.8's ``basename "$VIRTUAL_ENV"`` when the prompt is empty — the environment folder's
    name, as given and resolved (a ``.venv`` link reaches its real folder, and a relocatable script
    computes ``VIRTUAL_ENV`` from where it is sourced) — and, for a folder named ``__``, its parent's
    (CPython 3.8's ``basename `dirname "$VIRTUAL_ENV"```)."""
    out: set[str] = set()
    for key in ("__VENV_DIR__", "__VIRTUAL_ENV__", "{{ VIRTUAL_ENV_DIR }}"):
        for d in values.get(key, ()):
            base = os.path.basename(d)
            out |= {base, os.path.basename(os.path.dirname(d))} if base == "__" else {base}
    return out


@dataclass(frozen=True)
class TemplateMatcher:
    """A template with each placeholder the set of texts it may hold there: ``head``, then per
    placeholder its alternatives and the literal text after it. :meth:`fullmatch` is what
    ``re.fullmatch`` of the alternation would answer, without compiling a pattern per environment
    (each holds its own paths and prompt; compiling the table's alternations cost 0.1–0.4 s)."""

    head: str
    slots: tuple[tuple[tuple[str, ...], str], ...]

    def fullmatch(self, text: str) -> bool:
        """Whether ``text`` is the template with one alternative in each placeholder. The set of
        offsets reachable after each slot is at most ``len(text) + 1``: linear in the slots, no
        backtracking."""
        if not text.startswith(self.head):
            return False
        ends = {len(self.head)}
        for alts, literal in self.slots:
            ends = {end + len(literal) for p in ends for a in alts
                    if text.startswith(a, p) and text.startswith(literal, end := p + len(a))}
            if not ends:
                return False
        return len(text) in ends


def _template_pattern(name: str, template: str, values: dict[str, set[str]], *,
                      reexpansion: bool = True) -> TemplateMatcher | None:
    """``template`` (named ``name``) with each placeholder made the alternation of the forms its
    values may take at that position (:func:`_inert_forms`, red team 24d-1); None when it names a
    placeholder mlbom has no value for, or when no value is inert at some position. A template that
    puts its prompt into ``PS1`` unescaped (:func:`_prompt_reexpanded`, 26b-3) takes no value holding
    ``$``, a backtick or ``\\`` in any placeholder, and none at all when the environment's folder name
    (:func:`_folder_names`, from which it derives the prompt at run time) holds one (27b-1: which
    values flow into ``PS1`` is not tracked; ``reexpansion=False``: the rule off, to name the reason)."""
    parts = _PLACEHOLDER.split(template)
    keys = _PLACEHOLDER.findall(template)
    lang = _language(name)
    contexts = _contexts(template, lang)
    if len(contexts) != len(keys):
        return None
    again = reexpansion and _prompt_reexpanded(template, lang)
    if again and any(_PROMPT_EXPANDED.search(n) for n in _folder_names(values)):
        return None  # the prompt it derives at run time from the folder's name would expand (27b-1)
    slots: list[tuple[tuple[str, ...], str]] = []
    for key, literal, context in zip(keys, parts[1:], contexts, strict=True):
        if key not in values:
            return None
        given = {v for v in values[key] if key in _FIXED or not _PROMPT_EXPANDED.search(v)} if again else values[key]
        alts = tuple(sorted(given if key in _FIXED else {f for v in given for f in _inert_forms(v, lang, context)}))
        if not alts:
            return None
        slots.append((alts, literal))
    return TemplateMatcher(parts[0], tuple(slots))


def table_patterns(values: dict[str, set[str]]) -> list[tuple[str, TemplateMatcher]]:
    """The templates of mlbom/data/activate-templates.json with ``values`` in their placeholders
    (:func:`_template_pattern`), each with its language: the patterns :func:`_activate_findings`
    matches a script against, for the table alone (the base's and mlbom's own standard-library
    templates left out; the ``activate`` fuzz target's entry)."""
    return _patterns(_table_templates(), values)


def _patterns(templates: Sequence[tuple[str, str]], values: dict[str, set[str]], *,
              reexpansion: bool = True) -> list[tuple[str, TemplateMatcher]]:
    """Each distinct (name, template) with ``values`` in its placeholders
    (:func:`_template_pattern`), with its language; the ones that take no value left out."""
    return [(_language(name), p) for name, t in dict.fromkeys(templates)
            if (p := _template_pattern(name, t, values, reexpansion=reexpansion)) is not None]


def table_template_matches(name: str, text: str, patterns: list[tuple[str, TemplateMatcher]]) -> bool:
    """Whether the activate script ``text`` (named ``name``) is one of ``patterns``
    (:func:`table_patterns`) of its language, as :func:`_activate_findings` checks each script."""
    lang = _language(name)
    return any(p.fullmatch(text) for lg, p in patterns if lg == lang)


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
    templates: list[tuple[str, str]] = []
    if home is not None and os.path.isabs(home):
        for _prefix, dirs in _search_up(home):
            templates += [t for d in dirs if not under(Path(d), root) and not (project is not None and under(Path(d), project))
                          for t in _stdlib_templates(d)]
            break
    templates += _stdlib_templates(os.path.dirname(os.path.realpath(os.__file__)))
    templates += _table_templates()
    values = _activate_values(root, cfg)
    prompt = _cfg_settings(cfg, root).get("prompt") if cfg is not None else None
    long_prompt = _prompt_too_long(prompt) if prompt is not None else None
    # each script matches only the templates of its own language, by name (26b-3: a batch or Python
    # template's quoting never vouches for a file bash sources)
    patterns = _patterns(templates, values)
    loose: list[tuple[str, TemplateMatcher]] | None = None  # the same without the PS1 rule (only to name why)
    in_project = project is not None and (under(root, project) or _lexically_under(str(root), project))
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
            if table_template_matches(path.name, text, patterns):
                continue
            why = long_prompt
            if any(_PROMPT_EXPANDED.search(v) for k, vs in values.items() if k not in _FIXED for v in vs):
                if loose is None:
                    loose = _patterns(templates, values, reexpansion=False)
                if table_template_matches(path.name, text, loose):
                    why = ("a value of it (its prompt, or the environment's folder name it may take as the prompt) "
                           "holds $, a backtick or a backslash and its template puts the prompt into PS1 "
                           "unescaped: bash (promptvars) and zsh (PROMPT_SUBST) expand the prompt again at every "
                           "prompt, so a $(…) in it runs")
        out.append(Finding(
            id="python.activate-unverified", severity="high" if in_project else "medium", source=src.as_posix(),
            message=(f"{shown}: {why or _NOT_TEMPLATE}"
                     ": whoever enters the environment (. bin/activate) runs it in their shell, before the "
                     "interpreter, and it may set PATH, PYTHONPATH or LD_PRELOAD; no RECORD vouches for it"
                     + (" (the environment lies in the scanned project: the checkout controls it)" if in_project else ""))))
    return out


def _creator_file(path: Path, name: str, root: Path) -> bool:
    """``path`` (not an activate script) is a file an environment creator writes itself: a
    template of the table with that name (uv's ``pydoc.bat``) that it matches, values quoted and
    inert as for the activate scripts (red team 24d-3)."""
    templates = [(n, t) for n, t in _table_templates() if n.lower() == name.lower()]
    if not templates:
        return False
    try:
        text = read_bounded(path, _MAX_ACTIVATE_BYTES).decode("utf-8")
    except (InputError, UnicodeDecodeError):
        return False
    values = _activate_values(root, venv_cfg(root))
    return any(p.fullmatch(text) for n, t in templates if (p := _template_pattern(n, t, values)) is not None)


def unrecorded_executables(root: Path, dists: list[Dist], rel: Callable[[Path], str],
                           project: Path | None = None) -> Iterator[Finding]:
    """Red team 22d-1/24d-3: every file of the venv's ``bin/``/``Scripts/`` that no RECORD lists
    and that is neither an interpreter, an activate script nor a file the creator writes itself
    (:func:`_creator_file`): one ``python.unrecorded-executable`` naming them (at most 20). The
    stock activate puts that folder first on ``PATH``, so after activation an unrecorded
    ``bin/git`` is what the shell runs for ``git``: medium, high when the environment lies in the
    scanned project (the checkout controls it)."""
    listed: set[str] = set()
    for d in dists:
        with contextlib.suppress(InputError):
            for row in pymeta.parse_record(read_dist_file(d.dir / "RECORD", MAX_RECORD_BYTES, d.dir, d.site), d.dir / "RECORD"):
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
                    or os.path.normpath(here) in listed or os.path.isdir(here) or _creator_file(here, n, root)):
                continue
            extra.append(f"{folder}/{n}")
    if extra:
        in_project = project is not None and (under(root, project) or _lexically_under(str(root), project))
        shown = ", ".join(extra[:20]) + (f", … ({len(extra) - 20} more)" if len(extra) > 20 else "")
        yield Finding(id="python.unrecorded-executable", severity="high" if in_project else "medium",
                      source=rel(root / "bin"),
                      message=(f"{len(extra)} file(s) in the environment's bin folder that no RECORD lists, neither "
                               f"an interpreter, an activate script nor a file its creator writes: {shown}; not "
                               "verified, and the activate script puts this folder first on PATH, so after "
                               "activation these run in place of the host's commands of the same name"
                               + (" (the environment lies in the scanned project: the checkout controls it)"
                                  if in_project else "")))


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


def package_folders(prefix: Path) -> list[Path]:
    """The package folders of an environment's prefix that the environment collector reads or
    a base installation's ``site`` names (:func:`_base_sites`: site-packages by layout, Debian's
    dist-packages), those that exist: ``generate``'s stray-weight sweep does not walk them."""
    return _base_sites(prefix)


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


STATIC_HOW = "static (pyvenv.cfg and folder layout; a folder's interpreter is never run)"


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
    settings = _cfg_settings(cfg, target)
    exe_dir = Path(os.path.dirname(os.path.abspath(exe))) if exe is not None else None
    unread = [(c, why) for c in dict.fromkeys([cfg, *(c for c in _cfg_places(target, exe_dir) if os.path.lexists(c))])
              if (why := _cfg_unread(c, target)) is not None]
    home, base, notes = _getpath_home(target, project, exe)
    getpath_cfg = _getpath_cfg(target, exe_dir) or cfg
    notes += _interpreter_findings(target, home, getpath_cfg, project, exe)
    notes += _activate_findings(target, home, getpath_cfg, project, _site_cfg(target, exe_dir))
    sites = _layout_sites(target)
    if not sites:
        raise InputError(target, "virtualenv without a site-packages folder")
    sites, unread_sites = _linked_out_sites(sites, target, project)
    base_sites: list[Path] = []
    if settings.get("include-system-site-packages", "true").lower() == "true":
        base_sites = _base_sites(base) if base is not None and not under(base, target) else []
        notes.insert(0, _not_isolated(cfg, base_sites))
    all_sites = unique([*sites, *base_sites])
    path = unique(_with_pth(all_sites, notes))
    version, tags, magic = _pyc_facts(_version_sources(target, settings), getpath_cfg, notes)
    return Interpreter(target, path, _static_markers(version), STATIC_HOW, sites=tuple(all_sites),
                       cache_tags=tags, magic=magic, notes=tuple(notes), unread=tuple(unread),
                       unread_sites=tuple(unread_sites))


def _linked_out_sites(sites: list[Path], target: Path, project: Path | None) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The site folders of an environment found in the scanned project that are read, and
    those not read with why (red team 121p-5): one that resolves outside the environment's own
    folder (``site-packages``, ``lib/`` or ``lib/pythonX.Y`` a link out of the project) is not
    read, as ``.venv`` itself linked out is not: its METADATA text and ``.pth`` lines are
    content from outside the project. The rule applies only to an environment whose folder
    lies in the scanned project (resolved): an environment given by path, or one that itself
    resolves into a store (Nix lays out an environment as links into ``/nix/store``), is read
    where its folders lie, as :func:`~mlbom.collectors._dists.outside_file` resolves roots."""
    if project is None or not under(target, project):
        return sites, []
    kept: list[Path] = []
    out: list[tuple[Path, str]] = []
    for site in sites:
        if under(site, target):
            kept.append(site)
        else:
            out.append((site, "symbolic link to outside the environment folder (not followed): the packages in it "
                              "are not listed"))
    return kept, out


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
                           f"{STATIC_HOW}; {target.name} is the interpreter of that environment", sites=interp.sites,
                           cache_tags=interp.cache_tags, magic=interp.magic, notes=interp.notes,
                           unread=interp.unread)
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
    if project is not None and (under(Path(prefix), project) or _lexically_under(prefix, project)):
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
    path = unique(_with_pth(sites, notes))
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
    if has_dists(target):
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


if __name__ == "__main__":  # pragma: no cover
    print(locate(Path(sys.argv[1])))
