"""ONNX models in onnx's text serialisations (red team 112pa-3).

``onnx.load`` (onnx >= 1.15, ``onnx/__init__.py`` ``_get_serializer``) picks the serializer by the
file's extension (``serialization.registry.get_format_from_file_extension``): ``.json``/``.onnxjson``
(``google.protobuf.json_format``: field names in camelCase or as in onnx.proto), ``.txtpb``/
``.textproto``/``.prototxt``/``.pbtxt`` (protobuf text format), ``.onnxtxt``/``.onnxtext`` (ONNX's
textual syntax). It then runs ``load_external_data_for_model(model, dirname(path))``: every tensor's
``external_data`` ``location`` is opened as in a binary ``.onnx`` — onnx releases before 1.16.0
(CVE-2024-27318) and before 1.13 (CVE-2022-25882) follow ``..`` and absolute paths.

Judged here:

* a JSON document shaped like a ``ModelProto`` (a mapping with ``graph`` and ``irVersion``/``ir_version``),
  or any JSON document holding external-data entries (``onnx.load`` needs neither field, and reads the
  tensors of ``functions`` too: red team 114pa-4):
  every ``externalData``/``external_data`` entry whose ``key`` is ``location``, at any depth, is judged by
  the binary reader's rule (:func:`mlbom.formats.onnx.escape_reason`: absolute, ``..`` out of the folder,
  a NUL, onnxruntime's memory marker, a symlink out of the folder → ``unsafe``,
  ``onnx.external-data-escape``); the other ONNX judgements (custom-operator domains, a claim on the
  referenced file) are not made: ``onnx.text-form`` (``info``) says so;
* a text-format or textual-syntax model (by those extensions, whatever else it holds) that
  spells external data (``external_data``, ``data_location`` or ``location``): not read, ``error``
  (``onnx.text-form-unread``: mlbom has no text-proto reader; the locations may be escaped strings). One
  that spells none holds no external data (text-format field names are plain identifiers): no finding.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlbom.model import Judged

TEXT_SUFFIXES = (".txtpb", ".textproto", ".prototxt", ".pbtxt", ".onnxtxt", ".onnxtext")
MAX_SHOWN = 5
_TEXT_EXTERNAL = re.compile(r"external_data|data_location|location")


def json_model(doc: object) -> bool:
    """Whether a parsed JSON document is shaped like an ONNX ``ModelProto`` in json_format."""
    return isinstance(doc, dict) and "graph" in doc and ("irVersion" in doc or "ir_version" in doc)


def judge_json(doc: object, folder: Path | None) -> list[Judged]:
    """The external-data locations of an ONNX model in JSON form (module docstring)."""
    from mlbom.formats.onnx import escape_reason

    locations: list[str] = []
    walked: set[int] = set()
    stack = [doc]
    while stack:  # the document is in memory already: each container once
        node = stack.pop()
        if isinstance(node, dict):
            if id(node) in walked:
                continue
            walked.add(id(node))
            for key in ("externalData", "external_data"):
                entries = node.get(key)
                if isinstance(entries, list):
                    locations.extend(e["value"] for e in entries
                                     if isinstance(e, dict) and e.get("key") == "location" and isinstance(e.get("value"), str))
            stack.extend(node.values())
        elif isinstance(node, list):
            if id(node) in walked:
                continue
            walked.add(id(node))
            stack.extend(node)
    if not locations and not json_model(doc):
        return []
    out = [Judged("onnx.text-form", "info", "an ONNX model in onnx's JSON serialisation (onnx.load reads .json/.onnxjson "
                  "so, then loads its external data): its external-data locations are judged; custom-operator domains "
                  "and the referenced files' claims are not", None)]
    bad = []
    for loc in dict.fromkeys(locations):
        why = escape_reason(loc, folder)
        if why is not None:
            bad.append(f"{loc[:200]!r} {why}")
    if bad:
        more = f" and {len(bad) - MAX_SHOWN} more" if len(bad) > MAX_SHOWN else ""
        out.append(Judged("onnx.external-data-escape", "critical", "external data location "
                          f"{', '.join(bad[:MAX_SHOWN])}{more}: the loader reads a file outside the model folder "
                          "(path traversal, CVE-2022-25882 / CVE-2024-27318 class)", "unsafe"))
    return out


def judge_text(text: str) -> list[Judged]:
    """A text named with one of :data:`TEXT_SUFFIXES` (the caller selects it by name), read as an ONNX
    model in protobuf text format or ONNX's textual syntax: ``error`` when it has the model's shape and
    spells external data (not read), else nothing (module docstring)."""
    if _TEXT_EXTERNAL.search(text) is None:  # (onnx.load needs no ir_version nor graph: 114pa-4)
        return []
    return [Judged("onnx.text-form-unread", "high", "an ONNX model in a text serialisation (onnx.load reads "
                   f"{', '.join(TEXT_SUFFIXES)} so, then opens every tensor's external-data location) that spells "
                   "external data: mlbom does not read this form, so its locations are not judged", "error")]
