"""gin-config files (red team 112pa lead: T5X checkpoints keep the run's ``config.gin``; mlbom read
it as plain text, ``safe``). With ``from __gin__ import dynamic_registration`` any function of an
imported module is configurable and a reference ``@f`` / ``@f()`` hands it (or calls it) to the
program: a denied callable is ``unsafe``, any other ``suspicious`` (as a non-denied Hydra
``_target_``); without dynamic registration only registered configurables can be named. An
``include`` leaving the folder is ``suspicious``. One linear pass over the text."""

from __future__ import annotations

import pytest

from mlbom.formats import gin
from mlbom.scanner import scan_bytes

DYN = "from __gin__ import dynamic_registration\n"
T5X = DYN + """import __main__ as train_script
import seqio
from t5x import adafactor
from t5x import models

MIXTURE_OR_TASK_NAME = 'c4_v220_span_corruption'  # a comment with @os.system() in it
TASK_FEATURE_LENGTHS = {'inputs': 512, 'targets': 114}
train_script.train:
  model = %MODEL
VOCABULARY = @seqio.SentencePieceVocabulary()
seqio.SentencePieceVocabulary.sentencepiece_model_file = "gs://t5-data/vocabs/cc_all.32000/sentencepiece.model"
OPTIMIZER = @adafactor.Adafactor()
NOTE = "a string naming @os.system() is no reference"
"""


@pytest.mark.parametrize("text", [
    DYN + "import os\ntrain.callback = @os.system()\nos.system.command = 'true'\n",
    DYN + "import subprocess as sp\ntrain.hook = @sp.check_output\n",
    DYN + "from os import system\ntrain.hook = @system()\n",
    DYN + "import builtins\ntrain.fn = @builtins.eval()\n",
    DYN + "import os\ntrain.hooks = [\n  @os.system(),\n]\n",  # a reference in a bracket spanning lines
])
def test_denied_callables_under_dynamic_registration_are_unsafe(text: str) -> None:
    r = scan_bytes(text.encode(), "config.gin")
    assert r.verdict == "unsafe", [(f.id, f.message[:120]) for f in r.findings]


def test_a_t5x_config_names_code_the_program_calls() -> None:
    r = scan_bytes(T5X.encode(), "config.gin")
    assert r.verdict == "suspicious" and {f.id for f in r.findings if f.severity != "info"} == {"code.remote"}, \
        r.findings
    msg = next(f.message for f in r.findings if f.id == "code.remote")
    assert "t5x.adafactor.Adafactor" in msg and "seqio.SentencePieceVocabulary" in msg and "os.system" not in msg


@pytest.mark.parametrize("text", [
    "train.steps = 100\ntrain.model = @MyModel()\nMyModel.hidden = 128\n",  # registered configurables only
    "import os\ntrain.callback = @os.system()\n",  # not registered: gin refuses the name
    "include 'base.gin'\nlr = 0.1\n",
])
def test_without_dynamic_registration_or_with_a_local_include_nothing_is_called(text: str) -> None:
    r = scan_bytes(text.encode(), "config.gin")
    assert r.verdict == "safe", r.findings


@pytest.mark.parametrize("path", ["../../other.gin", "/etc/passwd", "~/x.gin",
                                  ".git/evil.gin", "sub/.git/x.gin"])  # (116pa-4: a folder the walker skips)
def test_an_include_outside_the_folder_is_suspicious(path: str) -> None:
    r = scan_bytes(f"include '{path}'\n".encode(), "operative_config.gin")
    assert r.verdict == "suspicious" and {f.id for f in r.findings} == {"config.gin-include"}


def test_bounds() -> None:
    big = DYN + "a.b = @x.y()\n" * (gin.MAX_NAMED + 1)
    out = gin.judge(big, "c.gin")
    assert {j.id for j in out} == {"code.remote"} and "not checked to the end" in out[-1].message
    assert gin.judge("@" + "a" * 200_000, "c.gin") == []
    huge = DYN + "# pad\n" * (gin.MAX_TEXT // 6)
    assert [j.effect for j in gin.judge(huge, "c.gin")] == ["suspicious"]  # not tokenized: not judged
    assert gin.judge(huge.replace("dynamic_registration", "x"), "c.gin") == []


# red team 114pa-1: spellings gin's parser (Python's tokenizer) reads that a line reader missed
@pytest.mark.parametrize("text", [
    DYN + "import os\ntrain.cb = @ os.system()\n",  # a blank after @
    (DYN + "import os\ntrain.cb = @os.system()\n").replace("\n", "\r"),  # CR line ends
    "from __gin__ \\\nimport dynamic_registration\nimport os\ntrain.cb = @os.system()\n",  # a continuation
    DYN + "import os\n\x0ctrain.cb = @os.system()\n",  # a form feed
    "from __gin__ \\\r\nimport dynamic_registration\r\nimport os\r\ntrain.cb = @os.system()\r\n",
])
def test_spellings_the_tokenizer_reads(text: str) -> None:
    assert scan_bytes(text.encode(), "config.gin").verdict == "unsafe"


def test_an_included_file_of_any_name_is_read_as_gin() -> None:
    text = DYN + "import os\ntrain.cb = @os.system()\n"
    assert scan_bytes(text.encode(), "base_config.txt").verdict == "unsafe"
