"""Every bound mlbom puts on what it reads from untrusted input, in one place (issue 19).

A parser that meets more than a bound allows raises :class:`mlbom.errors.InputError` naming the
file (and the place in it where known): exit 2 for a file named on the command line, an
"unreadable" record for a discovered one. Nothing here is a tuning knob; each number is chosen
so that an input under it is read in bounded time and memory and can always be written back.

Nesting (``MAX_DEPTH``) is counted in containers: ``[[1]]`` is 2 deep, ``{"a": {"b": 1}}`` is 2
deep, ``<bom><components><component/></components></bom>`` is 3 deep. One limit holds for every
document mlbom reads (BOMs in JSON or XML, lock files in TOML/JSON/YAML, ``direct_url.json``,
``config.json``, Croissant JSON-LD, card front matter, ``mlbom.toml``), so that a BOM mlbom accepts
is one it can validate, digest and write again: orjson writes at most 254 levels and the schema
validator gives up near 300, hence 200 with room to spare.
"""

from __future__ import annotations

MAX_DEPTH = 200
"""Deepest nesting of arrays/objects (JSON), arrays/tables (TOML), sequences/mappings (YAML) or
elements (XML) in any document mlbom reads."""

MAX_TOML_KEY_PARTS = 64
"""Most parts a dotted TOML key or table header may have (``a.b.c`` has 3; ``[a.b]`` has 2), checked
in one linear scan of the text before ``tomllib`` parses it (:func:`mlbom.formats.safe_read.check_toml_keys`):
``tomllib`` takes time quadratic in the parts of one key (a 40 KB header ``[a.a.….a]`` of 20,000
parts: 1 s; the same as a dotted key: 6 s; red team 83c-4). No lock file, project file or policy
needs more than a handful."""

MAX_POLICY_KEY_DEPTH = 8
"""Most parts a key or table header of a policy file (or of ``mlbom.toml``, which policies live in)
may have: the deepest policy key is ``policy.licenses.allow`` (``[policy]`` in ``mlbom.toml``),
so 8 leaves room; a deeper key is refused in one line naming its line, before the TOML is parsed
(red team 83c-4)."""

MAX_PACKAGE_DENY_CHECKS = 50_000
"""Most (Python library, ``[packages] deny`` entry of the same name) pairs one ``check`` compares:
each costs a few microseconds (a match, its violation, ~20 µs), and a release names a package a few times at most. Past it the
policy cannot be evaluated (exit 2, one line) rather than run for minutes and keep one violation
per pair (red team 93c-4: 9,000 ``torch`` versions against 4,096 ``torch`` entries, 8 minutes)."""

MAX_POLICY_LIST_ITEMS = 4096
"""Most distinct entries one policy list (``licenses.allow``/``deny``, ``models.formats``,
``packages.deny``, …) may have; repeats are dropped at load and count once. A licence expression
costs ~0.1 ms to validate, so this many is under half a second (red team 83c-6: 166,000 entries,
8 s); a longer list is a policy error naming the key, exit 2."""

MAX_POLICY_LICENSE_TERMS = 4096
"""Most licence terms (ids, ``LicenseRef-``s and ``WITH`` exceptions; ``AND``/``OR``/``WITH`` and
parentheses not counted) one ``[licenses] allow`` or ``deny`` list may name over all its entries,
counted before any is parsed. SPDX has about 900 ids and exceptions, so a real list stays far below;
each term costs ~30-70 µs to validate and parse, so a list at the bound loads in ~0.3 s (red team
93c-1: two lists of 4,096 five-term expressions, 40,960 terms, 3-7 s). More is a policy error naming
the key, exit 2."""

MAX_YAML_NODES = 50_000
"""Most YAML nodes a document may have *after* aliases are expanded: a YAML file of a few
hundred bytes can otherwise stand for 10^9 nodes ("billion laughs"). Counted before anything
is built, in time linear in the document."""

MAX_YAML_EXPANDED_CHARS = 4 << 20
"""Most characters of scalar text a YAML document may stand for once aliases are expanded (an
alias of a long string repeated is a bomb of text rather than of nodes)."""

