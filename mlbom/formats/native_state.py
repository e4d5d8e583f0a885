"""Invariants of native (Cython) model state that the loaded model's C code trusts on use.

A class on the pickle allowlist may be rebuilt from arrays that its ``__setstate__`` copies
into C memory after checking only their dtype and shape. Its methods then follow indices
stored in those arrays without a bound check, so a pickle that loads cleanly can still make
the first ``predict()`` read (or write) out of bounds. ``safe`` covers that use: state no
scikit-learn writes, whose indices leave the arrays, is ``unsafe``.

scikit-learn's ``sklearn.tree._tree.Tree`` (``_tree.pyx``): ``__reduce__`` is ``(Tree,
(n_features, n_classes, n_outputs), {"max_depth", "node_count", "nodes", "values"})``;
``__setstate__`` checks that ``nodes`` is a 1-D C-contiguous array of ``NODE_DTYPE`` (or a
compatible dtype it casts) and that ``values`` has shape ``(len(nodes), n_outputs,
max_n_classes)``, then copies both. ``apply``/``predict``/``decision_path`` walk from node 0:
``while node.left_child != -1: node = nodes[left_child or right_child]`` reading
``X[i, node.feature]``; ``compute_feature_importances`` loops over ``node_count`` nodes;
``decision_path`` allocates ``n_samples * (1 + max_depth)`` indices and writes one per node on
each path (bounds checks off), so ``max_depth`` must be at least the true depth.
scikit-learn's builders add a node's children after it (``_add_node`` appends), so every child
index is greater than its parent's and less than ``node_count == len(nodes)``; a leaf has both
children ``-1`` (``_TREE_LEAF``). The scan here checks exactly that, record by record, in
constant memory, so it can follow bytes as they stream past.
"""

from __future__ import annotations

import itertools
import struct
import sys
from array import array

# NODE_DTYPE of sklearn/tree/_tree.pyx (the C struct Node) on a 64-bit little-endian platform:
# (field name, numpy type code with byte order, offset); itemsize 64 (7 bytes of padding).
NODE_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("left_child", "<i8", 0), ("right_child", "<i8", 8), ("feature", "<i8", 16), ("threshold", "<f8", 24),
    ("impurity", "<f8", 32), ("n_node_samples", "<i8", 40), ("weighted_n_node_samples", "<f8", 48),
    ("missing_go_to_left", "|u1", 56))
NODE_ITEMSIZE = 64
# The layouts scikit-learn has written: 1.3 and later (above); 0.x to 1.2, before
# ``missing_go_to_left``: the first seven fields in 56 bytes. A loader of that age reads its own
# files, so their indices are checked the same way (the three index fields are at 0, 8 and 16 in
# both).
NODE_LAYOUTS: tuple[tuple[tuple[tuple[str, str, int], ...], int], ...] = (
    (NODE_FIELDS, NODE_ITEMSIZE), (NODE_FIELDS[:7], 56))
_TREE_LEAF = -1
_INDICES = struct.Struct("<qqq")  # left_child, right_child, feature at the start of every record
# The one-parent and true-depth checks need one int32 per node while the records stream past
# (freed at finish): a tree with a child index at or past this many nodes is "cannot check"
# (scikit-learn's trees for a million samples have under two million nodes)
DEPTH_NODES_LIMIT = 1 << 22


class _RecordScan:
    """Reads the raw bytes of a record array in order (:meth:`feed` any chunking, then
    :meth:`finish`): whole records go to :meth:`_records` with the index of the first; the
    scan stops judging at the first record no scikit-learn writes (``problem``) but keeps
    counting. ``untracked``: the array is past what the scan keeps (each scan says which)."""

    __slots__ = ("count", "itemsize", "problem", "tail", "untracked")

    def __init__(self, itemsize: int) -> None:
        self.itemsize = itemsize
        self.count = 0
        self.tail = b""
        self.problem: str | None = None
        self.untracked = False

    def feed(self, chunk: bytes) -> None:
        data = self.tail + bytes(chunk) if self.tail else bytes(chunk)
        whole = len(data) - len(data) % self.itemsize
        self.tail = data[whole:]
        if self.problem is None:
            self._records(memoryview(data)[:whole], self.count)
        self.count += whole // self.itemsize

    def _records(self, view: memoryview, first: int) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        if self.tail and self.problem is None:
            self.problem = f"the node bytes end inside a record ({len(self.tail)} bytes left over)"


