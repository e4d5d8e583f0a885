"""Serialization + validation at scale: mlbom's writer vs cyclonedx-python-lib's outputter.

Run by hand: ``python benchmarks/bench_serialize.py [N ...]``. Prints, for each size, the time
mlbom takes to serialize and validate a synthetic BOM, the time of a bare ``orjson.dumps`` of
the same finished document (the floor: writing bytes and nothing else), and, up to 3,000 components, the time of
cyclonedx-python-lib's ``JsonV1Dot6.output_as_string`` on the same components (beyond that it
grows quadratically and takes minutes). Results are ratios measured in the same run.
"""

from __future__ import annotations

import resource
import sys
import time

import orjson

from mlbom.cyclonedx.build import dumps, to_dict
from mlbom.cyclonedx.validate import validate_bytes
from mlbom.inventory import normalize
from mlbom.model import Bom, Component, ExternalReference, Hash, License, Property, Relation


def synthetic(n: int) -> Bom:
    comps = [Component(
        bom_ref=f"pkg:pypi/pkg-{i}@1.{i}", type="library", name=f"pkg-{i}", version=f"1.{i}",
        purl=f"pkg:pypi/pkg-{i}@1.{i}", description=f"synthetic package {i}",
        licenses=(License(kind="id", value="MIT", acknowledgement="declared"),),
        hashes=(Hash(alg="SHA-256", content=f"{i:064x}"),),
        external_references=(ExternalReference(type="website", url=f"https://example.org/pkg-{i}"),),
        properties=(Property(name="mlbom:python:installer", value="pip"),),
    ) for i in range(n)]
    rels = [Relation(ref=c.bom_ref, depends_on=(comps[(i + 1) % n].bom_ref,)) for i, c in enumerate(comps)]
    root = Component(bom_ref="release:bench", type="application", name="bench")
    c2, r2, f2 = normalize(comps, rels, [], root)
    return Bom(reproducible=True, root=root, components=tuple(c2), relations=tuple(r2), findings=tuple(f2))


def library_time(bom: Bom) -> float:
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.bom import Bom as LBom
    from cyclonedx.model.component import Component as LComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    lib = LBom(components=[LComponent(
        type=ComponentType.LIBRARY, name=c.name, version=c.version, bom_ref=c.bom_ref,
        purl=PackageURL.from_string(c.purl) if c.purl else None,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=h.content) for h in c.hashes]) for c in bom.components])
    t = time.perf_counter()
    JsonV1Dot6(lib).output_as_string()
    return time.perf_counter() - t


def main(sizes: list[int]) -> None:
    print(f"{'components':>10} {'mlbom ser+val s':>16} {'orjson s':>13} {'ratio':>6} {'cdx-lib out s':>14} {'lib/mlbom':>9}")
    for n in sizes:
        bom = synthetic(n)
        t0 = time.perf_counter()
        data = dumps(bom)
        report = validate_bytes(data)
        t_ml = time.perf_counter() - t0
        assert report.ok, report.problems[:3]
        doc = to_dict(bom)
        t1 = time.perf_counter()
        orjson.dumps(doc, option=orjson.OPT_INDENT_2)
        t_floor = time.perf_counter() - t1
        lib = library_time(bom) if n <= 3000 else None
        lib_s = f"{lib:14.2f}" if lib is not None else f"{'(skipped)':>14}"
        ratio = f"{lib / t_ml:9.1f}" if lib is not None else f"{'':>9}"
        print(f"{n:>10} {t_ml:16.3f} {t_floor:13.3f} {t_ml / t_floor:6.1f} {lib_s} {ratio}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 3000, 10000, 100000])
