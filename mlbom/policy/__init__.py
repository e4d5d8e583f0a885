"""Release gate: a policy (``mlbom-policy.toml`` or ``[policy]`` in ``mlbom.toml``) evaluated
against any CycloneDX BOM — ``mlbom check`` and ``mlbom generate --policy``.

Layers: :mod:`.config` (the policy file, validated with file:line errors), :mod:`.facts` (the one
adapter that reads a BOM), :mod:`.rules` (the evaluations), :mod:`.output`/:mod:`.sarif`
(renderers), :mod:`.signature` (the one call into signature verification). See docs/policy.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from mlbom.policy.config import DEFAULT, Policy, PolicyError
from mlbom.policy.config import find as find_policy
from mlbom.policy.config import load as load_policy
from mlbom.policy.output import FORMATS, render, summary
from mlbom.policy.rules import RULES, Result, Violation

__all__ = ["DEFAULT", "FORMATS", "RULES", "Policy", "PolicyError", "Result", "Violation", "check_file", "find_policy",
           "load_policy", "render", "resolve", "summary"]


def resolve(policy: Path | None, project_dir: Path) -> Policy:
    """The policy to apply: the file given, else the project's, else the default policy."""
    if policy is not None:
        return load_policy(policy)
    return find_policy(project_dir) or DEFAULT


def check_file(bom: Path | str, policy: Policy, *, key_paths: Sequence[Path] = (),
               today: dt.date | None = None) -> Result:
    """Evaluate ``policy`` on the BOM at ``bom``; raises :class:`mlbom.errors.MlbomError` when the
    BOM cannot be read or a key cannot be loaded (the CLI exits 2)."""
    from mlbom.cyclonedx.validate import require_valid, validate_bytes
    from mlbom.policy import facts, rules, signature

    groups = signature.load_groups(key_paths) if key_paths else []
    read = facts.load(bom)
    # the gate judges what the schema says a BOM is: a value of the wrong type ("score": "9.8")
    # was read by no rule (red team 24s-3); an invalid BOM cannot be evaluated (exit 2), as
    # `validate` would say, with its first problem
    require_valid(validate_bytes(read.data, name=str(bom)), str(bom), referential=False)
    return rules.check(read, policy, keys=[k for _, ks in groups for k in ks], key_given=bool(key_paths),
                       today=today, key_groups=groups)
