"""mlbom/formats/reqfile.py against pip-requirements-parser's own path (issue 19, round 4).

The new reader must give what ``RequirementsFile.from_file`` gives — every requirement (name,
specifier, markers, extras, link, hashes, options, line), option line, invalid line (with its
message) and comment — on every requirements file we have: the fixtures, the hostile corpus,
the fuzz seeds, ``../shared/corpus`` (when present), the slow shapes it fixes (scaled down so
the library's own path stays quick) and generated files. Its three linear splitters are checked
against the library's functions and ``shlex`` exhaustively over small alphabets.
"""

from __future__ import annotations

import itertools
import random
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pip_requirements_parser import CommentLine, RequirementsFile, TextLine, auto_decode, break_args_options, split_comments

from mlbom.collectors import Context
from mlbom.collectors import requirements as collector
from mlbom.collectors.facts import Fact
from mlbom.formats.reqfile import parse_requirements_text, shlex_split, split_comment, split_options, tame

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "requirements"


def _files() -> list[Path]:
    found = [*(ROOT / "tests" / "fixtures").glob("requirements*.txt"),
             *(ROOT / "tests" / "fixtures" / "hostile" / "requirements").glob("*/requirements.txt"),
             *(ROOT / "tests" / "fixtures" / "hostile" / "fuzz" / "requirements").glob("*"),
             *(ROOT / "fuzz" / "seeds" / "requirements").glob("*")]
    if CORPUS.is_dir():
        found += [p for p in CORPUS.rglob("*") if p.suffix in (".txt", ".in") and "lockfiles" not in p.parts]
    return sorted(p for p in found if p.is_file() and p.parent.name not in _SLOW_BEFORE)


# Reproducers of the slow paths fixed here: the library's own path takes seconds on them (that is
# the bug), so they are compared in the scaled-down SHAPES below, and replayed by test_hostile.
_SLOW_BEFORE = {"option-lines", "words-before-option", "nbsp-run"}


FILES = _files()

# The slow shapes, small enough for the library's own path; and lines that exercise its grammar.
_HASH = "0123456789abcdef" * 4
SHAPES = {
    "option-lines": "".join(("--pre\n", "--prefer-binary\n", "-i https://x.org/simple\n",
                             "--extra-index-url http://y.org/simple\n", "--trusted-host y.org\n",
                             "--no-binary :all:\n", "--only-binary=numpy\n", "-f ./wheels\n",
                             "--find-links=https://z.org/w\n", "--require-hashes\n", "-c c.txt\n",
                             "--use-feature=fast-deps\n", "-r other.txt\n")[i % 13] for i in range(300)),
    "pip-compile": "".join(f"pkg-{i}[a,b]=={i}.0 ; python_version >= \"3.9\" \\\n    --hash=sha256:{_HASH} \\\n"
                           f"    --hash=sha256:{_HASH[::-1]}\n    # via\n    #   -r requirements.in\n" for i in range(60)),
    "hash-line": "numpy==1.0 " + " ".join(f"--hash=sha256:{_HASH}" for _ in range(200)) + "\n",
    "hash-line-quoted": "numpy==1.0 " + " ".join(f"--hash='sha256:{_HASH}' --hash=\"sha256:{_HASH}\"" for _ in range(50)),
    "words-before-option": "a " * 2_000 + "--hash=sha256:" + _HASH + "\n",
    "nbsp-run": "numpy" + "\u00a0" * 500 + "x\nscipy\u00a0\u00a0#c\n",
    "quotes-and-escapes": "a==1 --hash 'sha256:x y'\nb==1 --hash \"sha256:\\\"q\\\\\"\nc==1 --hash sha256:\\ z\n"
                          "d==1 --hash 'open\ne==1 --hash \"x\\\nf==1 --hash x\\\n",
    "legacy-and-global": "--allow-external foo\n--always-unzip\n-e ./src\n-e ./src --hash=sha256:" + _HASH
                         + "\nx==1 --install-option=--prefix=/x\ny==1 --global-option=--q\nz==1 --index-url=https://q\n",
    "urls": "https://e.org/p-1.0.tar.gz#egg=p\ngit+https://g.org/r.git@v1#egg=r&subdirectory=s\n"
            "svn+svn://s.org/trunk/#eg=x\n./local/pkg\nfile:///tmp/x.whl\nq @ https://e.org/q.whl\n",
    "comments-and-continuations": "# top\nrequests==2.31.0 # c\\\nnumpy \\\n  ==1.0 \\\n # tail\nx\t#tab\n#\\\ny==1\n",
    "odd-whitespace": "a==1\x1f#c\nb==1\u3000\u3000#d\nc==1\xa0--pre\n\ufeffd==2\r\ne==1\r\n\f\n",
}


