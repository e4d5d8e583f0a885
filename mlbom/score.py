"""The completeness score: 0–100 per model, dataset and release, from evidence-based checks
whose weights live in ``mlbom/data/completeness.json`` (docs/report.md explains each check).

Every check reports pass, fail or not applicable, with the evidence read from the BOM (what was
found or what is missing). Unknown is never a pass: a BOM that does not say whether it was
audited fails "vulnerabilities evaluated"; a weight file without a scan verdict fails "scanned
and safe". The score does not judge the content (a permissive licence is not better than a
copyleft one); it measures how much of what a reviewer needs the BOM states and verifies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from mlbom.properties import Prop
from mlbom.readmodel import ReadBom, ReadComponent
from mlbom.signature_state import SignatureState

Status = Literal["pass", "fail", "n/a"]
Kind = Literal["model", "dataset", "release"]
_CHECKSUM_FINDINGS = ("dataset.checksum-mismatch", "dataset.file-missing")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    status: Status
    weight: int
    evidence: str


@dataclass(frozen=True)
class Score:
    kind: Kind
    subject: str
    checks: tuple[Check, ...]

    @property
    def points(self) -> int:
        return sum(c.weight for c in self.checks if c.status == "pass")

    @property
    def possible(self) -> int:
        return sum(c.weight for c in self.checks if c.status != "n/a")

    @property
    def value(self) -> int:
        return self.points * 100 // self.possible if self.possible else 0


@cache
def weights() -> dict[str, dict[str, int]]:
    """The weight table, by subject kind then check id."""
    raw = json.loads(resources.files("mlbom.data").joinpath("completeness.json").read_text("utf-8"))
    return {k: {c: int(w) for c, w in raw[k].items()} for k in ("model", "dataset", "release")}


_TITLES = {
    "card-present": "model card present", "licence-declared": "licence declared", "licence-spdx": "licence is SPDX",
    "base-model-pinned": "base model pinned to a revision", "datasets-linked": "training/evaluation datasets linked",
    "datasets-inspected": "linked datasets inspected", "files-hashed": "every file hashed",
    "weights-scanned-safe": "every weight file scanned and safe", "metrics-stated": "performance metrics stated",
    "description-present": "dataset described", "inspected": "dataset content inspected",
    "checksums-verified": "declared checksums verified", "signature-present": "signature present",
    "signature-verified": "signature verified", "composition-complete": "inventory composition complete",
    "inputs-readable": "every input read", "vulnerabilities-evaluated": "vulnerabilities evaluated",
    "libraries-licensed": "every library declares a licence",
}


def _check(kind: Kind, cid: str, ok: bool | None, evidence: str) -> Check:
    status: Status = "n/a" if ok is None else ("pass" if ok else "fail")
    return Check(cid, _TITLES[cid], status, weights()[kind][cid], evidence)


def _names(cs: list[ReadComponent], limit: int = 5) -> str:
    """Names for evidence; the full list is in the report's sections, so evidence may shorten it
    but always says how many more there are."""
    shown = ", ".join(c.path if c.type == "file" else c.display for c in cs[:limit])
    return shown + (f" and {len(cs) - limit} more" if len(cs) > limit else "")


def _hashed(kind: Kind, files: list[ReadComponent], *, required: bool) -> Check:
    """``required``: a model or dataset with no files listed fails (its content cannot be
    checked); a release without files has nothing to hash."""
    if not files:
        return _check(kind, "files-hashed", False if required else None,
                      "no files listed: the content cannot be checked" if required else "no files listed")
    missing = [f for f in files if not f.sha256]
    return _check(kind, "files-hashed", not missing, f"{len(files) - len(missing)} of {len(files)} files carry a SHA-256"
                  + (f"; missing: {_names(missing)}" if missing else ""))


def _weights_safe(kind: Kind, files: list[ReadComponent], *, required: bool, also: list[ReadComponent] | None = None) -> Check:
    """``also``: objects judged whatever they are (the release's: every object stating a verdict
    other than ``safe``, wherever it sits — the set the policy gate judges, red team 11b-4/11b-6;
    a ``safe`` one that is no weight file is no evidence that the weights were scanned)."""
    weights_ = [f for f in files if f.is_weight]
    listed = {id(f) for f in weights_}
    weights_ += [f for f in also or () if id(f) not in listed]
    if not weights_:
        return _check(kind, "weights-scanned-safe", False if required else None,
                      "no weight file listed: the weights cannot be checked" if required else "no weight files listed")
    bad = [f for f in weights_ if f.verdict != "safe"]
    return _check(kind, "weights-scanned-safe", not bad,
                  f"{len(weights_) - len(bad)} of {len(weights_)} weight files scanned safe"
                  + ("; " + ", ".join(f"{f.path}: {f.verdict or 'not scanned'}" for f in bad[:5]) if bad else "")
                  + (f" and {len(bad) - 5} more" if len(bad) > 5 else ""))


def _licence_checks(kind: Kind, c: ReadComponent) -> list[Check]:
    if not c.licences:
        return [_check(kind, "licence-declared", False, "no licence in the BOM"),
                _check(kind, "licence-spdx", False, "no licence in the BOM")]
    text = ", ".join(lc.text for lc in c.licences)
    odd = [lc.text for lc in c.licences if not lc.is_spdx]
    return [_check(kind, "licence-declared", True, text),
            _check(kind, "licence-spdx", not odd, f"not an SPDX id or expression: {', '.join(odd)}" if odd else text)]


def score_model(v: ReadBom, m: ReadComponent) -> Score:
    card = m.model_card
    files = v.files_of(m)
    checks = [_check("model", "card-present", card.present, "modelCard with " + ", ".join(
        k for k in ("task", "architecture", "use_cases", "limitations", "metrics") if getattr(card, k)) if card.present
        else "no modelCard in the BOM")]
    checks += _licence_checks("model", m)
    bases = m.base_models
    unpinned = [b for b in bases if not b.revision]
    checks.append(_check("model", "base-model-pinned", None if not bases else not unpinned,
                         "no base model declared" if not bases else
                         "; ".join(f"{b.name}@{b.revision}" if b.revision else f"{b.name}: no revision" for b in bases)))
    checks.append(_check("model", "datasets-linked", bool(card.datasets),
                         ", ".join(card.datasets) if card.datasets else "the model card names no dataset"))
    linked = [v.by_ref.get(d) for d in card.datasets]
    found = [d for d in linked if d is not None]
    uninspected = [d for d in found if d.first(Prop.DATASET_INSPECTED) != "true"]
    unread = {id(d) for d in uninspected}  # not ``d not in uninspected``: datasets² (red team 80c-8's class)
    absent = [d for d, got in zip(card.datasets, linked, strict=True) if got is None]
    checks.append(_check("model", "datasets-inspected", None if not card.datasets else not uninspected and not absent,
                         "no dataset linked" if not card.datasets else
                         # what fails first: the report clips a long evidence cell (red team 123v-4)
                         "; ".join([*(f"{d}: not in the BOM" for d in absent),
                                    *(f"{d.display}: not inspected" for d in uninspected),
                                    *(f"{d.display}: inspected" for d in found if id(d) not in unread)])))
    checks.append(_hashed("model", files, required=True))
    checks.append(_weights_safe("model", files, required=True))
    checks.append(_check("model", "metrics-stated", bool(card.metrics),
                         f"{len(card.metrics)} metric(s)" if card.metrics else "no performanceMetrics"))
    return Score("model", m.display, tuple(checks))


def score_dataset(v: ReadBom, d: ReadComponent) -> Score:
    info = d.dataset_info
    files = v.files_of(d)
    checks = [_check("dataset", "description-present", bool(info.descriptions or d.description),
                     "described" if info.descriptions or d.description else "no description")]
    checks += _licence_checks("dataset", d)
    inspected = d.first(Prop.DATASET_INSPECTED) == "true"
    checks.append(_check("dataset", "inspected", inspected, d.first(Prop.DATASET_FORMAT) or "inspected" if inspected
                         else "the BOM does not say the content was read (mlbom:dataset:inspected)"))
    checks.append(_hashed("dataset", files, required=True))
    bad = [f for x in (d, *files) for f in x.findings if f.id in _CHECKSUM_FINDINGS]
    checks.append(_check("dataset", "checksums-verified", inspected and not bad,
                         "; ".join(f"{f.id}: {f.message}" for f in bad[:3]) if bad else
                         ("inspected: every local file the card declares is present and no declared checksum differs" if inspected
                          else "not inspected: declared checksums were not compared")))
    return Score("dataset", d.display, tuple(checks))


def score_release(v: ReadBom, sig: SignatureState) -> Score:
    files = v.of_type("file")
    libs = v.of_type("library")
    unlicensed = [c for c in libs if not c.licences]
    open_v = [x for x in v.vulnerabilities if x.is_open]
    checks = [
        _check("release", "signature-present", bool(sig.present), sig.present or "the BOM is not signed"),
        _check("release", "signature-verified", sig.verified, sig.reason),
        _check("release", "composition-complete", v.composition == "complete",
               {"complete": "compositions: complete", "incomplete": "compositions: not complete",
                "undeclared": "the BOM declares no composition"}[v.composition]),
        _check("release", "inputs-readable", not v.unreadable,
               "every input was read" if not v.unreadable else f"{len(v.unreadable)} unreadable: " + "; ".join(v.unreadable[:3])),
        _check("release", "vulnerabilities-evaluated", v.has_vulnerability_section,
               f"{len(v.vulnerabilities)} stated, {len(open_v)} open"
               + (f" (audited against {'; '.join(a.split(';')[0] for a in v.vulnerability_audits)})"
                  if v.vulnerability_audits else "") if v.has_vulnerability_section else
               "no vulnerabilities section: the BOM does not show it was audited (mlbom audit)"),
        _hashed("release", files, required=False),
        _weights_safe("release", files, also=[c for c in v.stating_verdict() if c.verdict != "safe"],
                      required=bool(v.of_type("machine-learning-model"))),
        _check("release", "libraries-licensed", None if not libs else not unlicensed,
               "no libraries" if not libs else f"{len(libs) - len(unlicensed)} of {len(libs)} libraries declare a licence"
               + (f"; none: {_names(unlicensed)}" if unlicensed else "")),
    ]
    return Score("release", v.identity.name or "(unnamed release)", tuple(checks))


def score_all(v: ReadBom, sig: SignatureState) -> list[Score]:
    """The release's score, then each model's and each dataset's, in BOM order."""
    return [score_release(v, sig), *(score_model(v, m) for m in v.of_type("machine-learning-model")),
            *(score_dataset(v, d) for d in v.of_type("data"))]
