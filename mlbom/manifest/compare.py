"""Manifests read back: what a BOM's manifests promise (for ``verify --artifacts``) and what
changed between two manifests (for ``diff``). Both stream the manifest; the manifest's own
SHA-256 is checked against the BOM before any of its lines is believed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mlbom.errors import InputError
from mlbom.manifest.format import Entry, ManifestReader, path_key
from mlbom.properties import Prop
from mlbom.relpath import folder as folder_under
from mlbom.relpath import under

MAX_NAMED = 1000
"""Most file names a manifest diff keeps per kind (the counts are always complete)."""


@dataclass(frozen=True)
class ManifestRef:
    """A component's manifest as the BOM states it."""

    ref: str
    name: str
    sha256: str
    root: str


def _props(c: dict[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    props = c.get("properties")
    for p in props if isinstance(props, list) else []:
        if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str):
            out.setdefault(str(p["name"]), str(p["value"]))
    return out


def manifest_refs(components: Iterator[dict[str, object]]) -> Iterator[ManifestRef | str]:
    """Each component's manifest reference, or a one-line problem for a malformed one."""
    for c in components:
        props = _props(c)
        name = props.get(Prop.MANIFEST_PATH.value)
        if name is None:
            continue
        sha, root = props.get(Prop.MANIFEST_SHA256.value, ""), props.get(Prop.MANIFEST_ROOT.value, "")
        ref = str(c.get("bom-ref") or c.get("name"))
        if "/" in name or "\\" in name or name in ("", ".", "..") or "\0" in name:
            yield f"{ref}: manifest name {name[:80]!r} is not a plain file name"
        elif len(sha) != 64 or not root:
            yield f"{ref}: manifest {name} without its SHA-256 or root"
        else:
            yield ManifestRef(ref, name, sha.lower(), root)


def open_checked(m: ManifestRef, folder: Path) -> ManifestReader:
    """The manifest beside the BOM, once its stored bytes match the BOM's SHA-256 (else an
    :class:`InputError` saying so)."""
    path = folder / m.name
    if not os.path.lexists(path):
        raise InputError(path, "manifest not found beside the BOM")
    # one descriptor, no symbolic link: the bytes hashed are the bytes parsed (a rename between
    # a check and a second open would otherwise swap in another manifest)
    reader = ManifestReader(path, expect_sha256=m.sha256, follow_symlinks=False)
    if reader.header.shard is not None:
        reader.close()
        raise InputError(path, "is one shard, not a whole manifest")
    return reader


def joined(root: str, rel: str) -> str:
    return rel if root in (".", "") else f"{root.rstrip('/')}/{rel}"


@dataclass
class ManifestDiff:
    """Files added, removed and changed (content or size) between two manifests: the first
    :data:`MAX_NAMED` of each kind, and complete counts."""

    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[tuple[Entry, Entry]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "removed": 0, "changed": 0})

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def diff_entries(old: Iterator[Entry], new: Iterator[Entry]) -> ManifestDiff:
    """Merge-join two sorted entry streams."""
    out = ManifestDiff()
    a, b = next(old, None), next(new, None)
    while a is not None or b is not None:
        if b is None or (a is not None and path_key(a.path) < path_key(b.path)):
            assert a is not None
            out.counts["removed"] += 1
            if len(out.removed) < MAX_NAMED:
                out.removed.append(a)
            a = next(old, None)
        elif a is None or path_key(b.path) < path_key(a.path):
            out.counts["added"] += 1
            if len(out.added) < MAX_NAMED:
                out.added.append(b)
            b = next(new, None)
        else:
            if (a.sha256, a.size, a.error) != (b.sha256, b.size, b.error):
                out.counts["changed"] += 1
                if len(out.changed) < MAX_NAMED:
                    out.changed.append((a, b))
            a, b = next(old, None), next(new, None)
    return out


def diff_manifests(old: Path, new: Path) -> ManifestDiff:
    """Compare two manifest files (not checked against any BOM)."""
    with ManifestReader(old) as ra, ManifestReader(new) as rb:
        return diff_entries(iter(ra), iter(rb))


