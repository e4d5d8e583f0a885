"""Requirements-file collector (pip's format), through pip-requirements-parser.

Includes (``-r``/``-c``) are followed here rather than by the parser, so that an include cycle
or an unreadable include becomes a precise finding instead of a crash. An include is read only
when it resolves inside the project folder (or, for a file named on the command line, that file's
own folder; :func:`include_roots`): pip reads ``-r /proc/self/environ`` or ``-r ../../.netrc``, but
their text must not land in a BOM (red team 119ps-1). Findings: unpinned and
range-pinned requirements, requirements without hashes where others have them (pip's
hash-checking mode would refuse the file), ``--extra-index-url`` (dependency confusion: the
packages exposed are named), plain-http indexes and ``--trusted-host``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pip_requirements_parser import InstallRequirement, auto_decode

from mlbom.collectors import BaseCollector, Context
from mlbom.collectors._declared import declaring
from mlbom.collectors._manifest import manifest_component, manifest_ref, package_component, read_manifest
from mlbom.collectors.facts import Fact
from mlbom.errors import InputError
from mlbom.formats.reqfile import parse_requirements_text
from mlbom.identity import url_scheme
from mlbom.limits import MAX_INCLUDE_DEPTH as LIMIT_INCLUDE_DEPTH
from mlbom.limits import MAX_INCLUDE_TREE_LINES, MAX_REQUIREMENT_LINES
from mlbom.limits import MAX_REQUIREMENTS_BYTES as LIMIT_REQUIREMENTS_BYTES
from mlbom.model import Collected, Component, Finding, Property, Unreadable
from mlbom.properties import Prop

MAX_REQUIREMENTS_BYTES = LIMIT_REQUIREMENTS_BYTES
MAX_INCLUDE_DEPTH = LIMIT_INCLUDE_DEPTH
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_EXPOSED_SHOWN = 15
_QUOTED_CHARS = 200  # a line of the file quoted in a finding or record, at most
_UNREAD_SHOWN = 5
MAX_INCLUDES = 1_000
"""Distinct include lines (``-r``/``-c``) one pip run follows or reports, over the whole include
tree (red team 120p-5: 10,000 distinct includes of missing or outside files, under 1 MB, took
1.2-2.8 s, a resolve, a record and a finding each). Real projects have a handful. Past it the
includes are counted, one record and one finding for all (:func:`finish`), never silent."""
_PSEUDO_FILE_SYSTEMS = ("proc", "sys", "dev")  # files there are not files of a project


@dataclass(frozen=True)
class PackageSource:
    """A second package source an option line adds to the pip run: ``--extra-index-url URL`` or
    a remote ``--find-links URL`` (``option``), in the file ``rel`` (component ``ref``) at ``line``."""

    option: str
    url: str
    line: int
    ref: str
    rel: str


@dataclass
class PipRun:
    """What one pip run reads from a requirements file and everything it includes: its second
    package sources and every package named. pip's options from any file of the run set the one
    finder's search scope for the whole run (pip ``req_file.handle_option_line``), so a source
    in one file exposes the packages of every file (red team 102c-7)."""

    sources: list[PackageSource] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    lines_left: int = MAX_INCLUDE_TREE_LINES
    """What the run may still read (:data:`~mlbom.limits.MAX_INCLUDE_TREE_LINES`, over the whole
    include tree: red team 119ps-7)."""
    unread: list[str] = field(default_factory=list)
    """Includes not followed because :attr:`lines_left` ran out (reported once, :func:`finish`)."""
    rels: dict[Path, str] = field(default_factory=dict)
    """Each resolved file's path as shown (include chains name them; computed once a file)."""
    roots: tuple[Path, ...] | None = None
    """:func:`include_roots` of the run (computed at the first include)."""
    includes_left: int = MAX_INCLUDES
    """Distinct include lines the run may still follow or report (:data:`MAX_INCLUDES`)."""
    past_includes: list[str] = field(default_factory=list)
    """The first include lines past :data:`MAX_INCLUDES` (``file:line``), shown in the finding."""
    past_count: int = 0


