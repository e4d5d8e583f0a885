"""A bounded reader of MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md), and
what spaCy's loaders do with the maps they read from it (red team 119pa-3).

spaCy pipelines keep their component files as msgpack (``srsly.msgpack_loads``: msgpack with
``raw=False``, any hashable map key, one object and nothing after it): the tokenizer's rules,
``vocab/lookups.bin``, parser ``moves`` and every thinc model (``*/model``: a map of ``nodes``,
``attrs`` — each value msgpack bytes again —, ``params`` — numpy arrays as msgpack-numpy maps — and
``shims``, each shim's bytes msgpack again). A shim decides what runs:

- thinc's ``PyTorchShim.from_bytes`` (thinc ``shims/pytorch.py``) gives ``msg["state"]`` to
  ``default_deserialize_torch_model``: ``torch.load(BytesIO(state))`` without ``weights_only``.
- spacy-transformers' ``HFShim.from_bytes`` (``layers/hf_shim.py``) writes ``msg["config"]`` as a
  ``config.json`` into a temporary folder, then every ``msg["tokenizer"]`` entry but ``kwargs`` as
  ``Path(temp_dir / key).write_bytes(value)`` — an absolute key, or one with ``..``, writes
  anywhere — then calls ``AutoTokenizer.from_pretrained(temp_dir, **msg["tokenizer"]["kwargs"])``:
  ``trust_remote_code`` comes from the file, and the written ``tokenizer_config.json``/``config.json``
  ``auto_map`` then imports a written ``.py``; then ``torch.load(BytesIO(msg["state"]))`` — a
  message without ``state`` has run the tokenizer's code before its ``KeyError`` (red team 120d-2).
- thinc's ``TorchScriptShim.from_bytes`` gives ``msg["model"]`` to ``torch.jit.load``.

Which shim class reads the bytes is the pipeline's config's choice, not the file's: a map with
``config`` and any of ``state``, ``tokenizer``, ``model`` is judged as each of them reads it,
and what else it holds is walked as any map is. A map srsly's ``decode_numpy`` (its msgpack
``object_hook``) turns into a numpy array is raw data — by srsly's own test only (the *bytes*
key ``b"nd"`` with ``b"type"``/``b"data"``, and ``b"shape"`` for an array): a map with ``"nd"``
and ``"data"`` str keys is a map to srsly and to thinc (red team 120d-1).

Nothing is decoded but the structure: a ``bin`` (and a ``str`` past :data:`MAX_STR`) is a
:class:`Blob`, an offset and a length in the file, for the scanner to judge as content of its own
where a loader reads it as such. Bounds: :data:`MAX_DEPTH` nesting, :data:`MAX_ITEMS` values.
"""

from __future__ import annotations

import json
import posixpath
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, NamedTuple

from mlbom.formats.weights import FormatError

MAX_DEPTH = 64
MAX_ITEMS = 2_000_000
MAX_NESTED = 4096  # byte values judged as content of their own (shim states, nested msgpack) per file
MAX_STR = 1 << 20  # a str longer than this is kept as a Blob (nothing reads a path or a flag from it)
_CHUNK = 1 << 20


class Blob(NamedTuple):
    """Bytes of the file (a ``bin`` or ``ext`` payload, or a long ``str``): ``offset``, ``size``."""

    offset: int
    size: int
    kind: str = "bin"


Value = object  # None | bool | int | float | str | bytes (a key) | Blob | list | dict


