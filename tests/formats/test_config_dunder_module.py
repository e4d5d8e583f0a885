"""A dunder spelling in the first part of a dotted string is a module name (what ``_locate`` and
``import_object`` import first), not an attribute walk: ``__init__.py`` listed in a config, or
torchgen's ``native_functions.yaml`` (``autogen: __lshift__.Scalar_out``, shipped in torch's wheel),
were ``unsafe`` (``code.dangerous-target``: "walks a dunder attribute"). A dunder part after the first is
still a walk through interpreter internals, and a first part that is no module is judged by the deny
list like any other. The running program (``__main__``, ``__mp_main__``) is no such module: its globals
are whatever the script imported, under any name (``__main__.sp.check_output``, red team 51f-1), so any
walk from it is judged as a dunder step (but the file names ``__main__.py``).

torchgen's file was ``unsafe`` for another string: ``autogen: trace.out`` names an attribute of the
standard library's ``trace`` module, which the deny list holds whole (``trace.*``: it runs code). A plain
dotted string covered only by such a module-wide entry is no target where the module's source binds no
such attribute (``trace`` has no ``out``: ``import_object`` raises before anything runs); one it binds
(``trace.Trace``) still is."""

from __future__ import annotations

import pytest

from mlbom.scanner import scan_bytes


@pytest.mark.parametrize("text", [
    "files:\n  - __init__.py\n  - __main__.py\n  - __main__.pyc\n",
    "version_file: __version__.txt\n",
    "- func: __ilshift__.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)\n  autogen: __lshift__.Tensor_out\n",
])
def test_a_dunder_module_name_is_no_attribute_walk(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe", [(f.id, f.message) for f in r.findings]


@pytest.mark.parametrize("text", [
    "x: pkg.__init__\n",
    "x: os.__dict__\n",
    "x: __main__.__builtins__.eval\n",
    "x: __main__.os.system\n",
    "report: __main__.sp.check_output\n",  # red team 51f-1: the script's ``import subprocess as sp``
    "x: __mp_main__.pkl.loads\n",
    "x: __main__.run\n",
    "model:\n  _target_: torch.nn.Linear.__subclasses__\n",
])
def test_a_dunder_attribute_or_a_denied_walk_is_still_unsafe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "unsafe" and "code.dangerous-target" in {f.id for f in r.findings}, r.findings


def test_a_target_naming_a_dunder_module_is_still_a_target() -> None:
    r = scan_bytes(b"model:\n  _target_: __init__.build\n", "config.yaml")
    assert r.verdict == "suspicious" and "code.remote" in {f.id for f in r.findings}


def test_loaders_import_the_first_part() -> None:
    """What the rule stands on: both resolvers import the first part as a module."""
    hydra = pytest.importorskip("hydra._internal.utils")
    jsonargparse = pytest.importorskip("jsonargparse._util")
    for path in ("__init__.py", "__lshift__.Scalar_out", "__builtins__.eval"):
        with pytest.raises(ImportError):
            hydra._locate(path)
        with pytest.raises(ModuleNotFoundError):
            jsonargparse.import_object(path)



def test_a_plain_string_naming_no_attribute_of_a_denied_stdlib_module_is_no_target() -> None:
    text = "- func: trace(Tensor self) -> Tensor\n  variants: method, function\n  autogen: trace.out\n"
    r = scan_bytes(text.encode(), "native_functions.yaml")
    assert r.verdict == "safe", [(f.id, f.message) for f in r.findings]
    r = scan_bytes(b"callback: trace.Trace\n", "config.yaml")
    assert r.verdict == "unsafe", [(f.id, f.message) for f in r.findings]
    jsonargparse = pytest.importorskip("jsonargparse._util")
    with pytest.raises((ImportError, AttributeError, ValueError)):
        jsonargparse.import_object("trace.out")