def _clip(text: str, limit: int = _QUOTED_CHARS) -> str:
    """``repr(text)`` of at most about ``limit`` characters (a quoted line of a file, not all of it)."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text):,} characters)"


def include_roots(ctx: Context) -> tuple[Path, ...]:
    """The folders an include (``-r``/``-c``, also in an environment.yml ``pip:`` list) may be read
    from: the project folder ``generate`` inventories (``ctx.project``), and for a file named on the
    command line (``--requirements F``, ``--lock environment.yml``) that file's own folder (resolved).
    The current directory is none of them: the paths of a BOM are shown relative to it, but
    it may be ``/`` or a home folder. An include resolving elsewhere is not read (red team 119ps-1);
    to read ``-r ../base.txt`` of ``--requirements reqs/dev.txt``, give the project folder too
    (``generate . --requirements reqs/dev.txt``)."""
    roots: list[Path] = []
    if ctx.project is not None:
        roots.append(ctx.project)
    if ctx.explicit:
        with contextlib.suppress(OSError, RuntimeError):  # a link loop above the file: its folder is no root
            roots.append(ctx.path.parent.resolve())
    return tuple(roots)


def _outside(real: Path, roots: tuple[Path, ...]) -> str | None:
    """Why the resolved include ``real`` is not read, or None when it lies in one of ``roots``
    and is no file of a pseudo file system (``/proc``, ``/sys``, ``/dev``: what is there is the
    host's, whatever folder is the root)."""
    if len(real.parts) > 1 and real.parts[0] == "/" and real.parts[1] in _PSEUDO_FILE_SYSTEMS:
        return f"lies in /{real.parts[1]} (the system's files, not the project's)"
    if not any(real.is_relative_to(r) for r in roots):
        return "lies outside the project folder"
    return None


def _remote(url: str) -> bool:
    """A find-links location on another host (not a folder or ``file:`` URL of this one)."""
    return url_scheme(url) not in ("", "file")


class RequirementsCollector(BaseCollector):
    """A pip requirements file and everything it includes."""

    name: ClassVar[str] = "requirements"
    patterns: ClassVar[tuple[str, ...]] = ("requirements*.txt", "requirements/*.txt", "*/requirements*.txt")

    def collect(self, ctx: Context) -> Iterator[Collected | Fact]:
        read_manifest(ctx.path, MAX_REQUIREMENTS_BYTES)  # a missing or oversized top file: exit 2
        yield from declaring(self._run(ctx), lock=False)

    def _run(self, ctx: Context) -> Iterator[Collected]:
        run = PipRun()
        yield from self._file(ctx.path, ctx, stack=(), seen={}, constraint=False, run=run)
        yield from finish(run, ctx.rel(ctx.path), manifest_ref(ctx, ctx.path), self.name)

    def _file(
        self, path: Path, ctx: Context, *, stack: tuple[Path, ...], seen: dict[Path, bool], constraint: bool,
        run: PipRun,
    ) -> Iterator[Collected]:
        try:
            real = path.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (Python < 3.13)
            raise InputError(path, "cannot be resolved (a symbolic link loop)") from exc
        seen.setdefault(real, constraint)
        rel = ctx.rel(path)
        ref = manifest_ref(ctx, path)
        budget = max(0, min(MAX_REQUIREMENT_LINES, run.lines_left))
        try:
            data = read_manifest(path, MAX_REQUIREMENTS_BYTES)
            rf = parse_requirements_text(auto_decode(data), str(path), max_lines=budget)
        except InputError:
            raise
        except Exception as exc:  # the parser wraps pip internals; any failure names the file
            raise InputError(path, f"cannot parse requirements: {str(exc).splitlines()[0]}") from exc
        run.lines_left -= getattr(rf, "weight", 0)  # (reqfile.ReadRequirements)
        yield manifest_component(path, ctx, "requirements.txt")

        for bad in rf.invalid_lines:
            msg = _clip(str(bad.error_message).splitlines()[0])
            yield Unreadable(path=f"{rel}:{bad.line_number}", reason=f"invalid requirement line {_clip(bad.line)}: {msg}",
                             collector=self.name)
            yield Finding(id="requirements.invalid-line", severity="medium",
                          message=f"line not understood and left out: {_clip(bad.line)} ({msg})",
                          subject=ref, source=rel, line=bad.line_number)

        yield from self.option_lines(rf, path, ctx, stack=(*stack, real), seen=seen, run=run)
        run.names += yield from self.requirement_lines(rf, rel, constraint)
        if (stopped := getattr(rf, "stopped", None)) is not None:  # (reqfile.ReadRequirements)
            yield from _stopped(stopped, rel, ref, self.name, tree=budget < MAX_REQUIREMENT_LINES)

    def requirement_lines(
        self, rf: Any, rel: str, constraint: bool, *, lock_format: str | None = None,
    ) -> Generator[Collected, None, list[str]]:
        """The requirement lines of requirements ``rf`` shown as ``rel`` (a requirements file,
        or an environment.yml's ``pip:`` list, ``lock_format`` ``conda``, whose lines naming no
        package the lock reader lists as left out): one component each with its hashes,
        editable mark and findings, and ``requirements.hash-missing`` where others are hashed
        (red team 98c-4: the ``pip:`` list dropped ``--hash`` and ``-e`` without a word).
        Returns the packages' names for :func:`exposed`."""
        names: list[str] = []
        # pip's hash-checking mode: on when a line has a --hash option (a hash in a URL does not
        # turn it on) or the file says --require-hashes
        hashed = [r for r in rf.requirements if r.hash_options]
        required = any(o.options.get("require_hashes") for o in rf.options)
        for req in rf.requirements:
            if lock_format and not req.name:
                continue
            comp, findings = self._requirement(req, rel, constraint, lock_format=lock_format)
            names.append(comp.name)
            yield comp
            yield from findings
            if (hashed or required) and req.is_editable:
                # pip refuses the file: "The editable requirement … cannot be installed when
                # requiring hashes" (operations/prepare.py; red team 102c-4)
                why = f"{len(hashed)} requirement(s) here have --hash" if hashed else "the file says --require-hashes"
                yield Finding(id="requirements.editable-in-hash-mode", severity="medium",
                              message=(f"{comp.name} is editable (-e) while {why}: pip's hash-checking mode "
                                       "refuses an editable requirement, so pip rejects the file"),
                              subject=comp.bom_ref, source=rel, line=req.line_number)
            elif (hashed or required) and not req.hash_options and _url_hash(req) is None and not req.is_editable:
                # --require-hashes alone turns the mode on too: then every line needs a hash
                why = f"{len(hashed)} other requirement(s) here do" if hashed else "the file says --require-hashes"
                yield Finding(id="requirements.hash-missing", severity="medium",
                              message=f"{comp.name} has no --hash while {why}; pip's hash-checking mode rejects the file",
                              subject=comp.bom_ref, source=rel, line=req.line_number)
        return names

    def option_lines(
        self, rf: Any, path: Path, ctx: Context, *, stack: tuple[Path, ...], seen: dict[Path, bool], run: PipRun,
    ) -> Iterator[Collected]:
        """The option lines of requirements ``rf`` read from ``path`` (a requirements file, or
        the environment.yml whose ``pip:`` list conda hands to pip as one: 97c-2): findings for
        plain-http indexes and trusted hosts, ``-r``/``-c`` includes followed relative to
        ``path``'s folder under the include rules (their packages and sources added to ``run``);
        the second package sources (``--extra-index-url``, a remote ``--find-links``: red team
        102c-2) added to ``run`` for :func:`exposed`.

        An include repeated in the file is followed once (pip reads it again, and adds nothing);
        the includes that close a cycle are one finding per file and target, with their count
        (red team 119ps-7: 80,000 cycle lines were 80,000 findings, each rebuilding its chain)."""
        rel = ctx.rel(path)
        ref = manifest_ref(ctx, path)
        repeats: dict[tuple[bool, str], int] = {}
        for opt in rf.options:
            for key, is_constraint in (("requirements", False), ("constraints", True)):
                for target in opt.options.get(key, []) or []:
                    repeats[(is_constraint, target)] = repeats.get((is_constraint, target), 0) + 1
        cycles: dict[Path, _Cycle] = {}
        on_stack = frozenset(stack)
        for opt in rf.options:
            opts = opt.options
            for url in opts.get("extra_index_urls", []) or []:
                run.sources.append(PackageSource("--extra-index-url", url, opt.line_number, ref, rel))
            links = opts.get("find_links")
            for url in [links] if isinstance(links, str) else (links or []):
                if isinstance(url, str) and _remote(url):
                    run.sources.append(PackageSource("--find-links", url, opt.line_number, ref, rel))
            for key in ("index_url", "extra_index_urls", "find_links"):
                vals = opts.get(key)
                for url in [vals] if isinstance(vals, str) else (vals or []):
                    if url_scheme(url) == "http":
                        yield Finding(id="requirements.insecure-index", severity="high",
                                      message=f"{key.replace('_', '-')} {url} is plain http: packages can be swapped in transit",
                                      subject=ref, source=rel, line=opt.line_number)
            for host in opts.get("trusted_hosts", []) or []:
                yield Finding(id="requirements.trusted-host", severity="medium",
                              message=f"--trusted-host {host} turns off TLS verification for that host",
                              subject=ref, source=rel, line=opt.line_number)
            for key, is_constraint in (("requirements", False), ("constraints", True)):
                for target in opts.get(key, []) or []:
                    count = repeats.pop((is_constraint, target), 0)
                    if not count:  # (0: a repeat, followed at its first line)
                        continue
                    if run.includes_left <= 0:
                        run.past_count += 1
                        if len(run.past_includes) < _UNREAD_SHOWN:
                            run.past_includes.append(f"{rel}:{opt.line_number}")
                        continue
                    run.includes_left -= 1
                    yield from self._include(path, target, opt.line_number, ctx, stack=stack, on_stack=on_stack,
                                             seen=seen, constraint=is_constraint, run=run, cycles=cycles, count=count,
                                             parent_at=(rel, ref))
        for real, cyc in cycles.items():
            chain = " -> ".join(_shown(ctx, run, p) for p in (*stack, real))
            times = f" ({cyc.count:,} include lines, the first at line {cyc.line})" if cyc.count > 1 else ""
            yield Finding(id="requirements.include-cycle", severity="low",
                          message=f"include cycle {chain}{times}; the repeated include was not followed",
                          subject=ref, source=rel, line=cyc.line)

    def _include(
        self, parent: Path, target: str, line: int, ctx: Context, *, stack: tuple[Path, ...],
        on_stack: frozenset[Path], seen: dict[Path, bool], constraint: bool, run: PipRun,
        cycles: dict[Path, _Cycle], count: int, parent_at: tuple[str, str],
    ) -> Iterator[Collected]:
        parent_rel, parent_ref = parent_at  # (computed once per file: red team 120p-5)
        if "://" in target:
            yield Finding(id="requirements.remote-include", severity="medium",
                          message=f"include of a remote file {_clip(target)} was not fetched (offline)",
                          subject=parent_ref, source=parent_rel, line=line)
            yield Unreadable(path=target, reason="remote include not fetched (offline)", collector=self.name)
            return
        if "\x00" in target:  # no file system path holds a NUL byte (os.path.realpath raises)
            yield Unreadable(path=target.replace("\x00", "\\x00"), reason="include path with a NUL byte",
                             collector=self.name)
            yield Finding(id="requirements.include-unreadable", severity="medium",
                          message=f"included file {target!r} cannot be read: the path holds a NUL byte",
                          subject=parent_ref, source=parent_rel, line=line)
            return
        child = (parent.parent / target)
        try:
            real = child.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (red team 49p-1)
            yield Unreadable(path=ctx.rel(child), reason="symbolic link loop (not followed)", collector=self.name)
            yield Finding(id="requirements.include-unreadable", severity="medium",
                          message=f"included file {_clip(target)} cannot be read: its path is a symbolic link loop",
                          subject=parent_ref, source=parent_rel, line=line)
            return
        if run.roots is None:
            run.roots = include_roots(ctx)
        if (where := _outside(real, run.roots)) is not None:
            # pip reads it; its text (the environment, a .netrc) must not land in the BOM: named, not read
            shown = ctx.rel(child)
            yield Unreadable(path=shown, reason=f"included file that {where} (not read)", collector=self.name)
            yield Finding(id="requirements.include-outside", severity="medium",
                          message=(f"included file {_clip(target)} {where}: not read (mlbom reads no "
                                   "file outside the project it inventories), so what pip takes from it is not in "
                                   "this BOM"),
                          subject=parent_ref, source=parent_rel, line=line)
            return
        if real in on_stack:
            cyc = cycles.setdefault(real, _Cycle(line=line))
            cyc.count += count
            return
        if real in seen:
            if seen[real] and not constraint:
                # read first as a constraint (-c): its packages carry that group, though pip installs
                # them for this -r (red team 49p-5: no word of it before)
                yield Finding(id="requirements.constraint-also-required", severity="medium",
                              message=f"{_clip(target)} was read as a constraint file (-c) before this -r includes it: "
                                      "its packages are recorded as constraints, but pip installs them",
                              subject=parent_ref, source=parent_rel, line=line)
            return
        if len(stack) >= MAX_INCLUDE_DEPTH:
            yield Unreadable(path=ctx.rel(child), reason=f"includes nested deeper than {MAX_INCLUDE_DEPTH}",
                             collector=self.name)
            return
        if run.lines_left <= 0:
            seen.setdefault(real, constraint)  # (reported once, however often it is included)
            run.unread.append(ctx.rel(child))
            return
        try:
            yield from self._file(child, ctx, stack=stack, seen=seen, constraint=constraint, run=run)
        except InputError as exc:
            yield Unreadable(path=ctx.rel(child), reason=exc.detail, collector=self.name)
            yield Finding(id="requirements.include-unreadable", severity="medium",
                          message=f"included file {_clip(target)} cannot be read: {exc.detail}",
                          subject=parent_ref, source=parent_rel, line=line)

    def _requirement(self, req: InstallRequirement, rel: str, constraint: bool, *,
                     lock_format: str | None = None) -> tuple[Component, list[Finding]]:
        """One requirement line of the file shown as ``rel`` (computed once per file: a
        relative path costs a ``getcwd`` per call); in a lock's ``pip:`` list (``lock_format``)
        marked with the lock's format and source as the lock's other packages are."""
        link = str(req.link.url) if req.link is not None else None
        name = req.name or _name_from_link(link)
        specs = list(req.specifier) if req.specifier else []
        version = None
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            version = specs[0].version
        declared = [h.partition(":")[2].lower() for h in req.hash_options if h.lower().startswith("sha256:")]
        url_hash = _url_hash(req)
        if url_hash is not None and url_hash[0] == "sha256" and url_hash[1].lower() not in declared:
            # the artifact's SHA-256 the URL states (#sha256=): pip checks it, and it satisfies
            # hash-checking mode (InstallRequirement.hashes; red team 102c-4)
            declared.append(url_hash[1].lower())
        hashes = [h for h in declared if _SHA256_HEX.fullmatch(h)]
        bad_hashes = [h for h in declared if not _SHA256_HEX.fullmatch(h)]
        props: list[Property] = [Property(name=Prop.PY_REQUIREMENT.value, value=_requirement_text(req))]
        if req.marker is not None:
            props.append(Property(name=Prop.PY_MARKER.value, value=str(req.marker)))
        if req.is_editable:
            props.append(Property(name=Prop.PY_EDITABLE.value, value="true"))
        if constraint:
            props.append(Property(name=Prop.LOCK_GROUP.value, value="constraint"))
        if lock_format:
            props += [Property(name=Prop.LOCK_FORMAT.value, value=lock_format),
                      Property(name=Prop.LOCK_SOURCE.value, value="url" if link else "pip")]
        comp = package_component(
            name=name, version=version, source_file=rel, line=req.line_number,
            hashes=hashes, url=link, properties=props)
        findings: list[Finding] = []
        for bad in bad_hashes:
            findings.append(Finding(id="requirements.hash-invalid", severity="medium",
                                    message=f"{name}: --hash=sha256:{bad[:80]!r} is not 64 hex digits; left out",
                                    subject=comp.bom_ref, source=rel, line=req.line_number))
        if req.name is None:
            findings.append(Finding(id="requirements.unnamed", severity="low",
                                    message=f"URL requirement {link} names no package (#egg=); named after the file",
                                    subject=comp.bom_ref, source=rel, line=req.line_number))
        if link is None and not specs:
            findings.append(Finding(id="requirements.unpinned", severity="medium",
                                    message=f"{name} is not pinned: any version (including a future malicious one) will be installed",
                                    subject=comp.bom_ref, source=rel, line=req.line_number))
        elif link is None and version is None:
            findings.append(Finding(id="requirements.range-pinned", severity="low",
                                    message=f"{name} is range-pinned ({req.specifier}); the installed version depends on the day",
                                    subject=comp.bom_ref, source=rel, line=req.line_number))
        return comp, findings


@dataclass
class _Cycle:
    """The includes of one file that close a cycle to one target: the first one's line, how many."""

    line: int
    count: int = 0


def _shown(ctx: Context, run: PipRun, real: Path) -> str:
    """The resolved file ``real`` as shown in an include chain (computed once a file)."""
    shown = run.rels.get(real)
    if shown is None:
        shown = run.rels[real] = ctx.rel(real)
    return shown


def _stopped(stopped: tuple[int, int], rel: str, ref: str, collector: str, *, tree: bool = False) -> Iterator[Collected]:
    """The rest of a requirements file past :data:`~mlbom.limits.MAX_REQUIREMENT_LINES` lines with
    content (red team 106p-8), or past what is left of :data:`~mlbom.limits.MAX_INCLUDE_TREE_LINES`
    for the whole include tree (``tree``, red team 119ps-7): never dropped silently — an
    ``mlbom:unreadable`` record (the composition is ``incomplete``) and a
    ``requirements.too-many-lines`` finding, since what it holds (packages, a second index,
    includes) is not in the BOM."""
    line, left = stopped
    bound = (f"over {MAX_INCLUDE_TREE_LINES // 2:,} requirements or {MAX_INCLUDE_TREE_LINES:,} option lines in the "
             "include tree (the file named, the files it includes and their includes)" if tree
             else f"over {MAX_REQUIREMENT_LINES // 2:,} requirements or {MAX_REQUIREMENT_LINES:,} option lines")
    why = f"{bound}: line {line} and the {left - 1:,} line(s) after it were not read"
    yield Unreadable(path=f"{rel}:{line}", reason=why, collector=collector)
    yield Finding(id="requirements.too-many-lines", severity="high",
                  message=f"{why}; the packages, options and includes there are not in this BOM",
                  subject=ref, source=rel, line=line)


def finish(run: PipRun, rel: str, ref: str, collector: str) -> Iterator[Collected]:
    """What a pip run read from the file shown as ``rel`` (component ``ref``) says once it is
    read: :func:`exposed`, and the includes not followed because the include tree's bound
    (:data:`~mlbom.limits.MAX_INCLUDE_TREE_LINES`) was reached, one record and one finding for
    all of them (never a silent cap: red team 119ps-7); the same for the include lines past
    :data:`MAX_INCLUDES` (120p-5)."""
    yield from exposed(run)
    if run.past_count:
        shown = ", ".join(run.past_includes) + (
            f" and {run.past_count - len(run.past_includes):,} more" if run.past_count > len(run.past_includes) else "")
        why = (f"{run.past_count:,} include line(s) past the first {MAX_INCLUDES:,} of the include tree not followed "
               f"({shown})")
        yield Unreadable(path=rel, reason=why, collector=collector)
        yield Finding(id="requirements.too-many-lines", severity="high",
                      message=f"{why}; the packages, options and includes of those files are not in this BOM",
                      subject=ref, source=rel)
    if not run.unread:
        return
    shown = ", ".join(run.unread[:_UNREAD_SHOWN]) + (
        f" and {len(run.unread) - _UNREAD_SHOWN:,} more" if len(run.unread) > _UNREAD_SHOWN else "")
    why = (f"{len(run.unread):,} included file(s) not read ({shown}): the include tree reached "
           f"{MAX_INCLUDE_TREE_LINES:,} lines read")
    yield Unreadable(path=rel, reason=why, collector=collector)
    yield Finding(id="requirements.too-many-lines", severity="high",
                  message=f"{why}; the packages, options and includes there are not in this BOM", subject=ref, source=rel)


def exposed(run: PipRun) -> Iterator[Finding]:
    """One ``requirements.extra-index-url`` finding per second package source of the pip run
    (``--extra-index-url``, a remote ``--find-links``: pip gathers candidates from every index
    and find-links location and takes the best version, red team 102c-2), naming the packages of
    the whole run it exposes to a same-named package there — every file of the run, not only the
    one holding the option (red team 102c-7). The names are sorted once per run, not once per
    source (red team 102p-4: 8,000 URLs x 8,000 names, 24 s)."""
    if not run.sources:
        return
    names = sorted(set(run.names))
    shown = ", ".join(names[:_EXPOSED_SHOWN])
    more = len(names) - _EXPOSED_SHOWN
    for src in run.sources:
        what = "a second index" if src.option == "--extra-index-url" else "a second package source"
        yield Finding(
            id="requirements.extra-index-url", severity="high",
            message=(f"{src.option} {src.url} adds {what}; pip takes the highest version from any "
                     f"source, so a same-named package there wins (dependency confusion), for every package "
                     f"of this pip run and every file it reads. Exposed: {shown or '(no package named)'}"
                     + (f" and {more} more" if more > 0 else "")),
            subject=src.ref, source=src.rel, line=src.line)


def _name_from_link(link: str | None) -> str:
    """What a URL requirement without ``#egg=`` is called: the last segment of the URL's path
    (``…/trunk/#frag`` is ``trunk``), never empty nor blank (an empty name has no purl; a segment
    of blanks, ``htt:/ /``, was one: fuzz crash of the 13th session)."""
    segments = [s.strip() for s in (link or "").split("#", 1)[0].split("?", 1)[0].split("/") if s.strip()]
    return segments[-1] if len(segments) > 1 else "unnamed"


def _url_hash(req: InstallRequirement) -> tuple[str, str] | None:
    """The hash a URL requirement's fragment states (``#sha256=…``, any algorithm pip accepts
    there), as (algorithm, hex), or None."""
    link = req.link
    name = getattr(link, "hash_name", None) if link is not None else None
    value = getattr(link, "hash", None) if link is not None else None
    return (str(name).lower(), str(value)) if name and value else None


def _requirement_text(req: InstallRequirement) -> str:
    if req.req is not None:
        return str(req.req)
    return str(req.link.url) if req.link is not None else str(req.line)
