"""Differential fuzz of PyYAML's two parsers (fix18y): its pure-Python scanner/parser
(``yaml.BaseLoader``, the one OmegaConf's ``SafeLoader`` uses) against libyaml's (``yaml.CBaseLoader``,
the one jsonargparse's ``CSafeLoader`` uses), on mutated YAML texts.

The question it answers: once libyaml has read a whole text, can the pure-Python reading add
anything? For each input it classifies

* ``both``: both read it whole — the event streams must be identical (type, anchor, tag, implicit,
  value, style (plain: PyYAML says None, libyaml ''), flow style, explicit, version, tag directives);
* ``c-only``: libyaml reads it whole, the pure parser stops at an error — the events of the
  documents it completed before the error (``load_all`` constructs those) must be a prefix of
  libyaml's (the document it fails in, no pure-Python loader loads: ``yaml.load`` composes a whole
  document before it constructs anything);
* ``py-only``: the pure parser reads it whole, libyaml stops (mlbom then walks both readings);
* ``neither``.

Known and allowed for (mlbom's ``yaml_tags.read_both``): a text with a BOM after its first
character (both parsers read then) and the ``implicit`` flags of a node tagged ``!``. Any input
breaking the first two rules otherwise is printed (``DIFF``) and saved under ``--out``. Plain
mutation loop (no coverage feedback), deterministic for a seed; ``--jobs`` worker processes.

    python tools/yaml_backend_diff.py --inputs 300000 --jobs 2 [--out DIR] [SEED_FILES...]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# hand-written seeds: every construct of the YAML 1.1 grammar PyYAML has, and the shapes where the two
# scanners are known to differ (red team 16b-5: TABs as separation, a BOM after the first line)
SEEDS = [
    "model:\n  _target_: torch.nn.Linear\n  in_features: 3\n  out_features: 4\n",
    "a: 1\nb: [x, y, {c: d}]\nc: {e: f, g: [1, 2]}\n",
    "- a\n- b: c\n  d: e\n- - f\n  - g\n",
    "? complex key\n: value\n? [a, b]\n: {c: d}\n",
    "%YAML 1.1\n%TAG ! tag:example.com,2000:\n--- !foo\na: !bar b\n...\n--- second\n",
    "--- &a\nk: &b v\nl: *b\nm: *a\n<<: *a\n",
    "s: 'single ''quoted'' text'\nd: \"double \\x41 \\u0042 \\U00000043 \\N \\_ \\L \\P \\/ \\t \\\\ \\\" \\e\"\n",
    "lit: |\n  line one\n   line two\n\n  line four\nfold: >-\n  folded\n  text\n\n  more\nkeep: |+2\n    x\n\n",
    "plain: a b: c\nurl: http://x.y/z?q=1#frag\nneg: -1\ncolon: a:b\nhash: a#b\n",
    "flow: {a: b, c, ? d: e, [f]: g, 'h': \"i\"}\nseq: [a, b: c, ? d, [e], {f: g}]\n",
    "a:\t1\nx: {a: 1,\tb: 2}\nb: 1\t# c\nc: [1,\t2]\nd: !!str\t1\ne: 'x'\t\nf: b\t\ng: {b:\tc}\nh: &x\t1\n",
    "a: 1\n\ufeffb: 2\n\ufeff---\nc: 3\n",
    "a: 1\x85b: 2\u2028c: 3\u2029d: 4\r\ne: 5\rf: 6\n",
    "key: \"multi\n  line\n\n  string\"\nk2: 'multi\n  line'\nk3: plain\n  continued\n",
    "!!map {!!str a: !!seq [!!int 1], !<tag:yaml.org,2002:str> b: !e!x c}\n",
    "%TAG !e! tag:yaml.org,2002:python/\n---\na: !e!name:os.system x\nb: !%70ython/name:x y\n",
    "# comment\n---\n# only a comment\n...\n---\n- 1 # trailing\n...\n",
    "a: ${oc.env:HOME}\nb: ${x.y}\nc: ${oc.create:'{_target_: os.system}'}\nclass_path: a.b.C\ninit_args: {x: 1}\n",
    "empty:\nnull_value: ~\nbool: yes\nfloat: .5\ndate: 2001-12-14t21:59:43.10-05:00\n",
    "\"quoted key\": v\n'single key': w\n? |\n  block key\n: x\n",
    "a: [\n  1,\n  2\n]\nb: {\n  c: d\n}\n",
    "- ? a\n  : b\n- ? c\n- d: e\n  ? f\n",
    "a: >\n\n  folded with\n  leading blank\n\n\nb: |1\n  indented\n",
    "a: 'x\\y'\nb: \"tab\\tend\"\nc: \"\\\n  continued\"\nd: \"a\\\n\tb\"\n",
]

# pieces inserted by the mutator: YAML indicators, the spaces and breaks the two scanners treat
# differently (TAB, BOM, NEL, LS, PS, CR), escapes, directives, tags, anchors
PIECES = [
    "\t", " ", "  ", "\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\ufeff", ":", ": ", ":\t", "-", "- ", "-\t",
    "?", "? ", "?\t", ",", ", ", ",\t", "[", "]", "{", "}", "#", " #", "\t#", "&a ", "*a", "&a\t", "*a\t", "!", "!!str ",
    "!x ", "!<tag:x> ", "!e!", "!%70y ", "|", ">", "|-", ">+", "|2", ">1-", "'", "''", '"', '\\', '\\t', '\\x41',
    '\\u00e9', '\\U0001F600', '\\N', '\\_', '\\L', '\\P', '\\/', '\\ ', '\\\t', '\\e', '\\0', '\\a', '\\ud800',
    "---", "...", "--- ", "...\n", "%YAML 1.1\n", "%YAML 1.2\n", "%TAG !e! tag:x,2000:\n", "%FOO bar\n", "<<", "=",
    "~", "@", "`", "%", "\x0b", "\x0c", "\xa0", "\u3000", "\ue000", "\U00010000", "\x7f", "é", "_target_",
    "class_path", "${", "}", "\t\t", "\n\t", "\n  ", "\n- ", "\n? ", "\n: ",
]


def events(text: str, loader: type) -> tuple[list[tuple[object, ...]], bool]:
    """The event stream of ``text`` as ``loader``'s parser produces it (each event's fields), and
    whether it read the text to its end."""
    out: list[tuple[object, ...]] = []
    try:
        for e in yaml.parse(text, Loader=loader):
            out.append((type(e).__name__, getattr(e, "anchor", None), getattr(e, "tag", None),
                        getattr(e, "implicit", None), getattr(e, "value", None), getattr(e, "style", None) or None,
                        getattr(e, "flow_style", None) or False, getattr(e, "explicit", None),
                        getattr(e, "version", None), tuple(sorted((getattr(e, "tags", None) or {}).items()))))
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError):
        return out, False
    return out, True


def _known(stream: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """The differences mlbom knows and allows for: the ``implicit`` flags of a node tagged ``!``
    (PyYAML's parser says (True, False), libyaml's (False, False); neither walk reads them)."""
    return [(*e[:3], None, *e[4:]) if e[2] == "!" else e for e in stream]


def classify(text: str) -> tuple[str, str | None]:
    """The class of ``text`` (both, c-only, py-only, neither; ``bom``: a BOM after the first
    character, where mlbom reads both parsers whatever libyaml does) and, for a broken rule, why."""
    if "\ufeff" in text[1:]:
        return "bom", None
    py, py_ok = events(text, yaml.BaseLoader)
    c, c_ok = events(text, yaml.CBaseLoader)
    py, c = _known(py), _known(c)
    if py_ok and c_ok:
        if py != c:
            at = next((i for i, (a, b) in enumerate(zip(py, c, strict=False)) if a != b), min(len(py), len(c)))
            return "both", f"events differ at {at}: py {py[at] if at < len(py) else None} c {c[at] if at < len(c) else None}"
        return "both", None
    if c_ok:
        # the documents the pure parser completed before its error (a load_all constructs them; the
        # document it fails in is loaded by no pure-Python loader)
        done = max((i + 1 for i, e in enumerate(py) if e[0] == "DocumentEndEvent"), default=0)
        py = py[:done]
        if py != c[:len(py)]:
            at = next((i for i, (a, b) in enumerate(zip(py, c, strict=False)) if a != b), len(py))
            return "c-only", f"pure prefix differs at {at}: py {py[at] if at < len(py) else None} c {c[at] if at < len(c) else None}"
        return "c-only", None
    return ("py-only" if py_ok else "neither"), None


def mutate(rng: random.Random, text: str, seeds: list[str]) -> str:
    for _ in range(rng.choice((1, 1, 2, 3))):
        n = len(text)
        op = rng.random()
        at = rng.randint(0, n)
        if op < 0.45:
            text = text[:at] + rng.choice(PIECES) + text[at:]
        elif op < 0.6 and n:
            end = min(n, at + rng.randint(1, 4))
            text = text[:at] + text[end:]
        elif op < 0.75 and n:
            end = min(n, at + rng.randint(1, 3))
            text = text[:at] + rng.choice(PIECES) + text[end:]
        elif op < 0.85:  # splice lines of another seed
            lines = rng.choice(seeds).splitlines(keepends=True)
            if lines:
                i = rng.randrange(len(lines))
                text = text[:at] + "".join(lines[i:i + rng.randint(1, 3)]) + text[at:]
        elif op < 0.95 and n:  # duplicate a span (a line, an indentation)
            end = min(n, at + rng.randint(1, 40))
            text = text[:end] + text[at:end] + text[end:]
        elif n:
            text = text[:at] + chr(rng.choice((0x20, 0x09, 0x0A, 0x0D, 0x85, 0xA0, 0xFEFF, 0x2028, 0x2029,
                                               rng.randint(0x21, 0x7E), rng.randint(0x80, 0x2FFF)))) + text[at:]
    return text[:2048]


def _work(args: tuple[int, int, list[str]]) -> tuple[Counter[str], list[tuple[str, str, str]]]:
    seed, count, seeds = args
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    bad: list[tuple[str, str, str]] = []
    corpus = list(seeds)
    for _ in range(count):
        text = mutate(rng, rng.choice(corpus), seeds)
        kind, why = classify(text)
        counts[kind] += 1
        if why is not None:
            counts["DIFF-" + kind] += 1
            if len(bad) < 200:
                bad.append((kind, why, text))
        elif kind in ("both", "c-only") and rng.random() < 0.02 and len(corpus) < 5000:
            corpus.append(text)  # keep some accepted mutants to mutate further
    return counts, bad


def load_seeds(paths: list[str]) -> list[str]:
    seeds = list(SEEDS)
    files = [Path(p) for p in paths] or sorted(
        p for pat in ("**/*.yaml", "**/*.yml") for p in ROOT.glob(pat) if ".git" not in p.parts)
    for p in files:
        try:
            seeds.append(p.read_text("utf-8")[:1024])
        except (OSError, UnicodeDecodeError):
            continue
    return seeds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--out", type=Path)
    ap.add_argument("files", nargs="*")
    ns = ap.parse_args(argv)
    if not isinstance(getattr(yaml, "CBaseLoader", None), type):
        print("libyaml binding missing", file=sys.stderr)
        return 2
    seeds = load_seeds(ns.files)
    chunks = max(ns.jobs * 8, 1)
    work = [(ns.seed * 1000 + i, ns.inputs // chunks + (i < ns.inputs % chunks), seeds) for i in range(chunks)]
    total: Counter[str] = Counter()
    bad: list[tuple[str, str, str]] = []
    with multiprocessing.Pool(ns.jobs) as pool:
        for counts, found in pool.imap_unordered(_work, work):
            total.update(counts)
            bad.extend(found)
    print(f"seeds {len(seeds)}; inputs {sum(v for k, v in total.items() if not k.startswith('DIFF'))}; "
          + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
    for kind, why, text in bad[:40]:
        print(f"DIFF {kind}: {why}\n    {text[:300]!r}")
    if ns.out is not None and bad:
        ns.out.mkdir(parents=True, exist_ok=True)
        for kind, _why, text in bad:
            name = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
            (ns.out / f"{kind}-{name}.yaml").write_text(text, "utf-8", "surrogatepass")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
