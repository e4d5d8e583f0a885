"""Trust: which keys a verified signature may come from (sigstore-python's ``VerificationPolicy``).

A :class:`TrustPolicy` is either a set of trusted public keys and/or key ids (the SHA-256 of a
key's SubjectPublicKeyInfo, as ``mlbom`` prints it), or the explicitly unsafe
:meth:`TrustPolicy.unsafe_embedded_key` — "whoever signed this" — which proves only that the
BOM was not changed after *someone* signed it. The two cannot be combined: a trusted key given
together with the embedded-key opt-in would make the trusted key meaningless. An empty policy
cannot be built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mlbom import jsf
from mlbom.errors import UsageError
from mlbom.jsf import PublicKey


@dataclass(frozen=True)
class TrustPolicy:
    """Trusted keys (``keys``), trusted key ids (``key_ids``), or the embedded-key opt-in."""

    keys: tuple[PublicKey, ...] = ()
    key_ids: frozenset[str] = frozenset()
    embedded_key: bool = False

    def __post_init__(self) -> None:
        if self.embedded_key and (self.keys or self.key_ids):
            raise UsageError("cannot be combined with trusted keys (keys, key ids): it would accept any signer",
                             option="embedded_key")
        if not (self.embedded_key or self.keys or self.key_ids):
            raise UsageError("no trusted key given: pass {keys} (or, unsafe, {embedded_key} to trust "
                             "whatever key the BOM carries)", related=("keys", "embedded_key"))
        for k in self.key_ids:
            if len(k) != 64 or any(c not in "0123456789abcdef" for c in k):
                raise UsageError("not a SHA-256 in lower-case hex", option="key_ids", value=k[:70])

    @classmethod
    def from_keys(cls, keys: Iterable[PublicKey] = (), key_ids: Iterable[str] = ()) -> TrustPolicy:
        """Trust exactly these keys and key ids."""
        return cls(tuple(keys), frozenset(k.lower() for k in key_ids))

    @classmethod
    def unsafe_embedded_key(cls) -> TrustPolicy:
        """Trust whatever key the signature carries: proves integrity, not origin."""
        return cls(embedded_key=True)

    def trusts(self, key: PublicKey) -> bool:
        """True when ``key`` satisfies this policy."""
        if self.embedded_key:
            return True
        return any(jsf.same_key(key, k) for k in self.keys) or jsf.key_id(key) in self.key_ids

    def candidates(self, algorithm: str, key_id: str | None = None) -> list[PublicKey]:
        """Trusted keys that can verify ``algorithm`` (a JSF name), the one named ``key_id``
        first: a signature that names no key is tried against these (keys of another type
        are skipped, not an error)."""
        out: list[PublicKey] = []
        for k in self.keys:
            try:
                jsf.check_algorithm(algorithm, k)
            except jsf.SignatureFormatError:
                continue
            out.append(k)
        if key_id is not None:
            out.sort(key=lambda k: jsf.key_id(k) != key_id)
        return out

    def describe(self) -> str:
        if self.embedded_key:
            return "UNSAFE: the key embedded in the signature (integrity only, not origin)"
        parts = [f"{len(self.keys)} trusted key(s)"] if self.keys else []
        parts += [f"{len(self.key_ids)} trusted key id(s)"] if self.key_ids else []
        return ", ".join(parts)


__all__ = ["TrustPolicy"]
