"""Word-vector files in the two binary layouts gensim and fastText read (red team 122fp-10): pure
data — a vocabulary and float matrices read by fixed parsers, nothing named that could run.

* **word2vec binary** (``KeyedVectors.save_word2vec_format(binary=True)``, the GoogleNews-vectors
  layout; gensim's ``load_word2vec_format(binary=True)``): an ASCII header ``<count> <dim>\\n``, then
  ``count`` entries of a word (bytes up to a space, line breaks before it skipped) and ``dim``
  float32. The file must end right after the last vector (one line break may follow).
* **fastText binary** (``fasttext`` ``save_model``, gensim's ``save_facebook_model``; the ``cc.*.bin``
  models; gensim's ``_fasttext_bin.load``): the magic ``0x2F4F16BA`` and a version, the arguments
  (12 int32, a double), the dictionary (its size, word and label counts, tokens, the prune index size;
  each entry a NUL-ended word, an int64 count and an int8 type; the prune index pairs), then the input
  and output matrices, each a quantization flag (only plain matrices are read), rows and columns
  (int64) and rows × columns float32. The file must end right after the output matrix.

A layout that does not add up to the file is no such file (:class:`~mlbom.formats.weights.FormatError`).
"""

from __future__ import annotations

import re
import struct
from typing import IO

from mlbom.formats.weights import FormatError

FASTTEXT_MAGIC = struct.pack("<i", 793712314)
_W2V_HEAD = re.compile(rb"([0-9]{1,10}) ([0-9]{1,6})[ \t]*\r?\n")
MAX_WORD = 1 << 16  # bytes of one word (word2vec's C reader takes 50-100; gensim any)
_CHUNK = 1 << 20


def looks_like_word2vec(head: bytes) -> bool:
    m = _W2V_HEAD.match(head)
    return m is not None and int(m.group(1)) > 0 and int(m.group(2)) > 0


def looks_like_fasttext(head: bytes) -> bool:
    return head[:4] == FASTTEXT_MAGIC and len(head) >= 8 and 0 < struct.unpack("<i", head[4:8])[0] <= 64


class _Reader:
    """Forward reads of a file in chunks, with its position."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh = fh
        self.size = size
        fh.seek(0)
        self.buf = b""
        self.at = 0  # file offset of buf[0]
        self.pos = 0  # file offset of the next byte

    def _fill(self, n: int) -> None:
        while len(self.buf) - (self.pos - self.at) < n:
            chunk = self.fh.read(max(_CHUNK, n))
            if not chunk:
                raise FormatError("word vectors: the file ends inside its layout")
            self.buf = self.buf[self.pos - self.at:] + chunk
            self.at = self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise FormatError("word vectors: the layout runs past the file's end")
        self._fill(n)
        i = self.pos - self.at
        self.pos += n
        return self.buf[i:i + n]

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise FormatError("word vectors: the layout runs past the file's end")
        i = self.pos - self.at
        if i + n <= len(self.buf):
            self.pos += n
            return
        self.pos += n
        self.fh.seek(self.pos)
        self.buf = b""
        self.at = self.pos

    def until(self, stop: bytes) -> bytes:
        """The bytes up to ``stop`` (consumed, not returned), at most :data:`MAX_WORD`."""
        out = b""
        while True:
            self._fill(1)
            i = self.pos - self.at
            j = self.buf.find(stop, i, i + MAX_WORD + 1)
            if j >= 0:
                out += self.buf[i:j]
                self.pos += j - i + 1
                return out
            out += self.buf[i:]
            self.pos = self.at + len(self.buf)
            if len(out) > MAX_WORD:
                raise FormatError("word vectors: a word longer than mlbom reads")


def parse_word2vec(fh: IO[bytes], size: int) -> dict[str, str]:
    """The facts of a word2vec binary file; raises :class:`FormatError` where it is none."""
    r = _Reader(fh, size)
    m = _W2V_HEAD.match(r.take(min(size, 40)))
    if m is None:
        raise FormatError("word2vec: no '<count> <dim>' header")
    count, dim = int(m.group(1)), int(m.group(2))
    r.pos = r.at + m.end()
    if count * (dim * 4 + 2) > size:
        raise FormatError(f"word2vec: {count} vectors of {dim} floats do not fit in {size} bytes")
    for _ in range(count):
        word = r.until(b" ").lstrip(b"\n")
        if not word:
            raise FormatError("word2vec: an empty word")
        r.skip(dim * 4)
    if r.pos < size and not (r.pos == size - 1 and r.take(1) == b"\n"):
        raise FormatError(f"word2vec: {size - r.pos} bytes after its {count} vectors")
    return {"wordvec.format": "word2vec-binary", "wordvec.vectors": str(count), "wordvec.dim": str(dim)}


def parse_fasttext(fh: IO[bytes], size: int) -> dict[str, str]:
    """The facts of a fastText binary model; raises :class:`FormatError` where it is none."""
    r = _Reader(fh, size)
    magic, version = struct.unpack("<2i", r.take(8))
    if magic != 793712314:
        raise FormatError("fastText: no magic number")
    args = struct.unpack("<12id", r.take(56))
    dim = args[0]
    words, nwords, nlabels = struct.unpack("<3i", r.take(12))
    _ntokens, prune = struct.unpack("<2q", r.take(16))
    if words < 0 or nwords < 0 or nlabels < 0 or nwords + nlabels != words or prune < -1:
        raise FormatError(f"fastText: a dictionary of {words} entries ({nwords} words, {nlabels} labels)")
    if words * 10 > size or prune * 8 > size:
        raise FormatError(f"fastText: a dictionary of {words} entries does not fit in {size} bytes")
    for _ in range(words):
        r.until(b"\0")
        r.skip(9)  # count (int64), type (int8)
    r.skip(max(prune, 0) * 8)
    shapes = []
    for which in ("input", "output"):
        if r.take(1) != b"\0":
            raise FormatError(f"fastText: a quantized {which} matrix (mlbom reads plain ones)")
        rows, cols = struct.unpack("<2q", r.take(16))
        if rows < 0 or cols < 0 or rows * cols * 4 > size:
            raise FormatError(f"fastText: a {rows} x {cols} {which} matrix does not fit in {size} bytes")
        r.skip(rows * cols * 4)
        shapes.append(f"{rows}x{cols}")
    if r.pos != size:
        raise FormatError(f"fastText: {size - r.pos} bytes after its matrices")
    return {"wordvec.format": "fasttext-bin", "wordvec.version": str(version), "wordvec.dim": str(dim),
            "wordvec.words": str(nwords), "wordvec.matrices": ",".join(shapes)}
