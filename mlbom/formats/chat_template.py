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
from typing import TYPE_CHECKING

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


def tokenizer_config_templates(doc: object) -> list[tuple[str, str]]:
    """Templates in a ``tokenizer_config.json``/``chat_template.json`` document: ``chat_template``
    as a string, as transformers' list of ``{"name", "template"}`` entries (every entry: the
    tokenizer keeps them all, a later name replacing an earlier one), or as a JSON object
    ``{name: template}`` (``PreTrainedTokenizerBase.__init__`` keeps a dict as it is and
    ``get_chat_template`` picks ``default`` or the caller's name from it). No count cap: the
    total size budget of :func:`check_templates` fails closed (rt9b CT1, CT2)."""
    if not isinstance(doc, dict):
        return []
    value = doc.get("chat_template")
    if isinstance(value, str):
        return [("chat_template", value)]
    out: list[tuple[str, str]] = []
    if isinstance(value, list):
        for i, entry in enumerate(value):
            if isinstance(entry, dict) and isinstance(entry.get("template"), str):
                out.append((f"chat_template[{entry.get('name', i)!s:.40}]", entry["template"]))
    elif isinstance(value, dict):
        for name, template in value.items():
            if isinstance(template, str):
                out.append((f"chat_template[{name!s:.40}]", template))
    return out
