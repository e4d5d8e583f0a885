"""Whether a BOM's signature verifies under the keys a reviewer trusts, for the report and the
completeness score. The single place these call :func:`mlbom.verify` (its trust API is being
reworked; keep the call here). Fails closed: no key, an unreadable key, a malformed signature
or any :class:`~mlbom.errors.MlbomError` during verification is "not verified", with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SignatureState:
    present: str
    """``jsf``, ``xmldsig`` or ``""`` (no signature in the BOM)."""
    verified: bool
    checked: bool
    """Whether verification was attempted (a key was given)."""
    reason: str
    key_ids: tuple[str, ...] = ()


def check(data: bytes, present: str, key_paths: Sequence[Path], *, name: str = "<bom>",
          every_key: bool = False) -> SignatureState:
    """Verify ``data`` (the BOM's bytes) against the public keys in ``key_paths``: any one of
    them suffices for each signature, unless ``every_key`` (``report --require-every-key``):
    then each key file must also have made a valid signature (red team 24s-1)."""
    from mlbom.errors import MlbomError
    from mlbom.signing import load_public_keys, require_every_named_key, verify

    if not present:
        return SignatureState("", False, bool(key_paths), "the BOM is not signed")
    if not key_paths:
        return SignatureState(present, False, False, "not checked: no trusted key given (--key)")
    try:
        groups = [(str(p), load_public_keys(p)) for p in key_paths]
        result = verify(data, [k for _, ks in groups for k in ks], name=name)
        if every_key:
            require_every_named_key(result, groups)
    except MlbomError as exc:
        found = getattr(exc, "result", None)
        ids = tuple(sorted({s.key_id for s in getattr(found, "signers", []) if getattr(s, "key_id", None)}))
        return SignatureState(present, False, True, f"not verified: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                              ids)
    ids = tuple(sorted({s.key_id for s in result.signers if s.key_id}))
    reasons = "; ".join(sorted({s.reason for s in result.signers}))
    return SignatureState(present, True, True, f"verified: {reasons}", ids)
