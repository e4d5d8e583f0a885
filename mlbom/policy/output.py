"""Renderers of a check :class:`Result`: text, JSON, Markdown (a pull-request comment), JUnit
XML (one test case per rule, for GitLab/Jenkins) and SARIF 2.1.0 (:mod:`mlbom.policy.sarif`).

Locations: a violation about a file names the file's path relative to the project (as the BOM
records it), prefixed with ``base`` (the project folder relative to the repository root) so CI
systems show it on the file; anything else is located at the BOM itself.
"""

from __future__ import annotations

from typing import Literal
from xml.etree import ElementTree as ET

from mlbom.jsonout import dump_document
from mlbom.policy.config import Exception_
from mlbom.policy.locate import location
from mlbom.policy.rules import RULES, Result, Violation
from mlbom.table import markdown_code, markdown_text, printable, printable_lines

Format = Literal["text", "json", "sarif", "junit", "markdown"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif", "junit", "markdown")


def render(result: Result, fmt: str, *, base: str | None = None) -> str:
    if fmt == "json":
        return _dumps(to_json(result, base=base))
    if fmt == "sarif":
        from mlbom.policy.sarif import sarif

        return _dumps(sarif(result, base=base))
    if fmt == "junit":
        return junit(result, base=base)
    if fmt == "markdown":
        return markdown(result, base=base)
    return text(result, base=base)


def _dumps(doc: dict[str, object]) -> str:
    return dump_document(doc).decode("utf-8")


def summary(result: Result) -> str:
    errors = sum(1 for v in result.violations if v.level == "error")
    warnings = len(result.violations) - errors
    state = "FAILED" if result.failed else "passed"
    parts = [f"{errors} violation(s)"] + ([f"{warnings} warning(s)"] if warnings else []) + \
            ([f"{len(result.waived)} waived by exceptions"] if result.waived else [])
    return f"mlbom check: {result.bom} against {result.policy}: {state} ({', '.join(parts)})"


def _exc(e: Exception_) -> dict[str, object]:
    return {"id": e.id, "component": e.component, "reason": e.reason,
            "expires": e.expires.isoformat() if e.expires else None, "line": e.line}


def _vjson(v: Violation, result: Result, base: str | None) -> dict[str, object]:
    return {"rule": v.rule, "kind": v.kind, "level": v.level, "component": v.component, "fact": v.fact,
            "remedy": v.remedy, "location": location(v, result, base), "line": v.line, "ids": list(v.ids)}


def to_json(result: Result, *, base: str | None = None) -> dict[str, object]:
    return {
        "bom": result.bom, "policy": result.policy, "passed": not result.failed, "exit_code": result.exit_code,
        "rules": list(result.rules),
        "violations": [_vjson(v, result, base) for v in result.violations],
        "waived": [{**_vjson(w.violation, result, base), "exception": _exc(w.exception)} for w in result.waived],
        "unused_exceptions": [_exc(e) for e in result.unused],
    }


def text(result: Result, *, base: str | None = None) -> str:
    """One line per violation, waiver and unused exception, then the summary. Each line goes
    through :func:`mlbom.table.printable` as a whole, so no text from the BOM or the policy
    (component labels, facts, reasons, paths) can add a line or drive the terminal (red team 8c T7)."""
    lines = []
    for v in result.violations:
        tag = "FAIL" if v.level == "error" else "WARN"
        lines.append(f"{tag}  {v.rule}  {v.component}: {v.fact}")
        lines.append(f"      to fix: {v.remedy}")
    for w in result.waived:
        lines.append(f"WAIVED  {w.violation.rule}  {w.violation.component}: {w.violation.fact}")
        lines.append(f"      exception: {w.exception.label()}")
    for e in result.unused:
        lines.append(f"NOTE  exception {e.id}" + (f" on {e.component}" if e.component else "") +
                     f" ({result.policy}:{e.line}) matched nothing")
    lines.append(f"rules checked: {', '.join(result.rules) or 'none'}")
    lines.append(summary(result))
    return "\n".join(printable(line) for line in lines) + "\n"


def _cell(s: str) -> str:
    return markdown_text(s)


def markdown(result: Result, *, base: str | None = None) -> str:
    icon = "❌ failed" if result.failed else "✅ passed"
    errors = sum(1 for v in result.violations if v.level == "error")
    out = [f"### mlbom check: {icon}", "",
           f"BOM {markdown_code(result.bom)} against "
           f"{markdown_code(result.policy) if result.policy != 'default policy' else 'the default policy'}: "
           f"{errors} violation(s), {len(result.violations) - errors} warning(s), {len(result.waived)} waived.", ""]
    if result.violations:
        out += ["| | rule | component | what broke it | what to do |", "|---|---|---|---|---|"]
        for v in result.violations:
            shown = location(v, result, base) if v.location else v.component
            out.append(f"| {'❌' if v.level == 'error' else '⚠️'} | {markdown_code(v.rule)} | {markdown_code(shown)} "
                       f"| {_cell(v.fact)} | {_cell(v.remedy)} |")
        out.append("")
    if result.waived:
        out += ["<details><summary>Exceptions used</summary>", "", "| rule | component | exception |", "|---|---|---|"]
        out += [f"| {markdown_code(w.violation.rule)} | {markdown_code(w.violation.component)} | {_cell(w.exception.label())} |"
                for w in result.waived]
        out += ["", "</details>", ""]
    out.append(f"Rules checked: {', '.join(markdown_code(r) for r in result.rules) or 'none'}.")
    return "\n".join(out) + "\n"


def _where(v: Violation, result: Result, base: str | None) -> str:
    loc = location(v, result, base)
    return f"{v.component}: " if loc == v.component else f"{loc}: {v.component}: "


def _xml_safe(root: ET.Element) -> None:
    """Every attribute and text of the JUnit tree as :func:`mlbom.table.printable` shows it (the
    line feeds of a multi-line text kept): ElementTree writes what XML 1.0 forbids (C0 controls but
    TAB/LF/CR, U+FFFE/U+FFFF, lone surrogates) raw, and one such character from a BOM makes the
    whole report not well-formed, so a CI test reporter drops every failure (red team 9c X1).
    Bidi overrides and CR are escaped too, as in every human-readable writer."""
    for el in root.iter():
        if el.text:
            el.text = printable_lines(el.text)
        for k, v in el.attrib.items():
            el.set(k, printable(v))


def junit(result: Result, *, base: str | None = None) -> str:
    suites = ET.Element("testsuites", name="mlbom check")
    suite = ET.SubElement(suites, "testsuite", name=f"mlbom policy ({result.policy})")
    failures = 0
    for rule_id in result.rules:
        rule = RULES[rule_id]
        case = ET.SubElement(suite, "testcase", classname="mlbom.policy", name=f"{rule_id}: {rule.title}")
        errs = [v for v in result.violations if v.rule == rule_id and v.level == "error"]
        warns = [v for v in result.violations if v.rule == rule_id and v.level == "warning"]
        waived = [w for w in result.waived if w.violation.rule == rule_id]
        if errs:
            failures += 1
            fail = ET.SubElement(case, "failure", message=f"{len(errs)} violation(s) of {rule_id}", type=rule_id)
            fail.text = "\n".join(f"{_where(v, result, base)}{v.fact}\n  to fix: {v.remedy}" for v in errs)
        notes = [f"warning: {_where(v, result, base)}{v.fact}" for v in warns]
        notes += [f"waived: {w.violation.component}: {w.violation.fact} (exception: {w.exception.label()})" for w in waived]
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    suite.set("tests", str(len(result.rules)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suites.set("tests", str(len(result.rules)))
    suites.set("failures", str(failures))
    _xml_safe(suites)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
