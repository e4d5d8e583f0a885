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


def load_groups(paths: Sequence[Path]) -> list[tuple[str, list[PublicKey]]]:
    """The trusted keys per ``--key`` file (one party each), for ``every-key``."""
    from mlbom.keys import load_public_keys

    return [(str(p), load_public_keys(p)) for p in paths]


def verify(data: bytes, keys: Sequence[PublicKey], name: str,
           every: Sequence[tuple[str, Sequence[PublicKey]]] | None = None) -> str | None:
    """``None`` when the BOM verifies under ``keys``, else why not (one line). With ``every``
    (``[signature] every-key``): also each key file given must have made a valid signature, as
    ``verify --require-every-key`` asks (red team 24s-1)."""
    from mlbom import signing

    try:
        result = signing.verify(data, keys, name=name)
        if every is not None:
            signing.require_every_named_key(result, every)
    except MlbomError as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None
