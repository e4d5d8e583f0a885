"""The policy file: ``mlbom-policy.toml``, or a ``[policy]`` table in ``mlbom.toml``.

Every key is checked before anything is evaluated, and every problem names the file and the
line (``mlbom-policy.toml:7: licenses.alow: unknown key (did you mean 'allow'?)``): a policy
that silently ignored a misspelt key would pass releases it was written to stop. ``tomllib``
gives no positions, so :func:`_key_lines` finds them with a small scan of the TOML text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mlbom.errors import InputError, MlbomError
from mlbom.formats.safe_read import check_toml_keys, read_bounded
from mlbom.limits import MAX_POLICY_KEY_DEPTH
from mlbom.model import SEVERITIES, VERDICTS, Severity
from mlbom.policy.globs import star_runs

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

POLICY_FILE = "mlbom-policy.toml"
PROJECT_FILE = "mlbom.toml"
MAX_POLICY_BYTES = 1 << 20

Missing = Literal["fail", "warn"]
Unknown = Literal["fail", "warn", "ignore"]


class PolicyError(MlbomError):
    """The policy file is invalid; the CLI exits 2 with this one line."""


@dataclass(frozen=True)
class Exception_:
    """One ``[[exceptions]]`` entry: waives violations of ``id`` on ``component``."""

    id: str
    reason: str
    component: str | None = None
    expires: dt.date | None = None
    line: int = 0

    def label(self) -> str:
        on = f" on {self.component}" if self.component else ""
        until = f" until {self.expires.isoformat()}" if self.expires else ""
        return f"{self.id}{on}{until}: {self.reason}"


@dataclass(frozen=True)
class PackageDeny:
    """A ``[packages] deny`` entry: a PEP 503 name and an optional PEP 440 specifier."""

    text: str
    name: str
    specifier: str
    spec: SpecifierSet | None = field(default=None, compare=False, repr=False)
    """``specifier`` parsed once at load, every version in it checked (red team 93c-4)."""


@dataclass(frozen=True)
class Policy:
    """A validated policy. ``None``/empty means the rule is not asked for."""

    source: str = "default policy"
    license_allow: tuple[str, ...] = ()
    license_deny: tuple[str, ...] = ()
    license_allow_keys: frozenset[str] = frozenset()
    """Every licence ``license_allow`` names, parsed once at load (red team 93c-1)."""
    license_deny_keys: frozenset[str] = frozenset()
    license_unknown: Unknown | None = None
    model_formats: tuple[str, ...] | None = None
    model_verdicts: tuple[str, ...] | None = None
    require_card: bool = False
    require_model_license: bool = False
    require_base_model_revision: bool = False
    models_missing: Missing = "fail"
    require_dataset_license: bool = False
    require_checksums: bool = False
    datasets_missing: Missing = "fail"
    findings_fail_on: Severity | None = None
    findings_missing: Missing = "fail"
    vulns_fail_on: Severity | None = None
    max_cvss: float | None = None
    vulns_missing: Missing = "fail"
    package_deny: tuple[PackageDeny, ...] = ()
    require_hashes: bool = False
    forbid_extra_index_url: bool = False
    packages_missing: Missing = "fail"
    signature_required: bool = False
    signature_every_key: bool = False
    exceptions: tuple[Exception_, ...] = field(default=())

    @property
    def licenses_asked(self) -> bool:
        return bool(self.license_allow or self.license_deny)


DEFAULT = Policy(
    source="default policy",
    model_verdicts=("safe", "suspicious"),
    findings_fail_on="critical",
    vulns_fail_on="critical",
    vulns_missing="warn",
)
"""No unsafe or unscannable model files, no critical findings, no critical vulnerabilities
(a BOM without vulnerability data gets a warning, not a failure). See docs/policy.md."""


def _severity(v: object) -> Severity:
    if isinstance(v, str) and v.lower() in SEVERITIES:
        return SEVERITIES[SEVERITIES.index(v.lower())]
    raise ValueError(f"{v!r} is not a severity (one of: {', '.join(SEVERITIES)})")


def _bool(v: object) -> bool:
    if isinstance(v, bool):
        return v
    raise ValueError(f"must be true or false, not {_tname(v)}")


def _str(v: object) -> str:
    if isinstance(v, str) and v.strip():
        return v.strip()
    raise ValueError("must not be empty" if isinstance(v, str) else f"must be a string, not {_tname(v)}")


def _choice(*options: str) -> Callable[[object], str]:
    def check(v: object) -> str:
        if isinstance(v, str) and v in options:
            return v
        raise ValueError(f"must be one of {', '.join(repr(o) for o in options)}, not {v!r}")
    return check


def _distinct(v: object) -> list[tuple[int, str]]:
    """The distinct entries of a list of strings (first spelling kept), each with its index in the
    list as written: a list is a set to every rule, so each entry is validated once and no message
    repeats one (red team 83c-6: 166,000 ``"MIT"`` took 8 s to load). More than
    :data:`~mlbom.limits.MAX_POLICY_LIST_ITEMS` distinct entries is a policy error."""
    from mlbom.limits import MAX_POLICY_LIST_ITEMS

    if not isinstance(v, list):
        raise ValueError(f"must be a list of strings, not {_tname(v)}")
    out: dict[str, int] = {}
    for i, x in enumerate(v):
        if not isinstance(x, str) or not x.strip():
            raise ValueError(f"item {i + 1} must be a non-empty string, not {_tname(x)}")
        out.setdefault(x.strip(), i)
        if len(out) > MAX_POLICY_LIST_ITEMS:
            raise ValueError(f"more than {MAX_POLICY_LIST_ITEMS:,} distinct entries (a policy list has at most "
                             f"{MAX_POLICY_LIST_ITEMS:,})")
    return [(i, x) for x, i in out.items()]


def _str_list(v: object) -> list[str]:
    return [x for _, x in _distinct(v)]


def summary(items: Sequence[str], limit: int = 10) -> str:
    """A policy list as a message shows it: the first ``limit`` entries, then "and K more" (red team
    83c-6: every violation wrote the whole ``allow`` list, 250 MB of output for 300 libraries)."""
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit:,} more" if len(items) > limit else shown


def _number(v: object) -> float:
    """A CVSS score, 0.0 to 10.0. The range is checked on the value as read, before ``float()``:
    a TOML integer has no size limit, and ``float()`` of one past 1.8e308 raises OverflowError
    (red team 78c-6: a 401-digit ``max-cvss`` was an internal error). A huge integer is not
    printed whole (nor converted to text past CPython's digit limit)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"must be a number, not {_tname(v)}")
    if not 0 <= v <= 10:  # int compared as int, float as float (nan fails): never converted first
        text = str(v) if not isinstance(v, int) or -10**18 < v < 10**18 else "an integer past 10^18"
        raise ValueError(f"{text} is not a CVSS score (0.0 to 10.0)")
    return float(v)


def _tname(v: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(v), type(v).__name__)


_OPERATORS = frozenset({"AND", "OR", "WITH"})


def _terms(expression: str) -> int:
    """Licence terms an expression names (operators and parentheses not counted); linear."""
    return sum(1 for t in re.split(r"[\s()]+", expression) if t and t.upper() not in _OPERATORS)


@dataclass(frozen=True)
class _Licences:
    """A checked ``[licenses]`` list: its entries and every licence key they name."""

    entries: tuple[str, ...]
    keys: frozenset[str]


def _spdx(v: object) -> _Licences:
    """SPDX expressions that the licence rules can evaluate: checked here, at load time, so that
    an expression too long or with too many ways to read it is a policy error (red team 5c F5).
    Each is parsed once, here, and the licence keys the list names are kept on the policy (red
    team 93c-1: the rules parsed every entry again, through a cache 8,192 entries thrash)."""
    from mlbom.licenses import is_spdx_expression
    from mlbom.limits import MAX_LICENSE_EXPRESSION_CHARS, MAX_POLICY_LICENSE_TERMS
    from mlbom.policy import licexpr

    indexed = _distinct(v)
    for i, x in indexed:
        if len(x) > MAX_LICENSE_EXPRESSION_CHARS:
            raise ValueError(f"[{i}]: {len(x):,} characters, more than the {MAX_LICENSE_EXPRESSION_CHARS:,} a licence expression may have")
    terms = sum(_terms(x) for _, x in indexed)
    if terms > MAX_POLICY_LICENSE_TERMS:  # before any is parsed (red team 93c-1)
        raise ValueError(f"{terms:,} licence terms, more than the {MAX_POLICY_LICENSE_TERMS:,} one list may name")
    parsed = []
    for i, x in indexed:
        if not is_spdx_expression(x):
            raise ValueError(f"{x!r} is not a valid SPDX licence id or expression")
        try:
            parsed.append(licexpr.parse_checked(x))
        except licexpr.Unparsable as exc:
            raise ValueError(f"[{i}] {x[:80]!r}: {exc}") from exc
    return _Licences(tuple(x for _, x in indexed), licexpr.keys_in(parsed))


def _formats(v: object) -> list[str]:
    return list(dict.fromkeys(x.lower() for x in _str_list(v)))


def _verdicts(v: object) -> list[str]:
    items = _str_list(v)
    for x in items:
        if x not in VERDICTS:
            raise ValueError(f"{x!r} is not a scan verdict (one of: {', '.join(VERDICTS)})")
    return items


def _deny(v: object) -> list[PackageDeny]:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from mlbom.limits import MAX_SPECIFIER_CHARS
    from mlbom.versions import specifier_ok

    out = []
    for x in _str_list(v):
        if len(x) > MAX_SPECIFIER_CHARS:
            raise ValueError(f"{x[:80]!r}...: longer than {MAX_SPECIFIER_CHARS:,} characters")
        try:
            req = Requirement(x)
        except InvalidRequirement as exc:
            raise ValueError(f"{x!r} is not 'NAME [PEP 440 SPECIFIER]': {str(exc).splitlines()[0]}") from exc
        if req.url or req.marker or req.extras:
            raise ValueError(f"{x!r}: only a name and a version specifier are allowed")
        if not specifier_ok(req.specifier):
            raise ValueError(f"{x[:80]!r}: a version in the specifier is not a PEP 440 version")
        out.append(PackageDeny(x, canonicalize_name(req.name), str(req.specifier), req.specifier))
    return out


_Check = Callable[[object], object]
# section -> key -> (validator, Policy field)
_SCHEMA: dict[str, dict[str, tuple[_Check, str]]] = {
    "licenses": {"allow": (_spdx, "license_allow"), "deny": (_spdx, "license_deny"),
                 "unknown": (_choice("fail", "warn", "ignore"), "license_unknown")},
    "models": {"formats": (_formats, "model_formats"), "verdicts": (_verdicts, "model_verdicts"),
               "require-card": (_bool, "require_card"), "require-license": (_bool, "require_model_license"),
               "require-base-model-revision": (_bool, "require_base_model_revision"),
               "missing-data": (_choice("fail", "warn"), "models_missing")},
    "datasets": {"require-license": (_bool, "require_dataset_license"), "require-checksums": (_bool, "require_checksums"),
                 "missing-data": (_choice("fail", "warn"), "datasets_missing")},
    "findings": {"fail-on": (_severity, "findings_fail_on"), "missing-data": (_choice("fail", "warn"), "findings_missing")},
    "vulnerabilities": {"fail-on": (_severity, "vulns_fail_on"), "max-cvss": (_number, "max_cvss"),
                        "missing-data": (_choice("fail", "warn"), "vulns_missing")},
    "packages": {"deny": (_deny, "package_deny"), "require-hashes": (_bool, "require_hashes"),
                 "forbid-extra-index-url": (_bool, "forbid_extra_index_url"),
                 "missing-data": (_choice("fail", "warn"), "packages_missing")},
    "signature": {"required": (_bool, "signature_required"), "every-key": (_bool, "signature_every_key")},
}
_EXCEPTION_KEYS = ("id", "component", "reason", "expires")


def load(path: Path) -> Policy:
    """Read and validate a policy file: ``mlbom.toml`` (its ``[policy]`` table) or a policy file."""
    doc, text = _read(path)
    if path.name == PROJECT_FILE:
        table = doc.get("policy")
        if not isinstance(table, dict):
            raise PolicyError(f"{path}: no [policy] table")
        return parse(table, text, str(path), prefix=("policy",))
    return parse(doc, text, str(path))


def find(project_dir: Path) -> Policy | None:
    """The project's policy: ``mlbom-policy.toml``, else ``[policy]`` in ``mlbom.toml``, else None."""
    own = project_dir / POLICY_FILE
    if own.is_file():
        return load(own)
    proj = project_dir / PROJECT_FILE
    if proj.is_file():
        doc, text = _read(proj)
        table = doc.get("policy")
        if table is not None:
            if not isinstance(table, dict):
                raise PolicyError(f"{proj}:{_key_lines(text).get(('policy',), 1)}: policy must be a table")
            return parse(table, text, str(proj), prefix=("policy",))
    return None


def loads(data: bytes, source: str = "<policy>") -> Policy:
    """Validate a policy file's bytes (a policy file's own layout, not ``mlbom.toml``)."""
    doc, text = _decode(data, source)
    return parse(doc, text, source)


def _read(path: Path) -> tuple[dict[str, object], str]:
    # a regular file only: a FIFO would block for ever (red team 44p-2)
    try:
        raw = read_bounded(path, MAX_POLICY_BYTES, head=True)
    except InputError as exc:
        raise PolicyError(f"{path}: cannot read the policy: {exc.detail}") from exc
    return _decode(raw, str(path))


def _decode(raw: bytes, path: str) -> tuple[dict[str, object], str]:
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"{path}: policy larger than {MAX_POLICY_BYTES >> 20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: policy is not UTF-8") from exc
    try:  # before tomllib, which is quadratic in the parts of one key (red team 83c-4)
        check_toml_keys(text, path, max_parts=MAX_POLICY_KEY_DEPTH)
    except InputError as exc:
        raise PolicyError(f"{path}:{(exc.at or 'line 1').removeprefix('line ')}: key or table header more than "
                          f"{MAX_POLICY_KEY_DEPTH} levels deep (a policy key has at most {MAX_POLICY_KEY_DEPTH})") from None
    try:
        return tomllib.loads(text), text
    except RecursionError as exc:  # tomllib recurses per nested array or inline table (red team 46p-4)
        raise PolicyError(f"{path}: not valid TOML: arrays or tables nested too deeply") from exc
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise PolicyError(f"{where}: not valid TOML: {re.sub(r' [(]at line.*', '', str(exc))}") from exc
    except ValueError as exc:  # an integer of more than 4,300 digits (red team 122g-1), a date out of range
        said = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise PolicyError(f"{path}: not valid TOML: a value cannot be read: {said}") from exc


