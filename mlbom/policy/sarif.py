"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): one ``reportingDescriptor``
per rule evaluated (with help text), one result per violation located at the file it is about,
waived violations as results with an accepted external suppression (the exception's reason)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from mlbom.policy.locate import location
from mlbom.policy.rules import RULES, Result, Violation
from mlbom.table import printable
from mlbom.version import __version__

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/:@!$&'()*+,;=-._~")


def _result(v: Violation, result: Result, index: dict[str, int], base: str | None) -> dict[str, object]:
    physical: dict[str, object] = {"artifactLocation": {"uri": _uri(location(v, result, base))}}
    if v.line and v.line > 0:
        physical["region"] = {"startLine": v.line}
    fingerprint = hashlib.sha256(f"{v.rule}\0{v.component}\0{v.fact}".encode()).hexdigest()[:32]
    out: dict[str, object] = {
        "ruleId": v.rule,
        "ruleIndex": index[v.rule],
        "level": v.level,
        "kind": "fail",
        # code-scanning UIs show the message as text: BOM text in it is escaped as every other
        # display of it is (terminal and bidi controls, red team 47p-2); the exact name stays in
        # the properties, for tools that match on it
        "message": {"text": printable(f"{v.component}: {v.fact}. To fix: {v.remedy}.")},
        "locations": [{"physicalLocation": physical,
                       "logicalLocations": [{"fullyQualifiedName": printable(v.component), "kind": "module"}]}],
        "partialFingerprints": {"mlbomViolation/v1": fingerprint},
        "properties": {"violationKind": v.kind, "component": v.component, **({"ids": list(v.ids)} if v.ids else {})},
    }
    return out


def sarif(result: Result, *, base: str | None = None) -> dict[str, object]:
    rule_ids = list(result.rules)
    for v in [*result.violations, *(w.violation for w in result.waived)]:
        if v.rule not in rule_ids:
            rule_ids.append(v.rule)
    index = {r: i for i, r in enumerate(rule_ids)}
    rules = []
    for r in rule_ids:
        rule = RULES[r]
        rules.append({
            "id": r,
            "name": "".join(p.capitalize() for p in r.replace("-", ".").split(".")),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.help},
            "help": {"text": rule.help, "markdown": f"**{rule.title}** (`{r}`)\n\n{rule.help}\n\nSee docs/policy.md."},
            "defaultConfiguration": {"level": "warning" if r == "exceptions.expired" else "error"},
            "properties": {"tags": ["mlbom", "ml-bom", "policy", r.split(".")[0]]},
        })
    results = [_result(v, result, index, base) for v in result.violations]
    for w in result.waived:
        item = _result(w.violation, result, index, base)
        item["suppressions"] = [{"kind": "external", "status": "accepted", "justification": printable(w.exception.label())}]
        results.append(item)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "mlbom", "version": __version__, "semanticVersion": __version__,
                                "rules": rules}},
            "invocations": [{"executionSuccessful": True}],
            "results": results,
            "properties": {"bom": result.bom, "policy": result.policy, "passed": not result.failed},
        }],
    }
