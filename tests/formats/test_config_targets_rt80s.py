"""Red team 80s-1 (proofs: /work/redteam-80s/80s-1): a logging config's file handler writing onto the
project's model files or pip's requirement files. A log line's text is the config's own formatter
text, so ``model.pkl`` becomes a pickle that runs code on ``pickle.load``/``torch.load`` and
``requirements.txt`` gains ``--extra-index-url``. Such names are ``unsafe`` as code names are; a
relative log file whose name is no plausible log file's (weights, data, a file with no suffix) is
``suspicious``: what reads it is not known — since 81s-2 also any ``.txt``/``.out``/``.err`` outside
a folder named for logs (``requirements/base.txt`` is a pip file: ``unsafe``). The real ``dictConfig``/``fileConfig`` and
``pickle.load`` run only in a throw-away subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.scanner import scan_bytes

PAYLOAD = "cos\nsystem\n(S'echo pwned > marker'\ntR."


def _dict_config(path: str) -> dict[str, object]:
    return {"version": 1, "formatters": {"p": {"format": PAYLOAD + "%(message)s"}},
            "handlers": {"h": {"class": "logging.FileHandler", "filename": path, "mode": "w", "formatter": "p"}},
            "root": {"handlers": ["h"], "level": "INFO"}}


def _ini(path: str) -> str:
    return ("[loggers]\nkeys=root\n\n[handlers]\nkeys=h\n\n[formatters]\nkeys=f\n\n[logger_root]\nlevel=INFO\n"
            f"handlers=h\n\n[handler_h]\nclass=FileHandler\nformatter=f\nargs=({path!r}, 'w')\n\n"
            "[formatter_f]\nformat=x%(message)s\n")


def _verdict(data: str, name: str) -> tuple[str, list[tuple[str, str]]]:
    r = scan_bytes(data.encode(), name)
    return r.verdict, [(f.id, f.severity) for f in r.findings]


CODE_ON_LOAD = ["requirements/base.txt", "constraints/ci.txt", "pkg.egg-info/entry_points.txt",  # 81s-2
                "lib/x-1.0.dist-info/entry_points.txt", "mylog.egg-info./entry_points.txt",
                "model.pkl", "weights/pytorch_model.bin", "ckpt/last.ckpt",
                "clf.joblib", "m.pt", "x.npy",
                "requirements.txt", "requirements-dev.txt", "ci/test_requirements.txt", "constraints.txt",
                "MLmodel", "chat_template.jinja", "uv.lock", "lib/_native.so", "CMakeLists.txt"]


@pytest.mark.parametrize("path", CODE_ON_LOAD)
def test_80s1_a_log_written_onto_code_read_on_load_is_unsafe(path: str) -> None:
    for data, name in ((json.dumps(_dict_config(path)), "logging.json"), (_ini(path), "logging.ini")):
        verdict, found = _verdict(data, name)
        assert verdict == "unsafe" and ("config.logging", "high") in found, (name, found)


@pytest.mark.parametrize("path", ["model.safetensors", "data/train.csv", "events.jsonl", "output", "bin/run",
                                  # 81s-2: a .txt/.out outside a log folder may be what a tool reads
                                  "reqs.txt", "deps.txt", "vocab.txt", "merges.txt", "debug.txt", "a.out",
                                  "REQUIR~1.TXT", "CMAKEL~1.TXT", "logs/REQUIR~1.TXT", "changelog"])
def test_80s1_a_log_onto_a_file_that_is_no_log_is_suspicious(path: str) -> None:
    for data, name in ((json.dumps(_dict_config(path)), "logging.json"), (_ini(path), "logging.ini")):
        verdict, found = _verdict(data, name)
        assert verdict == "suspicious" and ("config.logging", "medium") in found, (name, found)


@pytest.mark.parametrize("path", ["train.log", "logs/app.log", "out/app.log.1", "logs/debug.txt", "log/run.out",
                                  "training_logs/stderr.err", "/tmp/x.log", "/tmp/x.txt"])
def test_80s1_plausible_log_files_stay_safe(path: str) -> None:
    verdict, found = _verdict(json.dumps(_dict_config(path)), "logging.json")
    assert verdict == "safe" and ("config.logging", "info") in found, found


def test_80s1_the_fileconfig_finding_names_fileconfig() -> None:
    r = scan_bytes(_ini("model.pkl").encode(), "logging.ini")
    assert any("fileConfig opens it" in f.message and "dictConfig" not in f.message for f in r.findings), r.findings


def test_80s1_real_dictconfig_writes_a_pickle_that_runs(tmp_path: Path) -> None:
    """The proof: dictConfig + one log line writes ``model.pkl``, and ``pickle.load`` of it runs the
    config's text (here: ``os.system`` writing a marker file in the folder)."""
    cfg = json.dumps(_dict_config("model.pkl"))
    subprocess.run([sys.executable, "-c", "import json, sys, logging, logging.config; "
                    "logging.config.dictConfig(json.loads(sys.argv[1])); logging.getLogger().info('hi'); "
                    "logging.shutdown()", cfg], cwd=tmp_path, capture_output=True, timeout=60, check=True)
    subprocess.run([sys.executable, "-c", "import pickle; pickle.load(open('model.pkl', 'rb'))"], cwd=tmp_path,
                   capture_output=True, timeout=60)
    assert (tmp_path / "marker").exists()
    assert _verdict(cfg, "logging.json")[0] == "unsafe"