def expected_from_manifests(doc: dict[str, object], folder: Path | None,
                            components: Iterator[dict[str, object]]) -> tuple[dict[str, tuple[str, str]], dict[str, int], list[str]]:
    """``verify --artifacts``: the files the BOM's manifests list, as ``{path under DIR:
    (hashlib name, hex)}`` and ``{path: size}``, and the problems (a manifest missing, not the
    one the BOM records, malformed, lines without a digest, a root or a joined path that leaves
    DIR by :func:`mlbom.relpath.under`, the rule file components follow, one file listed twice
    with different digests or sizes) — each a failure."""
    expected: dict[str, tuple[str, str]] = {}
    sizes: dict[str, int] = {}
    bad: list[str] = []
    for m in manifest_refs(components):
        if isinstance(m, str):
            bad.append(m)
            continue
        if folder is None:
            bad.append(f"{m.ref}: manifest {m.name}: the BOM's folder is unknown, so it cannot be read")
            continue
        top = folder_under(m.root)  # the root first: a root that leaves DIR is never read (red team 85c-1)
        if top is None:
            bad.append(f"{m.ref}: manifest {m.name}: root {m.root[:80]!r} leaves the artifact folder "
                       "(absolute, '..' or malformed): none of its files was checked")
            continue
        try:
            with open_checked(m, folder) as reader:
                for e in reader:
                    rel = under(top, e.path)
                    if rel is None:  # the rule file components follow (mlbom.relpath)
                        bad.append(f"{joined(m.root, e.path)[:200]!r}: path leaves the artifact folder "
                                   "(absolute, '..' or malformed)")
                        continue
                    if e.sha256 is None:
                        bad.append(f"{rel}: the manifest has no digest for it ({e.error})")
                        continue
                    assert e.size is not None
                    pair = ("sha256", e.sha256)
                    if expected.setdefault(rel, pair) != pair or sizes.setdefault(rel, e.size) != e.size:
                        # two manifests (or two lines) naming one file differently: the later one
                        # must not replace the earlier claim unchecked (red team 89c-2)
                        bad.append(f"{rel}: listed twice with different digests")
        except InputError as exc:
            bad.append(f"{m.ref}: {exc}")
    del doc
    return expected, sizes, bad


def bom_folder(name: str) -> Path | None:
    """The folder of a BOM named on the command line (None for stdin or an unnamed input)."""
    if not name or name.startswith("<") or name == "-":
        return None
    return Path(os.path.dirname(os.path.abspath(name)))


FileChange = tuple[str, str, str, str | None, str | None]
"""(kind: added | removed | hash-drift, identity, detail, old digest, new digest)"""


def manifest_file_changes(old_doc: dict[str, object], old_bom: Path, new_doc: dict[str, object],
                          new_bom: Path) -> list[FileChange]:
    """``diff``: for each component that references a manifest in both BOMs, the files added,
    removed and changed between the two manifests (each read beside its BOM and checked
    against the SHA-256 the BOM records; a missing or altered manifest is an
    :class:`InputError`)."""
    from mlbom.readmodel import walk as iter_components

    def refs(doc: dict[str, object]) -> dict[str, ManifestRef]:
        out: dict[str, ManifestRef] = {}
        for m in manifest_refs(iter_components(doc.get("components"))):
            if isinstance(m, str):
                raise InputError(Path(m.split(":", 1)[0]), m)
            out[m.ref] = m
        return out

    old_refs, new_refs = refs(old_doc), refs(new_doc)
    changes: list[FileChange] = []
    for ref in sorted(set(old_refs) & set(new_refs)):
        a, b = old_refs[ref], new_refs[ref]
        if a.sha256 == b.sha256:
            continue
        with open_checked(a, old_bom.resolve().parent) as ra, open_checked(b, new_bom.resolve().parent) as rb:
            d = diff_entries(iter(ra), iter(rb))
        changes += [("added", f"file:{ref}#{e.path}", f"{e.path}: file added (manifest of {ref})", None, e.sha256)
                    for e in d.added]
        changes += [("removed", f"file:{ref}#{e.path}", f"{e.path}: file removed (manifest of {ref})", e.sha256, None)
                    for e in d.removed]
        changes += [("hash-drift", f"file:{ref}#{o.path}", f"{o.path}: content changed (manifest of {ref})", o.sha256,
                     n.sha256) for o, n in d.changed]
        for kind in ("added", "removed", "changed"):
            if d.counts[kind] > MAX_NAMED:
                changes.append(("hash-drift" if kind == "changed" else kind, f"file:{ref}#…",
                                f"{d.counts[kind] - MAX_NAMED} more file(s) {kind} (manifest of {ref}; "
                                "`mlbom manifest diff` lists them all)", None, None))
    return changes
