"""CUDA compatibility between this host's driver and GPUs (``--gpu``) and what the release's
frameworks were built for (read from their files by the environment collector).

The rules, with their source (docs/cuda-compatibility.md):

- A CUDA runtime of a newer *major* version than the driver supports does not run
  ("CUDA driver version is insufficient"): **high**. A newer *minor* of the same major runs
  through minor version compatibility (NVIDIA's "CUDA Minor Version Compatibility"), except
  features that need the newer driver, such as JIT-compiling newer PTX: **low**.
- A GPU whose compute capability has neither SASS for its major (``sm_80`` runs on 8.x at or
  above 8.0) nor PTX at or below it (``compute_80`` is JIT-compiled forward) is not covered by
  the build: **high**. Checked where the build lists its architectures (TensorFlow's
  build_info); torch keeps its list inside the compiled library and is not checked.
- A CPU-only framework build on a host with NVIDIA GPUs: **medium** (it runs, on the CPU).

The driver → CUDA table (``mlbom/data/cuda-drivers.json``, transcribed from NVIDIA's release
notes) is used only when NVML does not give the driver's CUDA version itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

from mlbom.collectors.facts import FrameworkBuild, GpuHost
from mlbom.model import Finding


def version_tuple(text: str) -> tuple[int, ...]:
    # bounded digit runs: a 5,000-digit run in a version read from an environment is no number
    # (CPython's int() refuses it with a plain ValueError)
    return tuple(int(x) for x in re.findall(r"\d{1,18}", text))


@cache
def driver_table() -> dict[str, object]:
    return json.loads(resources.files("mlbom").joinpath("data/cuda-drivers.json").read_text("utf-8"))  # type: ignore[no-any-return]


def max_cuda_for_driver(driver: str) -> str | None:
    """The newest CUDA version whose toolkit driver is at or below ``driver`` (e.g. ``535.104.05`` → ``12.2``)."""
    rows = driver_table()["toolkits"]
    assert isinstance(rows, list)
    have = version_tuple(driver)
    best = [r["cuda"] for r in rows if version_tuple(r["linux_driver"]) <= have]
    return max(best, key=version_tuple) if best else None


def min_driver_for(cuda: str) -> str | None:
    rows = driver_table()["toolkits"]
    assert isinstance(rows, list)
    want = version_tuple(cuda)[:2]
    return next((r["linux_driver"] for r in rows if version_tuple(r["cuda"])[:2] == want), None)


def runtime_vs_driver(what: str, runtime: str, driver_cuda: str, driver: str | None, subject: str) -> Finding | None:
    """A finding when a CUDA runtime (framework build or toolkit) is newer than the driver supports."""
    r, d = version_tuple(runtime)[:2], version_tuple(driver_cuda)[:2]
    if not r or not d or r <= d:
        return None
    need = min_driver_for(runtime)
    need_txt = f"; CUDA {runtime} ships with driver {need}" if need else ""
    who = f"driver {driver}" if driver else "the driver"
    if r[0] > d[0]:
        return Finding(id="cuda.driver-too-old", severity="high", subject=subject,
                       message=(f"{what} needs CUDA {runtime} but {who} supports CUDA {driver_cuda} at most: a newer major "
                                f"version does not run (\"CUDA driver version is insufficient\"){need_txt} "
                                "(docs/cuda-compatibility.md)"))
    return Finding(id="cuda.minor-version-compat", severity="low", subject=subject,
                   message=(f"{what} is CUDA {runtime}, newer than the CUDA {driver_cuda} of {who}: it runs through minor "
                            "version compatibility, but features that need the newer driver (JIT of newer PTX) fail"
                            f"{need_txt} (docs/cuda-compatibility.md)"))


def arch_covered(cc: str, archs: tuple[str, ...]) -> bool:
    """Whether a build with these ``sm_XY``/``compute_XY`` entries runs on compute capability ``cc``."""
    try:
        major, minor = (int(x) for x in cc.split(".")[:2])
    except ValueError:
        return True  # unknown capability: no claim
    want = major * 10 + minor
    for a in archs:
        m = re.match(r"(sm|compute)_(\d{1,8})(\d)[a-z]?$", a.strip())
        if not m:
            continue
        a_major, a_minor = int(m.group(2)), int(m.group(3))
        code = a_major * 10 + a_minor
        if m.group(1) == "sm" and a_major == major and code <= want and not a.strip().endswith("a"):
            return True  # SASS runs on the same major at or above its minor ("a" variants only on that exact chip)
        if m.group(1) == "sm" and a.strip().endswith("a") and code == want:
            return True
        if m.group(1) == "compute" and code <= want:
            return True  # PTX is JIT-compiled forward
    return False


def host_findings(host: GpuHost, builds: Sequence[FrameworkBuild]) -> list[Finding]:
    """Findings from a host's driver and GPUs against the frameworks' builds."""
    driver_cuda = host.cuda_driver_version
    gpus = host.gpus
    out: list[Finding] = []
    for b in builds:
        build = b.build
        what = f"{b.name} {b.version or ''}".strip()
        if build.startswith("cuda-") and driver_cuda:
            f = runtime_vs_driver(f"{what} (built for CUDA {build[5:]})", build[5:], driver_cuda, host.driver_version, b.ref)
            if f:
                out.append(f)
        if build == "cpu" and gpus:
            names = sorted({g.name for g in gpus})
            out.append(Finding(id="cuda.cpu-only-build", severity="medium", subject=b.ref,
                               message=(f"{what} is a CPU-only build on a host with {len(gpus)} NVIDIA GPU(s) "
                                        f"({', '.join(names)}): it will not use them (docs/cuda-compatibility.md)")))
        if build.startswith("cuda-") and b.archs:
            kinds: dict[tuple[str, str], int] = {}
            for g in gpus:
                if g.compute_capability:
                    kinds[(g.name, g.compute_capability)] = kinds.get((g.name, g.compute_capability), 0) + 1
            for (gname, cc), n in sorted(kinds.items()):
                if not arch_covered(cc, b.archs):
                    out.append(Finding(id="cuda.arch-not-covered", severity="high", subject=b.ref,
                                       message=(f"{what} carries code for {','.join(b.archs)}; {n} GPU(s) {gname} have compute "
                                                f"capability {cc}, which none of them runs on (no SASS for {cc.split('.')[0]}.x "
                                                "at or below it, no PTX to JIT) (docs/cuda-compatibility.md)")))
    return out
