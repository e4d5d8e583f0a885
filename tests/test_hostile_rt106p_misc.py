"""Red team 106p: three slow paths of inputs under 1 MB. Each test counts work (characters built,
nodes walked, requirements parsed), never time, and checks what the scan or the BOM says.

106p-2: ``config_targets._Resolver.value`` joined the strings node interpolations resolve to with no
bound on characters: ``{"z": "a" * 100_000, "_target_": "${z}" * 3000}`` (112 KB as config.json,
hparams.yaml or a checkpoint's pickled dict) built a 300 M-character string, 10-15 s and 1.5 GB.
Now one resolved value holds at most ``MAX_RESOLVED`` characters and one text resolves at most
``MAX_RESOLVED_TEXT`` in all; past either the value is not resolved (computed: never cut short) and
the text is "not checked to the end" (``suspicious``). The same now holds past ``MAX_LOOKUPS``: a
key-less ``${a}.${b}`` left unresolved there was silently never judged (``safe``).

106p-9: ``logging_config._expression`` parsed a 900 KB fileConfig ``args`` whole and walked all its
1.2 M nodes (twice) before looking at ``MAX_NODES`` (2.7 s, 460 MB). Now a value over ``MAX_VALUE``
characters is not parsed and the walk stops at ``MAX_NODES`` nodes; both are ``suspicious``.

106p-8: one component per requirement line, unbounded (100,000 one-line pins in 989 KB: 13 s, a
60 MB BOM). Now a requirements file is read up to ``MAX_REQUIREMENT_LINES`` (a requirement counts
2, an option line 1) and a lock up to ``MAX_LOCK_PACKAGES`` entries; the rest is an
``mlbom:unreadable`` record (composition incomplete) and a high finding. Nothing is loaded.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import mlbom
from mlbom.collectors import locks as lock_collector
from mlbom.collectors import requirements as req_collector
from mlbom.formats import config_targets as ct
from mlbom.formats import locks as lock_format
from mlbom.formats import logging_config, reqfile
from mlbom.scanner import FileScan, scan_bytes
from tests.helpers import counting_calls

# the bounds as this branch sets them (the old code has none: its names are looked up lazily)
RESOLVED = 64 << 10
RESOLVED_TEXT = 1 << 20


def _resolved_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every string ``_Resolver.value`` returns (the characters it built)."""
    sizes: list[int] = []
    real = ct._Resolver.value

    def value(self: ct._Resolver, text: str, where: tuple[str, ...] | None, depth: int) -> object:
        got = real(self, text, where, depth)
        if isinstance(got, str) and "${" in text:
            sizes.append(len(got))
        return got

    monkeypatch.setattr(ct._Resolver, "value", value)
    return sizes


def _messages(result: FileScan) -> str:
    return "\n".join(f.message for f in result.findings)


# ---------------------------------------------------------------------------------------------
# 106p-2


