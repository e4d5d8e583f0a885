"""XML for the ML blocks (``modelCard`` and component ``data``), in the element order and with
the list wrappers the CycloneDX 1.6/1.7 XSD requires (SPEC-NOTES: ``users/user``,
``datasets/ref|dataset``, ``inputs/input/format``). A key this writer does not know is an
error rather than a silently dropped field."""

from __future__ import annotations

from pydantic import JsonValue

from mlbom.cyclonedx.xmltext import xml_attr as quoteattr
from mlbom.cyclonedx.xmltext import xml_text
from mlbom.errors import MlbomError

_ORDER: dict[str, tuple[str, ...]] = {
    "modelCard": ("modelParameters", "quantitativeAnalysis", "considerations", "properties"),
    "modelParameters": ("approach", "task", "architectureFamily", "modelArchitecture", "datasets", "inputs", "outputs"),
    "approach": ("type",),
    "quantitativeAnalysis": ("performanceMetrics", "graphics"),
    "performanceMetric": ("type", "value", "slice", "confidenceInterval"),
    "confidenceInterval": ("lowerBound", "upperBound"),
    "considerations": ("users", "useCases", "technicalLimitations", "performanceTradeoffs", "ethicalConsiderations",
                       "environmentalConsiderations", "fairnessAssessments"),
    "ethicalConsideration": ("name", "mitigationStrategy"),
    "fairnessAssessment": ("groupAtRisk", "benefits", "harms", "mitigationStrategy"),
    "environmentalConsiderations": ("energyConsumptions", "properties"),
    "input": ("format",),
    "output": ("format",),
    "componentData": ("type", "name", "contents", "classification", "sensitiveData", "graphics", "description",
                      "governance"),
    "contents": ("attachment", "url", "properties"),
}
_LISTS = {
    "users": "user", "useCases": "useCase", "technicalLimitations": "technicalLimitation",
    "performanceTradeoffs": "performanceTradeoff", "ethicalConsiderations": "ethicalConsideration",
    "performanceMetrics": "performanceMetric", "inputs": "input", "outputs": "output",
    "fairnessAssessments": "fairnessAssessment", "sensitiveData": None,
}


def _t(v: object) -> str:
    return xml_text(v)


def _props(items: JsonValue, out: list[str]) -> None:
    out.append("<properties>")
    for p in items if isinstance(items, list) else []:
        if isinstance(p, dict):
            out.append(f"<property name={quoteattr(str(p.get('name', '')))}>{_t(p.get('value', ''))}</property>")
    out.append("</properties>")


def _obj(tag: str, kind: str, obj: JsonValue, out: list[str]) -> None:
    if not isinstance(obj, dict):
        out.append(f"<{tag}>{_t(obj)}</{tag}>")
        return
    attr = f" bom-ref={quoteattr(str(obj['bom-ref']))}" if "bom-ref" in obj else ""
    out.append(f"<{tag}{attr}>")
    order = _ORDER.get(kind)
    if order is None:
        raise MlbomError(f"internal error: no XML layout for {kind!r}")
    unknown = set(obj) - set(order) - {"bom-ref"}
    if unknown:
        raise MlbomError(f"internal error: XML writer does not know {kind}.{sorted(unknown)[0]}")
    for key in order:
        if key not in obj:
            continue
        val = obj[key]
        if key == "properties":
            _props(val, out)
        elif key == "datasets":
            out.append("<datasets>")
            for ds in val if isinstance(val, list) else []:
                if isinstance(ds, dict) and set(ds) == {"ref"}:
                    out.append(f"<ref>{_t(ds['ref'])}</ref>")
                else:
                    _obj("dataset", "componentData", ds, out)
            out.append("</datasets>")
        elif key in _LISTS and _LISTS[key] is not None:
            item = _LISTS[key]
            assert item is not None
            out.append(f"<{key}>")
            for x in val if isinstance(val, list) else []:
                _obj(item, item, x, out) if isinstance(x, dict) else out.append(f"<{item}>{_t(x)}</{item}>")
            out.append(f"</{key}>")
        elif isinstance(val, dict):
            _obj(key, key, val, out)
        else:
            out.append(f"<{key}>{_t(val)}</{key}>")
    out.append(f"</{tag}>")


def ml_block_xml(key: str, value: JsonValue, out: list[str]) -> None:
    """Append ``<modelCard>`` or the repeated ``<data>`` elements of one component."""
    if key == "modelCard":
        _obj("modelCard", "modelCard", value, out)
    elif key == "data":
        for item in value if isinstance(value, list) else []:
            _obj("data", "componentData", item, out)
    else:  # pragma: no cover
        raise MlbomError(f"internal error: {key} is not an ML block")
