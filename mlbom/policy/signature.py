"""The policy's one call into signature verification (``[signature] required``).

Only the public :func:`mlbom.signing.verify` and :func:`mlbom.keys.load_public_keys` are
used; any :class:`MlbomError` while verifying (a bad signature, an untrusted key, a malformed or
missing signature block) means "does not verify" — fail closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mlbom.errors import MlbomError
from mlbom.jsf import PublicKey


def load_keys(paths: Sequence[Path]) -> list[PublicKey]:
    """Trusted keys; an unreadable key file is an error (exit 2), raised before any check."""
    from mlbom.keys import load_public_keys

    return [k for p in paths for k in load_public_keys(p)]


def verify(data: bytes, keys: Sequence[PublicKey], name: str) -> str | None:
    """``None`` when the BOM verifies under ``keys``, else why not (one line)."""
    from mlbom import signing

    try:
        signing.verify(data, keys, name=name)
    except MlbomError as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None