MAX_YAML_BYTES = 1 << 20
"""Largest YAML document parsed (conda environment files, card front matter): PyYAML's pure
Python parser reads about 1 MB a second, libyaml builds
Python nodes at about 100,000 a second."""

MAX_PURE_YAML_CHARS = 128 << 10
"""Most characters of a YAML text read with PyYAML's pure-Python parser where libyaml refuses the
text (:func:`mlbom.formats.yaml_tags.read_both`): it reads about 0.3 MB a second on a loaded
machine, libyaml 30 times that. Where libyaml reads a text to its end the pure-Python reading adds
nothing (a differential fuzz of the two: docs/scanning.md; but a text with a BOM after its start,
which the two read differently) and is not made; where libyaml refuses it (``%YAML 1.0``, a text
only the pure parser reads) or a BOM follows the start, the pure parser reads this many characters,
and a text it would read on past them is not judged to its end (its tags or targets ``suspicious``)."""

PURE_YAML_MARGIN = 4096
"""An error the pure-Python parser stops at this many characters before the cut of
:data:`MAX_PURE_YAML_CHARS` is the whole text's error too: its scanner decides a token by at most
1,024 characters ahead (a simple key), so nothing past the cut could have changed it."""

MAX_PURE_YAML_TOKENS = 32_768
"""Most tokens PyYAML's pure-Python scanner may fetch on one budget
(:class:`mlbom.formats.yaml_tags.EventBudget`: one top-level reading and the resolver arguments parsed
within it): about 15 µs a token here (a flow-heavy 144 KB text: 2 s), so this many is about half a
second. A reading stopped here is bounded like one cut at :data:`MAX_PURE_YAML_CHARS` (not judged to
its end: ``suspicious``)."""

MAX_PURE_YAML_KEYS = 262_144
"""Most saved simple keys PyYAML's pure-Python scanner may hold, summed over the tokens it fetches, on
one budget: at every token it walks each saved key — one per open flow level
(``Scanner.stale_possible_simple_keys``, ``next_possible_simple_key``) — so its time grows with
characters × flow depth (fuzzing, 2 Dec: 64 KB of broken JSON nested ~200 deep took 2.7 s). About
0.3 s of walking here."""

MAX_BOM_BYTES = 256 << 20
"""Largest BOM read, validated, signed or verified (256 MiB; ``MLBOM_MAX_BOM_BYTES`` raises or lowers
it): one limit for every reader of BOM bytes (:mod:`mlbom.cyclonedx.document`)."""

MAX_LOCK_BYTES = 64 << 20
"""Largest lock file (uv.lock, poetry.lock, Pipfile.lock, pylock.toml; environment.yml is held
to :data:`MAX_YAML_BYTES`)."""

MAX_REQUIREMENTS_BYTES = 16 << 20
MAX_REQUIREMENT_LINES = 10_000
"""Lines with content read from one requirements file (each include its own file), a line that
names a package (a requirement, ``-e``) counting twice, an option line once (joined ``\\``
continuations are one line; comments and blank lines count nothing): 5,000 requirements, or 10,000
option lines. Past it the rest is not read: an ``mlbom:unreadable`` record (composition
``incomplete``) and a ``requirements.too-many-lines`` finding (red team 106p-8: 100,000 one-line pins
in 989 KB made 100,001 components, a 60 MB BOM, 13 s). Real files hold hundreds (a 1 MB pip-compile
``--generate-hashes`` file: 2,579 pins); 5,000 pins take about 0.5 s of ``generate``."""
MAX_LOCK_PACKAGES = 5_000
"""Package entries read from one lock file (uv.lock, poetry.lock, Pipfile.lock, pylock.toml; an
environment.yml's conda entries and its ``pip:`` lines together). Past it the rest is not read: an
``mlbom:unreadable`` record (composition ``incomplete``) and a ``lock.too-many-packages`` finding
(red team 106p-8's shape in a lock: 36,000 entries of a 961 KB Pipfile.lock took 6 s). Real locks
hold hundreds."""
MAX_INCLUDE_DEPTH = 32
"""Deepest chain of ``-r``/``-c`` includes followed in requirements files."""
MAX_INCLUDE_TREE_LINES = 2 * MAX_REQUIREMENT_LINES
"""Lines with content read from a requirements file and every file it includes, together (weighed as
:data:`MAX_REQUIREMENT_LINES` weighs them: 10,000 requirements, or 20,000 option lines). Past it the
file being read is cut there and the includes still to follow are not read: ``mlbom:unreadable``
records (composition ``incomplete``) and a ``requirements.too-many-lines`` finding, never a silent cap
(red team 119ps-7: 32 nested files, 8 of them with 9,990 ``-r a`` lines each, 400 KB, took 18 s and
made 80,000 findings)."""

