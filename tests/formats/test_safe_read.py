"""The bounded reading layer (mlbom.formats.safe_read) and the parsers that use it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mlbom.errors import InputError
from mlbom.formats import croissant, hf_card, pymeta
from mlbom.formats.safe_read import check_depth, decode_utf8, load_json, load_toml, load_yaml, read_bounded, sanitize
from mlbom.limits import MAX_DEPTH, MAX_YAML_NODES

P = Path("doc")


def _nest(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth, ok", [(MAX_DEPTH, True), (MAX_DEPTH + 1, False), (5000, False)])
def test_json_depth_limit(depth: int, ok: bool) -> None:
    if ok:
        assert load_json(_nest(depth), P).value is not None
    else:
        with pytest.raises(InputError, match="nested too deeply"):
            load_json(_nest(depth), P)


def test_json_lone_surrogates_are_replaced_and_named() -> None:
    loaded = load_json(b'{"a": ["ok", "\\ud800"], "k\\udfff": 1, "a2": {"b": "x\\udc80y"}}', P)
    assert loaded.value == {"a": ["ok", "\ufffd"], "k\ufffd": 1, "a2": {"b": "x\ufffdy"}}
    assert loaded.replaced == ("a2.b", "a[1]", "k\ufffd")
    assert all("not valid Unicode" in n and n.startswith("doc: ") for n in loaded.notes(P))


def test_json_duplicate_keys_are_noted_linearly() -> None:
    loaded = load_json(b'{"a": 1, "a": 2, "b": {"c": 1, "c": 3}}', P)
    assert loaded.value == {"a": 2, "b": {"c": 3}}
    assert sorted(loaded.duplicate_keys) == ["a", "c"]
    many = b"{" + b",".join(b'"k": 1' for _ in range(100_000)) + b"}"
    start = time.perf_counter()
    assert len(load_json(many, P).duplicate_keys) == 99_999
    assert time.perf_counter() - start < 5  # keys.count() in a loop took minutes


@pytest.mark.parametrize("data, message", [
    (b'{"a": ' + b"9" * 5000 + b"}", "4300 digits"),
    (b'{"a": 1,}', "line 1 column 9"),
    (b'\xff{"a": 1}', "not UTF-8 at byte 0"),
])
def test_json_errors_name_the_place(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_json(data, P)


def test_json_byte_order_mark_is_dropped() -> None:
    assert load_json(b'\xef\xbb\xbf{"a": 1}', P).value == {"a": 1}


@pytest.mark.parametrize("text, message", [
    ("a = " + "[" * 400 + "]" * 400, "nested too deeply"),
    ("a = " + "{b = " * 250 + "1" + "}" * 250, "nested too deeply"),
    ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ("a = " + "9" * 5000, "4300 digits"),
    ('a = "\\ud800"', "TOML syntax error"),
    ("a = 1\na = 2", "TOML syntax error"),
])
def test_toml_bounds(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_toml(text.encode(), P)


def test_toml_at_the_limit_is_read() -> None:
    doc, _ = load_toml(b"a = " + _nest(MAX_DEPTH - 1), P)
    check_depth(doc, P)


def _laughs(levels: int) -> bytes:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines).encode()


@pytest.mark.parametrize("data, message", [
    (_laughs(10), "aliases are expanded"),
    (b"a: &a [1, *a]", "recursive alias"),
    (b"- " * 300 + b"x", "nested too deeply"),
    (b"[" * 3000 + b"]" * 3000, "nesting depth"),
    (b"a: 2020-13-45", "month must be"),
    (b"? [a]\n: 1", "unhashable key"),
    (b"a: " + b"9" * 5000, "4300 digits"),
    (b"a: !!python/object/apply:os.system [ls]", "constructor"),
    (b"a: 1\n---\nb: 2", "another document"),
    (b"a: *undefined", "undefined alias"),
])
def test_yaml_bounds(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_yaml(data, P)


def test_yaml_small_aliases_and_size_limit() -> None:
    assert load_yaml(_laughs(3), P).value is not None  # 10 + 100 + 1,000 nodes: fine
    with pytest.raises(InputError, match="aliases are expanded"):
        load_yaml(b"- x\n" * (MAX_YAML_NODES + 1), P)
    with pytest.raises(InputError, match="larger than"):
        load_yaml(b"a: " + b"x" * (2 << 20), P)


def test_sanitize_and_check_depth_are_iterative() -> None:
    deep: object = "x"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InputError, match="nested too deeply"):
        check_depth(deep, P)
    with pytest.raises(InputError, match="nested too deeply"):
        sanitize(deep, P)
    value, replaced = sanitize({"a": ["\ud800"]}, P)
    assert value == {"a": ["\ufffd"]} and replaced == ("a[0]",)


def test_read_bounded_and_decode(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"x" * 11)
    assert read_bounded(f, 11) == b"x" * 11
    with pytest.raises(InputError, match="larger than the 10 bytes"):
        read_bounded(f, 10)
    with pytest.raises(InputError, match="is a folder"):
        read_bounded(tmp_path, 10)
    with pytest.raises(InputError, match="not UTF-8 at byte 2"):
        decode_utf8(b"ab\xed\xa0\x80", P)
    assert not hasattr(pymeta, "read_bounded")  # generic I/O lives in safe_read, not in a parser module


# --- RECORD, direct_url.json ---------------------------------------------------------------

def test_record_bare_cr_and_non_ascii_sizes() -> None:
    rows = pymeta.parse_record("a.py,,10\rb.py,,\u00b2\r\nc.py,,123456789012345678901\nd.py,,٣\n".encode(), Path("RECORD"))
    assert [(r.path, r.size) for r in rows] == [("a.py", 10), ("b.py", None), ("c.py", None), ("d.py", None)]


def test_record_csv_errors_are_input_errors() -> None:
    with pytest.raises(InputError, match="not a CSV row"):
        pymeta.parse_record(b'"a.py' + b"x" * 200_000 + b'",,\n', Path("RECORD"))


def test_direct_url_deep_and_surrogate() -> None:
    with pytest.raises(InputError, match="nested too deeply"):
        pymeta.parse_direct_url(b'{"url": "x", "dir_info": ' + _nest(3000) + b"}", Path("direct_url.json"))
    du = pymeta.parse_direct_url(b'{"url": "https://e.org/\\udc80", "dir_info": {}}', Path("direct_url.json"))
    assert du.url == "https://e.org/\ufffd"


# --- cards: line scanners instead of backtracking regexes ---------------------------------

@pytest.mark.parametrize("body", [
    "# " + " " * 4000 + "x\n",
    "## " + " #" * 5000 + "\n",
    ("# a\n" + " " * 3000 + "\n") * 50,
    "#" * 50_000,
])
def test_heading_scan_is_linear(body: str) -> None:
    start = time.perf_counter()
    hf_card.markdown_sections(body * 5)
    assert time.perf_counter() - start < 1


def test_headings_as_before() -> None:
    body = "intro\n# Title ##\ntext\n##### five\n#nospace\n## Uses\r\nuse it\n#### \n"
    assert hf_card.markdown_sections(body) == [("Title", "text\n##### five\n#nospace"), ("Uses", "use it\n#### \n")]


@pytest.mark.parametrize("text, expected", [
    ("---\na: 1\n---\nbody", ("a: 1\n", "body", True)),
    ("\n\n  ---\r\na: 1\r\n---\r\nbody", ("a: 1\r\n", "body", True)),
    ("---\na: 1\nbody", (None, "---\na: 1\nbody", True)),
    ("# no front matter", (None, "# no front matter", False)),
    ("---" + "\n" * 100_000 + "x", (None, "---" + "\n" * 100_000 + "x", True)),
])
def test_front_matter_split(text: str, expected: tuple[str | None, str, bool]) -> None:
    start = time.perf_counter()
    assert hf_card.split_front_matter(text) == expected
    assert time.perf_counter() - start < 1


def test_card_front_matter_bombs_are_problems_not_errors() -> None:
    card = hf_card.parse_card("---\n" + _laughs(10).decode() + "\n---\n## Uses\n\nChat.\n")
    assert any("aliases are expanded" in p for p in card.problems)
    assert card.sections == {"useCases": ["Chat."]}


# --- Croissant: containedIn cycles in linear time ----------------------------------------

def test_containedin_chain_is_linear(tmp_path: Path) -> None:
    import json

    n = 20_000
    dist = [{"@type": "cr:FileObject", "@id": f"f{i}", "contentUrl": "https://e.org/x",
             "containedIn": {"@id": f"f{(i + 1) % n}"}} for i in range(n)]
    f = tmp_path / "croissant.json"
    f.write_text(json.dumps({"@type": "sc:Dataset", "distribution": dist}))
    start = time.perf_counter()
    c = croissant.parse_croissant(f)
    assert time.perf_counter() - start < 5
    cycles = [p for p in c.problems if p[0] == "croissant.containedin-cycle"]
    assert len(cycles) == 1 and cycles[0][2].startswith("containedIn cycle: f0 -> f1 -> ")


def test_yaml_aliases_of_long_strings_are_bounded_by_characters() -> None:
    lines = ["s: &s " + "x" * 10_000, "a0: &a0 [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 4)]
    start = time.perf_counter()
    with pytest.raises(InputError, match="characters once aliases are expanded"):
        load_yaml("\n".join(lines).encode(), P)
    assert time.perf_counter() - start < 1