def parse(doc: dict[str, object], text: str, source: str, *, prefix: tuple[str, ...] = ()) -> Policy:
    """Validate a policy document (the parsed TOML) whose text is ``text``; errors carry ``source:line``."""
    lines = _key_lines(text)
    dotted = ".".join(prefix) + "." if prefix else ""

    def fail(path: tuple[str | int, ...], message: str) -> PolicyError:
        line = _line_of(lines, (*prefix, *path))
        return PolicyError(f"{source}:{line}: {message}")

    values: dict[str, object] = {}
    for section, table in doc.items():
        if section == "exceptions":
            continue
        if section not in _SCHEMA:
            what = f"unknown table [{dotted}{section}]" if isinstance(table, dict) else f"unknown key {dotted}{section}"
            raise fail((section,), f"{what}{_suggest(section, [*_SCHEMA, 'exceptions'])}")
        if not isinstance(table, dict):
            raise fail((section,), f"{dotted}{section} must be a table, not {_tname(table)}")
        keys = _SCHEMA[section]
        for key, value in table.items():
            if key not in keys:
                raise fail((section, key), f"{dotted}{section}.{key}: unknown key{_suggest(key, list(keys))}")
            check, attr = keys[key]
            try:
                checked = check(value)
            except ValueError as exc:
                raise fail((section, key), f"{dotted}{section}.{key}: {exc}") from None
            if isinstance(checked, _Licences):
                values[attr], values[f"{attr}_keys"] = checked.entries, checked.keys
            else:
                values[attr] = tuple(checked) if isinstance(checked, list) else checked
    if values.get("signature_every_key"):
        # sign-off by every key is a signature rule: a BOM with no signature was not signed by
        # every key, so every-key alone turns ``required`` on (red team 25s-3: it enabled nothing)
        if values.get("signature_required") is False:
            raise fail(("signature", "required"), f"{dotted}signature.required = false contradicts "
                                                  f"{dotted}signature.every-key = true (every key must have signed)")
        values["signature_required"] = True
    values["exceptions"] = tuple(_exceptions(doc.get("exceptions", []), fail, dotted, lines, prefix))
    return Policy(source=source, **values)  # type: ignore[arg-type]


