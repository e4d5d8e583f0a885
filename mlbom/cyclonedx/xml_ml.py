"""XML for the ML blocks (``modelCard``, ``data``). Collectors of this version never produce
them; a BOM that carries them can be written as JSON only until the model and dataset
collectors land."""

from __future__ import annotations

from pydantic import JsonValue

from mlbom.errors import UsageError


def ml_block_xml(key: str, value: JsonValue, out: list[str]) -> None:
    raise UsageError(f"XML output of '{key}' is not supported yet; use --format json")