MAX_METADATA_BYTES = 8 << 20
MAX_RECORD_BYTES = 64 << 20
MAX_SMALL_JSON = 1 << 20
"""``direct_url.json``, version files and other small JSON/TOML documents."""

MAX_CARD_BYTES = 16 << 20
"""Largest model or dataset card (README.md)."""

MAX_CONFIG_BYTES = 16 << 20
"""Largest model ``config.json`` and friends."""

MAX_CROISSANT_BYTES = 64 << 20

MAX_RECORD_SIZE_DIGITS = 20
"""A RECORD size field longer than this is not a size (2^64 has 20 digits)."""

MAX_GLOB_CHECKS = 2_000_000
"""Most (Croissant FileSet glob, file) pairs matched for one dataset: about a second of fnmatch;
past it the remaining FileSets are reported as not applied."""

MAX_VERSION_CHARS = 1024
"""Longest version string kept or compared: the CycloneDX schema's ``version`` ``maxLength``.
Longer text is "not a version" (:mod:`mlbom.versions`): never compared, and a component that
declares one keeps its purl but loses its ``version`` field, with a ``package.version-too-long``
finding, so that the BOM still validates."""

MAX_SPECIFIER_CHARS = 4096
"""Longest version specifier or marker compared (the schema's ``versionRange`` ``maxLength``)."""

MAX_EXTRA_MARKER_EVALUATIONS = 100_000
"""Marker evaluations one environment may spend on Requires-Dist markers that compare ``extra``
with an operator other than ``==``/``!=`` (evaluated once per active extra; red team 78c-1). The
usual ``extra == "x"`` markers are evaluated once per extra they name and are not counted."""

MAX_INT_DIGITS = 20
"""Longest digit run turned into an ``int`` from untrusted text (line numbers, shard numbers,
``mlbom:file:size``, ``SOURCE_DATE_EPOCH``): CPython refuses more than 4,300 digits with a plain
``ValueError``; nothing mlbom counts needs more than 2^64. Read through :func:`bounded_int`."""

INT_STR_DIGITS = 4300
"""CPython's default ``sys.int_info.default_max_str_digits``: the longest decimal text ``int()``
converts. A reader that mimics another tool's ``int()`` (OmegaConf's list index) reads up to this
many digits, as that tool does, and no more."""


def bounded_int(text: str, max_digits: int = MAX_INT_DIGITS) -> int | None:
    """The ``int`` that ``text`` spells, when it is 1 to ``max_digits`` ASCII digits and nothing
    else; ``None`` otherwise. The one reading of a decimal number from untrusted text (red team
    75c-2/3/4/5): ``str.isdigit()`` also accepts ``²`` (which ``int()`` refuses) and runs of any
    length (``int()`` refuses more than 4,300 digits), and ``int()`` alone also accepts signs,
    blanks, ``_`` and non-ASCII digits. Callers strip blanks or signs themselves where their
    format allows them."""
    if not 0 < len(text) <= max_digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)

MAX_LICENSE_EXPRESSION_CHARS = 4096
"""Longest SPDX licence expression mlbom parses, wherever it is read: a policy's
``licenses.allow``/``deny`` list (longer: a policy error), and a model card's ``license``, a
distribution's ``License-Expression``, a Croissant ``license`` or a BOM's ``expression`` (longer: not
parsed; :func:`mlbom.licenses.is_spdx_expression` says no, the value is kept as a licence *name*
with its whole text, and the collectors that read it add a finding). The parser
(license-expression) takes about 35 µs a term, linear: a 130,000-term expression in a 910 KB card
cost 4-5 s a parse, three parses a run (red team 87c-3); 4,096 characters (at most ~700 terms) is
about 25 ms, and no real licence expression comes near it."""