class _TreeRecords(_RecordScan):
    """The node records of a tree built parent first (scikit-learn's ``Tree`` and
    ``TreePredictor``): one forward pass sees every parent before its children, so a child
    index at or before its parent's is a cycle or a walk backwards, and a child a second parent
    (or both sides of one split) names makes the nodes a graph, not a tree — recursive walks
    over it (partial dependence, the depth-first stacks sized by the node count) then run
    exponentially long or past their stack. ``untracked``: a child index at or past
    :data:`DEPTH_NODES_LIMIT` (parents and depths not checked)."""

    __slots__ = ("parents",)

    def __init__(self, itemsize: int) -> None:
        super().__init__(itemsize)
        # per node: its depth once a parent named it (>= 1; 0: no parent yet, the root or a node
        # nothing reaches); None: past DEPTH_NODES_LIMIT, not tracked
        self.parents: array[int] | None = array("i")

    def _adopt(self, i: int, left: int, right: int) -> int | None:
        """Record node ``i``'s two children (both already known to be after it); returns the
        depth of ``i`` (0: no parent named it), or None with ``problem`` set, or when depths are
        not tracked (the tree is past DEPTH_NODES_LIMIT)."""
        parents = self.parents
        if parents is None:
            return None
        d = parents[i] if i < len(parents) else 0
        top = left if left > right else right
        if top >= DEPTH_NODES_LIMIT:
            self.parents = None
            self.untracked = True
            return None
        if top >= len(parents):
            parents.frombytes(bytes(4 * (top + 1 - len(parents))))
        if left == right or parents[left] or parents[right]:
            self.problem = f"node {i} names child {left if left == right or parents[left] else right}, which " \
                           "another split (or its other side) names too: the nodes are a graph, not a tree " \
                           "(scikit-learn gives every node one parent)"
            return None
        parents[left] = parents[right] = d + 1
        return d

    def finish(self) -> None:
        self.parents = None  # only needed while the records stream past
        super().finish()


class NodeScan(_TreeRecords):
    """Reads the raw bytes of a ``NODE_DTYPE`` array, keeping what the tree check needs: the
    record count, the largest child index, the feature range of internal nodes, the true depth
    (one pass gives each node its depth: its parent's plus one; the root and nodes no parent
    names are at 0), and the first record no scikit-learn writes."""

    __slots__ = ("depth", "max_child", "max_feature", "min_feature", "record")

    def __init__(self, itemsize: int = NODE_ITEMSIZE) -> None:
        super().__init__(itemsize)
        self.record = struct.Struct(f"<qqq{itemsize - _INDICES.size}x")
        self.max_child = _TREE_LEAF
        self.min_feature: int | None = None
        self.max_feature: int | None = None
        self.depth: int | None = 0  # None: not tracked (a child index at or past DEPTH_NODES_LIMIT)

    def _records(self, view: memoryview, first: int) -> None:
        i = first
        max_child, lo, hi = self.max_child, self.min_feature, self.max_feature
        for left, right, feature in self.record.iter_unpack(view):
            if left == _TREE_LEAF:
                if right != _TREE_LEAF:
                    self.problem = f"node {i} is a leaf (left child -1) with right child {right}"
                    break
            elif left <= i or right <= i:
                self.problem = f"node {i} has children {left} and {right}, not after it (scikit-learn adds a " \
                               "node's children after it): negative, or a cycle"
                break
            else:
                if left > max_child:
                    max_child = left
                if right > max_child:
                    max_child = right
                if lo is None or feature < lo:
                    lo = feature
                if hi is None or feature > hi:
                    hi = feature
                d = self._adopt(i, left, right)
                if self.problem is not None:
                    break
                if d is None:
                    self.depth = None
                elif self.depth is not None and d + 1 > self.depth:
                    self.depth = d + 1
            i += 1
        self.max_child, self.min_feature, self.max_feature = max_child, lo, hi


