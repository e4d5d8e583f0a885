"""Issue 19's last slow paths (fix111perf): inputs under 1 MB whose cost was linear in a count with
too high a price per item, or quadratic in a third-party helper. Work is counted, never timed."""

from __future__ import annotations

import pytest

from mlbom.formats import hf_card
from tests.helpers import counting_calls

# ---- model card: huggingface_hub de-duplicates tags in quadratic time --------------------------

def test_card_tags_are_never_deduplicated_by_huggingface_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """A card of 50,000 distinct tags took 8 s in ``ModelCardData``'s ``_to_unique_list`` (each tag
    tested against the list kept so far); mlbom de-duplicates them itself."""
    from huggingface_hub import repocard_data

    longest = [0]
    real = repocard_data._to_unique_list

    def recording(tags: object) -> object:
        if isinstance(tags, list):
            longest[0] = max(longest[0], len(tags))
        return real(tags)  # type: ignore[arg-type]

    monkeypatch.setattr(repocard_data, "_to_unique_list", recording)
    tags = "".join(f"- tag-{i}\n" for i in range(3000)) + "- tag-7\n- tag-1\n"
    data, _, problems = hf_card.read_front_matter(f"---\nlicense: mit\ntags:\n{tags}---\n# Model\n")
    assert problems == []
    assert data["tags"] == [f"tag-{i}" for i in range(3000)]
    assert longest[0] <= 1


def test_unique_tags_is_huggingface_hubs_de_duplication() -> None:
    from huggingface_hub.repocard_data import _to_unique_list

    for tags in (None, "one", ["a", "b", "a"], [1, 1.0, True, "1", [1], [1.0], {"a": [1]}, {"a": [1.0]}, {"b"}, None],
                 {"k": 1, "j": 2}, [float("nan"), float("nan")], []):
        assert hf_card.unique_tags(tags) == _to_unique_list(tags), tags  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hf_card.unique_tags(5)


def test_card_tags_compared_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    with counting_calls(monkeypatch, hf_card, "_frozen") as frozen:
        hf_card.read_front_matter("---\ntags:\n" + "".join(f"- t{i}\n" for i in range(2000)) + "---\n")
    assert frozen[0] == 2000


# ---- tar from a decompressor: members bounded by the file's bytes at their real cost -----------

def _empty_members(n: int, prefix: str = "") -> bytes:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for i in range(n):
            ti = tarfile.TarInfo(f"{prefix}{i}")
            ti.size = 0
            t.addfile(ti)
    return buf.getvalue()


