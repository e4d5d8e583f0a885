"""Hugging Face model cards (README.md with YAML front matter) mapped to CycloneDX ``modelCard``.

Card spec: https://huggingface.co/docs/hub/model-cards (metadata:
https://github.com/huggingface/hub-docs/blob/main/modelcard.md). The front matter is found with a
line scanner (huggingface_hub's ``REGEX_YAML_BLOCK`` backtracks quadratically on a card of blank
lines), read with :func:`mlbom.formats.safe_read.load_yaml` (depth, alias and size bounds) and
then normalised by huggingface_hub's ``ModelCardData``/``DatasetCardData``. Headings are found
line by line too: no regular expression runs over the card's text (issue 19). CycloneDX modelCard: 1.6/1.7 schema,
``additionalProperties: false`` throughout — only fields the schema has are written, and only
from what the card and config files say (nothing is defaulted).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from pydantic import JsonValue

from mlbom.errors import InputError
from mlbom.formats.safe_read import load_yaml
from mlbom.limits import MAX_CARD_BYTES

__all__ = ["MAX_CARD_BYTES", "MAX_SECTION_CHARS", "Card", "base_models", "card_ids", "markdown_sections",
           "model_card_block", "parse_card", "read_front_matter", "split_front_matter"]
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
    duplicate_keys: list[str] = field(default_factory=list)
    """Front-matter keys given twice in one mapping (``input.duplicate-key`` findings; the last
    value is used, as huggingface_hub uses it: red team 87c-6)."""


def split_front_matter(text: str) -> tuple[str | None, str, bool]:
    """``(yaml, body, opened)``: the YAML between a first line ``---`` (blank lines and
    indentation before it allowed) and the next line that is exactly ``---``, the Markdown after
    it, and whether the card opens with ``---`` at all. Without a closing line there is no front
    matter (``yaml`` is None) and the whole card is the body, as huggingface_hub reads it.
    One pass over the lines; nothing backtracks."""
    pos = 0
    n = len(text)
    while pos < n:  # skip blank lines
        end = text.find("\n", pos)
        end = n if end < 0 else end + 1
        if text[pos:end].strip():
            break
        pos = end
    end = text.find("\n", pos)
    first = text[pos:(n if end < 0 else end)]
    if first.strip() != "---" or end < 0:
        return None, text, first.strip() == "---"
    start = end + 1
    cur = start
    while cur <= n:
        nl = text.find("\n", cur)
        line_end = n if nl < 0 else nl
        if text[cur:line_end].rstrip("\r") == "---":
            return text[start:cur], text[(n if nl < 0 else nl + 1):], True
        if nl < 0:
            break
        cur = nl + 1
    return None, text, True


_MAX_DUPLICATE_NOTES = 20  # repeated keys reported one by one (a card of 24,000 repeats is one more line)


def read_front_matter(text: str, kind: str = "model", *,
                      duplicates: list[str] | None = None) -> tuple[dict[str, object], str, list[str]]:
    """Card data (normalised by huggingface_hub's ``ModelCardData``/``DatasetCardData``), the
    Markdown body, and problems: malformed, oversized or non-mapping YAML (the body is still
    returned), text replaced because it was not valid Unicode, or no front matter. Keys given
    twice in one mapping are appended to ``duplicates`` (``front matter: line N: key: …``)."""
    from huggingface_hub import DatasetCardData, ModelCardData

    problems: list[str] = []
    data: dict[str, object] = {}
    yaml_text, body, opened = split_front_matter(text)
    if yaml_text is not None:
        raw: object = None
        try:
            loaded = load_yaml(yaml_text, "front matter")
            raw = loaded.value
            problems += [f"front matter: {where}: text that is not valid Unicode was replaced with U+FFFD"
                         for where in loaded.replaced]
            if duplicates is not None:  # at most _MAX_DUPLICATE_NOTES, then one line for the rest
                dups = loaded.duplicate_keys
                duplicates += [f"front matter: {where}: key given more than once; the last value is used"
                               for where in dups[:_MAX_DUPLICATE_NOTES]]
                if len(dups) > _MAX_DUPLICATE_NOTES:
                    duplicates.append(f"front matter: {len(dups) - _MAX_DUPLICATE_NOTES:,} more keys given more than "
                                      "once; the last value of each is used")
        except InputError as exc:
            problems.append(f"front matter cannot be read: {exc.at + ': ' if exc.at else ''}{exc.detail}")
        if raw is not None and not isinstance(raw, dict):
            problems.append(f"front matter cannot be read: it is a {type(raw).__name__}, not a mapping")
        elif isinstance(raw, dict):
            hub_logger = logging.getLogger("huggingface_hub")
            level = hub_logger.level
            hub_logger.setLevel(logging.ERROR)
            try:
                args = {str(k): v for k, v in raw.items()}
                card_data: ModelCardData | DatasetCardData
                if kind == "dataset":
                    card_data = DatasetCardData(ignore_metadata_errors=False, **args)
                else:  # ModelCardData's own de-duplication of tags is quadratic: done here, in linear time
                    tags = unique_tags(args.pop("tags", None))
                    model_data = ModelCardData(ignore_metadata_errors=False, **args)
                    model_data.tags = tags  # type: ignore[assignment]  # (huggingface_hub types it list[str])
                    card_data = model_data
                normal: dict[str, object] = card_data.to_dict()  # type: ignore[no-untyped-call]
                data = {k: v for k, v in normal.items() if v is not None}
            except Exception as exc:  # huggingface_hub raises ValueError/KeyError/TypeError of several kinds
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                problems.append(f"front matter cannot be read: {first}")
            finally:
                hub_logger.setLevel(level)
    if not opened:
        what = "licence and sources" if kind == "dataset" else "licence, task and datasets"
        problems.append(f"no YAML front matter: {what} are not declared")
    return data, body, problems


def _frozen(value: object) -> object:
    """A hashable stand-in for a YAML value, equal to another's exactly when the values are ``==``."""
    if isinstance(value, list):
        return ("list", tuple(_frozen(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((_frozen(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(_frozen(v) for v in value))
    return value


def unique_tags(tags: object) -> list[object] | None:
    """``huggingface_hub``'s ``_to_unique_list`` (a str is one tag; the first of equal tags kept, in
    order; a value that is not iterable raises ``TypeError`` as there) in linear time: that one
    tests each tag against the list kept so far (a card of 50,000 tags: 8 s, issue 19)."""
    if tags is None:
        return None
    if isinstance(tags, str):
        tags = [tags]
    out: list[object] = []
    seen: set[object] = set()
    for tag in cast("Iterable[object]", tags):  # (not iterable: TypeError, as huggingface_hub raises)
        key = _frozen(tag)
        try:
            if key in seen:
                continue
            seen.add(key)
        except TypeError:  # a value _frozen does not know and that has no hash: compared one by one
            if any(tag == kept for kept in out):
                continue
        out.append(tag)
    return out


def parse_card(text: str) -> Card:
    """Parse a model card. Malformed YAML or a non-mapping front matter is a problem (the
    sections are still read); no front matter at all is a problem too."""
    dups: list[str] = []
    data, body, problems = read_front_matter(text, "model", duplicates=dups)
    return Card(data=data, sections=_sections(body), problems=problems, duplicate_keys=dups,
                has_front_matter=split_front_matter(text)[2])


def _heading(line: str, max_level: int) -> str | None:
    """The title of an ATX heading line (``## Title ##``) of level 1..``max_level``, else None."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= max_level:
        return None
    rest = line[level:]
    if not rest or not rest[0].isspace():
        return None
    title = rest.strip()
    closed = title.rstrip("#").rstrip()
    return (closed or title) or None


def markdown_sections(body: str, *, max_level: int = 4) -> list[tuple[str, str]]:
    """``(title, content)`` for every heading of level 1..``max_level``, its content running to
    the next such heading. A line scanner: linear in the text."""
    out: list[tuple[str, str]] = []
    title: str | None = None
    lines: list[str] = []
    for line in body.split("\n"):
        found = _heading(line, max_level) if line.startswith("#") else None
        if found is not None:
            if title is not None:
                out.append((title, "\n".join(lines)))
            title, lines = found, []
        elif title is not None:
            lines.append(line)
    if title is not None:
        out.append((title, "\n".join(lines)))
    return out


def _sections(body: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for raw_title, raw_content in markdown_sections(body):
        title = re.sub(r"[^a-z ,\-]", "", raw_title.lower()).strip()
        content = raw_content.strip()
        if not content or "[more information needed]" in content.lower():
            continue
        keys = [key for key, names in _SECTIONS.items() if title in names]
        if not keys and "intended use" in title and "limitation" in title:
            # Hugging Face's generated cards: "## Intended uses & limitations" says both
            keys = ["useCases", "technicalLimitations"]
        for key in keys:
            out.setdefault(key, []).append(content[:MAX_SECTION_CHARS])
    return out


def _as_list(v: object) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [str(x) for x in v if isinstance(x, (str, int, float))]
    return []


def names_nothing(entry: str) -> bool:
    """Whether a card entry naming a Hub repository (``base_model``, ``datasets``,
    ``source_datasets``) names nothing: blank, or ``ORG/NAME`` with a blank side (``/``, ``org/``,
    ``/name``)."""
    if not entry.strip():
        return True
    if "/" not in entry:
        return False
    org, _, rest = entry.partition("/")
    return not org.strip() or not rest.rpartition("/")[2].strip()


def card_ids(data: dict[str, object], key: str, *, prefix: str = "") -> tuple[list[str], list[str]]:
    """``(ids, problems)``: a list-valued card field that names Hub repositories (``base_model``,
    ``datasets``, ``source_datasets``), one rule for every such field (red team 80c-1…5). Each
    entry is stripped of white space; one that names nothing once ``prefix`` is cut
    (``extended|`` in ``source_datasets``; :func:`names_nothing`) is left out with a problem
    naming the field; an entry repeated is kept once (each becomes a component or a reference
    whose bom-ref is made from the entry, and a BOM holds one of each), first occurrence first."""
    ids: dict[str, None] = {}
    problems: list[str] = []
    for raw in _as_list(data.get(key)):
        entry = raw.strip()
        if names_nothing(entry.removeprefix(prefix) if prefix else entry):
            problems.append(f"{key}: the entry {raw[:80]!r} names nothing; left out")
        else:
            ids.setdefault(entry, None)
    return list(ids), problems


def base_models(data: dict[str, object]) -> tuple[list[str], str | None, list[str]]:
    """``base_model`` (one or many, as :func:`card_ids` reads them), ``base_model_relation`` as
    declared, and the problems of the entries left out."""
    rel = data.get("base_model_relation")
    bases, problems = card_ids(data, "base_model")
    return bases, rel if isinstance(rel, str) else None, problems


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
    for name in card_ids(d, "datasets")[0]:  # the problems are the collector's findings
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
