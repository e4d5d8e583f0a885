"""Recover uv's activate-script templates from the uv binary (they are compiled in with
``include_str!``, placeholders ``{{ NAME }}`` unreplaced), for tools/activate_templates.py.

    python tools/uv_activate_templates.py UV_BINARY UV_VENV/bin OUT_DIR

For each activate script of a venv uv made, the template is the run of bytes of the binary that
starts with the script's first 64 bytes and matches it literally everywhere but at the
placeholders (read as bytes; nothing is run). Check the result by running it on a second venv
made with another prompt: the templates found must be the same.
"""

from __future__ import annotations

import os
import re
import sys

PH = re.compile(rb"\{\{ [A-Z_]+ \}\}")


def _walk(binary: bytes, at: int, f: bytes) -> int | None:
    """The end of the template at ``at`` rendered as ``f``, or None when it is not that one."""
    i, j = at, 0
    while j < len(f):
        m = PH.match(binary, i)
        if m:
            i = m.end()
            while m2 := PH.match(binary, i):
                i = m2.end()
            nxt = PH.search(binary, i)
            lit = binary[i:min(nxt.start() if nxt else i + 40, i + 40)]
            k = f.find(lit, j) if lit else -1
            if k < 0 or b"\n" in f[j:k]:
                return None
            j = k
            continue
        if binary[i] != f[j]:
            return None
        i += 1
        j += 1
    return i


def main(argv: list[str]) -> int:
    with open(argv[0], "rb") as fh:
        binary = fh.read()
    for name in sorted(os.listdir(argv[1])):
        if not name.lower().startswith(("activate", "deactivate")) and name.lower() != "pydoc.bat":
            continue
        with open(os.path.join(argv[1], name), "rb") as fh:
            f = fh.read()
        start, found = 0, None
        while found is None and (at := binary.find(f[:64], start)) >= 0:
            start = at + 1
            end = _walk(binary, at, f)
            if end is not None:
                found = binary[at:end]
        print(name, None if found is None else len(found))
        if found is not None:
            with open(os.path.join(argv[2], name), "wb") as fh:
                fh.write(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
