"""Red team 62f.

62f-1: numpy pickles its random generators through constructors that call the class
(``__bit_generator_ctor(cls)``, ``__randomstate_ctor``, ``__generator_ctor``), whose ``__init__``
sets the native state. ``copyreg.__newobj__(PCG64)`` or ``NEWOBJ`` creates one with ``__new__``
alone; numpy's own ``(state, seed sequence)`` BUILD then wrote through a NULL pointer (SIGSEGV in
pickle.load, joblib, pandas and torch.load) while mlbom said ``safe``. Such a creation is
``unsafe``; what numpy writes stays ``safe``.

62f-2: text whose first line is a non-ASCII word or a hyphenated name ("charset-normalizer" in a
sorted requirements list, "café" in a label list) read as a GLOBAL of a module an import might
find, so the file was an ``error`` pickle; the loader raises at the import. A hyphenated or
digit-led module counts only once a call or BUILD acts after it (what 61f-1's pickle does)."""

from __future__ import annotations

import copyreg
import pickle

import pytest

from mlbom.scanner import scan_bytes

np = pytest.importorskip("numpy")

_CLASSES = ("PCG64", "PCG64DXSM", "Philox", "MT19937", "SFC64")


@pytest.mark.parametrize("name", _CLASSES)
def test_a_bit_generator_created_with_new_alone_is_unsafe(name: str) -> None:
    cls = getattr(np.random, name)
    state = cls(1).__reduce__()[2]  # exactly the (state dict, SeedSequence) numpy writes

    class Bare:
        def __reduce__(self) -> object:
            return (copyreg.__newobj__, (cls,), state)

    by_copyreg = pickle.dumps(Bare(), protocol=1)
    body = pickle.dumps(state, protocol=2)[2:-1]
    by_newobj = b"\x80\x02c" + cls.__module__.encode() + b"\n" + name.encode() + b"\n)\x81" + body + b"b."
    for data in (by_copyreg, by_newobj):
        r = scan_bytes(data, "rng.pkl")
        assert r.verdict == "unsafe", [f.message for f in r.findings]
        assert any("__new__ alone" in f.message for f in r.findings)
    assert scan_bytes(pickle.dumps(cls(1), protocol=2), "rng.pkl").verdict == "safe"


def test_random_state_and_generator_built_bare_are_unsafe() -> None:
    for module, name in (("numpy.random.mtrand", "RandomState"), ("numpy.random._generator", "Generator")):
        data = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n)\x81."
        assert scan_bytes(data, "rng.pkl").verdict == "unsafe"


@pytest.mark.parametrize("text", ["café\ncrème\nbrûlée\n", "canción\nniño\n", "charset-normalizer\nfilelock\nhuggingface-hub\n",
                                  "clip-vit-base\nbert\n", "i-frame\nkeyframe\n", "c6abc\nthing\n"])
def test_word_lists_stay_text(text: str) -> None:
    r = scan_bytes(text.encode(), "labels.txt")
    assert r.verdict == "safe", [f.message for f in r.findings]


def test_a_bit_generator_made_by_another_class_helper_is_unsafe() -> None:
    # red team 65f: scikit-learn's newObj(PCG64) and pandas' _new_Index(PCG64, {}) create it with
    # __new__ alone too; numpy's state then segfaulted at load
    state = pickle.dumps(np.random.PCG64(1).__reduce__()[2], protocol=2)[2:-1]
    cls = b"cnumpy.random._pcg64\nPCG64\n"
    for make in (b"csklearn.neighbors._kd_tree\nnewObj\n" + cls + b"\x85R",
                 b"cpandas.core.indexes.base\n_new_Index\n" + cls + b"}\x86R"):
        r = scan_bytes(b"\x80\x02" + make + state + b"b.", "rng.pkl")
        assert r.verdict == "unsafe", [f.message for f in r.findings]


@pytest.mark.parametrize("text", ["c_sysconfigdata__linux_x86_64-linux-gnu\nbuild_time_vars\nS'CC'\nS'sh -c x'\ns\n\n"])
def test_an_item_set_in_a_live_module_dict_is_a_pickle(text: str) -> None:
    # red team 65f-3: the loader raises at the last line, after it has set build_time_vars['CC']
    assert scan_bytes(text.encode(), "notes.txt").verdict != "safe"
