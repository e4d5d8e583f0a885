"""TensorFlow's protobuf text files that a loader reads, judged on their fields (red team 122fmt-2/-4).

mlbom does not read TensorFlow graphs. Two text forms still say what a loader will do:

- A ``MetaGraphDef`` in text format (``model.ckpt.meta`` written with ``as_text=True``, or any file
  ``tf.compat.v1.train.import_meta_graph`` is given): ``meta_graph.read_meta_graph_file`` tries the
  binary parse, then ``text_format.Merge`` of the text. The graph's ops run when the checkpoint is
  restored (``Saver.restore`` runs ``saver_def.restore_op_name``: any op, ``WriteFile`` included).
  A text whose top level holds a ``MetaGraphDef`` field (:data:`METAGRAPH_FIELDS`) is such a graph:
  ``error`` (not judged), as a binary one is (content mlbom does not read).
- The ``checkpoint`` state file (``CheckpointState``: ``checkpoint_management.get_checkpoint_state``):
  ``model_checkpoint_path`` and ``all_model_checkpoint_paths`` are joined to the folder unless
  absolute (``..`` kept), and ``tf.train.latest_checkpoint`` hands the result to the restore. A path
  that is absolute or climbs out of the folder points the restore at files no scan of the folder
  judged: ``suspicious``.

Read with protobuf's text-format tokenizer (:func:`mlbom.formats.caffe_text.tokens`: comments,
both quotes, escapes, adjacent literals), top level only."""

from __future__ import annotations

import re

from mlbom.formats.caffe_text import tokens, unescape
from mlbom.formats.paths import leave_reason
from mlbom.model import Judged

METAGRAPH_FIELDS = frozenset({"meta_info_def", "graph_def", "saver_def", "collection_def", "signature_def",
                              "asset_file_def", "object_graph_def"})
CHECKPOINT_FIELDS = frozenset({"model_checkpoint_path", "all_model_checkpoint_paths"})
MAX_PATHS = 64  # checkpoint paths named in findings (past it: counted)
MAX_PATH_CHARS = 1 << 16  # characters of one path's adjacent literals read


_FIELD = re.compile(r"\b(?:" + "|".join(sorted(METAGRAPH_FIELDS | CHECKPOINT_FIELDS)) + r")\b")


def may_be(text: str) -> bool:
    """A cheap test before tokenizing (one regular-expression search): the text names a field this
    module judges."""
    return _FIELD.search(text) is not None


def judge(text: str) -> list[Judged]:
    """The judgements of a text in protobuf's text format (see the module); none for other text.
    One pass over the tokens, streamed (memory does not grow with the text)."""
    fields: set[str] = set()
    leaving: list[str] = []
    leaving_count = 0
    depth = 0
    field: str | None = None  # a top-level field name just read
    colon = False
    parts: list[str] | None = None  # the string literals of a checkpoint path being read
    plen = 0  # their characters, and literals (a run of "" "" "" … is bounded too)

    too_long = False

    def settle() -> None:
        nonlocal leaving_count, too_long
        if parts and field is not None:
            path = "".join(parts)
            why = "is too long to read whole" if too_long else leave_reason(path, climb_only=True)
            too_long = False
            if why is not None:
                leaving_count += 1
                if len(leaving) < MAX_PATHS:
                    leaving.append(f"{field} {path[:200]!r} {why}")

    for kind, value in tokens(text):
        if parts is not None:
            if kind == "str":
                if plen < MAX_PATH_CHARS:
                    parts.append(unescape(value))
                    plen += len(parts[-1]) + 1
                else:  # not read whole: never taken as inside
                    too_long = True
                continue
            settle()
            parts, field, colon = None, None, False
        if kind == "sym" and value in "{<":
            if depth == 0 and field in METAGRAPH_FIELDS:
                fields.add(field)
            depth += 1
            field, colon = None, False
        elif kind == "sym" and value in "}>":
            depth = max(0, depth - 1)
            field, colon = None, False
        elif kind == "sym" and value == ":" and field is not None and not colon:
            colon = True
        elif depth == 0 and kind == "id":
            field, colon = value, False
        elif kind == "str" and colon and field in CHECKPOINT_FIELDS:
            parts = [unescape(value)]
            plen = len(parts[0]) + 1
        else:
            field, colon = None, False
    if parts is not None:
        settle()
    out: list[Judged] = []
    if fields:
        shown = ", ".join(sorted(fields))
        out.append(Judged("tensorflow.graph-text", "high",
                          f"a TensorFlow MetaGraph in protobuf text format ({shown}): import_meta_graph reads it "
                          "(text after the binary parse fails) and the restore runs its ops; mlbom does not read "
                          "TensorFlow graphs: not judged", "error"))
    if leaving:
        more = f" and {leaving_count - len(leaving)} more" if leaving_count > len(leaving) else ""
        out.append(Judged("tensorflow.checkpoint-path-outside", "high",
                          f"a TensorFlow checkpoint state whose {'; '.join(leaving)}{more}: latest_checkpoint hands it "
                          "to the restore, which reads files no scan of this folder judged", "suspicious"))
    return out