def _exceptions(raw: object, fail: Callable[[tuple[str | int, ...], str], PolicyError], dotted: str,
                lines: dict[tuple[str | int, ...], int], prefix: tuple[str, ...]) -> list[Exception_]:
    if not isinstance(raw, list):
        raise fail(("exceptions",), f"{dotted}exceptions must be an array of tables ([[{dotted}exceptions]])")
    out = []
    for i, entry in enumerate(raw):
        where = f"{dotted}exceptions[{i + 1}]"
        if not isinstance(entry, dict):
            raise fail(("exceptions", i), f"{where} must be a table")
        for key in entry:
            if key not in _EXCEPTION_KEYS:
                raise fail(("exceptions", i, key), f"{where}.{key}: unknown key{_suggest(key, list(_EXCEPTION_KEYS))}")
        for key in ("id", "reason"):
            if key not in entry:
                raise fail(("exceptions", i), f"{where}: missing {key!r}" +
                           (" (every exception says why it is acceptable)" if key == "reason" else ""))
        checked: dict[str, object] = {}
        for key, value in entry.items():
            try:
                if key == "expires":
                    checked[key] = _date(value)
                else:
                    checked[key] = _str(value)
            except ValueError as exc:
                raise fail(("exceptions", i, key), f"{where}.{key}: {exc}") from None
        component = checked.get("component")
        if isinstance(component, str) and (stars := star_runs(component)) > MAX_GLOB_STARS:
            raise fail(("exceptions", i, "component"), f"{where}.component: {stars} wildcard runs ('*'), more than "
                       f"{MAX_GLOB_STARS}: each one is walked at every character of every name (red team 51p-2)")
        line = _line_of(lines, (*prefix, "exceptions", i))
        out.append(Exception_(id=str(checked["id"]), reason=str(checked["reason"]),
                              component=checked.get("component") and str(checked["component"]),  # type: ignore[arg-type]
                              expires=checked.get("expires"), line=line))  # type: ignore[arg-type]
    return out


