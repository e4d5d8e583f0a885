"""Red team 124a: a tag compared with ``==`` by the loader, spelled as a value that only equals text.

- 124a-1: numpy's ``set_state`` / bit-generator state setter compares the tag with ``== 'MT19937'``:
  ``numpy.str_('MT19937')`` or ``str('MT19937')`` pass, and ``pos = 2**30`` is read out of bounds; mlbom
  checked ``pos`` only under a plain str tag (safe).
- 124a-2: torch's persistent_load compares the tag with ``'storage'`` after ``_maybe_decode_ascii``:
  ``numpy.str_('storage')`` passes and the storage it names was never checked (a 4-byte record declared as
  1,000 floats was safe).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rt124a"


@pytest.mark.parametrize("name", ["r1_npstr_.pkl", "r1_strcall.pkl", "r2_npstr_.pkl"])
def test_a_random_state_tag_equal_to_mt19937_is_checked(name: str) -> None:
    assert scan_bytes((FIXTURES / name).read_bytes(), name).verdict == "unsafe"


@pytest.mark.parametrize("name", ["r4_npstr_1.pt", "r4_npstr_1000.pt"])
def test_a_storage_tag_that_is_no_plain_text_is_not_safe(name: str) -> None:
    r = scan_bytes((FIXTURES / name).read_bytes(), name)
    assert r.verdict == "suspicious"
    assert any("persistent id whose tag" in f.message for f in r.findings)