class _Reader:
    """Buffered reads of ``fh`` from 0 to ``size``: small values from a chunk, large ``bin``
    payloads skipped (only their place kept)."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh, self.size = fh, size
        self.pos = 0
        self.buf = b""
        self.buf_at = 0
        self.items = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > self.size:
            raise FormatError(f"msgpack: truncated at byte {self.pos} (needs {n} more bytes)")
        lo = self.pos - self.buf_at
        if lo < 0 or lo + n > len(self.buf):
            self.fh.seek(self.pos)
            self.buf = self.fh.read(max(n, _CHUNK))
            self.buf_at, lo = self.pos, 0
            if len(self.buf) < n:
                raise FormatError(f"msgpack: truncated at byte {self.pos}")
        self.pos += n
        return self.buf[lo:lo + n]

    def byte(self) -> int:
        lo = self.pos - self.buf_at
        if 0 <= lo < len(self.buf):
            self.pos += 1
            return self.buf[lo]
        return self.take(1)[0]

    def skip(self, n: int) -> int:
        if self.pos + n > self.size:
            raise FormatError(f"msgpack: a {n}-byte value at byte {self.pos} runs past the end of the file")
        at = self.pos
        self.pos += n
        return at


def _uint(r: _Reader, n: int) -> int:
    return int.from_bytes(r.take(n), "big")


def _str(r: _Reader, n: int, *, key: bool) -> Value:
    if n > MAX_STR and not key:
        return Blob(r.skip(n), n, "str")
    raw = r.take(n)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # srsly reads raw=False: a loader raises
        raise FormatError(f"msgpack: a str at byte {r.pos - n} is not UTF-8 (srsly.msgpack_loads refuses it)") from None


def _bin(r: _Reader, n: int, *, key: bool) -> Value:
    if key:
        return r.take(n) if n <= MAX_STR else Blob(r.skip(n), n)
    return Blob(r.skip(n), n)


def _ext(r: _Reader, n: int) -> Value:
    r.take(1)  # the type code (srsly's ext hook: timestamps; anything else an ExtType, data)
    return Blob(r.skip(n), n, "ext")


def _hashable(v: Value) -> Value:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        raise FormatError("msgpack: a map as a map key (unhashable: srsly.msgpack_loads refuses it)")
    return v


def _value(r: _Reader, depth: int, *, key: bool = False) -> Value:
    r.items += 1
    if r.items > MAX_ITEMS:
        raise FormatError(f"msgpack: more than {MAX_ITEMS:,} values (mlbom's bound)")
    if depth > MAX_DEPTH:
        raise FormatError(f"msgpack: nests more than {MAX_DEPTH} deep (mlbom's bound)")
    b = r.byte()
    if b <= 0x7F:
        return b
    if b >= 0xE0:
        return b - 0x100
    if 0x80 <= b <= 0x8F:
        return _map(r, b & 0x0F, depth)
    if 0x90 <= b <= 0x9F:
        return _array(r, b & 0x0F, depth)
    if 0xA0 <= b <= 0xBF:
        return _str(r, b & 0x1F, key=key)
    if b == 0xC0:
        return None
    if b in (0xC2, 0xC3):
        return b == 0xC3
    if b in (0xC4, 0xC5, 0xC6):
        return _bin(r, _uint(r, 1 << (b - 0xC4)), key=key)
    if b in (0xC7, 0xC8, 0xC9):
        return _ext(r, _uint(r, 1 << (b - 0xC7)))
    if b == 0xCA:
        return float(struct.unpack(">f", r.take(4))[0])
    if b == 0xCB:
        return float(struct.unpack(">d", r.take(8))[0])
    if 0xCC <= b <= 0xCF:
        return _uint(r, 1 << (b - 0xCC))
    if 0xD0 <= b <= 0xD3:
        n = 1 << (b - 0xD0)
        return int.from_bytes(r.take(n), "big", signed=True)
    if 0xD4 <= b <= 0xD8:
        return _ext(r, 1 << (b - 0xD4))
    if b in (0xD9, 0xDA, 0xDB):
        return _str(r, _uint(r, 1 << (b - 0xD9)), key=key)
    if b in (0xDC, 0xDD):
        return _array(r, _uint(r, 2 if b == 0xDC else 4), depth)
    if b in (0xDE, 0xDF):
        return _map(r, _uint(r, 2 if b == 0xDE else 4), depth)
    raise FormatError(f"msgpack: byte 0x{b:02x} at {r.pos - 1} starts no value (0xc1 is never used)")


def _array(r: _Reader, n: int, depth: int) -> list[Value]:
    if n > r.size - r.pos:  # every value takes a byte at least
        raise FormatError(f"msgpack: an array of {n:,} values in {r.size - r.pos:,} bytes")
    return [_value(r, depth + 1) for _ in range(n)]


def _map(r: _Reader, n: int, depth: int) -> dict[Value, Value]:
    if 2 * n > r.size - r.pos:
        raise FormatError(f"msgpack: a map of {n:,} pairs in {r.size - r.pos:,} bytes")
    out: dict[Value, Value] = {}
    for _ in range(n):
        k = _hashable(_value(r, depth + 1, key=True))
        out[k] = _value(r, depth + 1)  # (a key given twice: the last value, as a dict keeps it)
    return out


def parse(fh: IO[bytes], size: int) -> Value:
    """The one msgpack object ``fh`` holds (all ``size`` bytes of it, as ``srsly.msgpack_loads``
    reads a file: bytes after the object are an error). Raises :class:`FormatError`."""
    r = _Reader(fh, size)
    value = _value(r, 0)
    if r.pos != size:
        raise FormatError(f"msgpack: {size - r.pos:,} bytes after the object (srsly.msgpack_loads refuses extra data)")
    return value


def starts_map(head: bytes) -> bool:
    """Whether ``head`` starts a msgpack map (what every spaCy/thinc component file is)."""
    return bool(head) and (0x80 <= head[0] <= 0x8F or head[0] in (0xDE, 0xDF))


# ---------------------------------------------------------------- what spaCy's loaders do with it


@dataclass
class Judged:
    """What the loaders do with one msgpack object: findings ``(id, severity, message, effect)``
    and the blobs a loader reads as content of their own ``(blob, name, path in the object, why)``."""

    findings: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    nested: list[tuple[Blob, str, str, str]] = field(default_factory=list)


# the files AutoTokenizer.from_pretrained reads an auto_map from (transformers' tokenization_auto)
_AUTO_MAP_FILES = ("tokenizer_config.json", "config.json")


def _get(m: dict[Value, Value], key: str) -> Value:
    return m.get(key, m.get(key.encode()))


def _path_leaves(key: str) -> bool:
    """Whether ``Path(temp_dir / key)`` lies outside ``temp_dir``: an absolute key (``/``, a
    Windows drive or UNC root) or one whose ``..`` parts climb out."""
    k = key.replace("\\", "/")
    if k.startswith("/") or (len(k) > 1 and k[1] == ":"):
        return True
    norm = posixpath.normpath(k)
    return norm == ".." or norm.startswith("../")


_WALKED = (dict, list, Blob)  # (scalars hold nothing a loader reads further)


def judge(value: Value, read: Callable[[Blob], bytes | None]) -> Judged:
    """Walk the object for what thinc's and spacy-transformers' ``from_bytes`` do with it;
    ``read`` gives a small blob's bytes (a written ``tokenizer_config.json``), or None."""
    out = Judged()
    stack: list[tuple[Value, str]] = [(value, "")]
    while stack:
        v, path = stack.pop()
        if isinstance(v, dict):
            if _numpy_value(v):
                continue  # srsly makes it a numpy array/scalar/complex: its data goes to np.frombuffer, never unpickled
            # a shim's parts are judged as its from_bytes reads them; whatever else the map holds is walked on
            done = _shim(v, path, out, read)
            stack.extend((x, f"{path}/{k!s}" if path else f"{k!s}") for k, x in v.items()
                         if isinstance(x, _WALKED) and k not in done)
        elif isinstance(v, list):
            stack.extend((x, f"{path}[{i}]") for i, x in enumerate(v) if isinstance(x, _WALKED))
        elif isinstance(v, Blob) and v.kind == "bin" and v.size:
            # bytes a loader may read again: thinc's attrs and shims are msgpack bytes themselves
            # (srsly.msgpack_loads, Shim.from_bytes); the scanner judges a blob that starts like a
            # format a loader reads (msgpack, a pickle, a zip, ...) and leaves raw array bytes be
            out.nested.append((v, path.rsplit("/", 1)[-1] or "value", path, "bytes"))
    return out


