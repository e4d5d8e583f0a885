"""Red team 91sb: loader kwargs objects at any depth, Hub-kernel attn_implementation, npy descrs
read as numpy's ``descr_to_dtype`` builds them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlbom.scanner import scan_file

VENV80S = Path("/work/venv80s/bin/python")


def _scan(tmp_path: Path, name: str, doc: object):  # type: ignore[no-untyped-def]
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return scan_file(p)


def _ids(r) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.id for f in r.findings}


# ---- 91sb-1: kwargs objects at any depth --------------------------------------------------------

_VISION = {"image_size": 224, "layers": 12, "width": 768, "patch_size": 16}


@pytest.mark.parametrize("wrap", [lambda t: {"model_cfg": {"embed_dim": 512, "text_cfg": t, "vision_cfg": _VISION}},
                                  lambda t: {"embed_dim": 512, "text_cfg": t, "vision_cfg": _VISION}])
@pytest.mark.parametrize(("kw", "expect"), [
    ({"trust_remote_code": True}, "code.remote"),
    ({"use_kernels": True}, "code.remote"),
    ({"attn_implementation": "kernels-community/flash-attn"}, "code.remote"),
    ({"vocab_file": "/tmp/rt91sb/vocab.txt"}, "config.path-outside"),
    ({"tokenizer_file": "../../x/tokenizer.json"}, "config.path-outside"),
    ({"cache_dir": "/tmp/rt91sb-cache"}, "config.path-outside"),
    ({"gguf_file": "x.gguf"}, "config.path-outside"),
])
def test_rt91sb_1_open_clip_tokenizer_kwargs(tmp_path: Path, wrap, kw: dict[str, object],  # type: ignore[no-untyped-def]
                                             expect: str) -> None:
    doc = wrap({"hf_tokenizer_name": "attacker/tok", "tokenizer_kwargs": kw})
    r = _scan(tmp_path, "open_clip_config.json", doc)
    assert r.verdict == "suspicious" and expect in _ids(r), r.findings
    assert any("text_cfg.tokenizer_kwargs." in f.message for f in r.findings if f.id == expect)


def test_rt91sb_1_any_kwargs_object_at_any_depth(tmp_path: Path) -> None:
    r = _scan(tmp_path, "x.json", {"a": [{"b": {"processor_kwargs": {"trust_remote_code": 1}}}],
                                   "c": {"init_args": {"offload_folder": "/tmp/o"}}})
    assert r.verdict == "suspicious" and {"code.remote", "config.path-outside"} <= _ids(r), r.findings
    assert any("a[0].b.processor_kwargs.trust_remote_code" in f.message for f in r.findings)


def test_rt91sb_1_honest_nested_kwargs_stay_safe(tmp_path: Path) -> None:
    doc = {"model_cfg": {"embed_dim": 512, "vision_cfg": _VISION,
                         "text_cfg": {"hf_tokenizer_name": "openai/clip-vit-base-patch32",
                                      "tokenizer_kwargs": {"clean": "canonicalize", "use_fast": True,
                                                           "trust_remote_code": False}}},
           "preprocess_cfg": {"mean": [0.5, 0.5, 0.5]}}
    r = _scan(tmp_path, "open_clip_config.json", doc)
    assert r.verdict == "safe", r.findings
    r = _scan(tmp_path, "tokenizer_config.json", {"sp_model_kwargs": {}, "model_max_length": 512,
                                                  "backbone_kwargs": {"out_indices": [1, 2, 3]}})
    assert r.verdict == "safe", r.findings


# ---- open lead: config.json attn_implementation naming a Hub kernel ----------------------------

KERNELS = ["kernels-community/flash-attn", "kernels-community/flash-mla@v1", "org/repo:fn",
           "org/repo@main:fn", "paged|kernels-community/vllm-flash-attn3"]
BUILTINS = ["eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention", "paged|eager",
            "paged|sdpa", "paged|flash_attention_2", "a/b/c"]


@pytest.mark.parametrize("value", KERNELS)
@pytest.mark.parametrize("name", ["config.json", "gliner_config.json"])
def test_rt91sb_lead_config_attn_kernel(tmp_path: Path, value: str, name: str) -> None:
    r = _scan(tmp_path, name, {"model_type": "llama", "hidden_size": 64, "attn_implementation": value})
    assert r.verdict == "suspicious" and "code.remote" in _ids(r), r.findings
    assert any("attn_implementation" in f.message for f in r.findings)


def test_rt91sb_lead_sub_config_and_dict_forms(tmp_path: Path) -> None:
    r = _scan(tmp_path, "config.json", {"model_type": "llava", "text_config": {
        "attn_implementation": "kernels-community/flash-attn"}})
    assert r.verdict == "suspicious" and "code.remote" in _ids(r)
    r = _scan(tmp_path, "config.json", {"model_type": "llava", "attn_implementation": {
        "": "sdpa", "text_config": "kernels-community/flash-attn"}})
    assert r.verdict == "suspicious" and "code.remote" in _ids(r)


@pytest.mark.parametrize("value", BUILTINS)
def test_rt91sb_lead_builtin_attn_stays_safe(tmp_path: Path, value: str) -> None:
    r = _scan(tmp_path, "config.json", {"model_type": "llama", "attn_implementation": value,
                                        "model_kwargs": {"attn_implementation": value}})
    assert r.verdict == "safe", r.findings


@pytest.mark.skipif(not VENV80S.exists(), reason="transformers venv absent")
def test_rt91sb_lead_matches_transformers_is_kernel() -> None:
    code = ("import json,sys\nfrom transformers.integrations.hub_kernels import is_kernel\n"
            "v=json.loads(sys.argv[1])\n"
            "print(json.dumps([is_kernel(x.removeprefix('paged|')) or ('|' in x and is_kernel(x.split('|')[1]))"
            " for x in v]))")
    values = KERNELS + BUILTINS
    out = subprocess.run([str(VENV80S), "-c", code, json.dumps(values)], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [True] * len(KERNELS) + [False] * len(BUILTINS)


# ---- 91sb-2: npy descr built as numpy's descr_to_dtype builds it --------------------------------

NPY_BAD = [  # (descr, shape, data): numpy refuses every one
    ("[('a', '<i8')]", "(1000,)", b""),  # structured, truncated
    ("('<i8', (4,))", "(1000,)", b""),  # sub-array, truncated
    ("[('a', '<i8', (2,)), ('', '|V8')]", "(3,)", b"\0" * 71),  # 24 bytes an item, one short
    ("{'names': ['f'], 'formats': ['<i8']}", "(1,)", b"\0" * 8),  # a dict: numpy unpacks its keys
    ("('<i8', 'zzz')", "(1,)", b"\0" * 8),  # not a shape
    ("('<i8', True)", "(1,)", b"\0" * 8),
    ("('<i8', (-1,))", "(1,)", b"\0" * 8),
    ("('V8', [('f', '|O')])", "(1,)", b"\x80\x04N."),  # (old, new) with an object
    ("('<i8',)", "(1,)", b"\0" * 8),
    ("('S', (2,))", "(1,)", b"\0" * 8),
    ("[('a', '<i8'), ('a', '<i4')]", "(1,)", b"\0" * 12),  # a name twice
    ("[(('a', 'a'), '<i8')]", "(1,)", b"\0" * 8),  # title is the name
    ("[('a', '<i8', 2.0)]", "(1,)", b"\0" * 16),
    # a top-level sub-array, data complete: read_array finds count * n elements, not count
    ("('<i8', (4,))", "(2,)", b"\0" * 64),
    ("('<i8', 3)", "(1,)", b"\0" * 24),
    ("(('<i8', (2,)), (3,))", "(1,)", b"\0" * 48),
    ("'(2,)<i4'", "(1,)", b"\0" * 8),
    ("('<i8', 0)", "(1,)", b""),
]
NPY_GOOD = [  # (descr, shape, data): numpy loads every one
    ("[('a', '<i8')]", "(2,)", b"\0" * 16),
    ("('<i8', (4,))", "(0,)", b""),  # a top-level sub-array loads only when no element is read
    ("('<i8', (1, 1))", "(2,)", b"\0" * 16),  # ... or when it holds one element an item
    ("('|S', 5)", "(2,)", b"\0" * 10),
    ("('<U', 3)", "(1,)", b"\0" * 12),
    ("('<i8', ())", "(1,)", b"\0" * 8),
    ("[('a', '<i4'), ('', '|V4'), ('b', '<f8', (2, 2))]", "(2,)", b"\0" * 80),
    ("[(('title', 'a'), '<i8'), ('n', [('x', '<i2'), ('y', '|u1', 3)])]", "(1,)", b"\0" * 13),
    ("(('<i8', (1,)), 1)", "(1,)", b"\0" * 8),
]


def _npy(descr: str, shape: str, data: bytes) -> bytes:
    from tests.formats.test_rt88s import npy

    return npy(f"{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}", data)


def _npz(member: bytes) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("x.npy", member)
    return buf.getvalue()


@pytest.mark.parametrize(("descr", "shape", "data"), NPY_BAD)
def test_rt91sb_2_npy_descr_numpy_refuses_is_error(descr: str, shape: str, data: bytes) -> None:
    from mlbom.scanner import scan_bytes

    r = scan_bytes(_npy(descr, shape, data), "a.npy")
    assert r.verdict == "error" and "format.invalid" in _ids(r), (descr, r.findings)
    z = scan_bytes(_npz(_npy(descr, shape, data)), "a.npz")
    assert z.verdict == "error", (descr, z.findings)


@pytest.mark.parametrize(("descr", "shape", "data"), NPY_GOOD)
def test_rt91sb_2_npy_descr_numpy_reads_is_safe(descr: str, shape: str, data: bytes) -> None:
    from mlbom.scanner import scan_bytes

    r = scan_bytes(_npy(descr, shape, data), "a.npy")
    assert r.verdict == "safe", (descr, r.findings)
    assert scan_bytes(_npz(_npy(descr, shape, data)), "a.npz").verdict == "safe"


def test_rt91sb_2_truncated_message() -> None:
    from mlbom.scanner import scan_bytes

    r = scan_bytes(_npy("[('a', '<i8')]", "(1000,)", b""), "a.npy")
    assert any("truncated" in f.message and "8000 bytes" in f.message for f in r.findings), r.findings


def test_rt91sb_2_numpy_agrees(tmp_path: Path) -> None:
    """numpy (a subprocess) loads every NPY_GOOD file and refuses every NPY_BAD one; real arrays
    it writes (aligned structs with padding, titles, sub-array and nested fields) are safe and
    sized as numpy sizes them."""
    pytest.importorskip("numpy")  # the default tier has none (the subprocess runs this interpreter)
    from mlbom.formats.weights import descr_dtype, literal
    from mlbom.scanner import scan_file

    files = []
    for i, (descr, shape, data) in enumerate(NPY_GOOD + NPY_BAD):
        p = tmp_path / f"c{i}.npy"
        p.write_bytes(_npy(descr, shape, data))
        files.append(str(p))
    code = r"""
