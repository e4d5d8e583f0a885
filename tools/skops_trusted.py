"""Maintainer tool: skops' DEFAULT trusted type names, per node loader, written to
``mlbom/data/skops-trusted.json`` (mlbom never imports skops: it is not a dependency).

    PYTHONPATH=<dir holding skops> python tools/skops_trusted.py            # print
    PYTHONPATH=<dir holding skops> python tools/skops_trusted.py --write    # write the data file

``skops.io.load(f, trusted=...)`` audits every node of ``schema.json``: a node's
``__module__.__class__`` is trusted when it is in that node class's own default list (its
``__init__`` calls ``self._get_trusted(trusted, DEFAULT)``) or in the caller's ``trusted``.
The per-loader lists below are transcribed from skops/io/_general.py, _numpy.py, _scipy.py,
_sklearn.py and _quantile_forest.py (skops 0.16.0); the computed constants (sklearn estimator
names, numpy/scipy ufunc names, numpy dtype names) are taken from ``skops.io._trusted_types``
of the installed skops, with the installed scikit-learn/numpy/scipy. A loader not listed here
is one mlbom does not know (judged ``error``); ``[]`` means skops trusts nothing by default
(every type of such a node is reported by ``get_untrusted_types``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "mlbom" / "data" / "skops-trusted.json"


def build() -> dict[str, object]:
    from importlib.metadata import version

    import numpy as np
    import skops
    from scipy import sparse
    from skops.io import _trusted_types as t
    from skops.io._utils import get_type_paths

    prim = list(t.PRIMITIVE_TYPE_NAMES)
    cont = list(t.CONTAINER_TYPE_NAMES)
    dtypes = list(t.NUMPY_DTYPE_TYPE_NAMES)
    ufuncs = sorted(set(t.SCIPY_UFUNC_TYPE_NAMES) | set(t.NUMPY_UFUNC_TYPE_NAMES))
    sklearn = sorted(set(t.SKLEARN_ESTIMATOR_TYPE_NAMES) | set(t.SKLEARN_INTERNAL_TYPE_NAMES))
    from skops.io._sklearn import ALLOWED_LOSSES
    from skops.io._utils import get_module

    losses = sorted(get_module(x) + "." + x.__name__ for x in ALLOWED_LOSSES)
    loaders: dict[str, list[str]] = {
        "DictNode": get_type_paths([dict, "collections.OrderedDict"]),
        "DefaultDictNode": ["collections.defaultdict"],
        "ListNode": ["builtins.list"],
        "SetNode": ["builtins.set"],
        "TupleNode": ["builtins.tuple"],
        "BytesNode": ["builtins.bytes"],
        "BytearrayNode": ["builtins.bytearray"],
        "SliceNode": ["builtins.slice"],
        "FunctionNode": ufuncs,
        "MethodNode": [],
        "PartialNode": [],
        "TypeNode": sorted(set(prim + cont + dtypes)),
        "ConstructorFromReduceNode": [],
        "ObjectNode": sklearn,
        "JsonNode": prim,
        "OperatorFuncNode": [],
        "CachedNode": [],
        "NdArrayNode": sorted({*get_type_paths([np.ndarray]), *dtypes}),
        "MaskedArrayNode": get_type_paths([np.ma.MaskedArray]),
        "DTypeNode": [],
        "RandomStateNode": get_type_paths([np.random.RandomState]),
        "RandomGeneratorNode": get_type_paths([np.random.Generator]),
        "SparseMatrixNode": get_type_paths([sparse.spmatrix] + ([sparse.sparray] if hasattr(sparse, "sparray") else [])),
        "TreeNode": [],
        "LossNode": losses,
        "QuantileForestNode": [],
    }
    # skops' get_tree picks a node's class by (__loader__, protocol) and the file chooses the
    # protocol (0..PROTOCOL): every class registered in skops/io/old/ is modelled here (27e-1).
    # "reads" names how mlbom.formats.skops reads what that class imports; a registered old class
    # without a model here stops the tool (mlbom would otherwise judge it as the current class).
    import importlib
    import pkgutil

    import skops.io.old as old_pkg

    models: dict[tuple[str, int], tuple[str, list[str]]] = {
        ("FunctionNode", 0): ("content.module_path+function", sorted(t.SCIPY_UFUNC_TYPE_NAMES)),
        ("RandomGeneratorNode", 0): ("content.bit_generator.bit_generator", get_type_paths([np.random.Generator])),
        ("RandomGeneratorNode", 1): ("bit_generator_node", get_type_paths([np.random.Generator])),
    }
    old_nodes: dict[str, dict[str, dict[str, object]]] = {}
    for info in sorted(pkgutil.iter_modules(old_pkg.__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"skops.io.old.{info.name}")
        for (loader, proto), _cls in sorted(getattr(mod, "NODE_TYPE_MAPPING", {}).items()):
            if (loader, proto) not in models:
                raise SystemExit(f"skops.io.old.{info.name} registers ({loader}, {proto}): model it first")
            reads, trusted = models[(loader, proto)]
            old_nodes.setdefault(loader, {})[str(proto)] = {
                "module": mod.__name__, "reads": reads, "trusted": trusted}
    return {
        "about": "skops' default trusted type names per node loader (tools/skops_trusted.py)",
        "skops_version": skops.__version__,
        "scikit_learn_version": version("scikit-learn"),
        "numpy_version": version("numpy"),
        "scipy_version": version("scipy"),
        "protocol": __import__("skops.io._protocol", fromlist=["PROTOCOL"]).PROTOCOL,
        "bit_generators": list(t.NUMPY_RANDOM_BIT_GENERATOR_TYPE_NAMES),
        "loaders": loaders,
        "min_protocol": 0,  # skops.io._utils.read_schema accepts 0..PROTOCOL
        "old_nodes": old_nodes,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    text = json.dumps(build(), indent=1, sort_keys=True) + "\n"
    if ap.parse_args().write:
        OUT.write_text(text, "utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
