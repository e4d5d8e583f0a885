"""Red team 102p: five slow paths whose work grew faster than their input. Each test counts work
(calls, comparisons, rebuilds), never time, and checks the result is what it was.

102p-1: ``policy.licexpr._walk`` walked an ``AND`` operand once per choice gathered so far, so a
nested ``(MIT OR Apache-2.0) AND (…)`` of depth d cost 2^d walks (22 levels, a 753-byte BOM:
``check`` took 38.6 s; a policy's nested ``allow`` entry hit the same path when it loaded). Each
operand is now walked once.

102p-2: ``audit``/``generate`` with two or more ``--vuln-db`` merged each database's findings by
``y not in findings`` over a list: n x n pydantic comparisons (8,000 invalid versions, two
databases: 57 s). The findings already listed are now kept in a set as well.

102p-3: ``audit --vex``: every statement naming a vulnerability rebuilt its whole property tuple
(S statements x P linked-finding properties: 8,000 x 8,000 took 28 s). The statement that wins
for each vulnerability is now chosen in the loop and the vulnerability rebuilt once after it.

102p-4: ``requirements.exposed`` sorted every requirement name once per ``--extra-index-url``
(8,000 URLs x 8,000 names: ``generate -r`` took 24 s; a conda ``pip:`` list too). They are now
sorted once per file.

102p-5: an ML rule's extra affected artifacts were each tested against a set of the
vulnerability's own affects built again per artifact (8,000 x 8,000: 7 s). It is built once.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from mlbom.collectors import requirements as reqs
from mlbom.model import Finding, Property, VulnAffect, VulnAnalysis, Vulnerability
from mlbom.policy import licexpr
from mlbom.properties import Prop
from mlbom.vulns import audit as vaudit
from mlbom.vulns import vex as vvex
from mlbom.vulns.db import database_from_files

# ---------------------------------------------------------------------------------------------
# 102p-1


def _nested(depth: int) -> str:
    e = "MIT"
    for _ in range(depth):
        e = f"(MIT OR Apache-2.0) AND ({e})"
    return e


def test_102p1_a_nested_licence_expression_is_walked_once_per_node(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [0]
    walk = licexpr._walk

    def counting(node: object) -> list[frozenset[str]]:
        calls[0] += 1
        if calls[0] > 100_000:  # the old code needs 2^40 walks at depth 40: stop it, failing
            raise AssertionError("more than 100,000 walks of one licence expression")
        return walk(node)

    monkeypatch.setattr(licexpr, "_walk", counting)
    cost = {}
    for depth in (10, 40):
        calls[0] = 0
        got = licexpr.parse_checked(_nested(depth))  # not cached: every call parses and walks
        cost[depth] = calls[0]
        # the same choices as before, in the same order
        assert got == (frozenset({"MIT"}), frozenset({"MIT", "Apache-2.0"})), depth
    assert cost[40] < 10 * cost[10], cost  # linear in the depth (it was 2^depth: 2,000 at depth 10)
    assert cost[10] < 100, cost
    # the result of a small mixed expression is unchanged too (order of choices included)
    assert licexpr.parse_checked("(MIT OR BSD-3-Clause) AND (Apache-2.0 OR MIT) AND ISC") == (
        frozenset({"MIT", "Apache-2.0", "ISC"}), frozenset({"MIT", "ISC"}),
        frozenset({"BSD-3-Clause", "Apache-2.0", "ISC"}), frozenset({"BSD-3-Clause", "MIT", "ISC"}))


# ---------------------------------------------------------------------------------------------
# 102p-2


def _record(i: int) -> bytes:
    return json.dumps({"schema_version": "1.6.0", "id": f"PYSEC-2024-{i}", "modified": "2024-01-01T00:00:00Z",
                       "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "versions": ["1.0"]}]}).encode()


def test_102p2_findings_of_several_databases_are_merged_by_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 300
    comps: list[dict[str, object]] = [{"type": "library", "name": "a", "version": "x", "purl": "pkg:pypi/a@x",
                                       "bom-ref": f"r{i}"} for i in range(n)]
    calls = [0]
    eq = Finding.__eq__

    def counting(self: Finding, other: object) -> bool:
        calls[0] += 1
        return bool(eq(self, other))

    monkeypatch.setattr(Finding, "__eq__", counting)
    dbs = [database_from_files(f"db{i}", [("r.json", _record(i))]) for i in (1, 2, 3)]
    result = vaudit.audit_components(comps, dbs)
    # every component's "version not PEP 440" finding, listed once although each database made it
    assert [(f.id, f.subject) for f in result.findings] == [("vuln.version-invalid", r)
                                                              for r in sorted(f"r{i}" for i in range(n))]
    assert result.vulnerabilities == []
    # one comparison per duplicate found (each database's n findings), never n x n (it was 90,000)
    assert calls[0] <= 2 * n + 10, calls[0]


# ---------------------------------------------------------------------------------------------
# 102p-3


def _statement(i: int, state: str) -> vvex.Statement:
    return vvex.Statement(where=f"vex.json#{i}", ids=frozenset({"CVE-2025-0001"}), products=(),
                          analysis=VulnAnalysis(state=state, justification="code_not_reachable"  # type: ignore[arg-type]
                                                if state == "not_affected" else None))


def test_102p3_a_vulnerability_named_by_many_statements_is_rebuilt_once(monkeypatch: pytest.MonkeyPatch) -> None:
    p = s = 400
    props = tuple(Property(name=Prop.VULN_LINKED_FINDING.value, value=f"f: high p.{i}: m") for i in range(p))
    props += (Property(name=Prop.VULN_VEX.value, value="old.json#0: affected"),)
    v = Vulnerability(bom_ref="vuln:CVE-2025-0001", id="CVE-2025-0001", properties=props,
                      affects=(VulnAffect(ref="t"),))
    other = Vulnerability(bom_ref="vuln:CVE-2025-0002", id="CVE-2025-0002")
    copies = [0]
    model_copy = Vulnerability.model_copy

    def counting(self: Vulnerability, *args: Any, **kwargs: Any) -> Vulnerability:
        copies[0] += 1
        return model_copy(self, *args, **kwargs)

    monkeypatch.setattr(Vulnerability, "model_copy", counting)
    statements = [_statement(i, "not_affected" if i % 2 else "exploitable") for i in range(s)]
    statements.append(_statement(s, "in_triage"))  # decides nothing once a statement has decided
    now = _dt.datetime(2025, 1, 1, tzinfo=_dt.timezone.utc)
    out, report = vvex.apply([other, v], statements, {}, now)
    assert copies[0] == 1, copies[0]  # once, not once per statement (it was 400 rebuilds of 401 properties)
    assert report == []
    assert out[0] is other
    got = out[1]
    assert got.analysis == VulnAnalysis(state="not_affected", justification="code_not_reachable",
                                        detail=f"(VEX vex.json#{s - 1})")
    # the old VEX property replaced by the winning statement's, last; the others kept in order
    assert got.properties == (*props[:-1], Property(name=Prop.VULN_VEX.value, value=f"vex.json#{s - 1}: not_affected"))
    # "in triage" still applies to a vulnerability nothing has decided, and later statements still win
    fresh, _ = vvex.apply([v], [_statement(0, "in_triage")], {}, now)
    assert fresh[0].analysis is not None and fresh[0].analysis.state == "in_triage"
    both, _ = vvex.apply([v], [_statement(0, "in_triage"), _statement(1, "not_affected")], {}, now)
    assert both[0].analysis is not None and both[0].analysis.state == "not_affected"


# ---------------------------------------------------------------------------------------------
# 102p-4


def test_102p4_names_are_sorted_once_per_file_not_per_extra_index(monkeypatch: pytest.MonkeyPatch) -> None:
    sorts = [0]

    def counting(items: Any, **kwargs: Any) -> list[Any]:
        sorts[0] += 1
        return sorted(items, **kwargs)

    monkeypatch.setattr(reqs, "sorted", counting, raising=False)
    urls = [(f"https://i{i}.example/simple", i + 1) for i in range(200)]
    names = [f"pkg{i}" for i in reversed(range(30))] + ["pkg3"]
    run = reqs.PipRun([reqs.PackageSource("--extra-index-url", url, line, "file:req.txt", "req.txt")
                       for url, line in urls], names)
    found = list(reqs.exposed(run))
    assert sorts[0] <= 1, sorts[0]  # it was one per URL: 200
    assert len(found) == len(urls)
    shown = ", ".join(sorted(set(names))[:reqs._EXPOSED_SHOWN])
    for f, (url, line) in zip(found, urls, strict=True):
        assert (f.id, f.severity, f.subject, f.source, f.line) == (
            "requirements.extra-index-url", "high", "file:req.txt", "req.txt", line)
        assert f.message.startswith(f"--extra-index-url {url} adds a second index")
        assert f.message.endswith(f"Exposed: {shown}" + (f" and {30 - reqs._EXPOSED_SHOWN} more"
                                                         if reqs._EXPOSED_SHOWN < 30 else ""))
    sorts[0] = 0
    assert list(reqs.exposed(reqs.PipRun([], names))) == [] and sorts[0] == 0


# ---------------------------------------------------------------------------------------------
# 102p-5


class _CountingAffects(tuple):  # type: ignore[type-arg]
    walks = 0

    def __iter__(self) -> Iterator[Any]:
        type(self).walks += 1
        return super().__iter__()


def test_102p5_the_vulnerability_s_own_affects_are_indexed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 200
    comps: list[dict[str, object]] = [{"type": "library", "name": "onnx", "version": "1", "purl": "pkg:pypi/onnx@1",
                                       "bom-ref": f"o{i}"} for i in range(n)]
    comps += [{"type": "file", "name": "a.tar", "bom-ref": f"f{i}"} for i in range(n)]
    rec = json.dumps({"schema_version": "1.6.0", "id": "CVE-2024-5187", "modified": "2024-01-01T00:00:00Z",
                      "affected": [{"package": {"ecosystem": "PyPI", "name": "onnx"}, "versions": ["1"]}]}).encode()
    analyse = vaudit._analyse

    def counted(v: Vulnerability, *args: Any) -> Vulnerability:
        _CountingAffects.walks = 0
        result = analyse(v.model_copy(update={"affects": _CountingAffects(v.affects)}), *args)
        walks.append(_CountingAffects.walks)
        return result

    walks: list[int] = []
    monkeypatch.setattr(vaudit, "_analyse", counted)
    result = vaudit.audit_components(comps, [database_from_files("db", [("r.json", rec)])])
    assert walks and max(walks) <= 3, walks  # it was once per extra artifact: 201
    (v,) = result.vulnerabilities
    assert v.id == "CVE-2024-5187"
    # the matched components and the artifacts the rule names, each once, sorted by ref
    assert [a.ref for a in v.affects] == sorted([f"o{i}" for i in range(n)] + [f"f{i}" for i in range(n)])
    assert all(a.versions == ("1",) for a in v.affects if a.ref.startswith("o"))
    assert v.analysis is not None and v.analysis.state == "in_triage"
