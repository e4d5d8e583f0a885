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
from dataclasses import dataclass
from functools import cache

import jsonschema_rs
from lxml import etree

from mlbom.cyclonedx.document import SUPPORTED, parse_json, referential_problems, sniff, xml_document, xml_spec, xml_tree
from mlbom.cyclonedx.schematypes import schema_dir
from mlbom.errors import InputError
from mlbom.formats.safe_read import check_depth

_SIDE_SCHEMAS = ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json", "cryptography-defs.SNAPSHOT.schema.json")


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
    problems are returned in the report (the check found something). Bytes are read by
    :mod:`mlbom.cyclonedx.document`'s rules (byte-order mark, duplicate names, DTDs, depth); the
    size limit applies where bytes are read (:func:`mlbom.cyclonedx.document.read_bytes`)."""
    fmt = sniff(data)
    if fmt == "xml":
        return _validate_xml(data, name)
    if fmt == "json":
        return validate_json_doc(parse_json(data, name), name)
    raise InputError(name, "neither JSON nor XML")


def require_valid(report: ValidationReport, name: str, *, referential: bool = True) -> None:
    """Refuse an *input* BOM that does not validate, before anything is built on it: an
    :class:`InputError` naming the file and the first problem (one line, bounded), exit 2 — not
    mlbom's internal error when its output, carrying the input's fault, fails validation
    (red team 5c F11-F13). ``referential=False`` lets dangling or repeated refs through (a
    foreign BOM can still be audited)."""
    problems = [p for p in report.problems
                if referential or ("does not resolve" not in p and "not unique" not in p)]
    if problems:
        first = " ".join(problems[0].split())
        first = first if len(first) <= 300 else first[:300] + "..."
        more = f" and {len(problems) - 1:,} more" if len(problems) > 1 else ""
        raise InputError(name, f"not a valid CycloneDX {report.spec_version} BOM ({first}{more})")


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


def _pointer(path: object) -> str:
    parts = list(path) if isinstance(path, (list, tuple)) else []
    return "/" + "/".join(str(p) for p in parts)


def _validate_xml(data: bytes, name: str) -> ValidationReport:
    root = xml_tree(data, name)
    spec = xml_spec(str(root.tag), name)
    schema = xml_schema(spec)
    problems: list[str] = []
    try:
        valid = schema.validate(root)
    except etree.Error as exc:
        raise InputError(name, f"XML Schema validation failed: {exc}") from exc
    if not valid:
        problems += [f"line {e.line}: {e.message}" for e in schema.error_log]
        try:  # a value the schema refused (<score>high</score>) may not convert: reported above already
            doc, _spec = xml_document(root, name)
        except InputError:
            return ValidationReport("xml", spec, tuple(problems))
    else:
        doc, _spec = xml_document(root, name)  # the referential checks of the JSON shape: one answer for both formats
    problems += list(referential_problems(doc))
    return ValidationReport("xml", spec, tuple(problems))
