"""Regenerate ``mlbom/data/activate-templates.json``: the activate-script templates of the
environment creators mlbom knows (red team 22d-1), read as files (nothing imported or run).

    python tools/activate_templates.py NAME=FOLDER ... > mlbom/data/activate-templates.json

Each FOLDER is searched for template files: every file whose name starts with ``activate`` or
``deactivate`` (case-insensitive), and ``pydoc.bat`` (uv writes it into every venv, red team
24d-3) — the CPython ``venv/scripts`` tree, virtualenv's
``activation`` package, the folder tools/uv_activate_templates.py fills from a uv binary. NAME
says where the texts come from (recorded per template). The table shipped was made from pyenv's
CPython 3.8.18-3.13.0 and Debian's 3.11.2 ``venv/scripts``, virtualenv 21.15.11 and uv 0.13.9.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys


def main(argv: list[str]) -> int:
    found: dict[str, dict[str, object]] = {}
    for arg in argv:
        label, _, folder = arg.partition("=")
        for here, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                if not name.lower().startswith(("activate", "deactivate")) and name.lower() != "pydoc.bat":
                    continue
                with open(os.path.join(here, name), "rb") as fh:
                    data = fh.read()
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                digest = hashlib.sha256(data).hexdigest()
                entry = found.setdefault(digest, {"sha256": digest, "name": name, "sources": [], "text": text})
                where = f"{label}:{os.path.relpath(os.path.join(here, name), folder)}"
                sources = entry["sources"]
                assert isinstance(sources, list)
                sources.append(where)
    doc = {
        "version": 1,
        "about": ("Activate-script templates (and uv's pydoc.bat) (placeholders __NAME__ / {{ NAME }} unreplaced) of CPython's "
                  "venv, virtualenv and uv (recovered from its binary), read from the files named in each template's "
                  "sources (red team 22d-1). "
                  "Regenerate with tools/activate_templates.py."),
        "templates": [found[k] for k in sorted(found)],
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
