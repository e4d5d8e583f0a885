"""pip requirements files, read by pip-requirements-parser in linear time (issue 19).

pip-requirements-parser (pip's own parsing code) stays the parser of record: its line joiner,
its option definitions (``build_parser``), its option handling (``handle_line``) and its
requirement builder (``build_req_from_parsedreq``) make every requirement, option line and
invalid line. What this module replaces is the glue of ``RequirementsFile.from_file`` around
them, for three costs that grew with the input and no semantics:

- **One option parser per file, not per line.** The library builds a new ``optparse`` parser for
  every line (pip does, because ``append`` options would accumulate in shared default lists):
  0.5 ms of CPU a line here (2–10 ms under load), so a 1 MB file took minutes. Here one parser is
  built per file and every line gets fresh copies of the default values, which is what a new
  parser gave.
- **Linear splitting.** ``break_args_options`` pops tokens off the front of a list (quadratic in
  the words before the first option), ``split_comments`` searches ``(^|\\s+)(#.*)$``, which
  backtracks quadratically over a run of whitespace not followed by ``#`` (40,000 no-break
  spaces: 37 s), and ``shlex`` reads options a character at a time. Each is replaced by a
  linear equivalent that gives the same pieces, the same tokens and the same error messages
  (``tests/formats/test_reqfile.py`` checks them against the library's and ``shlex``'s own).
- **No temporary file.** The text is parsed as read (and decoded) once, not written out and
  read back.

``tame`` (blank runs made one blank long, moved here from the collector) still runs first: it
bounds what reaches ``packaging``'s requirement parser, and the library's own path is compared
after it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from optparse import Values
from typing import Any

from pip_requirements_parser import (
    LEGACY_OPTIONS_DEST,
    OPT_BY_OPTIONS_DEST,
    CommentRequirementLine,
    IncorrectRequirementLine,
    InstallRequirement,
    InvalidRequirementLine,
    OptionLine,
    ParsedLine,
    ParsedRequirement,
    RequirementLine,
    RequirementsFile,
    build_parser,
    build_req_from_parsedreq,
    dumps_global_options,
    handle_line,
    join_lines,
)

__all__ = ["ReadRequirements", "parse_requirements_text", "split_comment", "split_options", "tame"]

_WHITESPACE_RUN = re.compile(r"[ \t\f\v\r]{2,}")  # no backtracking: one class, one quantifier
_COMMENT_START = re.compile(r"\s#")  # two fixed characters: linear
_SHLEX_BLANK = " \t\r\n"  # shlex's whitespace
_SHLEX_SPECIAL = frozenset("'\"\\")
_SHLEX_BLANKS = re.compile(r"[ \t\r\n]+")
# One piece of a POSIX shlex word: plain characters, an escaped character, a single-quoted or a
# double-quoted string; or a run of blanks between words. Alternatives start with distinct
# characters and each quantifier covers one class: no backtracking.
_SHLEX_PIECE = re.compile(
    r"""(?P<plain>[^ \t\r\n'"\\]+)|\\(?P<escaped>.)|'(?P<single>[^']*)'|"(?P<double>(?:[^"\\]|\\.)*)"|(?P<blank>[ \t\r\n]+)""",
    re.DOTALL,
)
_DOUBLE_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def tame(text: str) -> str:
    r"""The requirements text with every run of blanks one space long, also across ``\``
    continuations (blank continuation lines contribute nothing), line count unchanged.

    pip's grammar does not tell one blank from many, so the requirements read are the same;
    what reaches ``packaging`` and the line splitters is bounded by the text that matters."""
    out: list[str] = []
    continued = False
    for line in text.split("\n"):
        line = _WHITESPACE_RUN.sub(" ", line)
        if continued:
            line = line.lstrip(" \t\f\v\r")
        core = line.rstrip("\r")
        continued = core.endswith("\\")
        if continued:
            body = core[:-1]
            kept = body.rstrip(" \t\f\v\r")
            line = (kept + (" " if kept != body else "") + "\\") if kept else "\\"
        out.append(line)
    return "\n".join(out)


