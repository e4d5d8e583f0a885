"""Chat templates: where they are, and their judgement (parsed by Jinja2, never rendered).

A chat template travels inside a model (GGUF ``tokenizer.chat_template*`` keys,
``tokenizer_config.json``, ``chat_template.jinja``) and is rendered by transformers, by
llama-cpp-python (both a jinja2 sandbox) and by llama.cpp's minja. The judge itself —
Jinja2's parser, constant folding and the syntax-tree checks — is
:mod:`mlbom.formats.jinja_ast`, imported only when a template is judged (Jinja2 costs start-up
time of ``mlbom scan``); see its docstring for what is flagged and with which verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from mlbom.formats.jinja_ast import TemplateFinding

def check_template(source: str, *, where: str = "chat template") -> list[TemplateFinding]:
    """Findings for one Jinja2 chat template (an empty list: nothing dangerous found)."""
    from mlbom.formats import jinja_ast

    return jinja_ast.check_template(source, where=where)


def check_templates(pairs: Iterable[tuple[str, str]], *, where: str = "") -> list[TemplateFinding]:
    """Several templates of one file: identical texts judged once, a total size budget."""
    from mlbom.formats import jinja_ast

    return jinja_ast.check_templates(pairs, where=where)


class ConfigTemplates(NamedTuple):
    """The templates of a config document and what could not be read as one: ``unjudged`` names
    each ``chat_template`` value (or entry) that is neither a string, a list of
    ``{"name", "template"}`` entries nor a ``{name: template}`` object of strings."""

    templates: list[tuple[str, str]]
    unjudged: list[str]


def tokenizer_config_templates(doc: object) -> ConfigTemplates:
    """Templates in a ``tokenizer_config.json``/``chat_template.json``/``processor_config.json``
    document: ``chat_template`` as a string, as transformers' list of ``{"name", "template"}``
    entries (every entry: the tokenizer keeps them all, a later name replacing an earlier one),
    or as a JSON object ``{name: template}`` (``PreTrainedTokenizerBase.__init__`` keeps a dict
    as it is and ``get_chat_template`` picks ``default`` or the caller's name from it). No count
    cap: the total size budget of :func:`check_templates` fails closed (rt9b CT1, CT2). Any
    other value that is not ``null`` — a number, a list entry that is no object or has no string
    ``template``, an object value that is no string — is not judged and says so (``unjudged``):
    what a loader makes of it is not this reader's guess."""
    out = ConfigTemplates([], [])
    if not isinstance(doc, dict):
        return out
    value = doc.get("chat_template")
    if value is None:
        return out
    if isinstance(value, str):
        out.templates.append(("chat_template", value))
    elif isinstance(value, list):
        for i, entry in enumerate(value):
            if isinstance(entry, dict) and isinstance(entry.get("template"), str):
                out.templates.append((f"chat_template[{entry.get('name', i)!s:.40}]", entry["template"]))
            else:
                out.unjudged.append(f"chat_template[{i}] is {_shape(entry)}, not a {{name, template}} object with a "
                                    "string template")
    elif isinstance(value, dict):
        for name, template in value.items():
            if isinstance(template, str):
                out.templates.append((f"chat_template[{name!s:.40}]", template))
            else:
                out.unjudged.append(f"chat_template[{name!s:.40}] is {_shape(template)}, not a string")
    else:
        out.unjudged.append(f"chat_template is {_shape(value)}, not a string, a list of {{name, template}} objects "
                            "or an object of strings")
    return out


def _shape(value: object) -> str:
    """What a JSON value is, in words (no content echoed beyond its type)."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "an object", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)