MAX_STREAMS = 65_536
"""Most compressed streams (gzip members, bz2/xz/LZMA-alone streams, zlib streams, lz4 frames —
skippable ones included) read from one compressed file or member. The loaders' readers have no
such bound (``gzip.py``, ``BZ2File``, ``LZMAFile``, ``lz4.frame`` read on as long as streams
follow), but each stream costs a decoder's start-up: tens of thousands of 20-byte streams in a
1 MB file are a slow scan, not a model (red team 18c-3). Every stream counts, those that decode to
nothing included, so a payload behind a long run of empty members is still read (red team
18c-4) up to this bound. Past it the reading stops once the streams average less than
:data:`MIN_STREAM_BYTES` of input each: what came before is judged and the file is ``error``
(the loader would read on). Files of many real streams read on (BGZF, the blocked gzip of
genomics data, is a gzip member per 64 KiB of data: a 5 GB file has about 100,000)."""

MIN_STREAM_BYTES = 1024
"""Average compressed bytes per stream below which more than :data:`MAX_STREAMS` streams stop the
reading: the work per input byte stays bounded, whatever the stream sizes."""

MAX_ACTIVATE_PROMPT_CHARS = 256
"""Longest prompt (``pyvenv.cfg``'s ``prompt``) an environment's activate scripts are matched with:
each of the ~40 templates becomes a pattern holding every inert form of every value, so compiling them
grows with the prompt (fuzzing, 2 Dec: 0.4 s of CPU at 256 characters, 2.9 s at 8 KB). A longer prompt
is not one mlbom checks a script against: a script that carries it is ``python.activate-unverified``
(fail closed; venv, virtualenv and uv take a prompt from ``--prompt`` or the folder's name)."""

MAX_TEMPLATES_CHARS = 64 << 10
"""Characters of distinct chat templates judged per file (a GGUF's ``tokenizer.chat_template*``
keys, a ``tokenizer_config.json``'s templates); past it the rest is ``template.too-many``
(``error``). Jinja2's own parser, which the judge must run, reads some 80-100 KB a second: four
64 KiB templates in a 257 KB file took 3.7 s (red team 106sa-2), over the one second an input
under 1 MB may take. The largest real templates are ~17 KiB (gpt-oss, Gemma 4); a file with a
default and a tool-use template of that size is half the budget."""
MAX_TEMPLATES_COUNT = 1024
"""Distinct chat templates judged per file (Jinja2 parses each, ~230 µs for a tiny one): past it the
rest is ``error`` (red team 122fmt-3: 18,500 tiny GGUF templates in 969 KB took 1.75 s)."""

# ---- content reached through decompression: parsing bounded by the compressed bytes --------
# (mlbom.formats.inflation; red team 105sa-1: 6 KB of gzip held 2 M JSON values, 5 s to judge,
# or 3 M pickle opcodes, 13 s and 1 GB). Past the allowance JSON is a decompression bomb
# (``compressed.bomb``, ``suspicious``); a pickle, ONNX or GGUF reading stops unjudged (``error``).

INFLATED_STEPS_PER_BYTE = 4
"""Most parse steps (JSON values counted as ``[``, ``{`` and ``,`` before parsing; pickle opcodes;
ONNX protobuf fields; GGUF metadata array entries; tar members) over all the decompressed content
of one file, per byte of the file (or :data:`INFLATED_STEPS_FLOOR`). Real compressed files take
under one step per byte; a step costs about a microsecond, so a file under 1 MB stays near a second
(red team 106p-1: 300 bzip2 members of a 44 KB zip, each its own allowance, took 184 s)."""

INFLATED_STEPS_FLOOR = 300_000