def _numpy_value(m: dict[Value, Value]) -> bool:
    """Whether srsly's ``decode_numpy`` (its msgpack ``object_hook``, srsly/msgpack/_msgpack_numpy.py)
    turns the map into a numpy array, a numpy scalar or a complex (red team 120d-1): only the
    *bytes* key ``b"nd"`` makes an array — ``b"nd"`` exactly True with ``b"type"``, ``b"data"``
    and ``b"shape"``; any other ``b"nd"`` a scalar with ``b"type"`` and ``b"data"`` —, the bytes
    key ``b"complex"`` a complex with ``b"data"``; a key missing is a ``KeyError``, which leaves
    the map a map. Stricter than srsly on the values' types (a dtype string or a structured
    description, bytes data, a shape of ints): a map srsly would raise on (the whole load fails)
    or one that could come through ``np.dtype`` oddly is judged as a map, never skipped."""
    if b"nd" in m:
        nd, dtype, data = m[b"nd"], m.get(b"type"), m.get(b"data")
        if not isinstance(data, (Blob, bytes)) or (isinstance(data, Blob) and data.kind != "bin"):
            return False
        # a dtype string, or a structured description (b"kind" b"V": a list of fields); which of
        # the two srsly takes it for, np.dtype makes an array of it or the load raises
        simple = isinstance(dtype, str)
        structured = isinstance(dtype, list) and all(
            isinstance(d, list) and all(isinstance(t, (str, bytes, int, list)) for t in d) for d in dtype)
        if not (simple or structured):
            return False
        if nd is not True:
            return True
        shape = m.get(b"shape")
        return isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in shape)
    if b"complex" in m:
        return isinstance(m.get(b"data"), (str, bytes))  # complex(str(data)): a complex, or the load raises
    return False


