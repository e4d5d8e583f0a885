"""VEX in and out: earlier triage decisions applied to this release's vulnerabilities.

Read: CycloneDX VEX (any CycloneDX 1.4–1.7 document with ``vulnerabilities[].analysis``,
JSON or XML, read through :mod:`mlbom.reader`) and OpenVEX 0.2 JSON
(https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md). OpenVEX statuses map to
CycloneDX states as CycloneDX's own mapping does: ``not_affected`` → ``not_affected``
(justifications: ``component_not_present``/``vulnerable_code_not_present`` →
``code_not_present``, ``vulnerable_code_not_in_execute_path`` → ``code_not_reachable``,
``vulnerable_code_cannot_be_controlled_by_adversary`` → ``requires_environment``,
``inline_mitigations_already_exist`` → ``protected_by_mitigating_control``), ``fixed`` →
``resolved``, ``affected`` → ``exploitable``, ``under_investigation`` → ``in_triage``.

Expiry (neither format has a field for it): a CycloneDX vulnerability's property
``mlbom:vex:expires`` or an OpenVEX statement's ``expires`` key, an RFC 3339 date or
date-time; past it the statement is not applied and is reported.

Matching: a statement applies to a vulnerability when one of its ids (the vulnerability's
id, or an alias) is the vulnerability's id or one of its references, and — when it names
products — its products cover every package the vulnerability affects. Products are compared
by purl as openvex/go-vex ``PurlMatches`` compares them (red team 102c-1): a product purl
*without version* matches every version (a decision about ``pkg:pypi/torch`` carries to the
next torch release; that is what carrying triage across releases means), a product purl *with*
a version matches that version only (``pkg:pypi/torch@2.0.0`` says nothing about torch 2.5.0),
the version compared as text, qualifiers and subpath not compared; a CycloneDX
``affects[].versions`` list scopes its ``ref`` to the versions listed (a ``range`` entry is
not read: the statement is reported, not applied). Products are also compared by exact bom-ref;
BOM-Links (``urn:cdx:…#ref``) are read by their ref. A statement that matches nothing is reported, never
applied elsewhere. Products are read fail-closed (red team 96c-2): OpenVEX 0.2 Components by
``@id`` and/or ``identifiers`` (purl, cpe23, cpe22), subcomponents likewise; CycloneDX by each
``affects[].ref``. Only a statement with no products at all (no ``products``/``affects`` key)
applies to every package of the vulnerability; one whose products are there but cannot be read,
or are an empty list (``"products": []`` names no product; read as "all" it would waive a
vulnerability for every package), applies to nothing and is reported. States, justifications and responses are matched exactly as each
format's enum spells them (case-sensitive; red team 96c-4): a statement with any other value, or
an OpenVEX ``not_affected`` with neither a justification nor an impact statement, is not applied
(never half-applied) and is reported.

Write: :func:`to_cyclonedx_vex` — a CycloneDX document holding only ``vulnerabilities`` (with
analysis and affects as BOM-Links to the audited BOM when it has a serial number).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import orjson

from mlbom.errors import InputError
from mlbom.identity import purl_base, purl_head, purl_type, purl_version
from mlbom.model import (
    AnalysisJustification,
    AnalysisResponse,
    AnalysisState,
    Property,
    VulnAnalysis,
    Vulnerability,
)
from mlbom.properties import Prop
from mlbom.readmodel import dicts, ids_of

MAX_VEX_BYTES = 64 << 20
MAX_VEX_REPORT_LINES = 5
"""Most statements of one kind (expired, matching nothing, covering only part) reported one line each
by :func:`apply`; past it those statements are one line: their count and the first three (red team
91c-3: 5,000 statements naming no component of the BOM were 5,000 lines on stderr). A line is spelled
only when it is printed; the others are counted (:class:`_Report`; red team 92c-5: 11,000 statements
each covering one of 5,000 affects spelled 11,000 lines of the 4,999 others, 16 s and 940 MB, to
print one count)."""
_STATES: frozenset[str] = frozenset({"resolved", "resolved_with_pedigree", "exploitable", "in_triage", "false_positive",
                                     "not_affected"})
_JUSTIFICATIONS: frozenset[str] = frozenset({
    "code_not_present", "code_not_reachable", "requires_configuration", "requires_dependency", "requires_environment",
    "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter", "protected_by_mitigating_control"})
_RESPONSES: frozenset[str] = frozenset({"can_not_fix", "will_not_fix", "update", "rollback", "workaround_available"})
_OPENVEX_STATUS: dict[str, AnalysisState] = {"not_affected": "not_affected", "fixed": "resolved",
                                             "affected": "exploitable", "under_investigation": "in_triage"}
_OPENVEX_JUST: dict[str, AnalysisJustification] = {
    "component_not_present": "code_not_present", "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control"}


@dataclass(frozen=True)
class Statement:
    """One triage decision from a VEX file."""

    where: str
    """``FILE#N``: the file and the statement's position, for reports."""
    ids: frozenset[str]
    """Upper-case vulnerability id and aliases."""
    products: tuple[str, ...]
    analysis: VulnAnalysis
    expires: _dt.datetime | None = None
    unread: str | None = None
    """Why mlbom cannot apply it exactly (products it cannot read, a state or justification the
    format does not define): then it is applied to nothing and reported (red team 96c-2, 96c-4)."""