def tree_problem(scan: NodeScan, node_count: object, n_features: object, max_depth: object) -> str | None:
    """What in a ``Tree`` state no scikit-learn writes and its C code would follow out of
    bounds (None: the indices are sound). ``node_count``/``n_features``/``max_depth`` as
    pickled. ``decision_path`` allocates ``n_samples * (1 + max_depth)`` indices and writes one
    per node on each sample's path unchecked: ``max_depth`` must be an int at least the true
    depth (scikit-learn's builders write it equal)."""
    if scan.problem is not None:
        return scan.problem
    if scan.count == 0:  # scikit-learn's builders always add the root (red team 44t-1)
        return "no node records (apply/predict read nodes[0] of an empty buffer)"
    if not isinstance(node_count, int) or isinstance(node_count, bool) or node_count != scan.count:
        return f"node_count {node_count!r} is not the number of node records ({scan.count})"
    if scan.max_child >= scan.count:
        return f"a child index {scan.max_child} is past the last of {scan.count} nodes"
    if scan.min_feature is not None:
        if not isinstance(n_features, int) or isinstance(n_features, bool):
            return f"n_features {n_features!r} is not an int"
        assert scan.max_feature is not None
        if scan.min_feature < 0 or scan.max_feature >= n_features:
            return f"an internal node's feature index ({scan.min_feature}..{scan.max_feature}) is outside " \
                   f"the {n_features} features"
    if not isinstance(max_depth, int) or isinstance(max_depth, bool):
        return f"max_depth {max_depth!r} is not an int"
    if scan.depth is not None and max_depth < scan.depth:
        return f"max_depth {max_depth} is less than the nodes' true depth {scan.depth} (decision_path sizes its " \
               "output from max_depth and writes past it)"
    return None


def depth_unchecked(scan: NodeScan | PredictorScan) -> str | None:
    """Why the one-parent rule (and a Tree's true depth) could not be checked (None: it was)."""
    if scan.untracked:
        return f"a child index is at or past {DEPTH_NODES_LIMIT} nodes: mlbom does not check that each node of so " \
               "large a tree has one parent, nor compute its true depth (a Tree's decision_path sizes its output " \
               "from max_depth)"
    return None


# -- HistGradientBoosting's TreePredictor (red team 34t-3) ----------------------------------------
# PREDICTOR_RECORD_DTYPE of sklearn/ensemble/_hist_gradient_boosting/common.pyx (packed, 64-bit
# little-endian: feature_idx is intp): (field name, numpy type code with byte order, offset).
PREDICTOR_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("value", "<f8", 0), ("count", "<u4", 8), ("feature_idx", "<i8", 12), ("num_threshold", "<f8", 20),
    ("missing_go_to_left", "|u1", 28), ("left", "<u4", 29), ("right", "<u4", 33), ("gain", "<f8", 37),
    ("depth", "<u4", 45), ("is_leaf", "|u1", 49), ("bin_threshold", "|u1", 50), ("is_categorical", "|u1", 51),
    ("bitset_idx", "<u4", 52))
PREDICTOR_ITEMSIZE = 56
# feature_idx, left, right, is_leaf, is_categorical, bitset_idx
_PREDICTOR_RECORD = struct.Struct("<12xq9xII12xBxBI")


