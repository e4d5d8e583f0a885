"""ML-aware comparison of two BOMs, read by :mod:`mlbom.reader` (JSON or XML, never through
cyclonedx-python-lib's model, which drops ``modelCard``, ``data`` and ``signature``).

Components are matched by identity — the purl without version and qualifiers, else
type/group/name; files by their bom-ref (model or dataset plus path) or name — and each matched
pair is compared: version (normalised: stripped, PEP 440-equal), origin (the same version: purl
``vcs_url``/``download_url``/``repository_url``/``channel`` and ``vcs``/``distribution``
references; *origin change*, red team 97c-5), hashes (a file, or the same
version: a different hash of any algorithm both state, or nothing left that proves sameness — no
strong algorithm in common, or a strong one dropped: *hash drift*, the red flag for a swapped
artifact; red team 15b-3, 16a-1, 16a-2), licences, safety verdict,
findings, ``modelCard`` and ``data`` field by field. Dependency edges are compared by identity
too. Namesakes within one BOM are all kept (:func:`_unique`); vulnerabilities are compared per
(flaw: an id with its aliases, affected component) and state.

The objects compared are the ones the policy gate judges (:func:`mlbom.readmodel.subjects`):
components wherever they nest, services, and the release itself (``metadata.component``: its
verdict, findings, licence, unread inputs, hashes, ``modelCard`` and ``data``; red team 16a-7).
Verdicts are read and ranked as the gate reads them (:func:`mlbom.model.stated_verdict`, :func:`mlbom.model.verdict_rank`): the worst of
several, a value that is no verdict worst of all (red team 12b-1, 12b-2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from mlbom.errors import UsageError
from mlbom.identity import purl_base, purl_version
from mlbom.model import SEVERITIES, verdict_rank
from mlbom.properties import Prop
from mlbom.readmodel import (
    UNREADABLE,
    Affected,
    ReadComponent,
    VulnView,
    as_list,
    dicts,
    finding_rank,
    finding_severity,
    identity_of,
    root_of,
    subjects,
    vulnerabilities,
)
from mlbom.table import markdown_code, markdown_text, printable
from mlbom.unionfind import IdGroups
from mlbom.versions import parse_version

Kind = Literal["added", "removed", "version-change", "hash-drift", "hash-change", "licence-change", "safety-escalation", "new-unreadable",
               "origin-change", "new-finding", "model-card-change", "data-change", "edge-added", "edge-removed", "new-vulnerability"]


@dataclass(frozen=True)
class Change:
    kind: Kind
    identity: str
    detail: str
    old: str | None = None
    new: str | None = None
    severity: str | None = None  # for new-finding and new-vulnerability


MAX_FIELD_CHANGES = 1000
"""Most ``modelCard`` / ``data`` field changes one diff lists, all components together; past it,
each changed field is one ``model-card-change`` / ``data-change`` counting the changes not listed
(so a ``--fail-on`` gate still trips). Like :data:`mlbom.manifest.compare.MAX_NAMED`."""

MAX_FIELD_PATH_CHARS = 1 << 20
"""Most characters of field paths (``modelCard.a.b[0].c``) one diff spells out, all listed changes
together (red team 91c-4: 190 nested 1,000-character member names over 40,000 leaves spelled a
190 KB path for every leaf: 15 GB from two 620 KB BOMs). Past it, the count as above."""

_ABSENT = object()
"""A member or item one side does not have (``null`` is a value)."""


class _Path:
    """A field path as a link to its parent's: every path below one object shares that object's
    prefix, so a walk holds memory linear in the input; the text is spelled only for a change
    that is listed (:meth:`text`). ``size`` is the length of that text."""

    __slots__ = ("parent", "segment", "size")
    parent: _Path | None
    segment: str
    size: int

    def __init__(self, parent: _Path | None, segment: str) -> None:
        self.parent, self.segment = parent, segment
        self.size = len(segment) + (parent.size if parent is not None else 0)

    def text(self) -> str:
        parts: list[str] = []
        p: _Path | None = self
        while p is not None:
            parts.append(p.segment)
            p = p.parent
        return "".join(reversed(parts))


_Found = tuple[_Path | None, object, object]


def _leaves(value: object, path: _Path | None, old: bool, out: list[_Found]) -> None:
    """Every leaf of one side's ``value`` (``bom-ref`` members left out), as a change against
    nothing on the other side."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k != "bom-ref":
                _leaves(v, _Path(path, f".{k}" if path is not None else str(k)), old, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _leaves(v, _Path(path, f"[{i}]"), old, out)
    elif value is not _ABSENT:
        out.append((path, value, _ABSENT) if old else (path, _ABSENT, value))


def _same_leaf(a: object, b: object) -> bool:
    """Two leaves are one when their JSON text is (``1`` and ``1.0``, ``1`` and ``true`` differ)."""
    if type(a) is type(b) and not isinstance(a, float) and a == b:
        return True
    return json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


def _same_json(a: object, b: object) -> bool:
    """Whether two JSON values are one by :func:`_same_leaf`'s rule at every depth: Python's
    ``==`` first (one C-level comparison; most objects of two releases are equal), then, since
    ``==`` holds ``1 == True == 1.0``, their JSON text (members sorted: the walk matches them by
    name). The one rule for every shortcut that skips the field walk (red team 92c-8: a leaf
    changed from ``1`` to ``true`` read as "no differences")."""
    return a == b and json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _compare(x: object, y: object, path: _Path | None, out: list[_Found]) -> None:
    """The leaves where ``x`` and ``y`` differ, walking the two trees side by side: members by
    name, items by index; a member or item on one side only, or a container against a leaf,
    is each leaf of either side against nothing."""
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(x.keys() | y.keys()):
            if k != "bom-ref":
                _compare(x.get(k, _ABSENT), y.get(k, _ABSENT), _Path(path, f".{k}" if path is not None else str(k)), out)
    elif isinstance(x, list) and isinstance(y, list):
        for i in range(max(len(x), len(y))):
            _compare(x[i] if i < len(x) else _ABSENT, y[i] if i < len(y) else _ABSENT, _Path(path, f"[{i}]"), out)
    elif x is _ABSENT or y is _ABSENT or isinstance(x, (dict, list)) or isinstance(y, (dict, list)):
        _leaves(x, path, True, out)
        _leaves(y, path, False, out)
    elif not _same_leaf(x, y):
        out.append((path, x, y))


@dataclass
class _FieldBudget:
    """What one diff may still list of field changes (:data:`MAX_FIELD_CHANGES`,
    :data:`MAX_FIELD_PATH_CHARS`)."""

    changes: int = MAX_FIELD_CHANGES
    chars: int = MAX_FIELD_PATH_CHARS


def _leaf_text(v: object) -> str | None:
    return None if v is _ABSENT else json.dumps(v, ensure_ascii=False)


def _unique(ident: str, c: dict[str, object], taken: dict[str, dict[str, object]], numbered: dict[str, int]) -> str:
    """A key for ``c`` that no earlier component of the same BOM holds. The first component of an
    identity keeps it; a later one (several versions of one package, or three models all named
    ``model`` without a purl: red team 9c D2) becomes ``IDENTITY@VERSION``, else ``IDENTITY
    [BOM-REF]``, else ``IDENTITY #N`` (document order): the smallest N from 2 not taken. Nothing
    is ever overwritten, so an unsafe model cannot hide behind a namesake: it is compared with the
    namesake of the other BOM that has the same key, or reported as added, with its verdict and
    findings. ``numbered`` holds, per identity, the N to try next: every smaller one is taken
    (keys are never given back), so N namesakes cost O(N) probes, not O(N²) (red team 75c-6:
    10,000 namesakes took 33 s)."""
    if ident not in taken:
        return ident
    version, ref = c.get("version"), c.get("bom-ref")
    for key in ([f"{ident}@{version}"] if isinstance(version, str) and version else []) + (
            [f"{ident} [{ref}]"] if isinstance(ref, str) and ref else []):
        if key not in taken:
            return key
    n = numbered.get(ident, 2)
    while f"{ident} #{n}" in taken:
        n += 1
    numbered[ident] = n + 1
    return f"{ident} #{n}"


def _subject_identity(where: str, raw: dict[str, object]) -> str:
    """What matches an object of :func:`~mlbom.readmodel.subjects` across two BOMs: the release
    itself is ``(release)``; a service is ``service:GROUP/NAME`` (its bom-ref when it has no
    name); a component is :func:`~mlbom.readmodel.identity_of`."""
    if where == "root":
        return "(release)"
    if where == "service":
        name, group, ref = raw.get("name"), raw.get("group"), raw.get("bom-ref")
        if not isinstance(name, str) or not name:
            return f"service:[{ref}]" if isinstance(ref, str) and ref else "service:"
        return f"service:{group}/{name}" if isinstance(group, str) and group else f"service:{name}"
    return identity_of(raw)


def _index(doc: dict[str, object]) -> tuple[dict[str, dict[str, object]], dict[str, str]]:
    """identity → object, bom-ref → identity, for every object that can state a verdict, findings
    or a licence (:func:`~mlbom.readmodel.subjects`, the set the policy gate and the report read:
    the release's nested components, ``components`` and ``services``, nested ones included; red
    team 12b-2). The release itself is compared on its own (:func:`_release_changes`) and is
    not in the first map. Views (:class:`ReadComponent`) are built only for the objects that
    differ: most of two releases' components are equal."""
    by_id: dict[str, dict[str, object]] = {}
    ref_to_id: dict[str, str] = {}
    numbered: dict[str, int] = {}
    for where, c in subjects(doc):
        ref = c.get("bom-ref")
        if where == "root":
            if isinstance(ref, str):
                ref_to_id[ref] = "(release)"
            continue
        ident = _unique(_subject_identity(where, c), c, by_id, numbered)
        by_id[ident] = c
        if isinstance(ref, str):
            ref_to_id[ref] = ident
    return by_id, ref_to_id


def _edges(doc: dict[str, object], ref_to_id: dict[str, str]) -> set[tuple[str, str]]:
    out = set()
    for d in dicts(doc.get("dependencies")):
        src = ref_to_id.get(str(d.get("ref")), str(d.get("ref")))
        for t in as_list(d.get("dependsOn")):
            out.add((src, ref_to_id.get(str(t), str(t))))
    return out


def _summary(c: ReadComponent) -> str:
    return f"{c.raw.get('type')} {c.raw.get('name')} {c.raw.get('version') or ''}".strip()


def _verdict_escalation(ident: str, x: ReadComponent, y: ReadComponent) -> list[Change]:
    """A worse verdict in ``y`` than in ``x``, ranked by :func:`mlbom.model.verdict_rank` (the
    one ranking: a value that is no verdict, an empty one too, ranks above ``unsafe``)."""
    if verdict_rank(y.verdict) > verdict_rank(x.verdict):
        return [Change("safety-escalation", ident, "safety verdict got worse", x.verdict or "safe", y.verdict)]
    return []


def _new_findings(ident: str, x: ReadComponent, y: ReadComponent) -> list[Change]:
    return [Change("new-finding", ident, f, None, f, finding_severity(f))
            for f in sorted(set(y.prop(Prop.FINDING)) - set(x.prop(Prop.FINDING)))]


def _licence_change(ident: str, x: ReadComponent, y: ReadComponent) -> list[Change]:
    if x.licence_texts == y.licence_texts:
        return []
    return [Change("licence-change", ident, "licence changed", " ".join(x.licence_texts) or "(none)",
                   " ".join(y.licence_texts) or "(none)")]


def _digest_text(d: dict[str, frozenset[str]], algs: Iterable[str]) -> str:
    return " ".join(f"{a}:{v}" for a in algs for v in sorted(d[a])) or "(none)"


STRONG_HASH_ALGS = frozenset({"SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-384", "SHA3-512", "BLAKE2b-256",
                              "BLAKE2b-384", "BLAKE2b-512", "BLAKE3"})
"""Algorithms (as :func:`~mlbom.readmodel.hash_alg` spells them) whose equality proves that two
files are the same. MD5 and SHA-1 are collision-broken, and a name CycloneDX does not know is
unknown: equal values of those never prove sameness (red team 16a-2); different values still
prove a change."""


def _hash_changes(ident: str, x: ReadComponent, y: ReadComponent) -> list[Change]:
    """Hashes of one object that should be the same bytes in both BOMs (red team 15b-3: only
    ``SHA-256`` was compared, so a new BOM that stated only a SHA-512 of other bytes, or no hash,
    read as "no differences"). Every algorithm both sides state is compared (names as CycloneDX
    spells them, any letter case; hex in any case): one that differs is ``hash-drift``. When the
    old BOM stated hashes and the comparison cannot prove sameness, that fails closed as
    ``hash-drift`` too ("not comparable"): no algorithm in common (dropped, or switched to
    another), or only collision-broken ones in common (MD5, SHA-1: :data:`STRONG_HASH_ALGS`; red
    team 16a-2). One strong algorithm in common that matches proves the same bytes: hashes where
    there were none, an algorithm added, or any algorithm dropped beside a strong one that still
    matches, is a ``hash-change``: nothing stated before is contradicted."""
    dx, dy = x.digests, y.digests
    if dx == dy:
        return []
    common = sorted(set(dx) & set(dy))
    differ = [a for a in common if dx[a] != dy[a]]
    if differ:
        same = "same identity and version" if same_version(_version_text(x), _version_text(y)) else "same file"
        return [Change("hash-drift", ident, f"{same}, different {', '.join(differ)}",
                       _digest_text(dx, differ), _digest_text(dy, differ))]
    if dx and not set(common) & STRONG_HASH_ALGS:
        why = "only collision-broken ones in common" if common else "none in common"
        return [Change("hash-drift", ident, f"hashes not comparable ({why}): old {', '.join(dx)}, new "
                       f"{', '.join(dy) or '(none)'}", _digest_text(dx, dx), _digest_text(dy, dy))]
    what = "hashes added" if not dx else "hash algorithms changed; the common ones match"
    return [Change("hash-change", ident, what, _digest_text(dx, dx), _digest_text(dy, dy))]


ORIGIN_QUALIFIERS = ("vcs_url", "download_url", "repository_url", "channel", "build", "subdir")
"""purl qualifiers that say where a package came from (the purl spec's ``vcs_url`` with its commit,
``download_url``, ``repository_url``; conda's ``channel``, ``build`` and ``subdir``, which with the
version pick one conda artifact: red team 98c-1)."""
ORIGIN_REFERENCES = ("vcs", "distribution", "distribution-intake")
"""``externalReferences`` types that say where a component's bytes came from."""


def _origin(c: ReadComponent) -> frozenset[str]:
    """Where a component says it came from: its purl's origin qualifiers (:data:`ORIGIN_QUALIFIERS`)
    and its ``vcs``/``distribution`` references, each one ``KEY VALUE`` string."""
    from packageurl import PackageURL

    out: set[str] = set()
    if c.purl:
        try:
            quals = PackageURL.from_string(c.purl).qualifiers
        except ValueError:
            quals = {}
        if isinstance(quals, dict):
            out.update(f"{k}={v}" for k, v in quals.items() if k in ORIGIN_QUALIFIERS and isinstance(v, str))
    for ref in dicts(c.raw.get("externalReferences")):
        kind, url = ref.get("type"), ref.get("url")
        if kind in ORIGIN_REFERENCES and isinstance(url, str):
            out.add(f"{kind} {url}")
    for prop in dicts(c.raw.get("properties")):
        # the index a locked package resolves from (poetry [package.source], Pipfile.lock
        # "index"): the same version from another index is another origin (red team 102c-3)
        if prop.get("name") == Prop.PY_INDEX.value and isinstance(prop.get("value"), str):
            out.add(f"index {prop['value']}")
    return frozenset(out)


def _origin_change(ident: str, x: ReadComponent, y: ReadComponent) -> list[Change]:
    """A package of one version whose stated origin changed: another VCS URL or commit, download
    URL, index or repository, channel (red team 97c-5: reinstalled from another repository and
    commit at the same version read as "no differences", and for a VCS install without hashes the
    commit is its only content identity). Compared where the hashes are (:func:`_compares_hashes`):
    an upgrade's URLs are expected to differ. Only the statements that differ are shown."""
    ox, oy = _origin(x), _origin(y)
    if ox == oy:
        return []
    what = "origin added" if not ox else ("origin removed" if not oy else "same identity and version, different origin")
    return [Change("origin-change", ident, what, " ".join(sorted(ox - oy)) or "(none)",
                   " ".join(sorted(oy - ox)) or "(none)")]


def _version_text(c: ReadComponent) -> str:
    return c.version.strip()


def same_version(a: str, b: str) -> bool:
    """Whether two stated versions are one: equal after stripping whitespace (an XML writer's
    pretty-printed ``<version>``), or equal as PEP 440 versions when both are (``2.0.0`` and
    ``2.0``, ``v2.0``; red team 16a-1). Text that is no PEP 440 version compares as stripped
    text. Used for every ecosystem: a respelling read as the same version only makes the hashes
    be compared, never fewer."""
    a, b = a.strip(), b.strip()
    if a == b:
        return True
    va, vb = parse_version(a), parse_version(b)
    return va is not None and vb is not None and va == vb


def _is_file(c: ReadComponent) -> bool:
    """An object whose identity is its bytes: a file or data set (CycloneDX ``file``/``data``),
    or anything with an ``mlbom:file:path``. Its version, if any, says nothing about its bytes."""
    return c.type in ("file", "data") or bool(c.prop(Prop.FILE_PATH))


def _compares_hashes(x: ReadComponent, y: ReadComponent) -> bool:
    """Whether the hashes of a matched pair should be the same bytes (red team 16a-1: the
    comparison was made only when the version *text* was equal, so a respelled version, or one
    added to a file, turned a swapped artifact into a ``version-change``): always for a file or
    data set, and when either side states no version; else when the versions are one
    (:func:`same_version`), in the ``version`` field or in the purl. Only a real upgrade — two
    different versions of a package, by both statements — is not compared: its hashes are
    expected to differ, and the ``version-change`` is the change."""
    vx, vy = _version_text(x), _version_text(y)
    if _is_file(x) or _is_file(y) or not vx or not vy or same_version(vx, vy):
        return True
    # the purl's version is a second statement of the version: a pair whose purls name one
    # version is not an upgrade whatever the free-text field says (red team 17b-2: `version`
    # "2.0.0+cpu" beside purl @2.0.0 on both sides hid a swapped artifact)
    px, py = (purl_version(c.purl) if c.purl else "" for c in (x, y))
    return bool(px) and bool(py) and same_version(px, py)


def _field_changes(ident: str, x: ReadComponent, y: ReadComponent, budget: _FieldBudget) -> list[Change]:
    """``modelCard`` and ``data``, field by field, sorted by path: the two trees walked side by
    side (:func:`_compare`), a path spelled only for a change that is listed. When the changes of
    one field do not all fit in what ``budget`` has left, the first ones in walk order that fit are
    listed and one change counts the rest (red team 91c-4)."""
    changes: list[Change] = []
    for key, kind in (("modelCard", "model-card-change"), ("data", "data-change")):
        vx, vy = x.raw.get(key), y.raw.get(key)
        if _same_json(vx, vy):
            continue
        found: list[_Found] = []
        _compare(vx, vy, None, found)
        sizes = sum(p.size for p, _, _ in found if p is not None)
        if len(found) <= budget.changes and sizes <= budget.chars:
            budget.changes -= len(found)
            budget.chars -= sizes
            rows = sorted(((p.text() if p is not None else "", a, b) for p, a, b in found), key=lambda r: r[0])
        else:
            rows = []
            for p, a, b in found:
                size = p.size if p is not None else 0
                if budget.changes == 0 or size > budget.chars:
                    break
                budget.changes -= 1
                budget.chars -= size
                rows.append((p.text() if p is not None else "", a, b))
        for path, a, b in rows:
            changes.append(Change(kind, ident, f"{key}.{path}" if path else key, _leaf_text(a), _leaf_text(b)))  # type: ignore[arg-type]
        if len(rows) < len(found):
            changes.append(Change(kind, ident, f"{len(found) - len(rows):,} more {key} field change(s) not listed (a diff "  # type: ignore[arg-type]
                                  f"lists at most {MAX_FIELD_CHANGES:,} field changes and {MAX_FIELD_PATH_CHARS:,} "
                                  "characters of field paths)"))
    return changes


def _release_changes(old: dict[str, object], new: dict[str, object], budget: _FieldBudget) -> list[Change]:
    """The release itself (``metadata.component``), compared as a component is: its verdict,
    findings, licence and the inputs that could not be read (red team 12b-2: a verdict stated
    there was never compared), its hashes (red team 16a-7: the shipped image, archive or model
    swapped at the same version read as "no differences"), ``modelCard`` and ``data``. Its version
    changes with every release and is not a change; its hashes are compared as a component's are
    (:func:`_compares_hashes`)."""
    ra, rb = root_of(old), root_of(new)
    changes = [Change("new-unreadable", "(release)", "an input could not be read: the inventory is incomplete", None, u)
               for u in sorted(set(rb.prop(Prop.UNREADABLE)) - set(ra.prop(Prop.UNREADABLE)))]
    if _same_json(ra.raw, rb.raw):
        return changes
    if _compares_hashes(ra, rb):
        changes += _hash_changes("(release)", ra, rb)
    return changes + _licence_change("(release)", ra, rb) + _verdict_escalation("(release)", ra, rb) + \
        _new_findings("(release)", ra, rb) + _field_changes("(release)", ra, rb, budget)


def diff(old: dict[str, object], new: dict[str, object]) -> list[Change]:
    """Every difference between two BOMs, in a stable order."""
    a, a_refs = _index(old)
    b, b_refs = _index(new)
    changes: list[Change] = []
    budget = _FieldBudget()
    for ident in sorted(set(a) - set(b)):
        changes.append(Change("removed", ident, _summary(ReadComponent(a[ident]))))
    for ident in sorted(set(b) - set(a)):
        c = ReadComponent(b[ident])
        changes.append(Change("added", ident, _summary(c)))
        if verdict_rank(c.verdict) > verdict_rank("safe"):
            changes.append(Change("safety-escalation", ident, f"new component with verdict {c.verdict}", None, c.verdict))
        changes += _new_findings(ident, ReadComponent({}), c)
    for ident in sorted(set(a) & set(b)):
        if _same_json(a[ident], b[ident]):  # most components of two releases are unchanged
            continue
        x, y = ReadComponent(a[ident]), ReadComponent(b[ident])
        if not same_version(_version_text(x), _version_text(y)):
            changes.append(Change("version-change", ident, "version changed", str(x.raw.get("version")),
                                  str(y.raw.get("version"))))
        if _compares_hashes(x, y):
            changes += _hash_changes(ident, x, y) + _origin_change(ident, x, y)
        changes += _licence_change(ident, x, y) + _verdict_escalation(ident, x, y) + _new_findings(ident, x, y)
        changes += _field_changes(ident, x, y, budget)
    changes += _release_changes(old, new, budget)
    ea, eb = _edges(old, a_refs), _edges(new, b_refs)
    changes += [Change("edge-added", f"{s} -> {t}", "dependency added") for s, t in sorted(eb - ea)]
    changes += [Change("edge-removed", f"{s} -> {t}", "dependency removed") for s, t in sorted(ea - eb)]
    changes += new_vulnerabilities(old, new)
    return changes


def _affected_key(a: Affected) -> str:
    """Which component a vulnerability affects, across releases: its purl without version (the
    fixed release of the same package is the same component), else its name, else the ref."""
    return purl_base(a.purl) if a.purl else a.name or a.ref


MAX_VULNERABILITY_CHANGES = 10_000
"""Most ``new-vulnerability`` changes one diff lists (one per new flaw and affected component);
past it, the first ones in their order are listed and one change per severity counts the rest
(so a ``--fail-on new-vulnerability:SEVERITY`` gate still trips; red team 92c-6)."""


def _flaws(views: Iterable[VulnView]) -> dict[str, str]:
    """Union-find over the ids of each entry (its id and its references' ids, both BOMs): id →
    the flaw it names, spelled as the group's smallest id. Ids that one entry names together are
    one flaw, and so are ids linked through other entries, as :func:`mlbom.vulns.audit._groups`
    groups records. Linear in the ids: an entry is never compared id by id with another."""
    groups = IdGroups()
    for v in views:
        first = ""
        for i in v.ids:
            if not first:
                first = groups.find(i)
                continue
            groups.union(first, i)
    return groups.names()


def new_vulnerabilities(old: dict[str, object], new: dict[str, object]) -> list[Change]:
    """Open vulnerabilities of ``new`` that ``old`` did not have open on the same component:
    compared per (flaw, affected component), a flaw being an id with its aliases
    (:func:`_flaws`), so a flaw renamed from its GHSA to its PYSEC id is not new, but one that
    ``old`` stated closed (``not_affected``, ``resolved``, ``false_positive`` — a VEX statement)
    and ``new`` states open again is (red team 9c V1), and so is a known flaw that now affects
    another component. One change per affected component, at most
    :data:`MAX_VULNERABILITY_CHANGES` listed. Every map is keyed once by (flaw, component): the
    work is linear in the ids and affects of the two BOMs (red team 92c-6: one entry's 3,000 ids
    × 3,000 affects were 9 M keys, 28 s and 940 MB)."""
    before_views, after_views = vulnerabilities(old), vulnerabilities(new)
    flaw = _flaws([*before_views, *after_views])
    open_before: dict[tuple[str, str], str] = {}  # (flaw, component) -> the worst severity stated open
    # (flaw, component) -> (smallest id, place in the BOM, state) of the closed entry that is shown
    closed_before: dict[tuple[str, str], tuple[str, int, str]] = {}
    for n, v in enumerate(before_views):
        if not v.ids:
            continue
        f, first = flaw[next(iter(v.ids))], min(v.ids)
        for key in {_affected_key(a) for a in v.affects} or {""}:
            if v.is_open:
                if (f, key) not in open_before or finding_rank(v.severity) < finding_rank(open_before[(f, key)]):
                    open_before[(f, key)] = v.severity
            elif (f, key) not in closed_before or (first, n) < closed_before[(f, key)][:2]:
                closed_before[(f, key)] = (first, n, v.state)
    out: dict[tuple[str, str], Change] = {}
    # worst first: a BOM may state one id on one component twice, rated differently (two sources);
    # the change is the worst entry's, never whichever came first (red team 18d-5)
    for v in sorted((v for v in after_views if v.is_open), key=lambda v: finding_rank(v.severity)):
        g = flaw[next(iter(v.ids))] if v.ids else None
        places = {_affected_key(a): (f"{a.name}@{a.version}" if a.name else a.ref) for a in v.affects} or {"": "(no component)"}
        for key, where in sorted(places.items()):
            if (v.id, key) in out:
                continue
            before = open_before.get((g, key)) if g is not None else None
            # the same flaw open before is not new — unless it is now rated worse than any entry it
            # was matched to (red team 17b-3: a new critical CVE naming an old low GHSA among its
            # references read as old, so `new-vulnerability:high` passed)
            if before is not None and finding_rank(v.severity) >= finding_rank(before):
                continue
            closed = closed_before.get((g, key)) if g is not None else None
            was = f"open, rated {before}" if before is not None else closed[2] if closed is not None else None
            out[(v.id, key)] = Change("new-vulnerability", v.id, f"{v.severity} vulnerability in {where}", was, v.state,
                                      v.severity)
    listed = sorted(out.values(), key=lambda c: (c.identity, c.detail))
    if len(listed) <= MAX_VULNERABILITY_CHANGES:
        return listed
    more: dict[str, int] = {}
    for c in listed[MAX_VULNERABILITY_CHANGES:]:
        more[c.severity or ""] = more.get(c.severity or "", 0) + 1
    return listed[:MAX_VULNERABILITY_CHANGES] + [
        Change("new-vulnerability", "(not listed)", f"{n:,} more {sev} new vulnerability change(s) not listed (a diff "
               f"lists at most {MAX_VULNERABILITY_CHANGES:,})", None, None, sev)
        for sev, n in sorted(more.items(), key=lambda kv: finding_rank(kv[0]))]


def parse_fail_on(spec: str) -> list[str]:
    """``hash-drift,new-unsafe,licence-change,new-finding:high,…`` → validated rule list."""
    rules = [r.strip() for r in spec.split(",") if r.strip()]
    allowed = {"hash-drift", "hash-change", "new-unsafe", "licence-change", "license-change", "version-change", "added", "removed",
               "origin-change", "model-card-change", "data-change", "new-unreadable", "any"}
    for r in rules:
        if r.startswith(("new-finding", "new-vulnerability")):
            sev = r.partition(":")[2] or "info"
            if sev not in SEVERITIES or r.partition(":")[0] not in ("new-finding", "new-vulnerability"):
                raise UsageError(f"severity must be one of {', '.join(SEVERITIES)}", option="fail_on", value=r)
        elif r not in allowed:
            raise UsageError(f"unknown kind (known: {', '.join(sorted(allowed))}, new-finding:SEVERITY, "
                             "new-vulnerability:SEVERITY)", option="fail_on", value=r)
    if not rules:  # an empty or unset variable in CI would turn the gate off without a word (red team 49p-4)
        raise UsageError(f"names no kind (known: {', '.join(sorted(allowed))}, new-finding:SEVERITY, "
                         "new-vulnerability:SEVERITY)", option="fail_on", value=spec)
    return rules


def gate(changes: Iterable[Change], rules: list[str]) -> list[Change]:
    """The changes that trip a ``--fail-on`` rule."""
    hits = []
    for c in changes:
        for r in rules:
            if r == "any" or c.kind == r or (r == "license-change" and c.kind == "licence-change") or (
                    r == "new-unsafe" and c.kind == "safety-escalation"
                    and verdict_rank(c.new or "") >= verdict_rank("unsafe")):
                hits.append(c)
                break
            if r.startswith("new-finding") and c.kind == "new-finding":
                floor = r.partition(":")[2] or "info"
                # unknown is never safe: a finding that does not parse meets every threshold (red team 13b-4)
                if finding_rank(c.severity or "unknown") <= SEVERITIES.index(floor):
                    hits.append(c)
                    break
            if r.startswith("new-vulnerability") and c.kind == "new-vulnerability":
                floor = r.partition(":")[2] or "info"
                # unknown is never safe: an unrated vulnerability meets every threshold ("none" meets none)
                if c.severity in ("unknown", UNREADABLE) or (c.severity in SEVERITIES
                                               and SEVERITIES.index(c.severity) <= SEVERITIES.index(floor)):
                    hits.append(c)
                    break
    return hits


def _arrow(c: Change) -> str:
    """``: old -> new`` for text output, without repeating what the detail already says."""
    if c.new == c.detail and c.old is None:
        return ""
    if c.old is None and c.new is None:
        return ""
    if c.old is None:
        return f": {c.new}"
    if c.new is None:
        return f": {c.old} -> (none)"
    return f": {c.old} -> {c.new}"


def render(changes: list[Change], fmt: str) -> str:
    """The changes as ``json``, ``markdown`` (a table for a pull-request comment) or ``text``.
    Every string from the BOMs goes through :mod:`mlbom.table`'s escaping (red team 8c T6/T7): in
    Markdown no CR can end a row (``1.0\\r<!--`` opened an HTML comment that hid every later
    row), in text no C0/C1 control or bidi override reaches the terminal."""
    if fmt == "json":
        return json.dumps({"changes": [asdict(c) for c in changes]}, indent=2, ensure_ascii=False)
    if not changes:
        return "no differences" if fmt == "text" else "**No differences.**"
    lines = []
    if fmt == "markdown":
        lines += ["| change | component | detail | old | new |", "|---|---|---|---|---|"]
        for c in changes:
            cells = [markdown_text(c.kind), markdown_code(c.identity), markdown_text(c.detail),
                     markdown_text(c.old or ""), markdown_text(c.new or "")]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    for c in changes:
        lines.append(printable(f"{c.kind:<18} {c.identity}  {c.detail}{_arrow(c)}"))
    return "\n".join(lines)


_STYLE = {"hash-drift": "bold red", "hash-change": "yellow",
          "safety-escalation": "bold red", "new-unreadable": "red", "new-finding": "yellow",
          "new-vulnerability": "bold red",
          "origin-change": "bold red", "licence-change": "magenta", "version-change": "cyan", "added": "green", "removed": "red"}


def render_rich(changes: list[Change]) -> object:
    """A rich table for terminals (``mlbom diff`` uses it when stdout is a terminal)."""
    from rich.table import Table
    from rich.text import Text

    if not changes:
        return Text("no differences", style="green")
    table = Table(show_header=True, header_style="bold", show_lines=False, expand=False)
    for col in ("change", "component", "detail", "old", "new"):
        table.add_column(col, overflow="fold")
    for c in changes:
        table.add_row(Text(printable(c.kind), style=_STYLE.get(c.kind, "")), *(Text(printable(x)) for x in (
            c.identity, c.detail, c.old or "", c.new or "")))
    return table