def load(path: Path) -> list[Statement]:
    """The statements of one VEX file (CycloneDX JSON/XML or OpenVEX JSON). Raises
    :class:`InputError` for a file that is neither; malformed single statements are skipped
    only when the format says they are optional, otherwise the file is refused."""
    from mlbom.reader import loads, read_bytes

    data = read_bytes(path, limit=MAX_VEX_BYTES)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"{":
        try:
            doc = orjson.loads(data.lstrip(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON: {exc}") from exc
        if isinstance(doc, dict) and "statements" in doc and isinstance(doc.get("@context"), str) \
                and "openvex" in doc["@context"]:
            return _openvex(doc, path.name)
    loaded = loads(data, str(path))
    return _cyclonedx(loaded.doc, path.name)


def _str(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def _expiry(text: str | None, where: str) -> _dt.datetime | None:
    if text is None:
        return None
    try:
        value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(where, f"expiry {text!r} is not an RFC 3339 date") from exc
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


def _product_key(value: str, version: str | None = None) -> str:
    """The key a product is matched by: a purl as ``BASE`` (no version: every version) or
    ``BASE@VERSION`` (that version only; ``version`` replaces the purl's own, for CycloneDX
    ``affects[].versions``), any other text as it is (a bom-ref)."""
    ref = _ref_of(value)
    if purl_head(ref) is None:
        return ref
    base = purl_base(ref)  # PKG:PYPI/… too (red team 84-4)
    ver = version if version is not None else purl_version(ref)
    return f"{base}@{ver}" if ver else base


def _ref_of(value: str) -> str:
    return value.split("#", 1)[1] if value.startswith("urn:cdx:") and "#" in value else value


def _affects_products(affects: object, unread: list[str]) -> list[str]:
    """The product keys of CycloneDX ``affects``: each ``ref``, scoped to its ``versions`` when
    it lists them (red team 102c-1); an entry mlbom cannot scope exactly (a version ``range``,
    versions on a ref that is no purl) is noted in ``unread``."""
    products: list[str] = []
    for a in dicts(affects):
        ref = _str(a.get("ref"))
        if ref is None:
            continue
        versions = a.get("versions")
        if versions is None:
            products.append(_product_key(ref))
            continue
        listed = [_str(x.get("version")) for x in dicts(versions)]
        if not isinstance(versions, list) or not versions or len(listed) != len(versions) or None in listed:
            unread.append("an affects versions entry without a version (a range is not matched)")
            products.append(_product_key(ref))
            continue
        if purl_head(_ref_of(ref)) is None:
            unread.append("affects versions on a ref that is no purl")
            products.append(_product_key(ref))
            continue
        products += [_product_key(ref, v) for v in listed if v is not None]
    return products


def _cyclonedx(doc: dict[str, object], name: str) -> list[Statement]:
    out: list[Statement] = []
    vulns = doc.get("vulnerabilities")
    for i, v in enumerate(vulns if isinstance(vulns, list) else []):
        where = f"{name}#{i}"
        if not isinstance(v, dict) or not _str(v.get("id")):
            raise InputError(name, f"vulnerability {i} has no id")
        analysis = v.get("analysis")
        if not isinstance(analysis, dict) or analysis.get("state") is None:
            continue  # not a triage decision: a vulnerability without an analysis state
        ids = ids_of(v)
        unread: list[str] = []
        state = analysis.get("state")
        if state not in _STATES:  # spelled as the schema's enum spells it: "NOT_AFFECTED" is not a state (96c-4)
            unread.append(f"state {str(state)[:40]!r} is not a CycloneDX analysis state")
            state = "in_triage"
        affects = v.get("affects")
        products = _affects_products(affects, unread)
        if isinstance(affects, list) and not affects:  # named, and empty: no product, never all of them
            unread.append("affects is an empty list: it names no product")
        elif affects is not None and (not isinstance(affects, list)
                                      or sum(1 for a in dicts(affects) if _str(a.get("ref"))) != len(affects)):
            unread.append("an affects entry without a ref")  # never "no products", i.e. all of them (96c-2)
        just = analysis.get("justification")
        if just is not None and just not in _JUSTIFICATIONS:
            unread.append(f"justification {str(just)[:60]!r} is not a CycloneDX justification")
        responses = analysis.get("response")
        if responses is not None and (not isinstance(responses, list) or any(r not in _RESPONSES for r in responses)):
            unread.append("a response that is not a CycloneDX response")
        expires = None
        props = v.get("properties")
        for p in props if isinstance(props, list) else []:
            if isinstance(p, dict) and p.get("name") == Prop.VEX_EXPIRES.value:
                expires = _expiry(_str(p.get("value")), where)
        out.append(Statement(
            where, ids, tuple(sorted(set(products))),
            VulnAnalysis(state=state,
                         justification=just if isinstance(just, str) and just in _JUSTIFICATIONS else None,
                         responses=tuple(r for r in responses if isinstance(r, str) and r in _RESPONSES)
                         if isinstance(responses, list) else (),
                         detail=_str(analysis.get("detail"))),
            expires, "; ".join(unread) or None))
    return out


def _openvex(doc: dict[str, object], name: str) -> list[Statement]:
    out: list[Statement] = []
    statements = doc.get("statements")
    if not isinstance(statements, list):
        raise InputError(name, "OpenVEX document without a statements list")
    for i, s in enumerate(statements):
        where = f"{name}#{i}"
        if not isinstance(s, dict):
            raise InputError(name, f"statement {i} is not an object")
        vuln = s.get("vulnerability")
        ids: set[str] = set()
        if isinstance(vuln, dict):
            for key in ("name", "@id"):
                if _str(vuln.get(key)):
                    ids.add(str(vuln[key]).upper())
            aliases = vuln.get("aliases")
            ids |= {a.upper() for a in aliases if isinstance(a, str)} if isinstance(aliases, list) else set()
        elif _str(vuln):
            ids.add(str(vuln).upper())
        status = s.get("status")
        if not ids or not isinstance(status, str) or status not in _OPENVEX_STATUS:
            raise InputError(name, f"statement {i}: needs a vulnerability and a status "
                                   f"({', '.join(sorted(_OPENVEX_STATUS))})")
        unread: list[str] = []
        raw = s.get("products")
        products: list[str] = []
        if raw is not None and not isinstance(raw, list):
            unread.append("products is not a list")
        elif isinstance(raw, list) and not raw:  # named, and empty: no product, never all of them
            unread.append("products is an empty list: it names no product")
        for p in raw if isinstance(raw, list) else []:
            if not _openvex_component(p, products):
                unread.append("a product mlbom cannot read (neither an @id nor a purl identifier)")
                break
            subs = p.get("subcomponents") if isinstance(p, dict) else None
            if subs is not None and not (isinstance(subs, list) and all(_openvex_component(x, products) for x in subs)):
                unread.append("a subcomponent mlbom cannot read")
                break
        just = s.get("justification")
        if just is not None and just not in _OPENVEX_JUST:
            unread.append(f"justification {str(just)[:60]!r} is not an OpenVEX justification")
        elif status == "not_affected" and just is None and not _str(s.get("impact_statement")):
            unread.append("not_affected without a justification or an impact_statement (OpenVEX requires one)")
        detail = _str(s.get("impact_statement")) or _str(s.get("action_statement")) or _str(s.get("status_notes"))
        responses: tuple[AnalysisResponse, ...] = ("update",) if status == "affected" and _str(s.get("action_statement")) else ()
        out.append(Statement(
            where, frozenset(ids), tuple(sorted(set(products))),
            VulnAnalysis(state=_OPENVEX_STATUS[status],
                         justification=_OPENVEX_JUST.get(just) if isinstance(just, str) else None,
                         responses=responses, detail=detail),
            _expiry(_str(s.get("expires")), where), "; ".join(unread) or None))
    return out


def _openvex_component(p: object, into: list[str]) -> bool:
    """Add the keys of one OpenVEX 0.2 Component (a string, or an object with ``@id`` and/or
    ``identifiers`` {purl, cpe23, cpe22}) to ``into``; False when none can be read. CPEs name no
    PyPI package and match nothing here, but they are a product the statement is scoped to."""
    if isinstance(p, str):
        if not p:
            return False
        into.append(_product_key(p))
        return True
    if not isinstance(p, dict):
        return False
    found = False
    if _str(p.get("@id")):
        into.append(_product_key(str(p["@id"])))
        found = True
    idents = p.get("identifiers")
    if idents is not None:
        if not isinstance(idents, dict):
            return False
        for key in ("purl", "cpe23", "cpe22"):
            if _str(idents.get(key)):
                into.append(_product_key(str(idents[key])))
                found = True
    return found


def apply(vulns: list[Vulnerability], statements: list[Statement], purls: dict[str, str],
          now: _dt.datetime) -> tuple[list[Vulnerability], list[str]]:
    """Apply statements to vulnerabilities. ``purls`` maps component bom-refs to purls (for
    version-independent product matching). Returns the new list and report lines (expired,
    unmatched or partial statements). Later statements win over earlier ones."""
    report = _Report()
    out = list(vulns)
    # each vulnerability's ids (its own and its aliases) indexed once: a statement looks up the
    # vulnerabilities it names instead of comparing itself with every one of them (red team
    # 80c-7: 20,000 statements x 4,000 advisories rebuilt 80 M id sets, 73 s)
    named: dict[str, list[int]] = {}
    for i, v in enumerate(vulns):
        for key in {v.id.upper()} | {r.id.upper() for r in v.references}:
            named.setdefault(key, []).append(i)
    # each vulnerability's product keys (purls without version of its PyPI affects) and refs, built once
    # when a statement first names it: a statement then costs its products, not a purl parse per affect
    # (red team 91c-3: 5,000 statements x 1,000 affects of one advisory were 5 M purl parses, 24 s)
    covers: dict[int, tuple[dict[str, frozenset[str]], frozenset[str], frozenset[str]]] = {}
    bases: dict[str, str | None] = {}

    def base(purl: str) -> str | None:
        if purl not in bases:
            bases[purl] = purl_base(purl) if purl_type(purl) == "pypi" else None
        return bases[purl]

    def keys_of(i: int) -> tuple[dict[str, frozenset[str]], frozenset[str], frozenset[str]]:
        """The vulnerability's PyPI affects as base key -> their ``BASE@VERSION`` keys (``BASE@``
        for an affect without version, which only a versionless product matches), every
        versioned key, and its affect refs."""
        if i not in covers:
            keys: dict[str, set[str]] = {}
            for a in vulns[i].affects:  # affects are never changed below, only analysis and properties
                purl = purls.get(a.ref)
                if purl is None and purl_head(a.ref) is not None:
                    purl = a.ref
                if purl is not None and (key := base(purl)) is not None:
                    keys.setdefault(key, set()).add(f"{key}@{purl_version(purl)}")
            by_base = {k: frozenset(v) for k, v in keys.items()}
            covers[i] = by_base, frozenset(x for v in by_base.values() for x in v), \
                frozenset(a.ref for a in vulns[i].affects)
        return covers[i]

    # the statement that decides each vulnerability (later ones win); its analysis and properties are
    # written once after the loop, not rebuilt for every statement that names the vulnerability
    # (red team 102p-3: 8,000 statements x 8,000 properties of one vulnerability, 28 s)
    decided: dict[int, Statement] = {}
    for st in statements:
        if st.unread is not None:  # applied exactly or not at all: never to every package, never half (96c-2, 96c-4)
            report.add("unread", st.where, partial(_unread_line, st))
            continue
        if st.expires is not None and st.expires < now:
            report.add("expired", st.where, partial(_expired_line, st))
            continue
        applied = False
        products = frozenset(st.products)
        for i in sorted({i for key in st.ids for i in named.get(key, ())}):
            v = vulns[i]  # its id and affects; the analysis a statement may have decided is in ``decided``
            if products:
                by_base, versioned, refs = keys_of(i)
                if by_base.keys().isdisjoint(products) and versioned.isdisjoint(products) and refs.isdisjoint(products):
                    continue
                # whether a key is left out costs the statement's products, never the vulnerability's
                # keys (refused at once when they outnumber the products); the missing ones are spelled
                # only for a line that is printed (red team 92c-5)
                if not _covered(by_base, products):
                    report.add("partial", f"{st.where} ({v.id})", partial(_partial_line, st, v.id, by_base, products))
                    applied = True
                    continue
            applied = True
            if st.analysis.state == "in_triage" and (v.analysis is not None or i in decided):
                continue  # "still in triage" decides nothing: the analysis mlbom wrote (ML rules) stays
            decided[i] = st
        if not applied:
            report.add("unmatched", partial(_unmatched_short, st), partial(_unmatched_line, st))
    vex_prop = Prop.VULN_VEX.value
    for i, st in decided.items():
        v = vulns[i]
        detail = st.analysis.detail or ""
        analysis = st.analysis.model_copy(update={"detail": (detail + " " if detail else "") + f"(VEX {st.where})"})
        props = (*(p for p in v.properties if p.name != vex_prop),
                 Property(name=vex_prop, value=f"{st.where}: {st.analysis.state}"))
        out[i] = v.model_copy(update={"analysis": analysis, "properties": props})
    return out, report.lines()


_REPORT_SUMMARY = {"unread": "cannot be read exactly", "expired": "are expired", "unmatched": "match no vulnerability of this BOM",
                   "partial": "cover only part of a vulnerability"}


def _unread_line(st: Statement) -> str:
    return f"{st.where}: cannot be read exactly ({st.unread}); not applied"


def _expired_line(st: Statement) -> str:
    return f"{st.where}: expired on {st.expires.date().isoformat() if st.expires else '?'}; not applied"


def _covered(by_base: dict[str, frozenset[str]], products: frozenset[str]) -> bool:
    """Whether ``products`` cover every PyPI affect: its versionless key, or its versioned key
    (red team 102c-1). Costs at most twice the products: each base needs a product of its own,
    and the versioned keys checked are disjoint, each needing a product."""
    if len(by_base) > len(products):
        return False
    budget = len(products)
    for key, versions in by_base.items():
        if key in products:
            continue
        if len(versions) > budget or not versions <= products:
            return False
        budget -= len(versions)
    return True


def _partial_line(st: Statement, vid: str, by_base: dict[str, frozenset[str]], products: frozenset[str]) -> str:
    # a package none of whose versions is covered by its name, else the versions left out
    missing = sorted({key if vs.isdisjoint(products) else x.removesuffix("@")
                      for key, vs in by_base.items() if key not in products for x in vs if x not in products})
    return f"{st.where}: covers only part of {vid} (not {', '.join(missing)}); not applied"


def _unmatched_short(st: Statement) -> str:
    return f"{st.where} ({', '.join(sorted(st.ids))})"


def _unmatched_line(st: Statement) -> str:
    return (f"{st.where}: matches no vulnerability of this BOM ({', '.join(sorted(st.ids))}"
            + (f" for {', '.join(st.products)}" if st.products else "") + "); not applied")


class _Report:
    """The statements :func:`apply` did not apply, by kind (expired, matching nothing, covering only
    part): one line each while a kind has at most :data:`MAX_VEX_REPORT_LINES`, else one line for the
    kind (where its first was) with the count and the first three. Only those first statements of a
    kind are kept, and a line (or the name of a statement) is spelled only when printed; the rest are
    counted (red team 92c-5)."""

    _SHORTS = 3

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._kept: list[tuple[str, str | Callable[[], str], Callable[[], str]]] = []  # (kind, short, line)

    def add(self, kind: str, short: str | Callable[[], str], line: Callable[[], str]) -> None:
        n = self._counts[kind] = self._counts.get(kind, 0) + 1
        if n <= max(MAX_VEX_REPORT_LINES, self._SHORTS):
            self._kept.append((kind, short, line))

    def lines(self) -> list[str]:
        shorts: dict[str, list[str]] = {}
        for kind, short, _ in self._kept:
            if self._counts[kind] > MAX_VEX_REPORT_LINES and len(shorts.setdefault(kind, [])) < self._SHORTS:
                shorts[kind].append(short if isinstance(short, str) else short())
        out: list[str] = []
        for kind, _, line in self._kept:
            n = self._counts[kind]
            if n <= MAX_VEX_REPORT_LINES:
                out.append(line())
            elif kind in shorts:
                out.append(f"{n} statements {_REPORT_SUMMARY[kind]}; not applied (first: "
                           f"{', '.join(shorts.pop(kind))}; and {n - 3} more)")
        return out


def to_cyclonedx_vex(vulns: list[dict[str, object]], *, spec_version: str, serial: str | None, version: int,
                     timestamp: str | None, tool_version: str) -> dict[str, object]:
    """A CycloneDX VEX document for ``vulns`` (CycloneDX JSON vulnerability objects). Every
    vulnerability gets an analysis (``in_triage`` where none was decided); affects point into
    the audited BOM by BOM-Link when it has a serial number."""
    out_vulns: list[object] = []
    for v in vulns:
        item = {k: v[k] for k in ("bom-ref", "id", "source", "references", "ratings", "cwes", "description",
                                  "recommendation", "advisories", "published", "updated", "analysis", "affects",
                                  "properties") if k in v}
        if not isinstance(item.get("analysis"), dict) or not item["analysis"]:
            item["analysis"] = {"state": "in_triage"}
        if serial and serial.startswith("urn:uuid:") and isinstance(item.get("affects"), list):
            link = f"urn:cdx:{serial[len('urn:uuid:'):]}/{version}#"
            affects = item["affects"]
            assert isinstance(affects, list)
            item["affects"] = [{**a, "ref": link + str(a.get("ref"))} if isinstance(a, dict) else a for a in affects]
        out_vulns.append(item)
    meta: dict[str, object] = {}
    if timestamp:
        meta["timestamp"] = timestamp
    meta["tools"] = {"components": [{"type": "application", "group": "mlbom", "name": "mlbom", "version": tool_version}]}
    return {"$schema": f"http://cyclonedx.org/schema/bom-{spec_version}.schema.json", "bomFormat": "CycloneDX",
            "specVersion": spec_version, "version": 1, "metadata": meta, "vulnerabilities": out_vulns}
