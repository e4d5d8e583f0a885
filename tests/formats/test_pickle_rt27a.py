"""Red team 27a.

27a-4: ``torch.ops.load_library(PATH)`` (protocol-4 ``torch`` + ``ops.load_library``: a bound method
of the ``_Ops`` instance) is ``ctypes.CDLL(PATH)``: the library's constructors run on load. mlbom
said ``suspicious`` (unlisted). Native loaders and import-by-name functions are now judged by their
final name too, and torch's resolved paths are deny-listed.
27a-3: ``sympy.sympify``/``parse_expr``/``S`` ``eval`` their text (``suspicious`` before).
27a-5: ``pydantic.import_module`` is ``importlib.import_module`` (``suspicious`` before).
27a-2: a protocol-0 PUT whose index is padded by a megabyte of spaces (``PyLong_FromString`` skips
them) stopped the walk; the file was then dispatched as the zip it carries (``error``).
27a-1: a file starting ``PK\\x03\\x04`` that also reads as a pickle is labelled as its zip kind."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats import pickle as pickle_fmt
from tests.formats.pickle_ops import STOP, proto, s, walk


def _sglobal_call(module: str, name: str, arg: str) -> bytes:
    return proto(4) + s(module) + s(name) + b"\x93" + s(arg) + b"\x85R" + STOP


@pytest.mark.parametrize("name", ["ops.load_library", "classes.load_library", "_ops.ops.load_library"])
def test_27a_4_torch_load_library_through_an_object_is_unsafe(name: str) -> None:
    rep = walk(_sglobal_call("torch", name, "/tmp/evil.so"))
    assert rep.verdict == "unsafe", rep.findings


@pytest.mark.parametrize("path", ["torch._ops._Ops.load_library", "torch._classes._Classes.load_library"])
def test_27a_4_resolved_paths_are_denied(path: str) -> None:
    assert pickle_fmt.danger(path) is not None


@pytest.mark.parametrize("final", ["load_library", "CDLL", "PyDLL", "WinDLL", "OleDLL", "LoadLibrary", "dlopen",
                                   "import_module", "resolve_name", "import_string", "import_object", "locate",
                                   "_locate", "load_source", "run_path", "run_module", "load_module",
                                   "exec_module"])
def test_27a_4_5_native_and_import_finals_under_any_module(final: str) -> None:
    # an unknown module's function, or an attribute path through an object, of that final name
    for module, name in (("somepkg.sub", final), ("somepkg", f"obj.{final}")):
        rep = walk(_sglobal_call(module, name, "x"))
        assert rep.verdict == "unsafe", (module, name, rep.findings)


def test_27a_4_process_final_single_definition() -> None:
    src = Path(pickle_fmt.__file__).read_text("utf-8")
    assert src.count("def process_final(") == 1
    assert pickle_fmt.process_final("load_library") and pickle_fmt.process_final("import_module")
    assert not pickle_fmt.process_final("load_state_dict")


def test_27a_4_real_loader_runs_the_library_constructor(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    gcc = subprocess.run(["which", "gcc"], capture_output=True, text=True, check=False).stdout.strip()
    if not gcc:
        pytest.skip("no C compiler")
    marker = tmp_path / "marker"
    src = tmp_path / "evil.c"
    src.write_text('#include <stdio.h>\n__attribute__((constructor)) static void f(void) '
                   f'{{ FILE *f = fopen("{marker}", "w"); if (f) {{ fputs("ran", f); fclose(f); }} }}\n')
    so = tmp_path / "evil.so"
    subprocess.run([gcc, "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    data = _sglobal_call("torch", "ops.load_library", str(so))
    assert walk(data).verdict == "unsafe"
    p = tmp_path / "m.pkl"
    p.write_bytes(data)
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.load(open({str(p)!r}, 'rb'))"],
                   check=False, capture_output=True, timeout=120)
    assert marker.read_text() == "ran"  # the loader ran native code: unsafe is right


class _Reduce:
    def __init__(self, fn: object, *args: object) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self) -> tuple[object, ...]:
        return (self.fn, self.args)


@pytest.mark.parametrize("which", ["sympify", "parse_expr", "S", "core_sympify"])
def test_27a_3_sympy_string_evaluators_are_unsafe(which: str, tmp_path: Path) -> None:
    sympy = pytest.importorskip("sympy")
    from sympy.parsing.sympy_parser import parse_expr

    fn = {"sympify": sympy.sympify, "parse_expr": parse_expr, "S": sympy.S,
          "core_sympify": importlib.import_module("sympy.core.sympify").sympify}[which]
    secret = tmp_path / "secret"
    secret.write_text("x")
    text = f"__import__('builtins').open({str(secret)!r})"
    for protocol in (0, 2, 4):
        data = pickle.dumps(_Reduce(fn, text), protocol=protocol)
        rep = walk(data)
        assert rep.verdict == "unsafe", (which, protocol, rep.findings)


def test_27a_3_sympy_evaluates_on_load(tmp_path: Path) -> None:
    sympy = pytest.importorskip("sympy")
    marker = tmp_path / "m"
    p = tmp_path / "a.pkl"
    p.write_bytes(pickle.dumps(_Reduce(sympy.sympify, f"__import__('pathlib').Path({str(marker)!r}).touch()")))
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.load(open({str(p)!r}, 'rb'))"],
                   check=False, capture_output=True, timeout=120)
    assert marker.exists()
    assert walk(p.read_bytes()).verdict == "unsafe"


def test_27a_5_pydantic_import_module_is_unsafe() -> None:
    # without pydantic installed too: the final name is an import-by-name function
    rep = walk(_sglobal_call("pydantic", "import_module", "evil_mod"))
    assert rep.verdict == "unsafe", rep.findings


def _zip_bytes() -> bytes:
    import io
    import zipfile

    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("README.txt", "hello")
    return z.getvalue()


def _padded_put(pad: int, secret: str, with_zip: bool) -> bytes:
    import struct

    p = b"N" + b"p" + b" " * pad + b"1" + b"\t" * pad + b"\n" + b"0"
    p += b"cio\nopen\n(V" + secret.encode() + b"\ntR0" + b"g" + b" " * pad + b"1\n0"
    if with_zip:
        zb = _zip_bytes()
        p += b"B" + struct.pack("<I", len(zb)) + zb + b"0"
    return p + b"N."


@pytest.mark.parametrize("with_zip", [True, False])
def test_27a_2_padded_memo_index_is_read_through(with_zip: bool, tmp_path: Path) -> None:
    from mlbom.scanner import scan_file

    data = _padded_put((1 << 20) + 10, "/tmp/secret", with_zip)
    rep = walk(data)
    assert rep.complete and rep.verdict == "unsafe", rep.findings
    p = tmp_path / "m.bin"
    p.write_bytes(data)
    res = scan_file(p)
    assert res.verdict == "unsafe", (res.format, res.findings)


def test_27a_2_the_real_loader_reads_the_padded_index(tmp_path: Path) -> None:
    p = tmp_path / "m.pkl"
    p.write_bytes(b"N" + b"p" + b" " * ((1 << 20) + 10) + b"1\n" + b"0" + b"g    1\n.")
    code = f"import pickle; print(pickle.load(open({str(p)!r}, 'rb')), pickle._loads(open({str(p)!r}, 'rb').read()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert out.stdout.split() == ["None", "None"], out.stderr
    assert walk(p.read_bytes()).verdict == "safe"


@pytest.mark.parametrize("op", [b"I", b"L"])
def test_27a_2_padded_int_and_long_lines(op: bytes) -> None:
    pad = b" " * ((1 << 20) + 5)
    rep = walk(op + pad + b"7" + pad + b"\n.")
    assert rep.complete and rep.verdict == "safe", rep.findings
    assert not any(f.code == "pickle.differential" for f in rep.findings), rep.findings
    # whitespace inside the digits: every unpickler raises
    rep = walk(op + b"7" + pad + b"7\n.")
    assert not rep.complete and rep.verdict != "safe", rep.findings
    # more digits than int() reads under the default limit
    rep = walk(op + pad + b"7" * 9000 + b"\n.")
    assert rep.verdict != "safe", rep.findings


def test_27a_2_a_walk_stopped_at_a_bound_is_still_a_pickle_at_byte_0(tmp_path: Path) -> None:
    from mlbom.scanner import scan_file

    # a GLOBAL module name past the walker's line bound, then a zip carried further on
    data = b"N0c" + b"x" * ((1 << 20) + 10) + b"\nsystem\n" + b"N." + _zip_bytes()
    p = tmp_path / "m.bin"
    p.write_bytes(data)
    res = scan_file(p)
    codes = {f.id for f in res.findings}
    assert res.verdict != "safe", res.findings
    assert "pickle.limit" in codes, (res.format, codes)  # the pickle reading was walked and its bound reported
    assert "zip.polyglot" in codes, (res.format, codes)  # and the zip reading judged


def test_27a_1_zip_at_byte_0_that_reads_as_a_pickle_keeps_its_zip_label(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    import io

    from mlbom.scanner import scan_file

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2), "x": _Reduce(open, "/tmp/secret")}, buf)
    b = bytearray(buf.getvalue())
    b[4], b[5], b[6] = 0x0A, 0x00, 0x2E  # version 10 ('\n' ends PERSID's line), flags low byte '.' (STOP)
    p = tmp_path / "m.pt"
    p.write_bytes(bytes(b))
    res = scan_file(p)
    assert res.format == "pytorch-zip", (res.format, res.findings)
    assert res.verdict == "unsafe" and res.facts.get("torch.weights-only") == "false", (res.facts, res.findings)


def test_27a_5_alias_table_covers_every_package_and_is_deterministic() -> None:
    import json
    from importlib import resources

    raw = json.loads(resources.files("mlbom").joinpath("data/pickle-deny-aliases.json").read_text("utf-8"))
    assert "date" not in raw["provenance"]
    for venv in raw["provenance"]["venvs"]:
        assert set(venv) <= {"python", "packages"}, venv  # no paths, no wall-clock date
    assert raw["aliases"]["pydantic.import_module"] == "importlib.import_module"
    assert pickle_fmt.danger("pydantic.import_module") is not None