MAX_GLOB_STARS = 64
"""Runs of ``*`` (``*``, ``**``, ``*?*``: one each) one exception's ``component`` glob may hold."""


def _date(v: object) -> dt.date:
    if isinstance(v, dt.datetime):
        raise ValueError(f"must be a date (YYYY-MM-DD), not a date-time {v.isoformat()}")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
                return dt.date.fromisoformat(v.strip())
        except ValueError as exc:
            raise ValueError(f"{v!r} is not a valid date: {exc}") from None
    raise ValueError(f"{v!r} is not a date (YYYY-MM-DD)")


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(options))})"


def _header(line: str) -> tuple[str, str] | None:
    """``("[" or "[[", key text)`` of a table header line, else None. A plain scan, linear in
    the line: a backtracking pattern here was cubic on lines such as ``[`` + spaces + ``1``."""
    s = line.lstrip()
    if not s.startswith("["):
        return None
    opener = "[[" if s.startswith("[[") else "["
    rest = s[len(opener):]
    end = rest.find("]")
    name = rest[:end].strip() if end >= 0 else ""
    if not name:
        return None
    tail = rest[end + 1:]
    tail = (tail[1:] if tail.startswith("]") else tail).lstrip()
    return (opener, name) if not tail or tail.startswith("#") else None


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(line: str) -> str | None:
    """The (dotted) key text of a ``key = value`` line, else None: bare and quoted parts joined
    by dots, then ``=``. A plain scan, each character looked at once."""
    if "=" not in line:
        return None
    n = len(line)
    i = len(line) - len(line.lstrip())
    start = i
    while True:
        if i < n and line[i] in "\"'":
            close = line.find(line[i], i + 1)
            if close < 0:
                return None
            i = close + 1
        else:
            m = _BARE.match(line, i)
            if m is None:
                return None
            i = m.end()
        end = i
        while i < n and line[i].isspace():
            i += 1
        if i < n and line[i] == "=":
            return line[start:end]
        if i >= n or line[i] != ".":
            return None
        i += 1
        while i < n and line[i].isspace():
            i += 1