INFLATED_TEXT_RATIO = 32
"""Characters of decompressed text per byte of the file that the YAML and config-target walks take
outside the step budget (up to :data:`INFLATED_TEXT_WALK_CAP` a file): what text compressors achieve
on real data — prose 3-4x, source and configs 4-8x, JSON Lines and CSV datasets 10-25x
(``DataFrame.to_json(lines=True, compression="gzip")``: 18x; red team 122fp-6) — while a
decompression bomb is one because it goes far past it (deflate reaches 1032x). Text past it is
charged the walks' rate (a step per 2 characters) and is a ``compressed.bomb`` past the budget."""

INFLATED_TEXT_WALK_CAP = 5 << 18
"""Most characters of decompressed text one file's walks take under :data:`INFLATED_TEXT_RATIO`
(1.25 MiB): under a second of walking at the costliest YAML shapes (multi-document and deep flow
lists, ~0.7 µs a character; red team 123pk-3: at 2 MiB a 75 KB ``.yaml.gz`` took 1.2-1.6 s), while
the 1.1 MB of JSON Lines a 62 KB pandas gzip holds (122fp-6) stays inside."""

# ---- an OSV database (``--vuln-db``): work bounded by the bytes given ----------------------
# A database is charged against the bytes it is given as (a zip's size on disk; a folder's or a
# record file's bytes as read): a zip member of 600 KB of ``[{},{},…]`` deflates to 700 bytes,
# so without a budget per byte given a 14 KB zip made 4 M records to check (red team 80c-6:
# 34 s; a 1 MB zip ~40 min). Each bound is some 10x what OSV's own data needs (the PyPA
# database zipped per record: 2.8x expansion, one record per 994 bytes, one node per 10 bytes).
# Past any of them the rest of the database is not read: a high ``vuln.db-incomplete`` finding
# says so and ``audit --fail-on`` cannot pass (docs/vulnerabilities.md).

OSV_EXPANSION = 20
"""Most bytes a zip's members may expand to in all, per byte of the zip (plus
:data:`OSV_EXPANDED_FLOOR`)."""

OSV_EXPANDED_FLOOR = 8 << 20
OSV_BYTES_PER_RECORD = 100
"""Fewest bytes given per record read (plus :data:`OSV_RECORDS_FLOOR` records)."""

OSV_RECORDS_FLOOR = 10_000
OSV_NODES_PER_BYTE = 2
"""Most JSON/YAML nodes (values, arrays, objects) parsed per byte given (plus
:data:`OSV_NODES_FLOOR`): a node costs about a microsecond to parse and count."""

OSV_NODES_FLOOR = 400_000

# ---- an encrypted private key (``sign --key``): the key file chooses its decryption cost -------
# A PKCS#8 ``ENCRYPTED PRIVATE KEY`` carries its own key-derivation parameters, which OpenSSL
# honours up to ``INT_MAX`` (red team 92c-2: 2^31-1 PBKDF2 iterations, ~10 min from 436 bytes;
# scrypt p=1000, 43 s; 92c-1: 2^40 iterations panicked inside cryptography). They are read from
# the DER before anything is decrypted (:func:`mlbom.keys.check_key_encryption_cost`) and a key
# over a bound is one line, exit 2. Legacy PEM ``DEK-Info`` (one MD5 round) costs nothing;
# OpenSSH ``bcrypt`` keys are not read at all (``sign --key`` takes PEM private keys only).

MAX_KEY_PBKDF2_ITERATIONS = 1_000_000
"""Most PBKDF2 (PBES2) or PKCS#5 v1 / PKCS#12 PBE iterations an encrypted private key may ask for:
OpenSSL and cryptography write 2,048, OWASP recommends 600,000 for HMAC-SHA256; a million costs
0.4 s (SHA-256) to 1.3 s (SHA-512) on a 2-core shared machine."""

MAX_KEY_SCRYPT_COST = 1 << 21
"""Largest scrypt ``N x r x p`` an encrypted private key may ask for: ``openssl pkcs8 -scrypt`` writes
N=16384, r=8, p=1 (2^17, 0.06 s); OpenSSL's own 32 MiB scrypt memory cap already refuses N x r above
2^18, so this bound lets through every key OpenSSL can decrypt with p up to 8 (about 1 s) and stops
time spent on p (red team 92c-2: p=1000, 43 s)."""

