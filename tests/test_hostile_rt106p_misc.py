"""Red team 106p: three slow paths of inputs under 1 MB. Each test counts work (characters built,
nodes walked, requirements parsed), never time, and checks what the scan or the BOM says.

106p-2: ``config_targets._Resolver.value`` joined the strings node interpolations resolve to with no
bound on characters: ``{"z": "a" * 100_000, "_target_": "${z}" * 3000}`` (112 KB as config.json,
hparams.yaml or a checkpoint's pickled dict) built a 300 M-character string, 10-15 s and 1.5 GB.
Now one resolved value holds at most ``MAX_RESOLVED`` characters and one text resolves at most
``MAX_RESOLVED_TEXT`` in all; past either the value is not resolved (computed: never cut short) and
the text is "not checked to the end" (``suspicious``).

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

import pytest

from mlbom.formats import config_targets as ct
from mlbom.formats import logging_config
from mlbom.scanner import FileScan, scan_bytes

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