def _library(text: str, tmp: Path) -> Any:
    """The old path: the collector's taming, then pip-requirements-parser's own ``from_file``."""
    path = tmp / "requirements.txt"
    path.write_text(tame(text), encoding="utf-8", errors="surrogateescape")
    return RequirementsFile.from_file(str(path), include_nested=False)


def _view(rf: Any) -> dict[str, Any]:
    view: dict[str, Any] = rf.to_dict()
    view["req"] = [str(r.req) if r.req is not None else None for r in rf.requirements]
    view["hashes"] = [list(r.hash_options) for r in rf.requirements]
    return view


def _same(text: str, tmp: Path) -> None:
    old = _library(text, tmp)
    new = parse_requirements_text(text, str(tmp / "requirements.txt"))
    assert _view(new) == _view(old)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(p.parents[1])) for p in FILES])
def test_same_as_the_library_on_every_requirements_file(path: Path, tmp_path: Path) -> None:
    _same(auto_decode(path.read_bytes()), tmp_path)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_same_as_the_library_on_the_slow_shapes_and_odd_lines(shape: str, tmp_path: Path) -> None:
    _same(SHAPES[shape], tmp_path)


def _random_files(n: int) -> Iterator[str]:
    rnd = random.Random(19)
    pieces = [line for text in SHAPES.values() for line in text.splitlines()]
    pieces += ["", " ", "\\", "#", " # x", "--", "-", "'", '"', "--hash", "--pre x", "a b c", "a;b", "a[", "==1"]
    for _ in range(n):
        lines = [rnd.choice(pieces) for _ in range(rnd.randint(1, 12))]
        lines = [ln + rnd.choice(["", " \\", "\\", " #c", " --pre", " '", "\t"]) for ln in lines]
        yield "\n".join(lines)


def test_same_as_the_library_on_generated_files(tmp_path: Path) -> None:
    for text in _random_files(300):
        _same(text, tmp_path)


def test_the_collector_gives_the_same_bom_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: components, findings and unreadables are the same with the library's path."""
    def collect(path: Path) -> list[Any]:
        return [item.model_dump(mode="json") for item in collector.RequirementsCollector().collect(
            Context(base=path.parent, path=path)) if not isinstance(item, Fact)]

    cases = [*FILES]
    for name, text in SHAPES.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "requirements.txt").write_text(text, encoding="utf-8")
        cases.append(tmp_path / name / "requirements.txt")
    new = [collect(p) for p in cases]
    scratch = tmp_path / "old"
    scratch.mkdir()
    monkeypatch.setattr(collector, "parse_requirements_text", lambda text, filename, max_lines=None: _library(text, scratch))
    old = [collect(p) for p in cases]
    assert new == old


# --- the linear splitters against the library's and shlex's own --------------------------------


def test_shlex_split_is_shlex_on_every_short_string() -> None:
    def outcome(split: Any, s: str) -> Any:
        try:
            return split(s)
        except ValueError as exc:
            return ("error", str(exc))

    alphabet = "a -'\"\\\t\r\n\x0b"
    strings = ["".join(t) for n in range(5) for t in itertools.product(alphabet, repeat=n)]
    rnd = random.Random(19)
    strings += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(5, 24))) for _ in range(20_000)]
    for s in strings:
        assert outcome(shlex_split, s) == outcome(shlex.split, s), repr(s)


def test_split_comment_is_the_librarys_split_comments() -> None:
    def library(line: str) -> tuple[str, str]:
        out = list(split_comments(iter([(1, line)])))
        text = next((p.line for p in out if isinstance(p, TextLine)), "")
        comment = next((p.line for p in out if isinstance(p, CommentLine)), "")
        return text, comment

    for n in range(7):
        for t in itertools.product("a #\t\xa0\x1f-", repeat=n):
            s = "".join(t)
            assert split_comment(s) == library(s), repr(s)


def test_split_options_is_the_librarys_break_args_options() -> None:
    for n in range(8):
        for t in itertools.product("a -\t", repeat=n):
            s = "".join(t)
            assert split_options(s) == break_args_options(s), repr(s)


def test_option_values_do_not_leak_between_lines() -> None:
    """The one option parser per file must not let appendable options accumulate."""
    rf = parse_requirements_text(f"a==1 --hash=sha256:{_HASH}\nb==1\n--find-links x\n--find-links y\n", "r.txt")
    assert [r.hash_options for r in rf.requirements] == [[f"sha256:{_HASH}"], []]
    assert [o.options for o in rf.options] == [{"find_links": ["x"]}, {"find_links": ["y"]}]
