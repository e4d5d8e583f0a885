"""A spaCy ``config.cfg`` (red team 119pa-4), read as spaCy reads it (confection's ``Config.from_str``:
``configparser`` sections, option names as written, each value JSON when it parses as JSON, else
a string; ``${section.key}`` replaced by that value), for what makes ``spacy.load`` load code or
another pipeline from outside the folder:

- ``[components.NAME] source = "..."`` (spacy ``language.py`` ``Language.from_config``): a component
  with a ``source`` is ``util.load_model(source)`` — an installed package of that name is imported
  (``importlib.import_module(name).load()``), a path (absolute, or relative to the working folder,
  not to this one) is a whole other pipeline loaded with its own config and component files. A
  pipeline ``nlp.to_disk`` writes never keeps ``source`` (the sourced component's own config is
  written in its place), so one here was put there.
- ``[nlp.before_creation]``/``[nlp.after_creation]``/``[nlp.after_pipeline_creation]`` with
  ``@callbacks = "spacy.copy_from_base_model.v1"``: runs at every ``spacy.load`` and calls
  ``util.load_model`` on its ``tokenizer`` and ``vocab`` (spacy ``training/callbacks.py``).

Registered names (``@architectures``, ``@layers``, ``@callbacks``, ``factory``) are looked up in
registries that installed packages fill through their entry points (catalogue): they name code
that is installed, not code this file carries or fetches, and are not judged here (the
environment's inventory is where that code is).

Never executes anything; bounded by the text's size (one ``configparser`` pass, at most
:data:`MAX_INTERPOLATIONS` replacements per value).
"""

from __future__ import annotations

import configparser
import json
import re

MAX_INTERPOLATIONS = 32
_VAR = re.compile(r"\$\{([^}]+)\}")
_CALLBACKS = ("before_creation", "after_creation", "after_pipeline_creation")
_COPY_FROM_BASE = "spacy.copy_from_base_model"


def _parser(text: str) -> configparser.RawConfigParser | None:
    cp = configparser.RawConfigParser(strict=False, allow_no_value=True, delimiters=("=",),
                                      comment_prefixes=("#", ";"), inline_comment_prefixes=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]  # (confection keeps names as written)
    try:
        cp.read_string(text)
    except (configparser.Error, ValueError, RecursionError):
        return None
    return cp


def _value(cp: configparser.RawConfigParser, raw: str | None) -> object:
    """A value as confection gives it: ``${section.key}`` replaced, then JSON when it parses."""
    if raw is None:
        return None
    text = raw
    for _ in range(MAX_INTERPOLATIONS):
        m = _VAR.search(text)
        if m is None:
            break
        section, _, key = m.group(1).strip().rpartition(".")
        sub = cp.get(section, key, fallback=None) if section and cp.has_section(section) else None
        if sub is None:
            break
        whole = m.group(0) == text.strip()
        try:
            decoded = json.loads(sub)
        except ValueError:
            decoded = sub
        piece = sub if whole or not isinstance(decoded, str) else decoded
        text = text[:m.start()] + piece + text[m.end():]
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _loads_model(v: object) -> bool:
    """Whether ``util.load_model(v)`` would load something (a package or a path): a string other
    than ``blank:LANG`` (a blank pipeline of spaCy's own language class)."""
    return isinstance(v, str) and bool(v.strip()) and not v.startswith("blank:")


def findings(text: str) -> list[tuple[str, str]]:
    """``(where in the config, what spaCy does)`` for each value that makes ``spacy.load`` load a
    pipeline or import a package this scan does not judge."""
    if "[" not in text or ("source" not in text and _COPY_FROM_BASE not in text):
        return []
    cp = _parser(text)
    if cp is None:
        return []
    out: list[tuple[str, str]] = []
    for section in cp.sections():
        parts = section.split(".")
        if len(parts) == 2 and parts[0] == "components" and cp.has_option(section, "source"):
            v = _value(cp, cp.get(section, "source"))
            if _loads_model(v):
                out.append((f"[{section}] source = {v!r}",
                            "spacy.load runs util.load_model on it: an installed package of that name is imported "
                            "and its load() run, a path (absolute, or relative to the working folder) is another "
                            "whole pipeline loaded, its config and component files with it"))
        callbacks: list[tuple[str, object]] = []
        if len(parts) == 2 and parts[0] == "nlp" and parts[1] in _CALLBACKS:
            callbacks.append((f"[{section}]", {k: _value(cp, cp.get(section, k)) for k in cp.options(section)}))
        if section == "nlp":
            callbacks += [(f"[nlp] {k}", _value(cp, cp.get(section, k))) for k in _CALLBACKS
                          if cp.has_option(section, k)]
        for where, cb in callbacks:
            if not isinstance(cb, dict) or not str(cb.get("@callbacks", "")).startswith(_COPY_FROM_BASE):
                continue
            for key in ("tokenizer", "vocab"):
                if _loads_model(cb.get(key)):
                    out.append((f"{where} {key} = {cb.get(key)!r}",
                                f"{cb.get('@callbacks')} runs at every spacy.load and calls util.load_model on it: "
                                "an installed package is imported, a path is another pipeline loaded"))
    return out
