"""GPU and CUDA stack: NVML inventory (driver, GPUs) and the CUDA toolkit read from files.

NVML sits behind :class:`NvmlSource`: :class:`LiveNvml` asks nvidia-ml-py (``pynvml``) on this
machine; :class:`RecordedNvml` replays a JSON recording made with
``python -m mlbom.collectors.gpu --record > gpu.json`` on any machine with a GPU, so the rest is
tested without one. No driver, no ``libnvidia-ml`` or an NVML error gives a clean record and a
finding, never a crash. Serial numbers and UUIDs are left out unless ``include_hardware_ids``
(they identify a physical machine).

The toolkit is read, never run: ``version.json``, else ``CUDART_VERSION`` in
``include/cuda_runtime_api.h``, else the ``nvidia-cuda-runtime`` dist-info of a wheel-built
toolkit; each ``*.dist-info`` of the toolkit becomes a component.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from mlbom.collectors import BaseCollector, Context, Option
from mlbom.collectors.facts import Fact, Gpu, GpuHost
from mlbom.errors import InputError
from mlbom.formats.safe_read import load_json, read_bounded
from mlbom.identity import component_ref, make_purl, pypi_purl
from mlbom.model import Collected, Component, Evidence, Finding, Property, Relation
from mlbom.properties import Prop

_ARCH = {2: "Kepler", 3: "Maxwell", 4: "Pascal", 5: "Volta", 6: "Turing", 7: "Ampere", 8: "Ada", 9: "Hopper",
         10: "Blackwell"}


@dataclass
class GpuInfo:
    index: int
    name: str | None = None
    architecture: str | None = None
    compute_capability: str | None = None
    memory_total_bytes: int | None = None
    vbios: str | None = None
    pci_bus_id: str | None = None
    mig_mode: str | None = None
    persistence_mode: str | None = None
    uuid: str | None = None
    serial: str | None = None
    mig_devices: list[dict[str, object]] = field(default_factory=list)  # index, name, memory_total_bytes, uuid
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class NvmlSnapshot:
    """What NVML said. ``error`` set means NVML could not be used at all."""

    driver_version: str | None = None
    cuda_driver_version: str | None = None  # the newest CUDA the driver supports, "12.4"
    nvml_version: str | None = None
    gpus: list[GpuInfo] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> NvmlSnapshot:
        """Read a recording; fields this version does not know (a newer recorder's) are ignored,
        a known field that is not what the recorder writes is a ``ValueError`` naming it (red team
        84-2, 84-3): GPU indices unique, MIG indices unique within their GPU, UUIDs and PCI bus ids
        unique when present, each field of its type and range."""
        doc = json.loads(text)
        _check_recording(doc)
        known = {f for f in cls.__dataclass_fields__ if f != "gpus"}
        gpu_fields = set(GpuInfo.__dataclass_fields__)
        gpus = [GpuInfo(**{k: v for k, v in g.items() if k in gpu_fields}) for g in doc.get("gpus", [])]
        return cls(gpus=gpus, **{k: v for k, v in doc.items() if k in known})


_STATES = ("enabled", "disabled")


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_str(value: object, at: str, *, allowed: tuple[str, ...] = (), pattern: str | None = None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise ValueError(f"{at} is {_shown(value)}, not a string or null")
    if allowed and value not in allowed:
        raise ValueError(f"{at} is {_shown(value)}, not one of {', '.join(map(repr, allowed))} or null")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        raise ValueError(f"{at} is {_shown(value)}, not of the form the recorder writes")


def _check_int(value: object, at: str, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if value is None:
        raise ValueError(f"{at} is missing or null")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 63:
        raise ValueError(f"{at} is {_shown(value)}, not a whole number from 0 to 2**63-1")


def _check_recording(doc: object) -> None:
    """What ``python -m mlbom.collectors.gpu --record`` writes, field by field (red team 84-2,
    84-3: two GPUs or MIG devices given one index became one component; a MIG device that was
    not an object, a list for a name, a list for a compute capability)."""
    if not isinstance(doc, dict):
        raise ValueError("a recording is a JSON object")
    for name in ("driver_version", "cuda_driver_version", "nvml_version", "error"):
        _check_str(doc.get(name), name)
    gpus = doc.get("gpus", [])
    if not isinstance(gpus, list):
        raise ValueError(f"gpus is {_shown(gpus)}, not a list")
    seen: dict[str, dict[object, str]] = {"index": {}, "uuid": {}, "pci_bus_id": {}}
    for i, g in enumerate(gpus):
        at = f"gpus[{i}]"
        if not isinstance(g, dict):
            raise ValueError(f"{at} is {_shown(g)}, not an object")
        _check_int(g.get("index"), f"{at}.index", required=True)
        for name in ("name", "architecture", "vbios", "pci_bus_id", "uuid", "serial"):
            _check_str(g.get(name), f"{at}.{name}")
        _check_str(g.get("compute_capability"), f"{at}.compute_capability", pattern=r"[0-9]{1,4}\.[0-9]{1,4}")
        _check_str(g.get("mig_mode"), f"{at}.mig_mode", allowed=_STATES)
        _check_str(g.get("persistence_mode"), f"{at}.persistence_mode", allowed=_STATES)
        _check_int(g.get("memory_total_bytes"), f"{at}.memory_total_bytes")
        errors = g.get("errors", {})
        if not isinstance(errors, dict) or not all(isinstance(v, str) for v in errors.values()):
            raise ValueError(f"{at}.errors is {_shown(errors)}, not an object of strings")
        for key in ("index", "uuid", "pci_bus_id"):
            value = g.get(key)
            if value is None:
                continue
            if value in seen[key]:
                raise ValueError(f"{at}.{key} {_shown(value)} is also {seen[key][value]}'s: one recording "
                                 "names each GPU once")
            seen[key][value] = at
        migs = g.get("mig_devices", [])
        if not isinstance(migs, list):
            raise ValueError(f"{at}.mig_devices is {_shown(migs)}, not a list")
        mig_index: dict[object, str] = {}
        for j, m in enumerate(migs):
            mat = f"{at}.mig_devices[{j}]"
            if not isinstance(m, dict):
                raise ValueError(f"{mat} is {_shown(m)}, not an object")
            _check_int(m.get("index"), f"{mat}.index", required=True)
            _check_str(m.get("name"), f"{mat}.name")
            _check_str(m.get("uuid"), f"{mat}.uuid")
            _check_int(m.get("memory_total_bytes"), f"{mat}.memory_total_bytes")
            if m["index"] in mig_index:
                raise ValueError(f"{mat}.index {m['index']} is also {mig_index[m['index']]}'s: one GPU "
                                 "names each MIG device once")
            mig_index[m["index"]] = mat
            if m.get("uuid") is not None:
                if m["uuid"] in seen["uuid"]:
                    raise ValueError(f"{mat}.uuid {_shown(m['uuid'])} is also {seen['uuid'][m['uuid']]}'s: one "
                                     "recording names each device once")
                seen["uuid"][m["uuid"]] = mat


class NvmlSource(Protocol):
    def snapshot(self) -> NvmlSnapshot: ...


def _cuda_version(v: int) -> str:
    return f"{v // 1000}.{(v % 1000) // 10}"


class LiveNvml:
    """NVML on this machine, through nvidia-ml-py. Each field is read on its own, so one
    ``NVML_ERROR_NOT_SUPPORTED`` (or a GPU falling off the bus) loses that field only."""

    def snapshot(self) -> NvmlSnapshot:
        try:
            import pynvml
        except ImportError as exc:  # pragma: no cover - a declared dependency
            return NvmlSnapshot(error=f"nvidia-ml-py not importable: {exc}")
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            return NvmlSnapshot(error=f"{type(exc).__name__}: {exc}")
        try:
            snap = NvmlSnapshot()
            snap.driver_version = _field(pynvml.nvmlSystemGetDriverVersion, {}, "driver")
            cuda = _field(pynvml.nvmlSystemGetCudaDriverVersion_v2, {}, "cuda")
            snap.cuda_driver_version = _cuda_version(cuda) if isinstance(cuda, int) else None
            snap.nvml_version = _field(pynvml.nvmlSystemGetNVMLVersion, {}, "nvml")
            count = _field(pynvml.nvmlDeviceGetCount, {}, "count") or 0
            for i in range(int(count)):
                g = GpuInfo(index=i)
                h = _field(pynvml.nvmlDeviceGetHandleByIndex, g.errors, "handle", i)
                if h is None:
                    snap.gpus.append(g)
                    continue
                g.name = _field(pynvml.nvmlDeviceGetName, g.errors, "name", h)
                arch = _field(pynvml.nvmlDeviceGetArchitecture, g.errors, "architecture", h)
                g.architecture = _ARCH.get(arch, f"arch {arch}") if isinstance(arch, int) else None
                cc = _field(pynvml.nvmlDeviceGetCudaComputeCapability, g.errors, "compute_capability", h)
                g.compute_capability = f"{cc[0]}.{cc[1]}" if isinstance(cc, tuple) else None
                mem = _field(pynvml.nvmlDeviceGetMemoryInfo, g.errors, "memory", h)
                g.memory_total_bytes = int(mem.total) if mem is not None else None
                g.vbios = _field(pynvml.nvmlDeviceGetVbiosVersion, g.errors, "vbios", h)
                pci = _field(pynvml.nvmlDeviceGetPciInfo, g.errors, "pci", h)
                g.pci_bus_id = str(pci.busId.decode() if isinstance(pci.busId, bytes) else pci.busId) if pci else None
                mig = _field(pynvml.nvmlDeviceGetMigMode, g.errors, "mig_mode", h)
                g.mig_mode = ("enabled" if mig[0] else "disabled") if isinstance(mig, (list, tuple)) else None
                pm = _field(pynvml.nvmlDeviceGetPersistenceMode, g.errors, "persistence_mode", h)
                g.persistence_mode = ("enabled" if pm else "disabled") if pm is not None else None
                g.uuid = _field(pynvml.nvmlDeviceGetUUID, g.errors, "uuid", h)
                g.serial = _field(pynvml.nvmlDeviceGetSerial, g.errors, "serial", h)
                if g.mig_mode == "enabled":
                    g.mig_devices = _mig_devices(h, g.errors)
                snap.gpus.append(g)
            return snap
        finally:
            with contextlib.suppress(pynvml.NVMLError):
                pynvml.nvmlShutdown()


def _mig_devices(handle: object, errors: dict[str, str]) -> list[dict[str, object]]:
    """The MIG devices of one GPU (empty slots skipped)."""
    import pynvml

    out: list[dict[str, object]] = []
    count = _field(pynvml.nvmlDeviceGetMaxMigDeviceCount, errors, "mig_device_count", handle) or 0
    for i in range(int(count)):
        try:
            mh = pynvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, i)
        except pynvml.NVMLError:
            continue  # an unused slot answers NVML_ERROR_NOT_FOUND
        mig_errors: dict[str, str] = {}
        mem = _field(pynvml.nvmlDeviceGetMemoryInfo, mig_errors, "memory", mh)
        out.append({"index": i, "name": _field(pynvml.nvmlDeviceGetName, mig_errors, "name", mh),
                    "memory_total_bytes": int(mem.total) if mem is not None else None,
                    "uuid": _field(pynvml.nvmlDeviceGetUUID, mig_errors, "uuid", mh)})
        for k, v in mig_errors.items():
            errors[f"mig_device_{i}_{k}"] = v
    return out


def _field(fn: object, errors: dict[str, str], name: str, *args: object) -> Any:  # pynvml is untyped
    import pynvml

    try:
        value = fn(*args)  # type: ignore[operator]
    except pynvml.NVMLError as exc:
        errors[name] = type(exc).__name__
        return None
    return value.decode() if isinstance(value, bytes) else value


class RecordedNvml:
    """Replays a recording made with ``python -m mlbom.collectors.gpu --record``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def snapshot(self) -> NvmlSnapshot:
        try:
            return NvmlSnapshot.from_json(read_bounded(self.path, 1 << 20).decode("utf-8"))
        except (ValueError, TypeError, RecursionError) as exc:
            raise InputError(self.path, f"not an NVML recording: {exc}") from exc


@dataclass(frozen=True)
class Toolkit:
    root: Path
    version: str
    source: str
    parts: tuple[tuple[str, str], ...]  # (dist name, version) of a wheel-built toolkit


def find_toolkit(candidates: list[Path] | None = None) -> Toolkit | None:
    """The CUDA toolkit at ``CUDA_HOME``/``CUDA_PATH`` or ``/usr/local/cuda``, from files."""
    roots = candidates if candidates is not None else [
        Path(p) for p in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda") if p]
    for root in roots:
        try:
            real = root.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        parts = tuple(sorted(
            (m.group(1).replace("_", "-"), m.group(2))
            for d in (real / "dist-info").glob("*.dist-info")
            if (m := re.match(r"(.+)-([0-9][^-]*)\.dist-info$", d.name))))
        vj = real / "version.json"
        if vj.is_file():
            try:
                doc = load_json(read_bounded(vj, 1 << 20), vj).value
                cuda = doc.get("cuda") if isinstance(doc, dict) else None
                ver = cuda.get("version") if isinstance(cuda, dict) else None
                if isinstance(ver, str):
                    return Toolkit(real, ver, "version.json", parts)
            except (InputError, ValueError):
                pass
        header = real / "include" / "cuda_runtime_api.h"
        if header.is_file():
            try:
                hm = re.search(rb"#define\s+CUDART_VERSION\s+(\d{1,9})\b", read_bounded(header, 4 << 20))
            except InputError:
                hm = None
            if hm:
                runtime = next((v for n, v in parts if n == "nvidia-cuda-runtime"), None)
                return Toolkit(real, runtime or _cuda_version(int(hm.group(1))),
                               "include/cuda_runtime_api.h#CUDART_VERSION", parts)
    return None


def nvcc_version(nvcc: Path, timeout: float = 20.0) -> tuple[str | None, str]:
    """``nvcc --version``'s ``V13.0.88``, run with a clean environment and a timeout (only when
    asked: it runs a program of the inventoried toolkit). ``(None, why)`` when it cannot tell."""
    import subprocess

    if not nvcc.is_file():
        return None, f"{nvcc} not found"
    try:
        proc = subprocess.run([str(nvcc), "--version"], capture_output=True, timeout=timeout, check=False,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"{nvcc} --version did not answer in {timeout:.0f} s"
    except OSError as exc:
        return None, f"{nvcc} could not be run ({exc.strerror or exc})"
    out = proc.stdout[:65536].decode("utf-8", "replace")
    m = re.search(r"release \d+\.\d+, V(\d+\.\d+\.\d+)", out)
    if proc.returncode != 0 or m is None:
        return None, f"{nvcc} --version gave no version (exit {proc.returncode})"
    return m.group(1), ""


def _nvcc_inside(toolkit: Path, ctx: Context) -> str | None:
    """Which inventoried tree (the scanned project; an input folder: an environment, a model, a
    dataset; the venv of an interpreter file named) holds the toolkit or its ``bin/nvcc`` once
    resolved, if any (red team 22d sweep: nvcc is a program; one an inventoried tree controls is
    never run). A base interpreter named (``--env /usr/bin/python3``) is the host's."""
    roots: list[tuple[str, Path]] = [("the scanned project", ctx.project)] if ctx.project is not None else []
    for given in ctx.inventoried:
        for p in (Path(os.path.abspath(given)), Path(os.path.realpath(given))):
            if p.is_dir():
                roots.append((f"the inventoried {given}", p))
            elif (p.parent / "pyvenv.cfg").exists() or (p.parent.parent / "pyvenv.cfg").exists():
                roots.append((f"the environment of {given}", p.parent.parent))
    here = [os.path.join(os.path.realpath(p), "") for p in (toolkit, toolkit / "bin" / "nvcc")]
    here.append(os.path.join(os.path.abspath(toolkit), ""))
    for what, root in roots:
        for r in {os.path.join(os.path.realpath(root), ""), os.path.join(os.path.abspath(root), "")}:
            if any(h.startswith(r) for h in here):
                return what
    return None


_LIBRARY_HEADERS = (  # (component name, header glob, macro prefix, (major, minor, patch) macro names)
    ("cudnn", "cudnn_version*.h", ("CUDNN_MAJOR", "CUDNN_MINOR", "CUDNN_PATCHLEVEL")),
    ("nccl", "nccl.h", ("NCCL_MAJOR", "NCCL_MINOR", "NCCL_PATCH")),
    ("tensorrt", "NvInferVersion.h", ("NV_TENSORRT_MAJOR", "NV_TENSORRT_MINOR", "NV_TENSORRT_PATCH")),
    ("cublas", "cublas_api.h", ("CUBLAS_VER_MAJOR", "CUBLAS_VER_MINOR", "CUBLAS_VER_PATCH")),
)


def find_cuda_libraries(include_dirs: list[Path]) -> list[tuple[str, str, Path]]:
    """cuDNN, NCCL, TensorRT and cuBLAS installed outside Python, from their version headers:
    ``(name, version, header)``; the first header found for each library wins."""
    found: dict[str, tuple[str, str, Path]] = {}
    for d in include_dirs:
        if not d.is_dir():
            continue
        for name, pattern, macros in _LIBRARY_HEADERS:
            if name in found:
                continue
            for header in sorted(d.glob(pattern)):
                try:
                    text = read_bounded(header, 4 << 20)
                except InputError:
                    continue
                parts = []
                for macro in macros:
                    m = re.search(rb"#define\s+" + macro.encode() + rb"\s+(\d+)", text)
                    if m is None:
                        break
                    parts.append(m.group(1).decode())
                if len(parts) == 3:
                    found[name] = (name, ".".join(parts), header)
                    break
    return sorted(found.values())


class GpuCollector(BaseCollector):
    """The NVIDIA driver and GPUs (NVML) and the CUDA toolkit (files) of this host, or the
    driver and GPUs of the host a recording was made on (then this host's toolkit is not read:
    it is not theirs).

    Configured by its declared options; ``source``, ``toolkit_roots`` and ``include_dirs``
    replace what is read (tests, recordings)."""

    name: ClassVar[str] = "gpu"
    patterns: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[tuple[Option, ...]] = (
        Option("gpu", bool, "Inventory this host's NVIDIA driver and GPUs (NVML) and CUDA toolkit "
                            "[default: as PROJECT_DIR/mlbom.toml says, else off].", negatable=True),
        Option("gpu_recording", Path, "Take the driver and GPUs from an NVML recording (python -m "
                                      "mlbom.collectors.gpu --record) of the host the release runs on, instead of "
                                      "this host; implies --gpu (unless --no-gpu)."),
        Option("cuda_nvcc", bool, "With --gpu: also run the toolkit's `nvcc --version` (a program of the toolkit; "
                                  "off by default)."),
        Option("include_hardware_ids", bool, "With --gpu: keep GPU UUIDs and serial numbers (omitted by default)."),
    )

    def __init__(self, source: NvmlSource | None = None, toolkit_roots: list[Path] | None = None,
                 include_hardware_ids: bool | None = False, include_dirs: list[Path] | None = None,
                 run_nvcc: bool = False, *, gpu: bool | None = None, gpu_recording: Path | None = None,
                 cuda_nvcc: bool | None = False) -> None:
        # A recording implies --gpu (said once, here); an explicit --no-gpu wins over it.
        self.active = gpu is True or (gpu is None and gpu_recording is not None)
        if gpu_recording is not None and source is None:
            source = RecordedNvml(gpu_recording)
            toolkit_roots = [] if toolkit_roots is None else toolkit_roots
        self.source = source or LiveNvml()
        self.toolkit_roots = toolkit_roots
        self.include_dirs = include_dirs
        self.run_nvcc = run_nvcc or bool(cuda_nvcc)
        self.include_hardware_ids = bool(include_hardware_ids)

    def host_inputs(self) -> tuple[Path, ...]:
        return (Path("/"),) if self.active else ()

    def collect(self, ctx: Context) -> Iterator[Collected | Fact]:
        snap = self.source.snapshot()
        if snap.error is not None:
            missing = "LibraryNotFound" in snap.error or "DriverNotLoaded" in snap.error
            yield Finding(id="gpu.no-driver" if missing else "gpu.nvml-error", severity="info",
                          message=("no NVIDIA driver found" if missing else "NVML could not be used") + f" ({snap.error})")
        else:
            gpus: list[Gpu] = []  # every device, MIG devices included, for the CUDA pass
            driver_ref = f"driver:nvidia@{snap.driver_version}"
            driver_evidence = [Evidence(fact="driver", source="NVML")]
            if snap.cuda_driver_version is None and snap.driver_version:
                from mlbom.cuda_compat import max_cuda_for_driver

                snap.cuda_driver_version = max_cuda_for_driver(snap.driver_version)
                if snap.cuda_driver_version:
                    driver_evidence.append(Evidence(fact="cuda-driver-version", source="mlbom/data/cuda-drivers.json",
                                                    field=f"driver {snap.driver_version}"))
            props = [Property(name=Prop.GPU_CUDA_DRIVER.value, value=snap.cuda_driver_version)] if snap.cuda_driver_version else []
            if snap.nvml_version:
                props.append(Property(name=Prop.GPU_NVML_VERSION.value, value=snap.nvml_version))
            yield Component(bom_ref=driver_ref, type="device-driver", name="nvidia-driver", version=snap.driver_version,
                            properties=tuple(props), evidence=tuple(driver_evidence))
            refs = []
            for g in snap.gpus:
                ref = f"gpu:{g.index}"
                refs.append(ref)
                gp: list[Property] = []
                for key, val in (("architecture", g.architecture), ("compute-capability", g.compute_capability),
                                 ("memory-bytes", g.memory_total_bytes), ("vbios", g.vbios), ("pci-bus-id", g.pci_bus_id),
                                 ("mig-mode", g.mig_mode), ("persistence-mode", g.persistence_mode)):
                    if val is not None:
                        gp.append(Property(name=Prop.GPU_FACT.value, value=f"{key}={val}"))
                if self.include_hardware_ids:
                    gp += [Property(name=Prop.GPU_FACT.value, value=f"{k}={v}") for k, v in (("uuid", g.uuid), ("serial", g.serial)) if v]
                for fname, err in sorted(g.errors.items()):
                    yield Finding(id="gpu.nvml-field", severity="info", message=f"GPU {g.index}: {fname} not available ({err})",
                                  subject=ref)
                yield Component(bom_ref=ref, type="device", name=g.name or f"GPU {g.index}", properties=tuple(gp),
                                evidence=(Evidence(fact="device", source="NVML"),))
                gpus.append(Gpu(ref=ref, name=g.name or f"GPU {g.index}", compute_capability=g.compute_capability))
                mig_refs = []
                for m in g.mig_devices:
                    mref = f"{ref}/mig:{m.get('index')}"
                    mig_refs.append(mref)
                    mp = [Property(name=Prop.GPU_FACT.value, value=f"memory-bytes={m['memory_total_bytes']}")] \
                        if m.get("memory_total_bytes") is not None else []
                    if self.include_hardware_ids and m.get("uuid"):
                        mp.append(Property(name=Prop.GPU_FACT.value, value=f"uuid={m['uuid']}"))
                    mname = str(m.get("name") or f"MIG device {m.get('index')}")
                    gpus.append(Gpu(ref=mref, name=mname, compute_capability=None))
                    yield Component(bom_ref=mref, type="device", name=mname,
                                    properties=(Property(name=Prop.GPU_FACT.value, value=f"mig-parent={ref}"), *mp),
                                    evidence=(Evidence(fact="device", source="NVML"),))
                if mig_refs:
                    yield Relation(ref=ref, depends_on=tuple(mig_refs))
            yield Relation(ref=driver_ref, depends_on=tuple(refs))
            yield GpuHost(driver_version=snap.driver_version, cuda_driver_version=snap.cuda_driver_version,
                          gpus=tuple(gpus))
        tk = find_toolkit(self.toolkit_roots)
        if tk is not None:
            tk_ref = f"cuda-toolkit@{tk.version}"
            tk_props = [Property(name=Prop.GPU_TOOLKIT_PATH.value, value=str(tk.root))]
            tk_evidence = [Evidence(fact="version", source=str(tk.root / tk.source.split("#")[0]),
                                    field=tk.source.split("#")[1] if "#" in tk.source else None)]
            inside = _nvcc_inside(tk.root, ctx) if self.run_nvcc else None
            if inside is not None:
                yield Finding(id="cuda.nvcc-not-run", severity="medium", subject=tk_ref,
                              message=(f"nvcc of the toolkit {tk.root} was not run although asked: the toolkit lies "
                                       f"inside {inside}, which this run inventories (its tree chooses the program); "
                                       "mlbom runs nvcc only from a toolkit outside the scanned project and every "
                                       "inventoried environment (docs/cuda-compatibility.md)"))
            elif self.run_nvcc:
                nvcc, problem = nvcc_version(tk.root / "bin" / "nvcc")
                if nvcc is not None:
                    tk_props.append(Property(name=Prop.GPU_NVCC_VERSION.value, value=nvcc))
                    tk_evidence.append(Evidence(fact="nvcc-version", source=str(tk.root / "bin" / "nvcc"), field="--version"))
                    from mlbom.cuda_compat import version_tuple

                    if version_tuple(nvcc)[:2] != version_tuple(tk.version)[:2]:
                        yield Finding(id="cuda.nvcc-mismatch", severity="medium", subject=tk_ref,
                                      message=(f"nvcc {nvcc} beside CUDA runtime {tk.version} in {tk.root}: code compiled "
                                               "here targets another CUDA than the one it will run with "
                                               "(docs/cuda-compatibility.md)"))
                else:
                    yield Finding(id="cuda.nvcc-unusable", severity="info", subject=tk_ref, message=f"nvcc: {problem}")
            # The toolkit's own dist-infos are parts of the toolkit, not distributions of a Python
            # environment: nested under it, with bom-refs of their own (a pip-installed
            # nvidia-cuda-runtime of the same version in the environment is another copy).
            parts = tuple(
                Component(bom_ref=f"{tk_ref}#{name}", type="library", name=name, version=ver,
                          purl=pypi_purl(name, ver),
                          evidence=(Evidence(fact="toolkit part", source=str(tk.root / "dist-info")),))
                for name, ver in tk.parts)
            yield Component(bom_ref=tk_ref, type="framework", name="cuda-toolkit", version=tk.version,
                            properties=tuple(tk_props), evidence=tuple(tk_evidence), components=parts)
            if snap.cuda_driver_version:
                from mlbom.cuda_compat import runtime_vs_driver

                f = runtime_vs_driver(f"CUDA toolkit {tk.version}", tk.version, snap.cuda_driver_version,
                                      snap.driver_version, tk_ref)
                if f is not None:
                    yield f
        yield from self._libraries([tk.root / "include"] if tk is not None else [])

    def _libraries(self, toolkit_includes: list[Path]) -> Iterator[Collected]:
        dirs = self.include_dirs if self.include_dirs is not None else [
            *toolkit_includes, Path("/usr/include"), Path("/usr/include/x86_64-linux-gnu"), Path("/usr/include/aarch64-linux-gnu")]
        for name, version, header in find_cuda_libraries(dirs):
            # names from mlbom's table, versions digits and dots: the purl is what packageurl writes
            purl = make_purl("generic", "nvidia", name, version)
            yield Component(bom_ref=purl or component_ref("library", name, version), type="library", name=name,
                            version=version, purl=purl,
                            evidence=(Evidence(fact="version", source=str(header)),))


def main(argv: list[str] | None = None) -> int:
    """``python -m mlbom.collectors.gpu --record``: print this machine's NVML snapshot as JSON
    (hardware serials and UUIDs included only with ``--include-hardware-ids``)."""
    args = sys.argv[1:] if argv is None else argv
    if "--record" not in args:
        print("usage: python -m mlbom.collectors.gpu --record [--include-hardware-ids] > recording.json", file=sys.stderr)
        return 2
    snap = LiveNvml().snapshot()
    if "--include-hardware-ids" not in args:
        for g in snap.gpus:
            g.uuid = g.serial = None
            for m in g.mig_devices:
                m["uuid"] = None
    print(snap.to_json())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
