"""Red team 122fmt: a GGUF template as transformers rewrites it, TensorFlow text protobufs, many members.

- 122fmt-1: transformers' ``load_gguf_checkpoint`` reads every string value of a GGUF with
  ``value.replace(architecture, updated_architecture)`` (``"{#t5"`` → ``"t5"``): the chat template it
  hands the tokenizer (4.46-4.57) is not the one stored; ``{#t5 … #}`` hid a payload in a comment.
- 122fmt-2: ``meta_graph.read_meta_graph_file`` parses a MetaGraph as text when the binary parse
  fails; its restore op runs at ``Saver.restore``. A text one was plain safe text.
- 122fmt-4: ``get_checkpoint_state`` keeps an absolute ``model_checkpoint_path`` and joins a ``..`` one.
- 122fmt-3 / -5: thousands of tiny templates in one GGUF, or members in one zip under 1 MB, were each
  judged (1.75 s, 2.3 s); now bounded (counted here, never timed).
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from mlbom.formats import tf_text
from mlbom.limits import MAX_TEMPLATES_COUNT
from mlbom.scanner import ZIP_BYTES_PER_MEMBER, ZIP_MEMBERS_FLOOR, scan_bytes
from tests.helpers import counting_calls

PAYLOAD = "{{ cycler.__init__.__globals__.os.system('true') }}"


def _s(v: str) -> bytes:
    raw = v.encode()
    return struct.pack("<Q", len(raw)) + raw


def _kv(key: str, value: str) -> bytes:
    return _s(key) + struct.pack("<I", 8) + _s(value)


def _gguf(kvs: list[bytes]) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs)


def _ids(data: bytes, name: str) -> tuple[str, set[str]]:
    r = scan_bytes(data, name)
    return r.verdict, {f.id for f in r.findings}


@pytest.mark.parametrize(("arch", "model_name"), [("{#t5", "x"), ("{#llama", "mistral"), ("{#t5encoder", "umt5-x")])
def test_template_as_transformers_rewrites_it_is_judged(arch: str, model_name: str) -> None:
    template = arch + " " + PAYLOAD + " #}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    data = _gguf([_kv("general.architecture", arch), _kv("general.name", model_name),
                  _kv("tokenizer.chat_template", template)])
    verdict, ids = _ids(data, "m.gguf")
    assert verdict == "unsafe"
    assert "template.dunder-access" in ids


def test_the_architecture_after_the_template_counts_too() -> None:
    template = "{#t5 " + PAYLOAD + " #}"
    data = _gguf([_kv("tokenizer.chat_template", template), _kv("general.architecture", "{#t5")])
    assert _ids(data, "m.gguf")[0] == "unsafe"


def test_a_real_architecture_in_a_template_changes_nothing() -> None:
    template = "{# llama chat #}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    data = _gguf([_kv("general.architecture", "llama"), _kv("general.name", "Mistral 7B"),
                  _kv("tokenizer.chat_template", template)])
    assert _ids(data, "m.gguf") == ("safe", set())


def test_gguf_templates_past_the_count_are_error_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlbom.formats import gguf

    n = MAX_TEMPLATES_COUNT + 50
    data = _gguf([_kv(f"tokenizer.chat_template.t{i}", f"t{i}") for i in range(n)])
    with counting_calls(monkeypatch, gguf, "add_template_findings") as calls:
        verdict, ids = _ids(data, "m.gguf")
    assert verdict == "error" and "gguf.templates-too-large" in ids
    assert calls == [MAX_TEMPLATES_COUNT]


META_TEXT = """
meta_info_def { stripped_op_list { op { name: "WriteFile" } } }
graph_def {
  node { name: "save/restore_all" op: "WriteFile" input: "save/filename" input: "save/contents" }
}
saver_def { filename_tensor_name: "save/Const:0" restore_op_name: "save/restore_all" }
"""


def test_text_metagraph_is_not_safe() -> None:
    verdict, ids = _ids(META_TEXT.encode(), "model.ckpt.meta")
    assert verdict == "error" and "tensorflow.graph-text" in ids
    # any name: import_meta_graph is given a path
    assert _ids(META_TEXT.encode(), "graph.txt")[0] == "error"


@pytest.mark.parametrize("text", [
    "# graph_def { in a comment }\nname: 'graph_def'\n",
    "fileFormatVersion: 2\nguid: 0123456789abcdef\n",  # a Unity .meta file
    "the graph_def field holds the graph\n",
])
def test_text_naming_the_fields_otherwise_is_safe(text: str) -> None:
    assert _ids(text.encode(), "x.meta") == ("safe", set())


@pytest.mark.parametrize(("text", "bad"), [
    ('model_checkpoint_path: "/srv/other/model.ckpt"\n', True),
    ('model_checkpoint_path: "model.ckpt-10"\nall_model_checkpoint_paths: "../../x/model.ckpt"\n', True),
    ("model_checkpoint_path: '..' '/up'\n", True),  # adjacent literals concatenate
    ('model_checkpoint_path: "model.ckpt-10"\nall_model_checkpoint_paths: "model.ckpt-5"\n', False),
    ('model_checkpoint_path: "a/../model.ckpt"\n', False),
])
def test_checkpoint_state_paths_leaving_the_folder(text: str, bad: bool) -> None:
    verdict, ids = _ids(text.encode(), "checkpoint")
    assert (verdict, "tensorflow.checkpoint-path-outside" in ids) == (("suspicious", True) if bad else ("safe", False))


def test_a_path_of_more_literals_than_read_is_not_inside() -> None:
    # a run of empty adjacent literals, then the path: past MAX_PATH_CHARS the rest is not read, and
    # the path is never taken as inside on what was read
    judged = tf_text.judge('model_checkpoint_path: ' + '"" ' * (tf_text.MAX_PATH_CHARS + 10) + '"/abs"')
    assert [j.id for j in judged] == ["tensorflow.checkpoint-path-outside"]


def _many_member_zip(n: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(n):
            z.writestr(f"{i:05d}.json", "{}")
    return buf.getvalue()


def test_zip_members_judged_are_bounded_by_the_file_size() -> None:
    small = _many_member_zip(200)
    assert _ids(small, "x.zip") == ("safe", set())
    data = _many_member_zip(ZIP_MEMBERS_FLOOR + 100)
    assert len(data) // ZIP_BYTES_PER_MEMBER < ZIP_MEMBERS_FLOOR
    verdict, ids = _ids(data, "x.zip")
    assert verdict == "error" and "zip.member-budget" in ids