class PredictorScan(_TreeRecords):
    """Reads the raw bytes of a ``PREDICTOR_RECORD_DTYPE`` array. ``_predictor.pyx`` (bounds
    checks off) walks from ``nodes[0]``: a record whose ``is_leaf`` byte is non-zero returns its
    value; any other reads ``X[row, feature_idx]`` and goes to ``nodes[left]`` or
    ``nodes[right]``; one whose ``is_categorical`` byte is non-zero also reads row
    ``bitset_idx`` of the predictor's ``raw_left_cat_bitsets`` (``binned_left_cat_bitsets`` when
    predicting binned data) at word ``value // 32`` (< 8), then ``f_idx_map[feature_idx]`` (an
    array of the bin mapper's ``is_categorical_.size``) and that row of the known-categories
    bitsets (one row per categorical feature). scikit-learn's grower
    (``grower._fill_predictor_arrays``) numbers a node's children after it, each once, so a
    sound walk only goes forward: every split's children are after it and before
    ``len(nodes)``, and no node has two parents (``_compute_partial_dependence`` pushes onto a
    stack of ``len(nodes)`` entries, bounds checks off). Kept: the record count, the largest
    child, the feature range of splits, the largest feature and bitset index of categorical
    splits, and the first record no scikit-learn writes."""

    __slots__ = ("max_bitset", "max_cat_feature", "max_child", "max_feature", "min_feature")

    def __init__(self) -> None:
        super().__init__(PREDICTOR_ITEMSIZE)
        self.max_child = -1
        self.min_feature: int | None = None
        self.max_feature: int | None = None
        self.max_bitset = -1  # -1: no categorical split
        self.max_cat_feature = -1  # the largest feature a categorical split reads (-1: none)

    def _records(self, view: memoryview, first: int) -> None:
        i = first
        max_child, lo, hi = self.max_child, self.min_feature, self.max_feature
        bits, cat = self.max_bitset, self.max_cat_feature
        for feature, left, right, leaf, categorical, bitset in _PREDICTOR_RECORD.iter_unpack(view):
            if not leaf:
                if left <= i or right <= i:
                    self.problem = f"split node {i} has children {left} and {right}, not after it (scikit-learn " \
                                   "numbers a node's children after it): a cycle or a walk backwards"
                    break
                self._adopt(i, left, right)
                if self.problem is not None:
                    break
                max_child = max(max_child, left, right)
                if lo is None or feature < lo:
                    lo = feature
                if hi is None or feature > hi:
                    hi = feature
                if categorical:
                    bits = max(bits, bitset)
                    cat = max(cat, feature)
            i += 1
        self.max_child, self.min_feature, self.max_feature = max_child, lo, hi
        self.max_bitset, self.max_cat_feature = bits, cat


def predictor_problem(scan: PredictorScan, bitset_rows: dict[str, int | None]) -> str | None:
    """What in a ``TreePredictor``'s nodes no scikit-learn writes and ``_predictor.pyx`` would
    follow out of bounds (None: sound). ``bitset_rows``: for each bitset array, how many rows of
    at least 8 words it has (None: unknown, or not such a 2-D array). The feature bound belongs
    to the owning estimator (its ``n_features_in_``) and is checked there."""
    if scan.problem is not None:
        return scan.problem
    if scan.count == 0:
        return "no node records (predict reads nodes[0])"
    if scan.max_child >= scan.count:
        return f"a child index {scan.max_child} is past the last of {scan.count} nodes"
    if scan.min_feature is not None and scan.min_feature < 0:
        return f"a split reads feature {scan.min_feature} (negative)"
    if scan.max_bitset >= 0:
        for name, rows in bitset_rows.items():
            if rows is not None and scan.max_bitset >= rows:
                return f"a categorical split reads bitset {scan.max_bitset}, past the {rows} rows of its {name}"
    return None


# -- scikit-learn's KDTree and BallTree (red team 34t-4) ------------------------------------------
# NodeData_t of sklearn/neighbors/_binary_tree.pxi.tp on a 64-bit little-endian platform.
NODE_DATA_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("idx_start", "<i8", 0), ("idx_end", "<i8", 8), ("is_leaf", "<i8", 16), ("radius", "<f8", 24))
NODE_DATA_ITEMSIZE = 32
_NODE_DATA = struct.Struct("<qqq8x")
# node records a binary tree check keeps (three int64 each, while they stream past)
BINARY_TREE_NODES_LIMIT = 1 << 22


# -- scikit-learn's HDBSCAN single-linkage tree (red team 76f-3) -----------------------------------
# HIERARCHY_dtype of sklearn/cluster/_hdbscan/_linkage.pyx on a 64-bit little-endian platform.
LINKAGE_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("left_node", "<i8", 0), ("right_node", "<i8", 8), ("value", "<f8", 16), ("cluster_size", "<i8", 24))
LINKAGE_ITEMSIZE = 32
_LINKAGE = struct.Struct("<qq16x")