def test_compressed_tar_members_bounded_by_their_real_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """6,000 empty members in ~15 KB of bz2 were within the parse budget's floor (300,000 steps at 32
    a block: ~9,000 members; 100,000 from an 818 KB .tar.gz took 4.1 s): a member costs ~40 µs to
    judge, some 40 pickle opcodes. Now one header block per TAR_BYTES_PER_BLOCK bytes of the file,
    or TAR_BLOCKS_FLOOR: refused by the walk, no member enumerated by tarfile."""
    import bz2
    import tarfile

    from mlbom.limits import TAR_BLOCKS_FLOOR, TAR_BYTES_PER_BLOCK
    from mlbom.scanner import scan_bytes

    data = bz2.compress(_empty_members(6_000), 9)
    assert max(TAR_BLOCKS_FLOOR, len(data) // TAR_BYTES_PER_BLOCK) < 6_000
    with counting_calls(monkeypatch, tarfile.TarFile, "next") as nexts:
        r = scan_bytes(data, "many.tar.bz2")
    assert r.verdict == "error" and any("compressed bytes" in f.message for f in r.findings), r.findings
    assert nexts[0] == 0


def test_tar_block_allowance_is_shared_by_a_files_tars(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two .tar.bz2 of 3,000 members in one zip: each under the floor, together over it — the
    second is not enumerated (one allowance per file, not per stream)."""
    import bz2
    import tarfile

    from mlbom.limits import TAR_BLOCKS_FLOOR
    from mlbom.scanner import scan_bytes
    from tests.helpers import stored_zip

    one = bz2.compress(_empty_members(3_000, "a"), 9)
    two = bz2.compress(_empty_members(3_000, "b"), 9)
    assert 3_000 < TAR_BLOCKS_FLOOR < 6_000
    with counting_calls(monkeypatch, tarfile.TarFile, "next") as nexts:
        r = scan_bytes(stored_zip({"one.tar.bz2": one, "two.tar.bz2": two}), "archives.zip")
    assert nexts[0] <= 3_001 + 1, nexts[0]
    assert r.verdict == "error", [(f.id, f.message[:120]) for f in r.findings]


# ---- Jsonnet lexing (every text: Jsonnet files, logging INIs, configs): one match per token ------

class _CountingPattern:
    """Stands in for a compiled pattern, counting the matches it makes (``match`` calls, matches
    ``finditer`` yields)."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.matches = 0

    def match(self, *args: object) -> object:
        self.matches += 1
        return self.real.match(*args)  # type: ignore[attr-defined]

    def finditer(self, *args: object) -> object:
        for m in self.real.finditer(*args):  # type: ignore[attr-defined]
            self.matches += 1
            yield m


def test_jsonnet_lexing_matches_once_per_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lexer matched whitespace as tokens of their own and called ``match`` once for each
    (a 1 MB Jsonnet file: 800,000 matches, ~0.24 s; a 900 KB logging INI of ``-a,``: 0.47 s);
    the whitespace before a token is now part of its match, one ``finditer`` for the text."""
    from mlbom.formats import config_targets as ct

    counting = _CountingPattern(ct._JSONNET_TOKEN)
    monkeypatch.setattr(ct, "_JSONNET_TOKEN", counting)
    text = "{\n" + "".join(f"  key{i}: [1, 2, 'x'],\n" for i in range(1000)) + "}\n"
    tokens, error = ct._jsonnet_lex(text)
    assert error == "" and tokens is not None
    assert [t[1] for t in tokens[:8]] == ["{", "key0", ":", "[", "1", ",", "2", ","]
    assert counting.matches <= len(tokens) + 1, (counting.matches, len(tokens))


@pytest.mark.parametrize(("text", "error"), [
    ("{ a: 1 } `", "'`' at character 9"),
    ('{ a: "open }', "'\"' at character 5"),
    ("  /* open", "an unterminated comment at character 2"),
    ("x = |||\nno indent\n|||", "a malformed text block at character 4"),
])
def test_jsonnet_lexing_errors_name_the_same_place(text: str, error: str) -> None:
    from mlbom.formats import config_targets as ct

    assert ct._jsonnet_lex(text) == (None, error)


# ---- pylock.toml: each package validated by packaging once, not twice ----------------------------

def test_pylock_packages_validated_once_each(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """mlbom validated each entry on its own (to leave out only the bad ones) and then the whole lock
    again: every package twice (a 930 KB pylock.toml of 3,600 packages: 1.16 s through the CLI)."""
    from pathlib import Path

    from packaging.pylock import Package

    from mlbom.formats import locks

    entries = "".join(
        f'\n[[packages]]\nname = "pkg-{i}"\nversion = "1.{i}"\n[[packages.wheels]]\n'
        f'url = "https://files.example/pkg_{i}-1.{i}-py3-none-any.whl"\nhashes = {{sha256 = "{i:064x}"}}\n'
        for i in range(200))
    bad = '\n[[packages]]\nname = "bad"\nversion = "1"\n[[packages.wheels]]\nurl = "https://x/bad.whl"\n'
    data = ('lock-version = "1.0"\ncreated-by = "x"\n' + entries + bad).encode()
    with counting_calls(monkeypatch, Package, "_from_dict") as calls:
        lock = locks.parse(data, Path("pylock.toml"), "pylock.toml")
    assert [p.name for p in lock.packages] == [f"pkg-{i}" for i in range(200)]
    assert lock.packages[7].version == "1.7" and lock.packages[7].artifacts[0].sha256 == f"{7:064x}"
    assert len(lock.skipped) == 1 and lock.skipped[0].startswith("packages[200]: ")
    assert calls[0] == 201


def test_safe_url_refuses_exactly_the_c0_controls_and_del() -> None:
    from mlbom import identity

    for code in range(0x3000):
        c = chr(code)
        assert (identity._CONTROL.search("a" + c) is not None) == (code < 0x20 or code == 0x7F), code


# ---- conda purls: written directly when plain, the same string as packageurl's ------------------

def test_conda_purl_is_packageurls_string() -> None:
    import itertools

    from packageurl import PackageURL

    from mlbom.identity import conda_purl

    names = ["numpy", "NumPy", "py-lief", "_libgcc_mutex", "ca-certificates", "a.b", "x y", "é", "r-base", "a--b", "-a"]
    versions = [None, "", "1.26.4", "2024.2.2", "1.0_1", "1.0+cu118", "3.8.*", "1!2", "9e", "v1"]
    quals = [None, {}, {"build": "py311h64a7726_0"}, {"build": "", "channel": "conda-forge", "subdir": "linux-64"},
             {"channel": "https://conda.anaconda.org/conda-forge"}, {"subdir": "noarch", "build": "pyhd8ed1ab_0"},
             {"build": "a b"}, {"build": "x/y%z"}, {"channel": "pytorch", "build": "py3.11_cuda12.1_cudnn8.9.2_0"}]
    for name, version, q in itertools.product(names, versions, quals):
        want = str(PackageURL(type="conda", name=name.lower(), version=version,
                              qualifiers={k: v for k, v in (q or {}).items() if v} or None).to_string())
        assert conda_purl(name, version, q) == want, (name, version, q)


def test_conda_environment_purls_skip_packageurl(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5,000-entry environment.yml built 5,000 PackageURL objects (each normalised twice)."""
    import packageurl

    from mlbom.collectors._manifest import package_component

    with counting_calls(monkeypatch, packageurl, "normalize") as calls:
        comps = [package_component(name=f"pkg-{i}", version=f"1.{i}", ecosystem="conda", source_file="environment.yml",
                                   conda={"build": f"py_{i}", "channel": "conda-forge", "subdir": "linux-64"})
                 for i in range(100)]
    assert comps[7].purl == "pkg:conda/pkg-7@1.7?build=py_7&channel=conda-forge&subdir=linux-64"
    assert calls[0] == 0
