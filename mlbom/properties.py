"""Every ``mlbom:`` property name, defined once.

``docs/properties.md`` is generated from this table (``python -m mlbom.properties``). Names
follow the CycloneDX property taxonomy: ``namespace:sub:name``, lower case, ASCII.
"""

from __future__ import annotations

from enum import Enum


class Prop(str, Enum):
    """Property names mlbom writes. The value of each member is the property name."""

    FINDING = "mlbom:finding"
    EVIDENCE = "mlbom:evidence"
    UNREADABLE = "mlbom:unreadable"
    FILE_FORMAT = "mlbom:file:format"
    SAFETY_VERDICT = "mlbom:safety:verdict"
    FILE_SIZE = "mlbom:file:size"
    FILE_PATH = "mlbom:file:path"
    FILE_PATH_ESCAPED = "mlbom:file:path-escaped"
    FILE_FACT = "mlbom:file:fact"
    MODEL_PARAMETERS = "mlbom:model:parameters"
    MODEL_BASE_RELATION = "mlbom:model:base-model-relation"
    IDENTITY_SOURCE = "mlbom:identity:source"
    MODEL_LANGUAGE = "mlbom:model:language"
    PEDIGREE_REF = "mlbom:pedigree:ref"
    MODEL_TAG = "mlbom:model:tag"
    MODEL_LIBRARY = "mlbom:model:library-name"
    DATASET_FORMAT = "mlbom:dataset:format"
    DATASET_INSPECTED = "mlbom:dataset:inspected"
    DATASET_CHECKSUM = "mlbom:dataset:checksum"
    MANIFEST_PATH = "mlbom:manifest:path"
    MANIFEST_SHA256 = "mlbom:manifest:sha256"
    MANIFEST_ROOT = "mlbom:manifest:root"
    MANIFEST_FILES = "mlbom:manifest:files"
    MANIFEST_BYTES = "mlbom:manifest:bytes"
    MANIFEST_SAMPLED = "mlbom:manifest:sampled"
    GPU_CUDA_DRIVER = "mlbom:gpu:cuda-driver-version"
    GPU_NVML_VERSION = "mlbom:gpu:nvml-version"
    GPU_FACT = "mlbom:gpu:fact"
    GPU_TOOLKIT_PATH = "mlbom:gpu:toolkit-path"
    GPU_NVCC_VERSION = "mlbom:gpu:nvcc-version"
    CUDA_BUILD = "mlbom:cuda:build"
    CUDA_ARCHS = "mlbom:cuda:archs"
    CUDA_EXPECTS = "mlbom:cuda:expects"
    CUDA_PROVIDERS = "mlbom:cuda:providers"
    CUDA_FAMILY = "mlbom:cuda:family"
    CUDA_BUNDLED = "mlbom:cuda:bundled"
    BUILD_COMMIT = "mlbom:build:git-version"
    TORCH_WEIGHTS_ONLY = "mlbom:torch:weights-only"
    SOURCE = "mlbom:source"
    PY_INSTALLER = "mlbom:python:installer"
    PY_REQUIRES_PYTHON = "mlbom:python:requires-python"
    PY_REQUIREMENT = "mlbom:python:requirement"
    PY_EXTRAS = "mlbom:python:extras"
    PY_EDITABLE = "mlbom:python:editable"
    PY_DIRECT_URL = "mlbom:python:direct-url"
    PY_LICENSE_FILE = "mlbom:python:license-file"
    PY_LOCATION = "mlbom:python:location"
    PY_SHADOWED = "mlbom:python:shadowed"
    PY_MARKER = "mlbom:python:marker"
    PY_INDEX = "mlbom:python:index"
    PY_ENVIRONMENT = "mlbom:python:environment"
    PY_MARKER_ENV = "mlbom:python:marker-environment"
    LOCK_FORMAT = "mlbom:lock:format"
    LOCK_SOURCE = "mlbom:lock:source"
    LOCK_GROUP = "mlbom:lock:group"
    CONDA_CHANNEL = "mlbom:conda:channel"
    CONDA_BUILD = "mlbom:conda:build"
    CDX_REPRODUCIBLE = "cdx:reproducible"
    VULN_MATCH = "mlbom:vuln:match"
    VULN_ML_RULE = "mlbom:vuln:ml-rule"
    VULN_LINKED_FINDING = "mlbom:vuln:linked-finding"
    VULN_VEX = "mlbom:vuln:vex"
    VULN_AUDIT = "mlbom:vuln:audit"
    VULN_AUDIT_VEX = "mlbom:vuln:audit-vex"
    VEX_EXPIRES = "mlbom:vex:expires"