def _split_key(raw: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", raw)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Line numbers of tables, array-of-table entries and keys: ``("licenses", "allow") -> 3``,
    ``("exceptions", 0, "reason") -> 12``. Lines inside multi-line strings are skipped. Every prefix
    of a key is stored, so a line costs the square of its key's parts: :func:`_decode` refused keys of
    more than :data:`~mlbom.limits.MAX_POLICY_KEY_DEPTH` parts first (red team 83c-4)."""
    lines: dict[tuple[str | int, ...], int] = {}
    counts: dict[tuple[str, ...], int] = {}
    table: tuple[str | int, ...] = ()
    in_multi: str | None = None
    # TOML ends a line at "\n" only: str.splitlines also splits at U+2028, U+0085, \x0c …, which
    # made a comment's tail a key line that check_toml_keys and tomllib never saw (red team 84-5)
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r")
        if in_multi is not None:
            if line.count(in_multi) % 2 == 1:
                in_multi = None
            continue
        header = _header(line)
        if header and _key(line) is None:
            parts = _split_key(header[1])
            if header[0] == "[[":
                idx = counts.get(parts, 0)
                counts[parts] = idx + 1
                table = (*parts, idx)
            else:
                table = parts
            if len(table) > 2 * MAX_POLICY_KEY_DEPTH:
                continue  # (refused by _decode)
            for i in range(1, len(table) + 1):
                lines.setdefault(table[:i], n)
            continue
        k = _key(line)
        if k is not None:
            key = (*table, *_split_key(k))
            if len(key) > 2 * MAX_POLICY_KEY_DEPTH:
                continue  # (refused by _decode; never stored prefix by prefix)
            for i in range(len(table) + 1, len(key) + 1):
                lines.setdefault(key[:i], n)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_multi = quote
    return lines


def _line_of(lines: dict[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int:
    """The line of ``path``, else of its nearest enclosing table, else 1."""
    for i in range(len(path), 0, -1):
        if path[:i] in lines:
            return lines[path[:i]]
    return 1