def split_comment(line: str) -> tuple[str, str]:
    """``(text, comment)`` of one joined line, both stripped: what the library's
    ``split_comments`` gets from ``COMMENT_RE.split`` (a comment starts at a ``#`` that begins
    the line or follows whitespace), found without backtracking."""
    if line.startswith("#"):
        return "", line.strip()
    m = _COMMENT_START.search(line)
    if m is None:
        return line.strip(), ""
    return line[: m.start()].strip(), line[m.start() + 1 :].strip()


def split_options(line: str) -> tuple[str, str]:
    """``(arguments, options)``: the line's space-separated words before the first one that
    starts with ``-``, and the rest (the library's ``break_args_options``, in linear time)."""
    words = line.split(" ")
    first = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    return " ".join(words[:first]), " ".join(words[first:])


def shlex_split(text: str) -> list[str]:
    """``shlex.split(text)`` (POSIX mode, no comments), in linear time and with its errors
    (``ValueError``: "No closing quotation", "No escaped character")."""
    if _SHLEX_SPECIAL.isdisjoint(text):
        return [w for w in _SHLEX_BLANKS.split(text) if w]
    words: list[str] = []
    word: list[str] = []
    started = False  # a word has begun (an empty quoted string is a word)
    pos, end = 0, len(text)
    while pos < end:
        m = _SHLEX_PIECE.match(text, pos)
        if m is None:  # an unterminated quote, or a backslash at the very end
            if text[pos] == "\\" or (text[pos] == '"' and text.endswith("\\") and _odd_tail_backslash(text, pos)):
                raise ValueError("No escaped character")
            raise ValueError("No closing quotation")
        pos = m.end()
        kind = m.lastgroup
        if kind == "blank":
            if started:
                words.append("".join(word))
                word, started = [], False
            continue
        started = True
        if kind == "double":
            word.append(_DOUBLE_ESCAPE.sub(_unescape_double, m.group("double")))
        else:
            word.append(m.group(kind or ""))
    if started:
        words.append("".join(word))
    return words


def _odd_tail_backslash(text: str, quote: int) -> bool:
    """Whether the unterminated double-quoted string opened at ``quote`` ends inside an escape
    (its last backslash escapes nothing)."""
    body = text[quote + 1 :]
    return (len(body) - len(body.rstrip("\\"))) % 2 == 1


def _unescape_double(m: re.Match[str]) -> str:
    """In double quotes a backslash escapes only ``"`` and itself (POSIX shells, and shlex)."""
    return m.group(1) if m.group(1) in '"\\' else m.group(0)


class _LineParser:
    """The library's per-line parser (``get_line_parser``) with one ``optparse`` parser per file."""

    def __init__(self) -> None:
        self._parser = build_parser()
        self._pristine = vars(self._parser.get_default_values())
        # Every default is None, a bool, a string or an (empty) list of strings today: a fresh
        # list each is a fresh parser's values. Anything else is deep-copied.
        self._flat = all(v is None or isinstance(v, (bool, str)) or
                         (type(v) is list and all(isinstance(x, str) for x in v)) for v in self._pristine.values())

    def _fresh(self) -> Values:
        """The default values a new parser would start a line with (appendable defaults must
        not accumulate across lines)."""
        if not self._flat:
            return Values(copy.deepcopy(self._pristine))
        return Values({k: ([*v] if type(v) is list else v) for k, v in self._pristine.items()})

    def __call__(self, line: str) -> tuple[str, Values, list[str]]:
        args, options = split_options(line)
        values = self._fresh()
        if not options:
            return args, values, []
        opts, arguments = self._parser.parse_args(shlex_split(options), values)
        return args, opts, list(arguments)


def line_weight(body: str) -> int:
    """What a line with content counts toward a bound on lines read: 2 for a line that names a
    package (a component: pip's and packaging's parsing, a BOM entry), 1 for an option line
    (``-i``, ``--trusted-host``: about half the work). A line starting ``-e``/``--e…`` (``--editable``
    and its prefixes) names a package."""
    return 1 if body.startswith("-") and not body.startswith(("-e", "--e")) else 2


class ReadRequirements(RequirementsFile):  # type: ignore[misc]  # (the library is untyped)
    """A :class:`RequirementsFile` read up to a bound: ``stopped`` is ``(line, lines)`` — the
    line the reading stopped at, unread, and how many lines the text has from there on — or
    None when it was read to its end."""

    stopped: tuple[int, int] | None = None
    weight: int = 0
    """What the lines read weigh (:func:`line_weight`), toward a bound over several files."""


