"""Hugging Face model cards (README.md with YAML front matter) mapped to CycloneDX ``modelCard``.

Card spec: https://huggingface.co/docs/hub/model-cards (metadata:
https://github.com/huggingface/hub-docs/blob/main/modelcard.md). Parsed with huggingface_hub's
``ModelCard`` (YAML through ``yaml.safe_load``). CycloneDX modelCard: 1.6/1.7 schema,
``additionalProperties: false`` throughout — only fields the schema has are written, and only
from what the card and config files say (nothing is defaulted).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from pydantic import JsonValue

MAX_CARD_BYTES = 16 << 20
MAX_SECTION_CHARS = 4000

_SECTIONS: dict[str, tuple[str, ...]] = {
    "useCases": ("intended use", "intended uses", "uses", "direct use", "downstream use", "use cases", "how to use"),
    "technicalLimitations": ("limitations", "out-of-scope use", "out of scope use", "technical limitations"),
    "ethicalConsiderations": ("bias, risks, and limitations", "bias risks and limitations", "bias", "risks",
                              "ethical considerations", "ethics", "risks and limitations"),
    "users": ("intended users", "users"),
}


@dataclass
class Card:
    """What a card says, already shaped for CycloneDX; ``problems`` are findings for the BOM."""

    data: dict[str, object] = field(default_factory=dict)
    sections: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    has_front_matter: bool = False


def read_front_matter(text: str, kind: str = "model") -> tuple[dict[str, object], str, list[str]]:
    """Card data (through huggingface_hub's ``ModelCard``/``DatasetCard``), the Markdown body,
    and problems: malformed or non-mapping YAML (the body is still returned), or no front matter."""
    from huggingface_hub import DatasetCard, ModelCard

    problems: list[str] = []
    data: dict[str, object] = {}
    hub_logger = logging.getLogger("huggingface_hub")
    level = hub_logger.level
    hub_logger.setLevel(logging.ERROR)  # it logs "metadata block was not found" at WARNING
    try:
        card = (DatasetCard if kind == "dataset" else ModelCard)(text, ignore_metadata_errors=False)
        raw: dict[str, object] = card.data.to_dict()  # type: ignore[no-untyped-call]
        data = {k: v for k, v in raw.items() if v is not None}
        body = card.text
    except Exception as exc:  # huggingface_hub raises ValueError/YAML errors of several kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problems.append(f"front matter cannot be read: {first}")
        m = re.match(r"^\s*---\s*\n.*?\n---\s*\n", text, re.DOTALL)
        body = text[m.end():] if m else text
    finally:
        hub_logger.setLevel(level)
    if not re.match(r"^\s*---\s*\n", text):
        what = "licence and sources" if kind == "dataset" else "licence, task and datasets"
        problems.append(f"no YAML front matter: {what} are not declared")
    return data, body, problems


def parse_card(text: str) -> Card:
    """Parse a model card. Malformed YAML or a non-mapping front matter is a problem (the
    sections are still read); no front matter at all is a problem too."""
    data, body, problems = read_front_matter(text, "model")
    return Card(data=data, sections=_sections(body), problems=problems,
                has_front_matter=bool(re.match(r"^\s*---\s*\n", text)))


def _sections(body: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    parts = re.split(r"^(#{1,4})\s+(.+?)\s*#*\s*$", body, flags=re.MULTILINE)
    # parts: [pre, hashes, title, content, hashes, title, content, ...]
    for i in range(1, len(parts) - 2, 3):
        title = re.sub(r"[^a-z ,\-]", "", parts[i + 1].lower()).strip()
        content = parts[i + 2].strip()
        if not content or "[more information needed]" in content.lower():
            continue
        for key, names in _SECTIONS.items():
            if title in names:
                out.setdefault(key, []).append(content[:MAX_SECTION_CHARS])
    return out


def _as_list(v: object) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [str(x) for x in v if isinstance(x, (str, int, float))]
    return []


def base_models(data: dict[str, object]) -> tuple[list[str], str | None]:
    """``base_model`` (one or many) and ``base_model_relation`` as declared."""
    rel = data.get("base_model_relation")
    return _as_list(data.get("base_model")), rel if isinstance(rel, str) else None


def model_card_block(
    card: Card, config: dict[str, object], *, dataset_refs: dict[str, str], bom_ref: str
) -> dict[str, JsonValue]:
    """The CycloneDX ``modelCard`` object. ``dataset_refs`` maps a dataset name the card uses
    to the bom-ref of a dataset component in the same BOM."""
    d = card.data
    params: dict[str, JsonValue] = {}
    task = d.get("pipeline_tag")
    if isinstance(task, str):
        params["task"] = task
    mtype = config.get("model_type")
    if isinstance(mtype, str):
        params["architectureFamily"] = mtype
    archs = config.get("architectures")
    if isinstance(archs, list) and archs and isinstance(archs[0], str):
        params["modelArchitecture"] = archs[0]
    datasets: list[JsonValue] = []
    for name in _as_list(d.get("datasets")):
        if name in dataset_refs:
            datasets.append({"ref": dataset_refs[name]})
        else:
            datasets.append({"type": "dataset", "name": name})
    if datasets:
        params["datasets"] = datasets
    block: dict[str, JsonValue] = {"bom-ref": bom_ref}
    if params:
        block["modelParameters"] = params
    metrics = _eval_results(d)
    if metrics:
        block["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    cons: dict[str, JsonValue] = {}
    for key in ("useCases", "technicalLimitations", "users"):
        if card.sections.get(key):
            cons[key] = list(card.sections[key])
    if card.sections.get("ethicalConsiderations"):
        cons["ethicalConsiderations"] = [{"name": t} for t in card.sections["ethicalConsiderations"]]
    co2 = d.get("co2_eq_emissions")
    if co2 is not None:
        props: list[JsonValue] = []
        if isinstance(co2, dict):
            props = [{"name": f"co2_eq_emissions.{k}", "value": str(v)} for k, v in sorted(co2.items())]
        else:
            props = [{"name": "co2_eq_emissions", "value": str(co2)}]
        cons["environmentalConsiderations"] = {"properties": props}
    if cons:
        block["considerations"] = cons
    return block


def _eval_results(d: dict[str, object]) -> list[JsonValue]:
    """``model-index`` results as performanceMetrics (values as strings, as the schema wants)."""
    out: list[JsonValue] = []
    index = d.get("model-index")
    if not isinstance(index, list):
        return out
    for entry in index:
        if not isinstance(entry, dict):
            continue
        for result in entry.get("results") or []:
            if not isinstance(result, dict):
                continue
            ds = result.get("dataset") if isinstance(result.get("dataset"), dict) else {}
            assert isinstance(ds, dict)
            task = result.get("task") if isinstance(result.get("task"), dict) else {}
            assert isinstance(task, dict)
            slice_parts = [str(x) for x in (ds.get("name") or ds.get("type"), ds.get("split"), ds.get("config")) if x]
            for metric in result.get("metrics") or []:
                if not isinstance(metric, dict) or metric.get("value") is None:
                    continue
                m: dict[str, JsonValue] = {"type": str(metric.get("type") or metric.get("name") or "metric"),
                                           "value": str(metric["value"])}
                if slice_parts:
                    m["slice"] = " / ".join(slice_parts)
                out.append(m)
    return out
