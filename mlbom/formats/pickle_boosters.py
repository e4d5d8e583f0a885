"""Pickled XGBoost and LightGBM models (red team 122fp-4), judged as the pickle walker builds them.

``pickle.dump`` of a fitted ``XGBClassifier``/``LGBMClassifier`` (their scikit-learn API, the most
common way these models are shipped) holds the wrapper's hyper-parameters (plain values; a callable
objective or metric is a global of its own, judged as such) and a ``Booster`` whose state carries
the native model:

* ``xgboost.core.Booster.__setstate__`` (xgboost/core.py) hands ``state["handle"]`` (a bytearray)
  to ``XGBoosterUnserializeFromBuffer``: the UBJSON document ``{"Config": ..., "Model": ...}`` that
  ``Booster.save_raw("ubj")`` writes, which mlbom reads as a ``.ubj`` model file (data only);
* ``lightgbm.basic.Booster.__setstate__`` (lightgbm/basic.py) hands ``state["_handle"]`` (the
  model text ``tree\\nversion=...``) to ``LGBM_BoosterLoadModelFromString``, the parser of a
  ``Booster(model_file=...)`` text model.

:class:`BoosterJudge` checks at each Booster's BUILD that the state is a dict and the model is what
those writers write: for XGBoost bytes that mlbom's UBJSON reader parses as one document holding
``Config`` and ``Model``; for LightGBM a str starting ``tree\\n``. Anything else (an older binary
XGBoost buffer, an object, bytes mlbom cannot read back) is ``suspicious``. Calling either class
(``Booster(model_file=...)`` reads a file) is flagged by the allowlist's ``new_only``. CatBoost's
pickles hand CBM bytes to its own loader, which mlbom does not read: they stay unlisted.
"""

from __future__ import annotations

from mlbom.formats import inflation, ubjson
from mlbom.formats.pickle_native import LibraryJudge, read_back
from mlbom.formats.pickle_values import NONE, Blob, Call, Dct, Seq, Text, describe, made_by
from mlbom.formats.weights import FormatError

XGB_BOOSTER = "xgboost.core.Booster"
LGB_BOOSTER = "lightgbm.basic.Booster"
MAX_MODEL_BYTES = 256 << 20  # a model's bytes read back to check (ubjson.MAX_BYTES is 512 MiB)


class _Collect:
    """A :func:`~mlbom.formats.pickle_native.read_back` feed keeping the bytes."""

    def __init__(self) -> None:
        self.count = 0
        self.parts: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self.parts.append(bytes(chunk))
        self.count += len(chunk)

    def finish(self) -> None:
        return


class BoosterJudge(LibraryJudge):
    """Judges the XGBoost and LightGBM Boosters one walk builds (see the module docstring);
    implements :class:`~mlbom.formats.pickle_native.StateJudge`."""

    def made(self, inst: Call, op: str) -> None:
        return

    def judge_end(self, complete: bool, used: set[int] | None) -> None:
        return

    def built(self, inst: Call, cls: str | None, state: object) -> None:
        if cls not in (XGB_BOOSTER, LGB_BOOSTER):
            return
        name = "XGBoost" if cls == XGB_BOOSTER else "LightGBM"
        if not isinstance(state, Dct) or state.items is None or state.loose:
            self.suspicious(name, f"its state is {describe(state)}, not a dict mlbom can read")
            return
        items = state.items
        if cls == XGB_BOOSTER:
            if "handle" in items and items["handle"] is not NONE:
                why = self.xgboost_problem(items["handle"])
                if why is not None:
                    self.suspicious(name, why)
            return
        model = items.get("_handle", items.get("handle", NONE))  # as __setstate__ reads it
        if model is not NONE:
            why = self.lightgbm_problem(model)
            if why is not None:
                self.suspicious(name, why)

    def suspicious(self, name: str, why: str) -> None:
        self.note("pickle.memory", "medium", f"{name} Booster state: {why}: mlbom cannot tell that its native "
                  "loader is given the model its writer writes", "suspicious", f"booster:{name}")

    def blob_bytes(self, blob: Blob) -> bytes | str:
        if blob.mutated or blob.alt is not None:
            return "its model bytes were changed at load"
        if blob.data is not None:
            return blob.data
        if blob.length > MAX_MODEL_BYTES:
            return f"its model bytes ({blob.length}) are more than mlbom reads back"
        got = _Collect()
        why = read_back(self.src, blob.offset, blob.length, got, "model", blob.nbytes if blob.utf8 else None)
        return why if why is not None else b"".join(got.parts)

    def xgboost_problem(self, handle: object) -> str | None:
        """``handle``: a bytearray (``bytearray(bytes)`` at protocols < 5) of one UBJSON document
        with ``Config`` and ``Model``; None when it is."""
        blob = handle
        if isinstance(handle, Call) and made_by(handle) == "builtins.bytearray":
            args = handle.args.items if isinstance(handle.args, Seq) else None
            blob = args[0] if args is not None and len(args) == 1 and handle.kwargs in (None, NONE) else None
        if not isinstance(blob, Blob):
            return f"its handle is {describe(handle)}, not the model bytes xgboost writes"
        data = self.blob_bytes(blob)
        if isinstance(data, str):
            return data
        _allowed, why = inflation.steps_allowed(len(data) // 8 + 1)  # (decompressed content: bounded)
        inflation.charge(len(data) // 8 + 1)
        if why:
            return f"its model bytes are not read{why}"
        try:
            value, _duplicates, _skipped = ubjson.parse(data)
        except FormatError as exc:
            return f"its model bytes are no UBJSON model ({str(exc)[:80]})"
        if not isinstance(value, dict) or set(value) != {"Config", "Model"} or not isinstance(value["Model"], dict):
            return "its model bytes are UBJSON, but not the {Config, Model} document xgboost writes"
        return None

    def lightgbm_problem(self, model: object) -> str | None:
        """``model``: the model text (``tree\\nversion=...``); None when it is."""
        if isinstance(model, str):
            return None if model.startswith("tree\n") else "its model text does not start as LightGBM's does"
        if isinstance(model, Text) and model.offset >= 0:
            got = _Collect()
            why = read_back(self.src, model.offset, min(model.nbytes, 5), got, "model text")
            if why is not None:
                return why
            return None if b"".join(got.parts) == b"tree\n" else "its model text does not start as LightGBM's does"
        return f"its model is {describe(model)}, not the model text lightgbm writes"
