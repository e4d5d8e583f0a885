"""Red team 123pk: the allowlist entries and checks of fix122fp / fix122pk, attacked.

- 123pk-1: scikit-learn < 0.24's ``Bunch`` (``sklearn.datasets.base``/``._base``), allowed by 122fp-2, was
  not among the classes whose items are attributes (``Bunch.__getattr__`` returns ``self[key]``):
  an ``append`` item reached ``torch.storage._load_from_bytes`` through APPEND, called safe.
- 123pk-2: the XGBoost Booster check read the bytes given to ``bytearray(...)``; SETITEM/APPENDS
  rewrote that bytearray in place before the Booster's BUILD (fixtures cut from the real model of
  tests/fixtures/rt122fp/xgb_classifier_p4.pkl by the red team's repro_123pk_2.py).
- 123pk-3: 2 MiB of decompressed YAML within the 32x text ratio was walked outside the step budget
  (1.2-1.6 s); the cap is 1.25 MiB now.
"""

from __future__ import annotations

import base64
import gzip
import random
from pathlib import Path

import pytest

from mlbom.limits import INFLATED_TEXT_WALK_CAP
from mlbom.scanner import scan_bytes

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rt123pk"

_CODE = b"print('payload')"
_INNER_OBJ = b"\x80\x04cbuiltins\nexec\n\x8c" + bytes([len(_CODE)]) + _CODE + b"\x85R."
# torch's legacy layout: magic, protocol version, sys info, the object pickle, storage keys
_INNER = (b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03."
          b"\x80\x02}q\x00(X\x10\x00\x00\x00protocol_versionq\x01M\xe9\x03X\r\x00\x00\x00little_endianq\x02\x88"
          b"X\n\x00\x00\x00type_sizesq\x03}q\x04(X\x05\x00\x00\x00shortq\x05K\x02X\x03\x00\x00\x00intq\x06K\x04"
          b"X\x04\x00\x00\x00longq\x07K\x04uu." + _INNER_OBJ + b"\x80\x02]q\x00.")


@pytest.mark.parametrize("module", ["sklearn.datasets._base", "sklearn.datasets.base", "sklearn.utils._bunch"])
def test_an_old_bunchs_items_are_attributes(module: str) -> None:
    data = (b"\x80\x04c" + module.encode() + b"\nBunch\n)\x81"  # Bunch() by NEWOBJ
            b"\x8c\x06append" + b"ctorch.storage\n_load_from_bytes\n" + b"s"  # its item 'append'
            b"B" + len(_INNER).to_bytes(4, "little") + _INNER + b"a.")  # APPEND: bunch.append(bytes)
    assert scan_bytes(data, "b.pkl").verdict == "unsafe"


def test_an_old_bunch_of_data_stays_safe() -> None:
    data = b"\x80\x04csklearn.datasets.base\nBunch\n)\x81\x8c\x04data]\x8c\x01aas."
    assert scan_bytes(data, "b.pkl").verdict == "safe"


@pytest.mark.parametrize("name", ["rt2_xgb_handle_setitem.pkl", "rt2_xgb_handle_appends.pkl"])
def test_a_bytearray_changed_in_place_is_not_the_checked_model(name: str) -> None:
    r = scan_bytes((FIXTURES / name).read_bytes(), name)
    assert r.verdict == "suspicious"
    assert any("changes a bytearray in place" in f.message for f in r.findings)


def test_a_bytearray_call_changed_in_place_alone() -> None:
    # bytearray(b'ab') then SETITEM 0 = 0x7a: the bytes are no longer those given
    data = b"\x80\x04cbuiltins\nbytearray\nC\x02ab\x85RK\x00K\x7as."
    assert scan_bytes(data, "x.pkl").verdict == "suspicious"


def test_text_past_the_walk_cap_is_charged() -> None:
    random.seed(1)
    pad = "# " + base64.b64encode(random.randbytes(70_000)).decode() + "\n"
    text = (pad + "--- [a]\n" * 300_000)[: (2 << 20) - 10]
    assert len(text) > INFLATED_TEXT_WALK_CAP
    r = scan_bytes(gzip.compress(text.encode(), 9), "c.yaml.gz")
    assert r.verdict == "suspicious"
    assert any(f.id == "compressed.bomb" for f in r.findings)


def test_every_allowed_bunch_has_items_as_attributes() -> None:
    """Every allowlisted ``Bunch`` (a dict whose ``__getattr__`` returns ``self[key]``) is one of the
    classes whose items the walker takes as attributes: one rule, whatever module spells it."""
    import json

    from mlbom.formats import pickle as pk

    doc = json.loads((Path(pk.__file__).parent.parent / "data" / "pickle-allowlist.json").read_text())
    bunches = {name.replace(":", ".") for group in doc["allow"] for name in group.get("entries", {})
               if name.endswith(":Bunch")}
    assert bunches and bunches <= set(pk._ITEM_ATTRS)