def _shim(m: dict[Value, Value], path: str, out: Judged, read: Callable[[Blob], bytes | None]) -> set[Value]:
    """A shim's map: judged as its ``from_bytes`` reads it. Returns the keys whose values were
    judged so (none where ``m`` is no shim's map: the walk goes on through every value).
    ``config`` and ``state`` (thinc's PyTorchShim and MXNetShim: the state is loaded), ``config``
    and ``tokenizer`` (spacy-transformers' HFShim reads ``config`` and ``tokenizer``, writes the
    tokenizer files and runs ``AutoTokenizer.from_pretrained`` on them, and only then reads
    ``state``: a message without ``state`` has had its code run before the ``KeyError``, red team
    120d-2), ``config`` and ``model`` (thinc's TorchScriptShim: ``torch.jit.load``). Each part is
    judged wherever it is present."""
    if not ("config" in m or b"config" in m) or not any(k in m or k.encode() in m for k in ("state", "tokenizer",
                                                                                             "model")):
        return set()
    done: set[Value] = set()
    state = _get(m, "state")
    at = f"{path}/" if path else ""
    if isinstance(state, Blob) and state.size:
        done.add(_key(m, "state"))
        out.nested.append((state, "state", f"{at}state", "torch.load(BytesIO(state)) without weights_only "
                           "(thinc's PyTorchShim, spacy-transformers' HFShim)"))
    elif state is not None and not isinstance(state, Blob):
        out.findings.append(("msgpack.shim-state", "info", f"{at}state: not bytes ({type(state).__name__}): "
                             "torch.load raises on it", None))
    script = _get(m, "model")
    if isinstance(script, Blob) and script.size and script.kind == "bin":
        done.add(_key(m, "model"))
        out.nested.append((script, "model", f"{at}model", "torch.jit.load(BytesIO(model)) (thinc's TorchScriptShim)"))
    tok = _get(m, "tokenizer")
    config = _get(m, "config")
    if not isinstance(tok, dict) or not config:
        return done  # (HFShim writes and loads the tokenizer only when the config is not empty)
    done.add(_key(m, "tokenizer"))
    kwargs = _get(tok, "kwargs")
    remote = isinstance(kwargs, dict) and bool(_get(kwargs, "trust_remote_code"))
    py: list[str] = []
    maps = _auto_map_names(config)
    for k, x in tok.items():
        if k in ("kwargs", b"kwargs"):
            continue
        name = k if isinstance(k, str) else None
        where = f"{at}tokenizer/{k!s}"
        if name is None:
            continue  # Path(temp_dir / bytes) raises: nothing is written
        if _path_leaves(name):
            out.findings.append(("msgpack.write-outside", "critical", f"{where}: spacy-transformers' HFShim.from_bytes "
                                 f"writes this entry's bytes to Path(temp_dir / {name!r}), outside its temporary "
                                 "folder: a file written anywhere the loading user may write", "unsafe"))
        if isinstance(x, Blob):
            base = posixpath.basename(name.replace("\\", "/")) or "value"
            out.nested.append((x, base, where, "a file HFShim.from_bytes writes for AutoTokenizer.from_pretrained"))
            if base.lower().endswith((".py", ".pyw")):
                py.append(base)
            elif remote and base in _AUTO_MAP_FILES and (data := read(x)) is not None:
                try:
                    maps |= _auto_map_names(json.loads(data))
                except (ValueError, RecursionError):
                    maps.add(f"(unread: {base} is no JSON object mlbom reads)")
    if remote:
        what = (f"; the config names {', '.join(sorted(maps))} in auto_map" if maps else "") + (
            f"; it carries {', '.join(sorted(py))}" if py else "")
        sev, effect = ("high", "suspicious") if maps or py else ("medium", None)
        out.findings.append(("code.trust-remote-code", sev, f"{at}tokenizer/kwargs: trust_remote_code is true, from "
                             "the file: AutoTokenizer.from_pretrained imports and runs the module an auto_map in the "
                             f"files HFShim.from_bytes writes names{what}", effect))
    return done


def _key(m: dict[Value, Value], key: str) -> Value:
    """The key :func:`_get` read ``key``'s value under (the str one where both are there)."""
    return key if key in m else key.encode()


def _auto_map_names(doc: object) -> set[str]:
    amap = _get(doc, "auto_map") if isinstance(doc, dict) else None
    refs: list[object] = []
    if isinstance(amap, dict):
        for v in amap.values():
            refs.extend(v if isinstance(v, (list, tuple)) else [v])
    return {r for r in refs if isinstance(r, str)}

