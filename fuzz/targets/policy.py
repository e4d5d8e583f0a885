"""The release gate: policy files (TOML → validated policy) and BOMs evaluated by every rule."""

from __future__ import annotations

from fuzz.harness import Target
from mlbom.errors import MlbomError


def _policy(data: bytes) -> object:
    from mlbom.policy.config import loads

    return loads(data, "fuzz.toml")


_FULL = b"""
[licenses]
allow = ["MIT", "Apache-2.0 OR BSD-3-Clause"]
deny = ["GPL-3.0-only"]
[models]
formats = ["safetensors"]
verdicts = ["safe"]
require-card = true
require-license = true
require-base-model-revision = true
[datasets]
require-license = true
require-checksums = true
[findings]
fail-on = "low"
[vulnerabilities]
fail-on = "high"
max-cvss = 5.0
[packages]
deny = ["torch <2.6", "pickle5"]
require-hashes = true
forbid-extra-index-url = true
[[exceptions]]
id = "models.format"
component = "*"
reason = "fuzz"
expires = "2000-01-01"
"""


def _check(data: bytes) -> object:
    from mlbom.policy import DEFAULT, render
    from mlbom.policy.config import loads
    from mlbom.policy.facts import from_loaded
    from mlbom.policy.rules import check
    from mlbom.reader import loads as read

    facts = from_loaded(read(data, "fuzz.json"), data)
    for policy in (DEFAULT, loads(_FULL, "full.toml")):
        result = check(facts, policy)
        for fmt in ("text", "json", "sarif", "junit", "markdown"):
            render(result, fmt)
    return None


TARGETS = [
    Target("policy-file", _policy, seeds=("tests/fixtures/policy/*.toml",), allowed=(MlbomError,),
           max_len=1 << 16, description="mlbom-policy.toml: TOML, keys, types, SPDX, dates, specifiers"),
    Target("policy-check", _check, seeds=("tests/fixtures/jsf/*.json", "../shared/corpus/cyclonedx/examples/**/*.json",
                                           "../shared/corpus/cyclonedx/examples/**/*.xml"),
           allowed=(MlbomError,), max_len=1 << 20, description="every rule and renderer on any CycloneDX BOM"),
]