class LinkageScan(_RecordScan):
    """Reads the raw bytes of an HDBSCAN ``_single_linkage_tree_`` (one merge record per row):
    the smallest and largest node either side of a merge names. ``labelling_at_cut``
    (``dbscan_clustering``) unions them in a ``TreeUnionFind`` of ``2 * rows + 1`` entries,
    bounds checks off."""

    __slots__ = ("high", "low")

    def __init__(self) -> None:
        super().__init__(LINKAGE_ITEMSIZE)
        self.low: int | None = None
        self.high: int | None = None

    def _records(self, view: memoryview, first: int) -> None:
        lo, hi = self.low, self.high
        for left, right in _LINKAGE.iter_unpack(view):
            a, b = (left, right) if left < right else (right, left)
            lo = a if lo is None or a < lo else lo
            hi = b if hi is None or b > hi else hi
        self.low, self.high = lo, hi


class IndexScan(_RecordScan):
    """Reads the raw bytes of a 1-D little-endian int8/16/32/64 array (``itemsize`` 1, 2, 4, 8):
    the count, sum, smallest, largest, first and last value, and whether the values never decrease
    (a KDTree's ``idx_array``, a sparse matrix's ``indptr`` and ``indices``)."""

    __slots__ = ("ascending", "first", "high", "last", "low", "total")

    def __init__(self, itemsize: int = 8) -> None:
        super().__init__(itemsize)
        self.total = 0  # the sum of the values (a libsvm model's per-class support-vector counts)
        self.low: int | None = None
        self.high: int | None = None
        self.first: int | None = None
        self.last: int | None = None
        self.ascending = True

    def _records(self, view: memoryview, first: int) -> None:
        if not len(view):
            return
        values = array({1: "b", 2: "h", 4: "i"}.get(self.itemsize, "q"))
        values.frombytes(view)
        if sys.byteorder == "big":
            values.byteswap()
        lo, hi = min(values), max(values)
        self.total += sum(values)
        self.low = lo if self.low is None else min(self.low, lo)
        self.high = hi if self.high is None else max(self.high, hi)
        if self.first is None:
            self.first = values[0]
        if self.ascending and self.last is not None and values[0] < self.last:
            self.ascending = False
        if self.ascending and any(a > b for a, b in itertools.pairwise(values)):
            self.ascending = False
        self.last = values[-1]


class BinaryTreeScan(_RecordScan):
    """Reads the raw bytes of a KDTree/BallTree ``node_data`` array (``NodeData_t`` records),
    keeping each node's ``idx_start``, ``idx_end`` and whether it is a leaf for
    :func:`binary_tree_problem` (a tree past :data:`BINARY_TREE_NODES_LIMIT` nodes: not kept,
    ``untracked``)."""

    __slots__ = ("ends", "leaves", "starts")

    def __init__(self) -> None:
        super().__init__(NODE_DATA_ITEMSIZE)
        self.starts: array[int] | None = array("q")
        self.ends: array[int] | None = array("q")
        self.leaves: bytearray | None = bytearray()

    def _records(self, view: memoryview, first: int) -> None:
        if self.starts is None or self.ends is None or self.leaves is None:
            return
        if first + len(view) // NODE_DATA_ITEMSIZE > BINARY_TREE_NODES_LIMIT:
            self.starts = self.ends = self.leaves = None
            self.untracked = True
            return
        starts, ends, leaves = self.starts, self.ends, self.leaves
        for start, end, leaf in _NODE_DATA.iter_unpack(view):
            starts.append(start)
            ends.append(end)
            leaves.append(1 if leaf else 0)


