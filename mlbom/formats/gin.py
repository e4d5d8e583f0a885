"""gin-config files (``*.gin``; T5X and other JAX checkpoints keep the run's ``config.gin``): what
parsing one would call.

gin's parser (``gin/config_parser.py``, ``gin/config.py``) reads statements, not data: ``import
a.b`` imports a module, ``include 'x.gin'`` reads another file, ``scope/name.param = value`` binds
a parameter and ``@name`` / ``@name()`` reference a configurable, the second *called* when the
binding is used. Only registered configurables can be named, unless the file says ``from __gin__
import dynamic_registration``: then any function or class of an imported module is configurable
(``os.system.command = 'x'`` and ``@os.system()``). So, with dynamic registration, every
configurable a reference names is a callable the file picks, judged like a Hydra
``_target_``: a denied one (``mlbom.formats.config_targets.denied``) is ``unsafe``, any other is
code the file makes the program call (``suspicious``, as a non-denied ``_target_`` is). An
``include`` of an absolute path or one leaving the folder reads a file outside the model.

The reading is one linear pass over the text (strings and comments set aside, as gin's tokenizer
does), bounded by the text's size: no regular expression backtracks over untrusted input."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlbom.model import Judged

MAX_NAMED = 10_000  # configurables judged per file (past it: not checked to the end)

_IMPORT = re.compile(r"import[ \t]+([A-Za-z_][\w.]*)(?:[ \t]+as[ \t]+([A-Za-z_]\w*))?[ \t]*$")
_FROM_IMPORT = re.compile(r"from[ \t]+([A-Za-z_][\w.]*)[ \t]+import[ \t]+([A-Za-z_]\w*)(?:[ \t]+as[ \t]+([A-Za-z_]\w*))?[ \t]*$")
_DYNAMIC = re.compile(r"from[ \t]+__gin__[ \t]+import[ \t]+dynamic_registration[ \t]*$")
_INCLUDE = re.compile(r"include[ \t]+(.*)$")
_REFERENCE = re.compile(r"@((?:[\w.]+/)*)([A-Za-z_][\w.]*)[ \t]*(\(\))?")


@dataclass
class _Statements:
    lines: list[str]  # logical lines, strings replaced by '' and comments dropped
    strings: list[list[str]]  # the string literals of each logical line


def _statements(text: str) -> _Statements:
    """Logical lines (a bracket left open continues the line, as gin's tokenizer reads them), with
    the string literals taken out and comments dropped: one pass over the characters."""
    lines: list[str] = []
    strings: list[list[str]] = []
    cur: list[str] = []
    lits: list[str] = []
    depth = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            quote = text[i:i + 3] if text[i:i + 3] in ("'''", '"""') else c
            j = i + len(quote)
            buf: list[str] = []
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                    continue
                if text[j] == "\n" and len(quote) == 1:
                    break
                buf.append(text[j])
                j += 1
            lits.append("".join(buf))
            cur.append("''")
            i = j + len(quote) if text.startswith(quote, j) else j
            continue
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        if c == "\n" and depth == 0:
            lines.append("".join(cur).strip())
            strings.append(lits)
            cur, lits = [], []
        elif c == "\\" and text[i + 1:i + 2] == "\n":
            i += 2
            continue
        else:
            cur.append(" " if c == "\n" else c)
        i += 1
    lines.append("".join(cur).strip())
    strings.append(lits)
    return _Statements(lines, strings)


def judge(text: str, where: str) -> list[Judged]:
    """The findings of one gin file (``where`` names it in the messages)."""
    from mlbom.formats.config_targets import denied

    st = _statements(text)
    aliases: dict[str, str] = {}
    dynamic = False
    out: list[Judged] = []
    named: list[str] = []
    for line, lits in zip(st.lines, st.strings, strict=True):
        if not line:
            continue
        if _DYNAMIC.match(line):
            dynamic = True
            continue
        if (m := _IMPORT.match(line)) is not None:
            module, alias = m.group(1), m.group(2)  # (an import alone runs only that module's own code)
            aliases[alias or module.split(".")[0]] = module if alias else module.split(".")[0]
            continue
        if (m := _FROM_IMPORT.match(line)) is not None:  # from t5x import adafactor
            aliases[m.group(3) or m.group(2)] = f"{m.group(1)}.{m.group(2)}"
            continue
        if (m := _INCLUDE.match(line)) is not None:
            for path in lits:
                if path.startswith(("/", "\\", "~")) or ".." in path.replace("\\", "/").split("/") or ":" in path[:3]:
                    out.append(Judged("config.gin-include", "high", f"{where}: includes {path[:200]!r}, a file "
                                      "outside the model's folder, read as more configuration", "suspicious"))
            continue
        # a reference hands the configurable (or, with "()", what calling it returns) to the
        # program; a binding only sets a parameter of one the program or a reference calls
        named.extend(ref.group(2) for ref in _REFERENCE.finditer(line))
    if not dynamic:
        return out
    seen: set[str] = set()
    for name in named[:MAX_NAMED]:
        head, _, rest = name.partition(".")
        path = f"{aliases[head]}.{rest}" if head in aliases and rest else aliases.get(head, name)
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
    if len(named) > MAX_NAMED:
        out.append(Judged("code.remote", "high", f"{where}: more than {MAX_NAMED} configurables named: not checked "
                          "to the end", "suspicious"))
    return out
