"""gin-config files (``*.gin``; T5X and other JAX checkpoints keep the run's ``config.gin``): what
parsing one would call.

gin's parser (``gin/config_parser.py``) reads statements from Python's own tokenizer
(``tokenize.generate_tokens`` over the text; a file is opened in text mode, so ``\\r`` and ``\\r\\n``
end lines): ``import a.b [as c]`` imports a module, ``include 'x.gin'`` reads another file (of any
name: red team 114pa-1), ``scope/name.param = value`` binds a parameter and ``@name`` / ``@name()``
reference a configurable, the second *called* when the binding is used. Only registered
configurables can be named, unless the file says ``from __gin__ import dynamic_registration``:
then any function or class of an imported module is configurable (``@os.system()``). So, with
dynamic registration, every configurable a reference names is a callable the file picks, judged
like a Hydra ``_target_``: a denied one (``mlbom.formats.config_targets.denied``) is ``unsafe``,
any other is code the file makes the program call (``suspicious``, as a non-denied ``_target_``
is). An ``include`` of an absolute path, a URL or one leaving the folder reads a file outside the
model. mlbom reads the same tokens the same way (whitespace, line continuations, form feeds and
comments as the tokenizer has them: 114pa-1), one linear pass; a text the tokenizer refuses is
read up to that point and, with dynamic registration, not checked to the end."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable

from mlbom.formats.paths import leave_reason
from mlbom.fswalk import SKIPPED_FOLDERS
from mlbom.model import Judged

MAX_NAMED = 10_000  # references judged per file (past it: not checked to the end)
MAX_TOKENS = 4_000_000  # tokens read per file
# characters tokenized per file: Python's tokenizer (pure Python before 3.12) reads about 400 KB a
# second; a real config.gin is tens of KB. A longer text with dynamic registration is not judged
# (suspicious), one without names only registered configurables
MAX_TEXT = 256 << 10

_SCOPE_TOKENS = frozenset({".", "/"})
# an import a text of any name may hold that gin would run for its own sake (a file gin includes has any
# name: 114pa-1, 117pa-8): config_targets.IMPORT_EFFECTS, a __main__ module
EFFECT_IMPORT = re.compile(r"\b(?:import|from)[ \t\\\n]+[\w. \t\\\n]{0,200}?\b(?:antigravity|this|__hello__|__phello__|idlelib|"
                           r"turtledemo|autotest|regrtest|__main__)\b")

# the same import as a statement (red team 122fp-5): gin's parser reads one at the start of a line
# (after whitespace), never inside running prose ("they import tea ... this morning"); what a text too
# long to tokenize (MAX_TEXT) is checked for (a line that starts so inside a string still counts)
EFFECT_STATEMENT = re.compile(r"^[ \t\f\ufeff]*" + EFFECT_IMPORT.pattern, re.MULTILINE)


def _tokens(text: str) -> tuple[list[tokenize.TokenInfo], str | None]:
    """The text's tokens as gin's parser reads them, and why the tokenizer stopped early (None: it
    read to the end)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # a text-mode file's universal newlines
    out: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL) or len(out) >= MAX_TOKENS:
                if len(out) >= MAX_TOKENS:
                    return out, f"more than {MAX_TOKENS} tokens"
                continue
            out.append(tok)
    except (tokenize.TokenError, SyntaxError, ValueError) as exc:  # (IndentationError is a SyntaxError)
        return out, f"{type(exc).__name__}: {str(exc)[:80]}"
    return out, None


def _statements(toks: list[tokenize.TokenInfo]) -> list[list[tokenize.TokenInfo]]:
    """The tokens of each logical line (NEWLINE ends one; brackets are the tokenizer's business)."""
    out: list[list[tokenize.TokenInfo]] = []
    cur: list[tokenize.TokenInfo] = []
    for tok in toks:
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if cur:
                out.append(cur)
            cur = []
        elif tok.type not in (tokenize.INDENT, tokenize.DEDENT):
            cur.append(tok)
    if cur:
        out.append(cur)
    return out


