"""The one rule for a file name a loader joins to a model's folder: does it leave what a scan of
that folder judges? Shard names of a sharded index, ``from_pretrained`` keyword paths, diffusers
component files, gin includes, HDF5 external links and files, ONNX external-data locations all
name a file relative to the folder they sit in; :func:`leave_reason` says why one lands outside
it, from the text alone (callers that know the folder on disk add a symlink check of their own).

Backslashes count as separators (a Windows loader splits on them; on POSIX a name holding one is
no file of the scanned tree either). Outside: absolute (``/``, ``\\``), a drive (``C:``, any
character before the colon), and a ``..`` part — anywhere, or with ``climb_only`` only where it
climbs above the start (``a/../b`` stays inside: for callers that resolve symlinks themselves,
since ``a`` may be a link). Optional rules: ``home`` (a leading ``~``, which the loader expands),
``url`` (``://``, a remote file), ``skipped`` (a part naming a folder the folder walker skips)."""

from __future__ import annotations

from collections.abc import Collection


def leave_reason(path: str, *, skipped: Collection[str] = (), home: bool = False, url: bool = False,
                 climb_only: bool = False) -> str | None:
    """Why ``path`` leaves the folder it is joined to, or None when it stays inside (see the module)."""
    p = path.replace("\\", "/")
    if p.startswith("/"):
        return "is absolute"
    if len(p) > 1 and p[1] == ":":
        return "names a drive"
    if home and p.startswith("~"):
        return "starts at a home folder ('~')"
    if url and "://" in p:
        return "is a URL"
    parts = p.split("/")
    if climb_only:
        depth = 0
        for part in parts:
            if part == "..":
                depth -= 1
                if depth < 0:
                    return "climbs out with '..'"
            elif part not in ("", "."):
                depth += 1
    elif ".." in parts:
        return "climbs out with '..'"
    if skipped and any(part in skipped for part in parts):
        return "goes through a folder the scan skips"
    return None
