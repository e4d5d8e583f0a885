"""Red team 116v-5: ``jsf._float_token`` accepts a plain-notation token without the pure-Python RFC 8785
serializer when it is ``repr`` of its double; this checks that fast path against ``rfc8785.dumps`` on many
doubles of every magnitude, so it never accepts a token the serializer would spell otherwise."""

from __future__ import annotations

import random
import struct

import pytest
import rfc8785

from mlbom import jsf
from mlbom.jsf import SignatureFormatError


def _doubles(n: int) -> list[float]:
    rng = random.Random(116)
    out: list[float] = [0.5, 0.1, 0.0001, 0.00001, 123.456, 1e15 + 0.5, 9007199254740991.0, 1e16, 2.5e-5, 1 / 3]
    while len(out) < n:
        kind = rng.random()
        if kind < 0.4:  # any bit pattern
            v = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        elif kind < 0.8:  # short decimals
            v = round(rng.uniform(-1e6, 1e6), rng.randint(0, 8))
        else:  # around the notation switches
            v = rng.choice([1e-4, 1e-5, 1e-6, 1e-7, 1e15, 1e16, 1e21]) * rng.uniform(0.5, 2.0)
        if v == v and abs(v) not in (float("inf"),) and abs(v) <= jsf.MAX_SAFE_INTEGER:
            out += [v, -v]
    return out


@pytest.mark.parametrize("chunk", range(4))
def test_fast_path_agrees_with_the_serializer(chunk: int) -> None:
    for v in _doubles(20_000)[chunk::4]:
        for text in {rfc8785.dumps(v).decode("ascii"), repr(v), f"{v:.17g}", f"{v:.6f}", f"{v:.3e}"}:
            if text in ("-0", "0") or "inf" in text or "nan" in text or float(text) == 0 \
                    or abs(float(text)) > jsf.MAX_SAFE_INTEGER:
                continue
            canonical = rfc8785.dumps(float(text)).decode("ascii")
            try:
                got: float | None = jsf._float_token(text)
            except SignatureFormatError:
                got = None
            assert (got is not None) == (text == canonical), (text, canonical)