def _dotted(toks: list[tokenize.TokenInfo], i: int) -> tuple[str, int]:
    """A dotted name starting at ``toks[i]`` and the index after it."""
    parts: list[str] = []
    while i < len(toks) and toks[i].type == tokenize.NAME:
        parts.append(toks[i].string)
        if i + 1 < len(toks) and toks[i + 1].string == ".":
            i += 2
            continue
        i += 1
        break
    return ".".join(parts), i


def _references(st: list[tokenize.TokenInfo]) -> list[str]:
    """The configurables ``@scope/name`` / ``@name()`` of one statement name (scopes dropped)."""
    out: list[str] = []
    i = 0
    while i < len(st):
        if st[i].string != "@":
            i += 1
            continue
        j = i + 1
        name: list[str] = []
        while j < len(st) and (st[j].type == tokenize.NAME or st[j].string in _SCOPE_TOKENS):
            if st[j].string == "/":
                name = []  # a scope: the name comes after the last "/"
            else:
                name.append(st[j].string)
            j += 1
        text = "".join(name).strip(".")
        if text:
            out.append(text)
        i = j
    return out


def _binding(st: list[tokenize.TokenInfo]) -> bool:
    """A statement gin's parser reads as a binding (a selector, then ``=``, or ``:`` opening a block),
    whatever its first word: it tries that before the import/include keywords."""
    i = 0
    while i < len(st) and (st[i].type == tokenize.NAME or st[i].string in _SCOPE_TOKENS):
        i += 1
    return 0 < i < len(st) and st[i].string in ("=", ":")


def _include_outside(path: str) -> bool:
    """A file gin's include reads outside what a scan of the folder judges
    (:func:`~mlbom.formats.paths.leave_reason`: a folder the walker skips counts, red team 116pa-4), or
    through a scheme-like prefix (``gs:``, ``s3:``)."""
    return leave_reason(path, home=True, url=True, skipped=SKIPPED_FOLDERS) is not None or ":" in path[:3]


def _imports(modules: list[str], where: str, local: Callable[[str], bool] | None, every: bool) -> list[Judged]:
    """The modules gin's parser imports (``__import__``, red team 117pa-8), judged by the rule mmengine's
    ``custom_imports`` shares (:func:`~mlbom.formats.config_targets.import_risk`): one that does something
    when imported (a stdlib module with a side effect, a ``__main__`` module) — and, in a gin file
    (``every``), a module of the config's own folder (``local``: code beside the model that the config
    makes the program run) — is ``code.remote`` (``suspicious``); any other (T5X's ``t5x.models``,
    ``seqio``, ``__main__``) is listed as ``info``: an import runs only that installed module's own code.
    mmengine's ``custom_imports`` stays ``suspicious`` for every module: it exists to pull in code beyond
    the framework (a project's plugins), where a gin import is how every T5X, Dopamine or trax config
    makes its framework's configurables known."""
    from mlbom.formats.config_targets import import_risk

    out: list[Judged] = []
    plain: list[str] = []
    for module in dict.fromkeys(modules):
        risk = import_risk(module)
        if risk is not None:
            out.append(Judged("code.remote", "high", f"{where}: gin imports {module!r}, which {risk}; gin's parser "
                              "runs __import__ on every import statement when the config is parsed", "suspicious"))
        elif every and local is not None and local(module):
            out.append(Judged("code.remote", "high", f"{where}: gin imports {module!r}, a module of the config's "
                              "own folder: gin's parser runs its code (__import__) when the config is parsed",
                              "suspicious"))
        elif every:
            plain.append(module)
    if plain:
        shown = ", ".join(plain[:10]) + (f" and {len(plain) - 10} more" if len(plain) > 10 else "")
        out.append(Judged("config.gin-import", "info", f"{where}: gin imports {shown} when the config is parsed "
                          "(installed modules' own code; not judged here)"))
    return out