DESCRIPTIONS: dict[Prop, str] = {
    Prop.FINDING: ("One finding about the component, as `SEVERITY ID: message`; one property per finding. "
                   "Read by one parser (`Finding.parse`) in every reader: `SEVERITY` exactly one of "
                   "`critical`/`high`/`medium`/`low`/`info`, an `ID` without blanks, `: ` then the message. A value "
                   "that does not parse (`CRITICAL x: m`, `critical x y: m`, `critical x`) is severity `unknown`, "
                   "ranked **worse than critical** everywhere: `check` fails on it whatever `fail-on` says (and no "
                   "exception by finding id waives it), `diff --fail-on new-finding:SEV` trips on it, `query "
                   "--severity` and the index list it (red team 13b-4)."),
    Prop.EVIDENCE: "Where a fact came from: `FACT from FILE[#FIELD]`, paths relative to the input.",
    Prop.UNREADABLE: "Something a collector could not read: `PATH: reason`. The composition is then incomplete.",
    Prop.FILE_FORMAT: "File format detected from the content (not the extension).",
    Prop.SAFETY_VERDICT: ("Static safety verdict of a model file, or of a dataset file a loader may execute (a pickle, "
                          "NumPy, HDF5, or a weight/code/config name; docs/scanning.md \"Dataset files\"): safe, unsafe, "
                          "suspicious or error. Absent on data files that are not scanned."),
    Prop.FILE_SIZE: ("Size of the file in bytes. Readers (`report`, `convert --to spdx3`, `verify --artifacts`) use "
                     "it only when it is 1–20 ASCII digits; any other value (`²`, 5,000 digits) is read as absent."),
    Prop.FILE_PATH: "Path of the file relative to the project folder (what `verify --artifacts DIR` re-hashes under DIR).",
    Prop.FILE_PATH_ESCAPED: ("XML BOMs only, beside an `mlbom:file:path` holding a character XML 1.0 cannot carry (a "
                             "control character, written there as U+FFFD): the exact path, each such character and `%` "
                             "and `#` percent-encoded as in bom-refs (`a%01.json`). `verify --artifacts` matches files "
                             "by it, so an XML BOM verifies the files a JSON BOM does."),
    Prop.FILE_FACT: "A fact read from a file's header, as `key=value` (tensors, parameters, dtypes, quantization, pickle imports, …).",
    Prop.MODEL_PARAMETERS: "Total parameter count of a model, summed over its weight files' headers.",
    Prop.IDENTITY_SOURCE: ("On a model or dataset in a folder named like a Hugging Face cache snapshot "
                           "(`models--ORG--NAME/snapshots/REVISION`): how its identity was established. "
                           "`hf-cache-layout`: every file is a link into the repository's `blobs/` whose name is the "
                           "digest of its content, so the purl, group and version come from the folder names; "
                           "`folder-name`: the layout does not show it, so none is taken (finding "
                           "`*.identity-unverified`). Neither proves, offline, that the content or the revision is "
                           "what the Hub serves (docs/design.md \"Hugging Face cache snapshots\")."),
    Prop.MODEL_BASE_RELATION: ("How a model derives from a base model (card `base_model_relation`: finetune, "
                               "quantized, adapter, merge; `adapter` for the base a PEFT `adapter_config.json` names)."),
    Prop.PEDIGREE_REF: ("On a pedigree ancestor (a base model, a source dataset): the bom-ref of the component of this "
                        "BOM it is — the inventoried model or dataset, or the dataset a model card names."),
    Prop.MODEL_LANGUAGE: "A language the model card declares (`language`), one property per value.",
    Prop.MODEL_TAG: "A tag the model card declares (`tags`), one property per value.",
    Prop.MODEL_LIBRARY: "The library the model card says the model is for (`library_name`: transformers, diffusers, …).",
    Prop.DATASET_FORMAT: "The manifest a dataset was read from (e.g. `croissant 1.1`).",
    Prop.DATASET_INSPECTED: "`true` when mlbom read the dataset's files; `false` for a dataset only named by a model "
                            "card; `listed` for one listed from a file manifest made elsewhere "
                            "(`generate --dataset-manifest`): its files were not read or scanned.",
    Prop.DATASET_CHECKSUM: ("A data file checked against the checksum its dataset manifest (Croissant sha256/md5) declares: "
                           "`verified` (the positive marker: the file's bytes match), `mismatch` or `undeclared`. Issue 14 "
                           "calls the positive marker `mlbom:checksum:verified`; mlbom keeps this one three-state property "
                           "instead of adding a second name, so that a BOM says verified, mismatched and unchecked files "
                           "the same way and BOMs written before stay readable (policy and score read this name)."),
    Prop.MANIFEST_PATH: ("The file manifest of a model or dataset with more files than `--max-file-components` (docs/manifests.md): "
                         "its file name, beside the BOM."),
    Prop.MANIFEST_SHA256: "SHA-256 of the manifest file's stored bytes; `verify --artifacts` refuses a manifest that differs.",
    Prop.MANIFEST_ROOT: "The folder the manifest's paths are relative to, relative to the project folder (`.` for itself).",
    Prop.MANIFEST_FILES: "How many files the manifest lists.",
    Prop.MANIFEST_BYTES: "Total size in bytes of the files the manifest lists.",
    Prop.MANIFEST_SAMPLED: ("With `--dataset-manifest`: how many of the manifest's files were re-hashed and matched, e.g. "
                            "`32/32 matched`, or `not reachable`."),
    Prop.GPU_CUDA_DRIVER: "The newest CUDA version the NVIDIA driver supports (NVML `nvmlSystemGetCudaDriverVersion_v2`).",
    Prop.GPU_NVML_VERSION: "NVML library version.",
    Prop.GPU_FACT: "A GPU fact from NVML as `key=value` (architecture, compute-capability, memory-bytes, vbios, …).",
    Prop.GPU_TOOLKIT_PATH: "Where the CUDA toolkit was found.",
    Prop.GPU_NVCC_VERSION: "What the toolkit's `nvcc --version` says (only with `--cuda-nvcc`: it runs a program of the toolkit).",
    Prop.CUDA_BUILD: "What an ML framework was built for, read from its files: `cuda-12.4`, `rocm-6.2` or `cpu`.",
    Prop.CUDA_ARCHS: "GPU architectures a framework build carries code for (`sm_80,compute_90`), where its files list them.",
    Prop.CUDA_EXPECTS: "A library major version a framework build expects, as `cudnn=9` or `nccl=2` (its pins or build info).",
    Prop.CUDA_PROVIDERS: "onnxruntime execution-provider libraries shipped (`cuda,tensorrt`).",
    Prop.CUDA_BUNDLED: "CUDA libraries a framework ships inside its own package (`libcudart.so.12,libcudnn.so.9`); it loads these first.",
    Prop.BUILD_COMMIT: "The source commit a framework was built from, as its files record it (torch `git_version`).",
    Prop.TORCH_WEIGHTS_ONLY: "`true` when `torch.load(weights_only=True)` would accept a PyTorch checkpoint; "
                             "`false` names the first global or opcode it refuses (read from torch's own allowlist), "
                             "or the layout torch refuses whole under weights_only (a legacy tar, a TorchScript "
                             "archive); absent where mlbom cannot tell or torch.load fails in either mode (see "
                             "docs/scanning.md).",
    Prop.CUDA_FAMILY: "The CUDA major version an NVIDIA/CUDA-flavoured wheel belongs to (`12` for `nvidia-cudnn-cu12`).",
    Prop.SOURCE: "Which input (environment, requirements file, lock file) the component was read from.",
    Prop.PY_INSTALLER: ("Content of the distribution's INSTALLER file (pip, uv, conda, …); never read through a "
                        "symbolic link out of the distribution folder (then `mlbom:unreadable` says why)."),
    Prop.PY_REQUIRES_PYTHON: "The distribution's Requires-Python.",
    Prop.PY_REQUIREMENT: "The requirement line as declared (name, extras, specifier, marker).",
    Prop.PY_EXTRAS: "Extras of the distribution that are active in this environment.",
    Prop.PY_EDITABLE: "`true` when installed in editable mode (PEP 610 dir_info.editable).",
    Prop.PY_DIRECT_URL: "The URL a distribution was installed from (PEP 610 direct_url.json).",
    Prop.PY_LICENSE_FILE: "A licence file the distribution declares (PEP 639 License-File).",
    Prop.PY_LOCATION: "The sys.path entry the distribution was found in, relative to the environment.",
    Prop.PY_SHADOWED: "`true` when an earlier sys.path entry holds another distribution of the same name.",
    Prop.PY_MARKER: "The environment marker under which a requirement or locked package applies.",
    Prop.PY_INDEX: "The package index a locked package resolves from.",
    Prop.PY_ENVIRONMENT: "How the environment's interpreter facts were established (queried or static).",
    Prop.PY_MARKER_ENV: "The PEP 508 marker environment used to evaluate Requires-Dist, as JSON.",
    Prop.LOCK_FORMAT: "Format of the lock or requirements file (uv.lock, poetry.lock, pylock.toml, …).",
    Prop.LOCK_SOURCE: "Where a locked package comes from: registry, git, url, path, directory, editable.",
    Prop.LOCK_GROUP: "Dependency group or category of a locked package (default, develop, dev, …).",
    Prop.CONDA_CHANNEL: "A conda channel named by environment.yml (on a package: the channel its `channel::name` spec names).",
    Prop.CONDA_BUILD: "The build string a conda match spec pins (`numpy=1.21.0=py39h6635163_0`: `py39h6635163_0`).",
    Prop.CDX_REPRODUCIBLE: "CycloneDX taxonomy: `true` when the BOM was produced reproducibly.",
    Prop.VULN_MATCH: "On a vulnerability: how a component matched its OSV record, as `REF: versions|range|git`.",
    Prop.VULN_ML_RULE: "On a vulnerability: the ML rule (`mlbom/data/ml-vuln-rules.json`, `id@version`) that "
                       "named the artifacts its vulnerable loader would load.",
    Prop.VULN_LINKED_FINDING: "On a vulnerability: a scan finding of a shipped artifact the vulnerable loader "
                              "would load, as `REF: SEVERITY ID: message`.",
    Prop.VULN_VEX: "On a vulnerability: the VEX statement whose analysis was applied, as `FILE: statement`.",
    Prop.VULN_AUDIT: "On `metadata`, one per database: the BOM was audited for known vulnerabilities, found "
                     "something or not, as `NAME; sha256:DIGEST; N PyPI records[; at TIMESTAMP]` (the database's "
                     "content digest, see docs/vulnerabilities.md).",
    Prop.VULN_AUDIT_VEX: "On `metadata`, one per `--vex` file of that audit: `NAME; sha256:DIGEST; N statements`.",
    Prop.VEX_EXPIRES: "On a vulnerability of a CycloneDX VEX given with `--vex`: the date after which the "
                      "analysis no longer applies (RFC 3339).",
}


def markdown() -> str:
    """Return the Markdown table of ``docs/properties.md``."""
    lines = [
        "# `mlbom:` properties",
        "",
        "Generated from `mlbom/properties.py` by `python -m mlbom.properties`; do not edit by hand.",
        "",
        "| name | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{p.value}` | {DESCRIPTIONS[p]} |" for p in Prop]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
