"""The one rule for a path a BOM or a manifest gives relative to a folder the user names
(``verify --artifacts DIR``): :func:`normalise`. File components (``mlbom:file:path``), a file
manifest's root (``mlbom:manifest:root``) and every manifest entry joined to it pass through it
before anything under the folder is looked up, so none of them can name a file outside it (red
team 85c-1). What the lexical rule cannot see — a symbolic link or a non-regular file on the way —
is judged where the folder is read (:func:`mlbom.artifacts.check_folder`)."""

from __future__ import annotations


def normalise(value: str) -> str | None:
    """``value`` as a confined relative POSIX path, or None when it is empty, absolute, has a
    ``..`` step, a backslash, a drive letter or a NUL."""
    if not value or "\0" in value or "\\" in value or value.startswith("/") or (len(value) > 1 and value[1] == ":"):
        return None
    parts = [p for p in value.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def folder(root: str) -> str | None:
    """A folder under the checked one, as a BOM names it (``.`` for that folder itself): ``""``
    for the folder itself, the :func:`normalise` form otherwise, None when it leaves it."""
    return "" if root == "." else normalise(root)


def under(top: str, rel: str) -> str | None:
    """``rel`` in the folder ``top`` (a :func:`folder` result) as one confined path
    (:func:`normalise`), or None when it leaves the checked folder."""
    return normalise(f"{top}/{rel}" if top else rel)


__all__ = ["folder", "normalise", "under"]