def judge(text: str, where: str, *, local: Callable[[str], bool] | None = None, every: bool = True) -> list[Judged]:
    """The findings of one gin file (``where`` names it in the messages). ``every``: a gin file's (all
    its imports judged and listed); else a text of another name gin may include, whose imports count
    only when they run something by themselves. ``local``: whether a module is a file of the config's folder."""
    from mlbom.formats.config_targets import denied

    if len(text) > MAX_TEXT:
        if "dynamic_registration" not in text:
            # a text-mode file's universal newlines: a lone CR starts a line too
            if EFFECT_STATEMENT.search(text.replace("\r", "\n")) is None:
                return []
            return [Judged("code.remote", "high", f"{where}: gin text of more than {MAX_TEXT // 1024} KiB that may "
                           "import a module that does something when imported: not read", "suspicious")]
        return [Judged("code.remote", "high", f"{where}: gin with dynamic registration, more than {MAX_TEXT // 1024} "
                       "KiB: not read (the program calls what its references name)", "suspicious")]
    toks, stopped = _tokens(text)
    aliases: dict[str, str] = {}
    dynamic = False
    out: list[Judged] = []
    named: list[str] = []
    modules: list[str] = []
    for st in _statements(toks):
        head = st[0].string if st[0].type == tokenize.NAME else ""
        if head in ("from", "import", "include") and _binding(st):
            head = ""  # `import = @os.system()`, `include/x.p = …`: gin looks for a binding first (115pa-1)
        if head == "from" and len(st) >= 4:
            module, k = _dotted(st, 1)
            if k < len(st) and st[k].string == "import":
                name, k = _dotted(st, k + 1)
                alias = st[k + 1].string if k + 1 < len(st) and st[k].string == "as" else None
                if module == "__gin__" and name == "dynamic_registration":
                    dynamic = True
                elif name:
                    aliases[alias or name] = f"{module}.{name}"
                    modules.append(f"{module}.{name}")  # (__import__ of module.name: module's code runs first)
            continue
        if head == "import" and len(st) >= 2:
            module, k = _dotted(st, 1)
            alias = st[k + 1].string if k + 1 < len(st) and st[k].string == "as" else None
            if module:
                aliases[alias or module.split(".")[0]] = module if alias else module.split(".")[0]
                modules.append(module)
            continue
        if head == "include":
            for tok in st[1:]:
                if tok.type == tokenize.STRING:
                    try:
                        path = ast.literal_eval(tok.string)
                    except (ValueError, SyntaxError, MemoryError, RecursionError):
                        path = tok.string
                    if isinstance(path, str) and _include_outside(path):
                        out.append(Judged("config.gin-include", "high", f"{where}: includes {path[:200]!r}, a file "
                                          "outside the model's folder, read as more configuration", "suspicious"))
            continue
        # a reference hands the configurable (or, with "()", what calling it returns) to the
        # program; a binding only sets a parameter of one the program or a reference calls
        named.extend(_references(st))
    out.extend(_imports(modules, where, local, every))
    if not dynamic:
        return out
    seen: set[str] = set()
    for name in named[:MAX_NAMED]:
        first, _, rest = name.partition(".")
        path = f"{aliases[first]}.{rest}" if first in aliases and rest else aliases.get(first, name)
        if path in seen:
            continue
        seen.add(path)
        why = denied(path)
        if why is not None:
            out.append(Judged("code.dangerous-target", "critical", f"{where}: gin (dynamic registration) makes "
                              f"{path} configurable and calls it ({why})", "unsafe"))
    callables = sorted(seen)
    if callables and not any(j.effect == "unsafe" for j in out):
        shown = ", ".join(callables[:10]) + (f" and {len(callables) - 10} more" if len(callables) > 10 else "")
        out.append(Judged("code.remote", "high", f"{where}: gin with dynamic registration: the program calls what "
                          f"this file names ({shown})", "suspicious"))
    if len(named) > MAX_NAMED or stopped:
        why = f"more than {MAX_NAMED} configurables named" if len(named) > MAX_NAMED else f"read up to {stopped}"
        out.append(Judged("code.remote", "high", f"{where}: gin with dynamic registration, {why}: not checked "
                          "to the end", "suspicious"))
    return out