def binary_tree_problem(scan: BinaryTreeScan, idx: IndexScan, n_samples: int, n_nodes: object) -> str | None:
    """What in a KDTree/BallTree's nodes no scikit-learn writes and its queries (bounds checks
    off) would follow out of bounds (None: sound). ``_binary_tree.pxi`` lays the nodes out as a
    heap: node ``i``'s children are ``2i + 1`` and ``2i + 2``; a leaf's points are
    ``idx_array[idx_start:idx_end]``, each indexing a row of ``data``; ``query_radius`` copies
    every point of a node whose ball lies inside the radius into an output of ``n_samples``
    entries, and kernel density sizes per-node arrays by ``n_nodes``. scikit-learn's build splits
    each node's range into its two children's, from ``[0, n_samples)`` at the root: checked
    here, with ``idx_array`` a permutation's range (``n_samples`` entries in ``[0, n_samples)``)
    and ``n_nodes`` the number of records."""
    if scan.problem is not None:
        return scan.problem
    if idx.problem is not None:
        return f"its idx_array: {idx.problem}"
    count = scan.count
    if not isinstance(n_nodes, int) or isinstance(n_nodes, bool) or n_nodes != count:
        return f"n_nodes {n_nodes!r} is not the number of node records ({count}): kernel density sizes its " \
               "per-node arrays by it"
    if count == 0:
        return "no node records (every query reads node 0)"
    if idx.count != n_samples:
        return f"idx_array has {idx.count} entries, not one per data row ({n_samples})"
    if idx.count and (idx.low is None or idx.high is None or idx.low < 0 or idx.high >= n_samples):
        return f"an idx_array entry ({idx.low}..{idx.high}) is outside the {n_samples} data rows"
    starts, ends, leaves = scan.starts, scan.ends, scan.leaves
    if starts is None or ends is None or leaves is None:
        return None  # untracked: the caller says why it cannot check
    if starts[0] != 0 or ends[0] != n_samples:
        return f"the root covers points {starts[0]}..{ends[0]}, not the {n_samples} data rows"
    todo = [0]
    while todo:
        i = todo.pop()
        if starts[i] > ends[i]:
            return f"node {i} covers points {starts[i]}..{ends[i]} (start after end)"
        if leaves[i]:
            continue
        a, b = 2 * i + 1, 2 * i + 2
        if b >= count:
            return f"node {i} is not a leaf but its children {a} and {b} are past the last of {count} nodes"
        if starts[a] != starts[i] or ends[a] != starts[b] or ends[b] != ends[i]:
            return f"node {i}'s children do not split its points {starts[i]}..{ends[i]} (they cover " \
                   f"{starts[a]}..{ends[a]} and {starts[b]}..{ends[b]}): a query then reads or copies points twice " \
                   "or past the arrays"
        todo += (a, b)
    return None


# elements of a 1-D numeric array whose order :class:`OrderScan` reads (a OneHotEncoder's
# categories are a few to a few thousand values)
ORDER_LIMIT = 1 << 20


class OrderScan(_RecordScan):
    """Reads the raw bytes of a 1-D bool, integer or float array (``code``: a :mod:`struct`
    format character of ``itemsize`` bytes; ``little``: its byte order) and says whether its
    values are sorted as ``numpy.sort`` leaves them (never decreasing, NaNs only at the end) —
    the order ``numpy.searchsorted`` needs to find a value present at an index below the length.
    Arrays past :data:`ORDER_LIMIT` elements are not read (``untracked``)."""

    __slots__ = ("fmt", "last", "nan_seen", "ordered")

    def __init__(self, code: str, itemsize: int, little: bool) -> None:
        super().__init__(itemsize)
        self.fmt = struct.Struct(("<" if little else ">") + code)
        self.ordered = True
        self.nan_seen = False
        self.last: int | float | None = None

    def _records(self, view: memoryview, first: int) -> None:
        if self.untracked or not self.ordered:
            return
        if first + len(view) // self.itemsize > ORDER_LIMIT:
            self.untracked = True
            return
        last, nan_seen = self.last, self.nan_seen
        for (v,) in self.fmt.iter_unpack(view):
            if v != v:  # NaN: numpy sorts them last
                nan_seen = True
                continue
            if nan_seen or (last is not None and v < last):
                self.ordered = False
                return
            last = v
        self.last, self.nan_seen = last, nan_seen

    def finish(self) -> None:
        if self.tail and self.problem is None:
            self.problem = f"the array's bytes end inside an element ({len(self.tail)} bytes left over)"
