"""Red team 97sa: a pickle whose STOP lies before the end of its protocol-4 FRAME. A loader reading
the next pickle of the stream resumes right after the STOP (the C unpickler on a buffered file) or
at the frame's end (on a BytesIO, an unbuffered file, the pure-Python unpickler): a torch legacy
file hid four pickles (one ``os.system``) inside its first frame for ``torch.load``, and a
``_load_from_bytes`` payload hid them after it. No pickler writes that: ``suspicious`` everywhere."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

from mlbom.scanner import scan_file

MAGIC = 0x1950A86A20F9469CFC6C


def _legacy_parts() -> tuple[bytes, bytes, bytes]:
    mag = pickle.dumps(MAGIC, protocol=2)[2:-1]
    plain = (pickle.dumps(1001, protocol=2) + pickle.dumps({}, protocol=2) + pickle.dumps({}, protocol=2)
             + pickle.dumps([], protocol=2))
    evil = (pickle.dumps(1001, protocol=2) + pickle.dumps({}, protocol=2) + b"cos\nsystem\n(S'true'\ntR."
            + pickle.dumps([], protocol=2))
    return mag, plain, evil


def _framed(body: bytes) -> bytes:
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


def test_rt97sa_1_legacy_torch_stop_inside_frame(tmp_path: Path) -> None:
    mag, plain, evil = _legacy_parts()
    p = tmp_path / "model.pt"
    p.write_bytes(_framed(mag + b"." + evil) + plain)  # torch.load reads the frame's rest
    r = scan_file(p)
    assert r.verdict in ("suspicious", "unsafe"), r.findings
    assert any(f.id == "pickle.differential" and "before the end of its FRAME" in f.message for f in r.findings)


def test_rt97sa_2_load_from_bytes_stop_inside_frame(tmp_path: Path) -> None:
    mag, plain, evil = _legacy_parts()
    payload = _framed(mag + b"." + plain) + evil  # _load_from_bytes (a BytesIO) reads after the frame
    p = tmp_path / "model.pkl"
    p.write_bytes(b"\x80\x03ctorch.storage\n_load_from_bytes\nq\x00B" + struct.pack("<I", len(payload)) + payload
                  + b"\x85R.")
    r = scan_file(p)
    assert r.verdict in ("suspicious", "unsafe"), r.findings


def test_rt97sa_real_protocol_4_and_5_pickles_end_their_frame(tmp_path: Path) -> None:
    for proto in (4, 5):
        p = tmp_path / f"p{proto}.pkl"
        p.write_bytes(pickle.dumps({"a": list(range(100)), "b": "x" * 70_000, "c": (1.5, None)}, protocol=proto))
        r = scan_file(p)
        assert r.verdict == "safe", r.findings
