"""Validation of CycloneDX documents against the official schemas bundled in ``schemas/``,
plus the referential checks a schema cannot express.

JSON: jsonschema-rs (a Rust validator) with format checks on, and the spdx/jsf/cryptography-defs
schemas registered so that nothing is fetched. cyclonedx-python-lib's strict validator uses
jsonschema, whose ``iri-reference`` check parses each URL with a grammar parser (~36 ms a URL);
jsonschema-rs validates the same documents against the same schemas in milliseconds and rejects
what they reject (``tests/cyclonedx/test_validate.py`` shows both on the same bad documents).

XML: lxml's XML Schema against the bundled XSD, with a parser that resolves no entities and
reaches no network (billion-laughs and XXE inputs fail cleanly).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jsonschema_rs
import orjson
from lxml import etree

from mlbom.errors import InputError
from mlbom.formats.safe_read import check_depth
from mlbom.limits import MAX_DEPTH, MAX_VALIDATE_BYTES
from mlbom.reader import SUPPORTED  # one list of the spec versions mlbom reads

MAX_BOM_BYTES = MAX_VALIDATE_BYTES
_TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels; mlbom reads at most {MAX_DEPTH})"
_SIDE_SCHEMAS = ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json", "cryptography-defs.SNAPSHOT.schema.json")


def schema_dir() -> Path:
    """The bundled official schemas: ``mlbom/schemas`` in a wheel, ``schemas/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "schemas", here.parent / "schemas"):
        if (cand / "bom-1.6.SNAPSHOT.schema.json").is_file():
            return cand
    raise InputError(here, "the bundled CycloneDX schemas are missing from this installation")


@cache
def json_validator(spec: str) -> jsonschema_rs.Validator:
    d = schema_dir()
    registry = jsonschema_rs.Registry([
        (f"http://cyclonedx.org/schema/{name}", json.loads((d / name).read_text("utf-8"))) for name in _SIDE_SCHEMAS
    ])
    schema = json.loads((d / f"bom-{spec}.SNAPSHOT.schema.json").read_text("utf-8"))
    return jsonschema_rs.validator_for(schema, registry=registry, validate_formats=True)


@cache
def xml_schema(spec: str) -> etree.XMLSchema:
    d = schema_dir()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(d / f"bom-{spec}.SNAPSHOT.xsd"), parser))


def safe_xml_parser() -> etree.XMLParser:
    """An XML parser that expands no entities, loads no DTD and reaches no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           dtd_validation=False)


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found, at once. ``spec_version`` and ``format`` describe the document."""

    format: str
    spec_version: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_bytes(data: bytes, *, name: str = "<bom>") -> ValidationReport:
    """Validate a JSON or XML BOM. A document that is not a CycloneDX BOM of a supported
    version raises :class:`InputError` (mlbom cannot do its job); schema and referential
    problems are returned in the report (the check found something)."""
    head = data.lstrip()[:1]
    if head == b"<":
        return _validate_xml(data, name)
    if head in (b"{", b"["):
        return _validate_json(data, name)
    raise InputError(name, "neither JSON nor XML")


def validate_json_doc(doc: object, name: str = "<bom>") -> ValidationReport:
    """Validate an already-parsed JSON BOM."""
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise InputError(name, "not a CycloneDX BOM (bomFormat is not 'CycloneDX')")
    spec = doc.get("specVersion")
    if spec not in SUPPORTED:
        raise InputError(name, f"unsupported specVersion {spec!r} (mlbom validates {', '.join(SUPPORTED)})")
    assert isinstance(spec, str)
    check_depth(doc, name)  # the validator recurses; a deeper document is refused, not half-checked
    try:
        problems = [f"{_pointer(e.instance_path)}: {e.message}" for e in json_validator(spec).iter_errors(doc)]
    except ValueError as exc:  # jsonschema-rs: "Recursion limit reached" converting the document
        raise InputError(name, f"cannot be validated: {exc}") from exc
    problems += list(referential_problems(doc))
    return ValidationReport("json", spec, tuple(problems))


