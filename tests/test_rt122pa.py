"""Red team 122pa (configs a framework loads and evaluates):

* 122pa-2: Hydra ``hydra.job.env_set`` (hydra-core 1.3 ``hydra/core/utils.py`` ``run_job``: the task runs inside
  ``env_override(hydra_cfg.hydra.job.env_set)``, ``os.environ.update``) was not read: a variable that loads code
  (``LD_PRELOAD``, ``PYTHONPATH``, ``GIT_CONFIG_*``, ``BASH_ENV`` …) is ``unsafe``, any other outside a data-only
  set ``suspicious``, an env_set that is no literal mapping ``suspicious`` (``config.env-set``).
Nothing here is loaded."""

from __future__ import annotations

import json

import pytest

from mlbom.scanner import scan_bytes


def _ids(r: object) -> list[str]:
    return [f.id for f in r.findings]  # type: ignore[attr-defined]


# --- 122pa-2: Hydra hydra.job.env_set ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    'defaults:\n  - _self_\nmodel:\n  name: resnet50\nhydra:\n  job:\n    env_set:\n      GIT_CONFIG_COUNT: "1"\n'
    '      GIT_CONFIG_KEY_0: core.fsmonitor\n      GIT_CONFIG_VALUE_0: "echo x >&2; false"\n',
    "hydra:\n  job:\n    env_set:\n      LD_PRELOAD: /tmp/x.so\n",
    "hydra:\n  job:\n    env_set: {PYTHONPATH: /srv/evil, OMP_NUM_THREADS: '1'}\n",
    "hydra:\n  job:\n    env_set:\n      bash_env: /tmp/x\n",  # (Windows: names ignore case)
    "# @package hydra.job\nenv_set:\n  BASH_ENV: /tmp/x\n",
    "# @package hydra\njob:\n  env_set:\n    PATH: /tmp/bin\n",
    "# @package hydra.job.env_set\nLD_AUDIT: /tmp/x.so\n",
    "b: &b {PYTHONSTARTUP: /tmp/x.py}\nhydra:\n  job:\n    env_set:\n      <<: *b\n",
    "hydra:\n  job:\n    env_set:\n      NCCL_NET_PLUGIN: evil\n",
])
def test_122pa2_env_set_code_variables_are_unsafe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "unsafe" and "config.env-set" in _ids(r), r.findings


def test_122pa2_env_set_in_json_is_read() -> None:
    doc = {"hydra": {"job": {"env_set": {"LD_PRELOAD": "/tmp/x.so"}}}}
    r = scan_bytes(json.dumps(doc).encode(), "config.json")
    assert r.verdict == "unsafe" and "config.env-set" in _ids(r), r.findings


@pytest.mark.parametrize("text", [
    "hydra:\n  job:\n    env_set:\n      HF_ENDPOINT: https://mirror.invalid\n",
    "hydra:\n  job:\n    env_set: ${envs}\nenvs: {A: b}\n",
    "hydra:\n  job: ${j}\nj:\n  env_set: {A: b}\n",
    "hydra:\n  job:\n    env_set: [A, B]\n",
])
def test_122pa2_env_set_other_or_computed_is_suspicious(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "suspicious" and "config.env-set" in _ids(r), r.findings


# the .hydra/hydra.yaml Hydra 1.3 writes for every run (env_set empty), and data-only variables
_HYDRA_YAML = """hydra:
  run:
    dir: outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}
  job:
    name: train
    chdir: null
    override_dirname: ''
    id: ???
    num: ???
    config_name: config
    env_set: {}
    env_copy: []
    config:
      override_dirname:
        kv_sep: '='
        item_sep: ','
        exclude_keys: []
  runtime:
    version: 1.3.2
    cwd: /home/user/project
"""


@pytest.mark.parametrize("text", [
    _HYDRA_YAML,
    "hydra:\n  job:\n    env_set:\n      OMP_NUM_THREADS: '1'\n      CUDA_VISIBLE_DEVICES: '0'\n"
    "      TOKENIZERS_PARALLELISM: 'false'\n      PYTHONUNBUFFERED: '1'\n    env_copy: [HOME, PATH]\n",
    "hydra:\n  job:\n    env_set: null\n",
])
def test_122pa2_default_and_data_env_set_stay_safe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.yaml")
    assert r.verdict == "safe" and "config.env-set" not in _ids(r), r.findings