# ---- tar archives: the header walk mlbom makes before ``tarfile`` reads them ------------------
# (mlbom.formats.tarwalk; red team 106p-6/-7/-10). ``tarfile`` is the reader torch's legacy loader
# and every extractor use, but on CPython before 3.11.10/3.12.6 it parses a pax header with a
# regular expression that backtracks on a run of digits (CVE-2024-6232: one 200 KB header of
# digits, 37 s), before 3.11.14/3.12.12/3.13.6 a negative size steps it back onto an earlier header
# forever (CVE-2025-8194), and a size of 2^63 or more overflows its ``seek`` (``OverflowError``).
# mlbom supports Python >= 3.10, so it walks the header blocks itself, linearly, first: a header
# past one of these bounds (or a member that would not lie after its header) is refused there —
# ``tar.header-refused`` (``error``), the members before it judged, nothing from it on — and
# ``tarfile`` never sees it.

MAX_TAR_EXTENDED_BYTES = 1 << 20
"""Largest pax extended header (``x``, ``g``, Solaris ``X``) or GNU long name/link (``L``, ``K``)
read: GNU tar, bsdtar and ``tarfile`` write a few hundred bytes (a long path, times, xattrs)."""

MAX_TAR_EXTENDED_CHAIN = 16
"""Most extended headers (``x``, ``g``, ``X``, ``L``, ``K``) in a row before one member: writers put
one to three there; ``tarfile`` reads each chain by recursion (a long one ends in RecursionError)."""

MAX_TAR_PAX_DIGITS = 64
"""Longest run of ASCII digits anywhere in a pax header (a record's length, a number, a name):
the pre-3.11.10 ``hdrcharset`` search costs the square of each run (a 40,000-digit run: 1.8 s);
64 bounds it at 64 steps a byte. Record lengths are at most 20 digits."""

TAR_STEPS_PER_BLOCK = 32
"""A tar from a decompressor is walked within the file's parse budget
(:mod:`mlbom.formats.inflation`: ``INFLATED_STEPS_PER_BYTE`` per byte of the file, or
``INFLATED_STEPS_FLOOR``): this many steps per 512-byte header block walked (a member's own, its
extended headers', old GNU sparse blocks'), and within :data:`TAR_BLOCKS_FLOOR` /
:data:`TAR_BYTES_PER_BLOCK` as well. An uncompressed tar needs no such count: every member moves
the walk forward by 512 bytes or more (a 1 MB tar has at most 2,048: 0.5 s through the CLI), and
never more than ``Limits.max_members`` (100,000) are judged."""

TAR_BLOCKS_FLOOR = 4_096
TAR_BYTES_PER_BLOCK = 160
"""Header blocks of tars from decompressors one file may have walked and judged, all its tars
together: one per ``TAR_BYTES_PER_BLOCK`` bytes of the file, or ``TAR_BLOCKS_FLOOR``. A member
costs ~40-46 µs to enumerate and judge (``tarfile.next``, the member's dispatch), against
0.25-1.1 µs for a pickle opcode, the step the parse budget was sized on: 100,000 empty members
from an 818 KB ``.tar.gz`` (8 compressed bytes a header, within the budget's 32 steps a block) took
4.1 s. With this bound a file under 1 MB has at most ~6,250 members judged (5,000 JSON members
in 868 KB of gzip: 0.76 s through the CLI, start-up included); the floor keeps a 2,000-file
``.tar.gz`` of short texts (46 KB: 23 bytes a member) judged whole. Past it the walk stops:
``format.invalid`` (``error``), no member judged (as past ``max_members``)."""

# ---- XML-DSig: what libxml2's inclusive C14N pays (mlbom.xmldsig) ----------------------------