def _validate_json(data: bytes, name: str) -> ValidationReport:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc).lower():
            raise InputError(name, _TOO_DEEP) from exc
        raise InputError(name, f"not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError(name, _TOO_DEEP) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(name, f"not valid JSON: {exc}") from exc
    return validate_json_doc(doc, name)


def _pointer(path: object) -> str:
    parts = list(path) if isinstance(path, (list, tuple)) else []
    return "/" + "/".join(str(p) for p in parts)


def _listed(items: object, base: str) -> list[tuple[dict[str, object], str]]:
    return [(c, f"{base}/{i}") for i, c in enumerate(items) if isinstance(c, dict)] if isinstance(items, list) else []


def _walk_components(items: object, where: str) -> Iterator[tuple[str, dict[str, object]]]:
    """Components in document order (pre-order: a component, its nested components, then its
    pedigree ancestors). Iterative, with an explicit stack."""
    stack = list(reversed(_listed(items, where)))
    while stack:
        c, here = stack.pop()
        yield here, c
        ped = c.get("pedigree")
        if isinstance(ped, dict):
            stack.extend(reversed(_listed(ped.get("ancestors"), f"{here}/pedigree/ancestors")))
        stack.extend(reversed(_listed(c.get("components"), f"{here}/components")))


def _walk_services(items: object, where: str) -> Iterator[tuple[str, dict[str, object]]]:
    stack = list(reversed(_listed(items, where)))
    while stack:
        svc, here = stack.pop()
        yield here, svc
        stack.extend(reversed(_listed(svc.get("services"), f"{here}/services")))


def referential_problems(doc: dict[str, object]) -> Iterator[str]:
    """bom-refs unique; every dependency, composition and dataset ref resolves."""
    refs: dict[str, str] = {}
    meta = doc.get("metadata")
    roots: list[tuple[str, dict[str, object]]] = []
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        roots.append(("/metadata/component", meta["component"]))
        roots += list(_walk_components(meta["component"].get("components"), "/metadata/component/components"))
    everything = roots + list(_walk_components(doc.get("components"), "/components"))
    everything += list(_walk_services(doc.get("services"), "/services"))
    for where, c in everything:
        for key, obj in (("", c), ("/modelCard", c.get("modelCard"))):
            if isinstance(obj, dict) and isinstance(obj.get("bom-ref"), str):
                ref = obj["bom-ref"]
                if ref in refs:
                    yield f"{where}{key}: bom-ref {ref!r} is not unique (also at {refs[ref]})"
                else:
                    refs[ref] = where + key
        data = c.get("data")
        for j, block in enumerate(data if isinstance(data, list) else []):
            if isinstance(block, dict) and isinstance(block.get("bom-ref"), str):
                if block["bom-ref"] in refs:
                    yield f"{where}/data/{j}: bom-ref {block['bom-ref']!r} is not unique"
                refs.setdefault(block["bom-ref"], f"{where}/data/{j}")
    deps = doc.get("dependencies")
    for i, d in enumerate(deps if isinstance(deps, list) else []):
        if not isinstance(d, dict):
            continue
        ref = d.get("ref")
        if not isinstance(ref, str) or ref not in refs:
            yield f"/dependencies/{i}/ref: {ref!r} names no component"
        depends = d.get("dependsOn")
        for j, t in enumerate(depends if isinstance(depends, list) else []):
            if not isinstance(t, str) or t not in refs:
                yield f"/dependencies/{i}/dependsOn/{j}: {t!r} names no component"
    comps = doc.get("compositions")
    for i, c in enumerate(comps if isinstance(comps, list) else []):
        if isinstance(c, dict):
            assemblies = c.get("assemblies")
            for j, t in enumerate(assemblies if isinstance(assemblies, list) else []):
                if isinstance(t, str) and t not in refs:
                    yield f"/compositions/{i}/assemblies/{j}: {t!r} names no component"
    for where, c in everything:
        mc = c.get("modelCard")
        params = mc.get("modelParameters") if isinstance(mc, dict) else None
        datasets = params.get("datasets") if isinstance(params, dict) else None
        for j, ds in enumerate(datasets if isinstance(datasets, list) else []):
            if isinstance(ds, dict) and isinstance(ds.get("ref"), str) and ds["ref"] not in refs:
                yield f"{where}/modelCard/modelParameters/datasets/{j}/ref: {ds['ref']!r} names no component"


def _check_xml_depth(root: etree._Element, name: str) -> None:
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(name, _TOO_DEEP)
        stack.extend((c, depth + 1) for c in el)


def _validate_xml(data: bytes, name: str) -> ValidationReport:
    try:
        root = etree.fromstring(data, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc):  # libxml2's own limit (256) is above MAX_DEPTH: same answer
            raise InputError(name, _TOO_DEEP) from exc
        raise InputError(name, f"not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.internalDTD is not None:
        raise InputError(name, "XML with a DTD (entity declarations) is refused: a BOM needs none, and "
                               "entities are how XML bombs and external-entity attacks work")
    _check_xml_depth(root, name)
    tag = etree.QName(root)
    if tag.localname != "bom" or not (tag.namespace or "").startswith("http://cyclonedx.org/schema/bom/"):
        raise InputError(name, "not a CycloneDX BOM (root element is not a CycloneDX <bom>)")
    spec = (tag.namespace or "").rsplit("/", 1)[-1]
    if spec not in SUPPORTED:
        raise InputError(name, f"unsupported CycloneDX XML namespace version {spec!r}")
    schema = xml_schema(spec)
    problems: list[str] = []
    try:
        valid = schema.validate(root)
    except etree.Error as exc:
        raise InputError(name, f"XML Schema validation failed: {exc}") from exc
    if not valid:
        problems += [f"line {e.line}: {e.message}" for e in schema.error_log]
    ns = {"c": tag.namespace or ""}
    seen: dict[str, int] = {}
    for el in root.iter():
        ref = el.get("bom-ref") if isinstance(el.tag, str) else None
        if ref is not None:
            if ref in seen:
                problems.append(f"line {el.sourceline}: bom-ref {ref!r} is not unique (also line {seen[ref]})")
            seen.setdefault(ref, el.sourceline or 0)
    for el in root.iterfind(".//c:dependencies//c:dependency", ns):
        if el.get("ref") not in seen:
            problems.append(f"line {el.sourceline}: dependency ref {el.get('ref')!r} names no component")
    for el in root.iterfind(".//c:compositions//c:assembly", ns):
        if el.get("ref") not in seen:
            problems.append(f"line {el.sourceline}: assembly ref {el.get('ref')!r} names no component")
    return ValidationReport("xml", spec, tuple(problems))