@pytest.mark.parametrize("name", ["config.json", "hparams.yaml"])
def test_106p2_a_target_resolving_past_the_character_bound_is_computed_not_built(
        monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # 2,000 x 40 = 80,000 characters if resolved: over the 64 KiB of one value (the report's was 300 M)
    doc = {"z": "a" * 2000, "_target_": "${z}" * 40}
    data = json.dumps(doc) if name.endswith(".json") else f"z: {'a' * 2000}\n_target_: '{'${z}' * 40}'\n"
    sizes = _resolved_sizes(monkeypatch)
    got = scan_bytes(data.encode(), name, debug=True)
    assert got.verdict == "suspicious", got
    assert "not checked to the end" in _messages(got) and "not resolved" in _messages(got)
    assert max(sizes, default=0) <= RESOLVED, max(sizes)  # never built (the old code built 80,000)
    # the same target under the bound is resolved and judged as the literal it becomes
    small = scan_bytes(json.dumps({"a": "os", "_target_": "${a}.system"}).encode(), "config.json", debug=True)
    assert small.verdict == "unsafe"


def test_106p2_the_characters_resolved_in_one_text_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # each target resolves to 60,000 characters (under the per-value bound); 40 of them are 2.4 M
    doc = {"z": "a" * 60_000, "m": [{"_target_": "${z}", "n": i} for i in range(40)]}
    sizes = _resolved_sizes(monkeypatch)
    got = scan_bytes(json.dumps(doc).encode(), "config.json", debug=True)
    assert got.verdict == "suspicious"
    assert "interpolated values resolved in one text" in _messages(got)
    assert sum(sizes) <= RESOLVED_TEXT + RESOLVED, sum(sizes)  # the old code: 40 x 60,000


def test_106p2_a_concatenation_past_the_bound_is_never_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key-less values (red team 20b-3: ``${a}.${b}`` resolving to a denied name) spent past the
    bound are not resolved: the text is then not checked to the end, never ``safe``."""
    doc: dict[str, object] = {"z": "a" * 60_000, "v": ["${z}"] * 40, "a": "os", "b": "system", "w": "${a}.${b}"}
    sizes = _resolved_sizes(monkeypatch)
    got = scan_bytes(json.dumps(doc).encode(), "config.json", debug=True)
    assert got.verdict in ("unsafe", "suspicious"), got
    assert got.verdict == "unsafe" or "not checked to the end" in _messages(got)
    assert sum(sizes) <= RESOLVED_TEXT + RESOLVED, sum(sizes)


def test_106p2_a_concatenation_past_the_lookups_is_never_safe() -> None:
    """The same for the node lookups (MAX_LOOKUPS, 10,000 a document): 120 key-less values of 100
    interpolations each spent them, and ``${a}.${b}`` (``os.system``) resolved after them was never
    judged: the old code said ``safe``."""
    doc = {"w": "${a}.${b}", "a": "os", "b": "system", "v": ["${a}" * 100 + str(i) for i in range(120)]}
    got = scan_bytes(json.dumps(doc).encode(), "config.json", debug=True)
    assert got.verdict == "suspicious", got
    assert "over 10000 node lookups" in _messages(got)
    # under the lookups the same value is judged: unsafe
    small = {"w": "${a}.${b}", "a": "os", "b": "system", "v": ["${a}" * 100 + str(i) for i in range(10)]}
    assert scan_bytes(json.dumps(small).encode(), "config.json", debug=True).verdict == "unsafe"


def test_106p2_a_checkpoints_pickled_config_is_bounded_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def binu(t: str) -> bytes:
        b = t.encode()
        return b"X" + len(b).to_bytes(4, "little") + b

    # a Lightning checkpoint's dict, written by hand (never loaded)
    data = b"\x80\x02}(" + binu("z") + binu("a" * 2000) + binu("_target_") + binu("${z}" * 40) + b"u."
    sizes = _resolved_sizes(monkeypatch)
    got = scan_bytes(data, "last.ckpt", debug=True)
    assert got.verdict == "suspicious", got
    assert "not checked to the end" in _messages(got)
    assert max(sizes, default=0) <= RESOLVED


# ---------------------------------------------------------------------------------------------
# 106p-9


def _ini(args: str) -> str:
    return f"[loggers]\nkeys=root\n[handler_x]\nclass=StreamHandler\nargs={args}\n"


def _parsed_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real = ast.parse

    def parse(source: str, *args: object, **kwargs: object) -> ast.AST:
        sizes.append(len(source))
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(logging_config.ast, "parse", parse)
    return sizes


def test_106p9_a_long_args_value_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    args = "(" + "-a," * 25_000 + ")"  # 75,002 characters: over MAX_VALUE (64 Ki)
    sizes = _parsed_sizes(monkeypatch)
    found = logging_config.judge(_ini(args))
    assert [(j.id, j.effect) for j in found if j.effect] == [("config.logging", "suspicious")], found
    assert "not judged" in found[-1].message
    assert max(sizes, default=0) <= 1 << 16, max(sizes)  # the old code parsed all 75,002 characters
    # the same handler class is still judged (a long class is not parsed either)
    cls = logging_config.judge("[handlers]\nkeys=x\n[handler_x]\nclass=" + "a." * 40_000 + "b\nargs=()\n")
    assert [j.effect for j in cls if j.effect] == ["suspicious"]
    assert max(sizes, default=0) <= 1 << 16


def test_106p9_the_walk_stops_at_max_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    # under MAX_VALUE characters, over MAX_NODES nodes: 9 unary minus and a number, 19 nodes in 11 characters
    args = "(" + "---------1," * 5_900 + ")"
    assert len(args) <= logging_config.MAX_VALUE
    assert sum(1 for _ in ast.walk(ast.parse(args, mode="eval"))) > logging_config.MAX_NODES
    walked = [0]
    real = ast.walk

    def walk(node: ast.AST) -> Iterator[ast.AST]:
        for n in real(node):
            walked[0] += 1
            yield n

    monkeypatch.setattr(logging_config.ast, "walk", walk)
    found = logging_config.judge(_ini(args))
    assert any("parts: not judged" in j.message and j.effect == "suspicious" for j in found), found
    assert walked[0] <= logging_config.MAX_NODES + 1, walked[0]  # the old code walked them all first
    # a plain literal args is still judged (and a name in it still is code)
    walked[0] = 0
    ok = logging_config.judge(_ini("(sys.stderr, 1, -2)"))
    assert not [j for j in ok if j.effect], ok
    bad = logging_config.judge(_ini("(sys.stderr, x)"))
    assert [j.effect for j in bad if j.effect] == ["unsafe"]


# ---------------------------------------------------------------------------------------------
# 106p-8


def _project(tmp_path: Path, name: str, text: str) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / name).write_text(text, encoding="utf-8")
    return proj


def _small_bound(monkeypatch: pytest.MonkeyPatch, lines: int = 40, packages: int = 20) -> None:
    # the bounds made small for the test (the real ones: 10,000 and 5,000); raising=False: the old
    # code has no such names and reads the whole file
    monkeypatch.setattr(req_collector, "MAX_REQUIREMENT_LINES", lines, raising=False)
    monkeypatch.setattr(lock_collector, "MAX_LOCK_PACKAGES", packages, raising=False)
    monkeypatch.setattr(lock_format, "MAX_LOCK_PACKAGES", packages, raising=False)


def test_106p8_requirements_past_the_bound_are_unreadable_not_components(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_bound(monkeypatch)
    proj = _project(tmp_path, "requirements.txt", "".join(f"p{i}==1\n" for i in range(30)))
    with counting_calls(monkeypatch, reqfile, "build_req_from_parsedreq") as built:
        bom = mlbom.generate(proj, reproducible=True)
    libs = [c for c in bom.components if c.type == "library"]
    assert len(libs) == 20, len(libs)  # 40 / 2: a requirement counts twice
    assert built[0] == 20, built  # the rest is not parsed (the old code: 30)
    assert [u.path for u in bom.unreadable] == ["requirements.txt:21"], bom.unreadable
    assert "line 21 and the 9 line(s) after it were not read" in bom.unreadable[0].reason
    assert "requirements.too-many-lines" in [f.id for f in bom.findings]
    assert {f.severity for f in bom.findings if f.id == "requirements.too-many-lines"} == {"high"}


def test_106p8_option_lines_count_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_bound(monkeypatch)
    text = "--prefer-binary\n" * 30 + "# a comment\n\n" + "a==1\n" * 5 + "b==1 \\\n  --hash=sha256:" + "0" * 64 + "\n"
    proj = _project(tmp_path, "requirements.txt", text)
    bom = mlbom.generate(proj, reproducible=True)
    assert [c.name for c in bom.components if c.type == "library"] == ["a"], bom.components  # 30 + 2 + …
    assert [u.path for u in bom.unreadable] == ["requirements.txt:38"], bom.unreadable  # b: 30 + 5 x 2 = 40 read
    # a file under the bound is read whole, as before
    (tmp_path / "proj" / "requirements.txt").write_text("--prefer-binary\n" * 30 + "a==1\n" * 5, encoding="utf-8")
    whole = mlbom.generate(tmp_path / "proj", reproducible=True)
    assert not whole.unreadable and "requirements.too-many-lines" not in [f.id for f in whole.findings]


def test_106p8_the_real_bound_reads_5000_requirements(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom import limits

    assert limits.MAX_REQUIREMENT_LINES == 10_000 and limits.MAX_LOCK_PACKAGES == 5_000
    text = "".join(f"p{i}==1\n" for i in range(5_003))
    with counting_calls(monkeypatch, reqfile, "build_req_from_parsedreq") as built:
        rf = reqfile.parse_requirements_text(text, "requirements.txt", max_lines=limits.MAX_REQUIREMENT_LINES)
    assert len(rf.requirements) == 5_000 and built[0] == 5_000
    assert rf.stopped == (5_001, 3)


def test_106p8_a_lock_past_the_bound_is_unreadable_not_components(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_bound(monkeypatch)
    lock = {"_meta": {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {},
                      "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]},
            "default": {f"p{i}": {"version": "==1"} for i in range(30)}, "develop": {}}
    proj = _project(tmp_path, "Pipfile.lock", json.dumps(lock))
    with counting_calls(monkeypatch, lock_collector, "package_component") as made:
        bom = mlbom.generate(proj, reproducible=True)
    assert len([c for c in bom.components if c.type == "library"]) == 20
    assert made[0] == 20, made
    assert [u.path for u in bom.unreadable] == ["Pipfile.lock"] and "10 package entries" in bom.unreadable[0].reason
    assert "lock.too-many-packages" in [f.id for f in bom.findings]


def test_106p8_an_environment_files_pip_list_shares_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_bound(monkeypatch)
    text = ("name: x\ndependencies:\n" + "".join(f"  - c{i}=1\n" for i in range(15))
            + "  - pip:\n" + "".join(f"    - p{i}==1\n" for i in range(10)))
    proj = _project(tmp_path, "environment.yml", text)
    with counting_calls(monkeypatch, reqfile, "build_req_from_parsedreq") as built:
        bom = mlbom.generate(proj, reproducible=True)
    names = sorted(c.name for c in bom.components if c.type == "library")
    assert len(names) == 20 and built[0] == 5, (names, built)  # 15 conda entries + 5 of the pip list
    assert [u.path for u in bom.unreadable] == ["environment.yml"], bom.unreadable
    assert "pip: list from its entry 6 on (5 entries)" in bom.unreadable[0].reason
    assert "lock.too-many-packages" in [f.id for f in bom.findings]