def _lines(text: str, filename: str, out: ReadRequirements | None = None, max_lines: int | None = None,
           ) -> Iterator[ParsedLine | InvalidRequirementLine | CommentRequirementLine]:
    """The library's ``RequirementsFileParser._parse_file`` over ``text`` (no includes); past
    ``max_lines`` lines with content (:func:`line_weight`: an option line counts 1, a line naming a
    package 2; joined lines count once, comments and blank lines not at all) it stops, and
    ``out.stopped`` says where."""
    line_parser = _LineParser()
    read = 0
    physical = text.splitlines()
    for number, joined in join_lines(enumerate(physical, start=1)):
        body, comment = split_comment(joined)
        if body and out is not None:
            weight = line_weight(body)
            if max_lines is not None and read + weight > max_lines:
                out.stopped = (number, len(physical) - number + 1)
                return
            read += weight
            out.weight = read
        if body:
            requirement_line = RequirementLine(line=body, line_number=number, filename=filename)
            try:
                requirement_string, options, arguments = line_parser(body)
                yield ParsedLine(requirement_string=requirement_string, options=options, is_constraint=False,
                                 requirement_line=requirement_line, arguments=arguments)
            except Exception as exc:  # as the library: it turns any failure into an invalid line
                yield InvalidRequirementLine(requirement_line=requirement_line, error_message=str(exc))
        if comment:
            yield CommentRequirementLine(line=comment, line_number=number, filename=filename)


def _items(text: str, filename: str, out: ReadRequirements | None = None, max_lines: int | None = None,
           ) -> Iterator[Any]:
    """What ``RequirementsFile.parse`` yields for ``text`` (without includes), up to ``max_lines``
    lines with content (:func:`_lines`)."""
    for line in _lines(text, filename, out, max_lines):
        if not isinstance(line, ParsedLine):
            yield line
            continue
        for parsed in handle_line(parsed_line=line):
            if isinstance(parsed, (InvalidRequirementLine, CommentRequirementLine)):
                yield parsed
            elif isinstance(parsed, OptionLine):
                yield parsed
                for opt in parsed.options:
                    if opt in LEGACY_OPTIONS_DEST:
                        yield IncorrectRequirementLine(requirement_line=parsed.requirement_line,
                                                       error_message=f"Unsupported, legacy option: {OPT_BY_OPTIONS_DEST[opt]}")
            else:
                try:
                    assert isinstance(parsed, ParsedRequirement)
                    req = build_req_from_parsedreq(parsed)
                    if req.invalid_options:
                        invos = dumps_global_options(req.invalid_options)
                        yield InvalidRequirementLine(
                            requirement_line=parsed.requirement_line,
                            error_message=f"Invalid global options, not supported with a requirement spec: {invos}")
                    else:
                        yield req
                except Exception as exc:  # as the library: a requirement that fails is an invalid line
                    yield InvalidRequirementLine(requirement_line=parsed.requirement_line,
                                                 error_message=str(exc).strip())


def parse_requirements_text(text: str, filename: str, max_lines: int | None = None) -> Any:
    """The ``RequirementsFile`` that ``RequirementsFile.from_file(filename)`` makes of ``text``
    (tamed first; includes are not followed), in time linear in the text — a
    :class:`ReadRequirements`: with ``max_lines``, the lines with content past it are not read
    (its ``stopped`` says from where; red team 106p-8: 100,000 one-line pins were 100,000
    components, 13 s). The reader that keeps what it read decides what to say of the rest."""
    requirements: list[InstallRequirement] = []
    options: list[OptionLine] = []
    invalid: list[InvalidRequirementLine] = []
    comments: list[CommentRequirementLine] = []
    out = ReadRequirements(filename=filename, requirements=requirements, options=options,
                           invalid_lines=invalid, comments=comments)
    for item in _items(tame(text), filename, out, max_lines):
        if isinstance(item, InvalidRequirementLine):
            invalid.append(item)
        elif isinstance(item, CommentRequirementLine):
            comments.append(item)
        elif isinstance(item, OptionLine):
            options.append(item)
        else:
            requirements.append(item)
    return out