MAX_XML_ATTRIBUTES = 256
"""Most attributes on one element of an XML BOM, for every command that reads XML (red team 116v-1/-2):
lxml reads an element's attribute values by a linear search of its properties (``attrib.items()``) and
libxml2's C14N inserts each attribute into a sorted list by a linear scan — both quadratic in the
attributes of one element: 40,000 on one element of a 405 KB BOM cost 6–7 s to ``validate`` and 16 s
to ``sign``, 60,000 cost 12 s of ``verify``. A CycloneDX element has a handful (``type``,
``bom-ref``, ``mime-type``, ``xsi:`` and extension attributes). Past it the input is refused
(exit 2, one line)."""

MAX_NAMESPACES = 32
"""Most distinct namespace prefixes in scope at one element of an XML BOM that is signed or
verified: inclusive C14N compares every namespace in scope at every element (about elements ×
namespaces²), so 3,000 declarations on one element of a 73 KB BOM took 22 s to verify (red team
50s-1). A CycloneDX BOM uses its own namespace, ``ds``/``ds11``, ``xsi`` and a few extensions'.
Past it ``verify`` fails (exit 1) and ``sign`` refuses the input (exit 2)."""

XML_C14N_STEPS_PER_BYTE = 64
XML_C14N_STEPS_FLOOR = 1 << 26
"""Most C14N steps an XML BOM may cost to sign or verify: :data:`XML_C14N_STEPS_PER_BYTE` per byte
of the document, or :data:`XML_C14N_STEPS_FLOOR` (67 M), whichever is more. A step is one
(element, ancestor-or-self) pair times one more than the namespace declarations in scope there —
the sum over elements of depth × (1 + declarations in scope, a redeclared prefix counted again) —
counted in one linear walk before signxml sees the document (:func:`mlbom.cyclonedx.document.xml_walk`).
libxml2's inclusive C14N looks up, at every element, every declaration on every ancestor, by a
search up the ancestors: about 2.5 ns a step here, so the floor is ~0.2 s. Red team 112v-1: 963 KB,
240,000 leaves 198 deep under 31 declarations (1.6 G steps) took 4.8 s to verify; 31 prefixes
redeclared on each of 190 levels (6,000 declarations in scope, 31 distinct) cost 3 s of C14N at
155 KB. A real BOM is under 15 deep with a handful of namespaces, under 10 steps a byte. Past the
budget ``verify`` cannot be completed (exit 2, one line) and ``sign`` refuses the input (exit 2)."""


def xml_c14n_allowance(size: int) -> int:
    """The C14N steps an XML document of ``size`` bytes may cost (:data:`XML_C14N_STEPS_PER_BYTE`)."""
    return max(XML_C14N_STEPS_FLOOR, XML_C14N_STEPS_PER_BYTE * size)

MAX_REPORT_SECTIONS = 200
"""Most models, and most datasets, that ``report`` gives a full section of their own (facts, lineage,
uses, metrics and files tables), and a detailed score table; the rest are summarised one row each
in the Models / Datasets / Completeness tables, and the report says how many are summarised only.
Red team 122v-3: 30,000 minimal dataset components (an 896 KB valid BOM) made 30,000 sections and
60,000 tables, 4.5 s and 33-57 MB of report."""

MAX_REPORT_TABLE_ROWS = 5_000
"""Most rows one ``report`` table shows; past it the table ends on a line saying how many rows are
not shown (``mlbom query`` lists every component). Keeps each per-component table (completeness,
datasets, appendix) a bounded size whatever the component count."""

MAX_REPORT_CELLS = 200_000
"""Most table cells one ``report`` shows in all, tables taken in the order they are shown; a table
past the budget shows the rows that fit and says how many are not shown. Shared files listed under
many datasets, or many small tables, cannot amplify the report past it: with the section and row
bounds the report stays within a small multiple of its input (red team 122v-3)."""

MAX_REPORT_CELL_CHARS = 200
"""Most characters of one ``report`` cell, fact, list item, figure label or title taken from the BOM;
a longer one shows its first characters, then "…" and its full length. Prose paragraphs (a
dataset's description) get ten times as much. Cells were bounded by count only: one 100 KB name
repeated in 1,000 rows gave a 161 MB report from a 224 KB BOM (red team 123v-4)."""

MAX_REPORT_NAMES = 10
"""Most names one ``report`` cell joins (a model's datasets, its base models); then "and N more"."""