import json, sys, numpy as np
out = []
for f in sys.argv[2:]:
    try:
        np.load(f, allow_pickle=True); out.append(True)
    except Exception:
        out.append(False)
d = sys.argv[1]
real = {
    "aligned": np.dtype([("a", "u1"), ("b", "<i8"), ("c", "<f4", (3,))], align=True),
    "titles": np.dtype({"names": ["a", "b"], "formats": ["<i4", "<f8"], "titles": ["A", "B"]}),
    "offsets": np.dtype({"names": ["a", "b"], "formats": ["<i4", "<i2"], "offsets": [0, 8], "itemsize": 16}),
    "nested": np.dtype([("p", [("x", "<f4"), ("y", "<f4")], (2,)), ("s", "S7"), ("u", "<U3")]),
    "datetime": np.dtype([("t", "<M8[ns]"), ("v", "<c16")]),
}
sizes = {}
for name, dt in real.items():
    np.save(f"{d}/real_{name}.npy", np.zeros(3, dtype=dt))
    sizes[name] = [repr(np.lib.format.dtype_to_descr(dt)), dt.itemsize]
print(json.dumps([out, sizes], default=str))
"""
    import sys

    run = subprocess.run([sys.executable, "-c", code, str(tmp_path), *files], capture_output=True, text=True,
                         timeout=300, check=True)
    loads, sizes = json.loads(run.stdout.strip().splitlines()[-1])
    assert loads == [True] * len(NPY_GOOD) + [False] * len(NPY_BAD)
    for name, (descr, itemsize) in sizes.items():
        r = scan_file(tmp_path / f"real_{name}.npy")
        assert r.verdict == "safe", (name, r.findings)
        assert descr_dtype(literal(descr)).itemsize == itemsize, name
