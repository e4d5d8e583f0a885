"""Structure-aware mutators for atheris (``custom_mutator``): parse the input as the format the
target reads (JSON, TOML, YAML, Markdown/line text), change one node of the value tree or one
line in a way that has found bugs before (deep nesting, huge numbers, lone surrogates, duplicate
keys, long runs of spaces or ``#``, cycles of references), and write it back. An input that does
not parse falls back to libFuzzer's byte mutation, so coverage keeps growing either way.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

Mutator = Callable[[bytes, int, int], bytes]

_NASTY_STRINGS = [
    "\ud800", "a\udcff", "", " " * 4000, "#" * 300, "\r", "\r\n\r", "\x00", "²", "٣", "\ufeff",
    "-" * 3 + "\n" * 50, "[" * 300, "{" * 300, "sha256=" + "A" * 43, "==1.0", "../../etc/passwd",
    "1" * 5000, "1e999", "NaN", "\\", '"', "é" * 100, "x" * 5000,
]


def _nasty_value(rng: random.Random, depth: int = 0) -> object:
    pick = rng.randrange(12)
    if pick == 0:
        value: object = "x"
        for _ in range(rng.choice((50, 199, 200, 201, 260, 400))):
            value = [value] if rng.random() < 0.5 else {"k": value}
        return value
    if pick == 1:
        return rng.choice((2**64, -(2**63), 10**4000, 0, -1, 1.5e308, float("inf")))
    if pick == 2 and depth < 3:
        return [_nasty_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if pick == 3 and depth < 3:
        return {rng.choice(_NASTY_STRINGS)[:20]: _nasty_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    if pick == 4:
        return rng.choice((True, False, None))
    return rng.choice(_NASTY_STRINGS)


def _containers(value: object) -> list[object]:
    out: list[object] = []
    stack = [value]
    while stack and len(out) < 10_000:
        v = stack.pop()
        if isinstance(v, (dict, list)):
            out.append(v)
            stack.extend(v.values() if isinstance(v, dict) else v)
    return out


def mutate_tree(value: object, rng: random.Random) -> object:
    """Change one place of a JSON-like tree (in place where possible); returns the tree."""
    nodes = _containers(value)
    if not nodes:
        return _nasty_value(rng)
    node = rng.choice(nodes)
    if isinstance(node, dict):
        if node and rng.random() < 0.7:
            key = rng.choice(list(node))
            node[key] = _nasty_value(rng)
        else:
            node[rng.choice(_NASTY_STRINGS)[:30]] = _nasty_value(rng)
    elif isinstance(node, list):
        if node and rng.random() < 0.5:
            node[rng.randrange(len(node))] = _nasty_value(rng)
        elif node and rng.random() < 0.5:
            node.extend(node[:1] * rng.choice((2, 20, 200)))  # repetition: linear-time checks
        else:
            node.append(_nasty_value(rng))
    return value


def _fallback(data: bytes, max_size: int, seed: int) -> bytes:
    import atheris  # type: ignore[import-not-found]

    return bytes(atheris.Mutate(data, max_size))


def json_mutator(dumps: Callable[[object], bytes] | None = None,
                 loads: Callable[[bytes], object] | None = None) -> Mutator:
    def _dumps(v: object) -> bytes:
        return json.dumps(v).encode()

    def _loads(b: bytes) -> object:
        return json.loads(b.decode("utf-8", "surrogatepass"))

    enc = dumps or _dumps
    dec = loads or _loads

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.3:
            return _fallback(data, max_size, seed)
        try:
            tree = dec(data)
            out = enc(mutate_tree(tree, rng))
        except Exception:  # not parseable or not writable: plain byte mutation
            return _fallback(data, max_size, seed)
        return out[:max_size]

    return mutate


def _toml_key(k: object) -> str:
    return json.dumps(str(k))


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if v == v and v not in (float("inf"), float("-inf")) else "nan"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if v is None:
        return '""'
    return json.dumps(str(v))


def toml_dumps(doc: object) -> bytes:
    """A minimal TOML writer (inline tables) for mutated trees; not for production use."""
    if not isinstance(doc, dict):
        doc = {"value": doc}
    return "\n".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in doc.items()).encode("utf-8", "surrogatepass")


def toml_mutator() -> Mutator:
    import tomllib

    return json_mutator(dumps=toml_dumps, loads=lambda b: tomllib.loads(b.decode("utf-8")))


def yaml_mutator() -> Mutator:
    import yaml

    # libyaml's loader and dumper when PyYAML has them (as mlbom's own reader does): the pure-Python
    # ones took 25-35 ms an input, 90 % of a conda-env fuzzing run (36 exec/s, round 3).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def dumps(v: object) -> bytes:
        text = yaml.dump(v, Dumper=dumper, allow_unicode=False)
        return text.encode("utf-8", "surrogatepass")

    def loads(b: bytes) -> object:
        return yaml.load(b.decode("utf-8"), Loader=loader)  # a safe loader

    plain = json_mutator(dumps=dumps, loads=loads)

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.15:  # anchors and aliases: expansion bombs and recursion
            n = rng.choice((2, 5, 10))
            lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(n))}]" for i in range(1, 12)]
            if rng.random() < 0.3:
                lines.append("r: &r [*r]")
            return (("\n".join(lines) + "\n").encode() + data)[:max_size]
        return plain(data, max_size, seed)

    return mutate


_LINES = [
    "#" * 4 + " " * 4000 + "x", "# " + " " * 3000, "---", "---\n" + "\n" * 2000, "## Limitations ##", "#\n",
    " " * 5000, "\r", "a,b\rc", "pkg==1.0 \\", "-r " + "../" * 50 + "x.txt", "--hash=sha256:" + "0" * 64,
    "x @ file:///" + "a" * 1000, "-e " + "." * 1000, "\t" * 1000, "#" * 2000, "## " + "#" * 2000 + " x",
    "name" + " " * 3000 + "!", "[" * 300, "é²٣\udcff",
]


def lines_mutator() -> Mutator:
    """For line formats (Markdown cards, requirements, RECORD, METADATA): insert, repeat or
    replace a line with one that has found slow or crashing paths before."""

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.4:
            return _fallback(data, max_size, seed)
        lines = data.decode("utf-8", "surrogateescape").split("\n")
        i = rng.randrange(len(lines) + 1)
        choice = rng.randrange(3)
        if choice == 0:
            lines.insert(i, rng.choice(_LINES))
        elif choice == 1 and lines:
            j = rng.randrange(len(lines))
            lines[j:j + 1] = [lines[j][:2000]] * rng.choice((2, 20, 200))
        else:
            lines[min(i, len(lines) - 1)] = rng.choice(_LINES)
        return "\n".join(lines).encode("utf-8", "surrogatepass")[:max_size]

    return mutate
