"""What CUDA an installed ML framework was built for, read from its files — never imported.

- torch: ``torch/version.py`` (``cuda``, ``hip``, ``git_version``), parsed with :mod:`ast`
  (module-level constant assignments only; anything else is reported, not evaluated), and the
  ``nvidia-*`` pins in its ``Requires-Dist`` (the cuDNN/NCCL majors it expects).
- tensorflow: ``tensorflow/python/platform/build_info.py`` (``cuda_version``,
  ``cudnn_version``, ``cuda_compute_capabilities``, ``is_cuda_build``/``is_rocm_build``).
- onnxruntime: ``onnxruntime/capi/build_and_package_info.py`` (``cuda_version``) and which
  execution-provider libraries ship beside it.
- jax: the ``jax-cudaNN-plugin``/``jax-cudaNN-pjrt`` distributions; cupy: ``cupy-cudaNNx``.
- ``nvidia-*`` wheels: the CUDA family from the ``-cu12``/``-cu13`` suffix, else the version's
  major (CUDA 13 wheels such as ``nvidia-cuda-runtime`` 13.0.96 carry no suffix).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlbom.errors import InputError
from mlbom.formats.safe_read import read_bounded
from mlbom.limits import bounded_int

_MAX_PY = 256 << 10


@dataclass
class Build:
    """One framework's build facts; ``None`` where the files do not say."""

    framework: str
    version: str | None
    cuda: str | None = None  # "12.4"
    rocm: str | None = None
    cpu_only: bool = False
    cudnn_major: str | None = None  # the cuDNN major the build expects
    nccl_major: str | None = None
    archs: tuple[str, ...] = ()  # "sm_80", "compute_90" …
    providers: tuple[str, ...] = ()
    bundled: tuple[str, ...] = ()  # CUDA libraries shipped inside the package ("libcudart.so.12")
    git_version: str | None = None
    evidence: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def cuda_major(self) -> int | None:
        head = self.cuda.split(".")[0] if self.cuda else ""
        return bounded_int(head, max_digits=8)


def _constants(path: Path) -> tuple[dict[str, object], list[str]]:
    """Module-level ``NAME = literal`` (and annotated) assignments of a Python file, parsed, not run."""
    try:
        tree = ast.parse(read_bounded(path, _MAX_PY), filename=str(path))
    except InputError as exc:
        return {}, [exc.detail]
    except (SyntaxError, ValueError) as exc:
        return {}, [f"not valid Python ({exc.__class__.__name__}: {str(exc)[:200]})"]
    except (RecursionError, MemoryError) as exc:  # CPython's parser: nesting too deep for its stack
        return {}, [f"not read: nested too deeply for the Python parser ({exc.__class__.__name__})"]
    out: dict[str, object] = {}
    problems: list[str] = []
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for t in targets:
            if isinstance(t, ast.Name) and value is not None:
                try:
                    out[t.id] = _literal(value)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    problems.append(f"{t.id} is not a literal (line {node.lineno}); not evaluated")
    return out, problems


def _literal(node: ast.expr) -> object:
    """A literal, or ``collections.OrderedDict([...])``/``dict([...])`` of literal pairs (how
    TensorFlow writes its build_info) — still never evaluated as code."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
        if name in ("OrderedDict", "dict"):
            pairs = ast.literal_eval(node.args[0])
            return dict(pairs)
    return ast.literal_eval(node)


def _major(v: object) -> str | None:
    m = re.match(r"\s*(\d{1,8})(?!\d)", str(v)) if v is not None else None
    return m.group(1) if m else None


def torch_build(site: Path, version: str | None, requires: list[str]) -> Build | None:
    path = site / "torch" / "version.py"
    if not path.is_file():
        return None
    consts, problems = _constants(path)
    b = Build("torch", version, evidence="torch/version.py", problems=problems)
    cuda, hip = consts.get("cuda"), consts.get("hip") or consts.get("rocm")
    if not consts and not problems:
        b.problems.append("no version facts found")
    if cuda is not None and not isinstance(cuda, str):
        b.problems.append(f"cuda is {type(cuda).__name__}, expected a string")
    b.cuda = cuda if isinstance(cuda, str) else None
    b.rocm = hip if isinstance(hip, str) else None
    known = "cuda" in consts and ("hip" in consts or "rocm" in consts)
    b.cpu_only = known and b.cuda is None and b.rocm is None
    git = consts.get("git_version")
    b.git_version = git if isinstance(git, str) and re.fullmatch(r"[0-9a-f]{7,40}", git) else None
    b.bundled = bundled_cuda_libs(site / "torch" / "lib")
    for req in requires:
        m = re.match(r"\s*nvidia-(cudnn|nccl)-cu\d+\s*==\s*(\d+)", req)
        if m:
            setattr(b, f"{m.group(1)}_major", m.group(2))
    return b


_CUDA_LIB = re.compile(r"lib(cudart|cudnn|nccl|cublas|cublasLt|cufft|curand|cusolver|cusparse|nvrtc|nvJitLink|nvToolsExt)"
                       r"(?:-[0-9a-f]{8})?\.so\.(\d+)")


def bundled_cuda_libs(lib_dir: Path) -> tuple[str, ...]:
    """CUDA libraries a wheel ships in its own ``lib/`` (``libcudart.so.12``; auditwheel's hashed
    names folded), which it loads before any ``nvidia-*`` wheel or system copy."""
    if not lib_dir.is_dir():
        return ()
    found = set()
    try:
        for p in lib_dir.iterdir():
            m = _CUDA_LIB.match(p.name)
            if m:
                found.add(f"lib{m.group(1)}.so.{m.group(2)}")
    except OSError:
        return ()
    return tuple(sorted(found))


def tensorflow_build(site: Path, version: str | None) -> Build | None:
    path = site / "tensorflow" / "python" / "platform" / "build_info.py"
    if not path.is_file():
        return None
    consts, problems = _constants(path)
    info = consts.get("build_info")
    b = Build("tensorflow", version, evidence="tensorflow/python/platform/build_info.py", problems=problems)
    if not isinstance(info, dict):
        b.problems.append("no build_info dictionary")
        return b
    if info.get("is_cuda_build"):
        b.cuda = str(info.get("cuda_version")) if info.get("cuda_version") else None
        b.cudnn_major = _major(info.get("cudnn_version"))
        caps = info.get("cuda_compute_capabilities")
        b.archs = tuple(str(c) for c in caps) if isinstance(caps, (list, tuple)) else ()
    elif info.get("is_rocm_build"):
        b.rocm = str(info.get("rocm_version") or "yes")
    else:
        b.cpu_only = True
    return b


def onnxruntime_build(site: Path, name: str, version: str | None) -> Build | None:
    capi = site / "onnxruntime" / "capi"
    if not capi.is_dir():
        return None
    consts, problems = _constants(capi / "build_and_package_info.py") if (capi / "build_and_package_info.py").is_file() else ({}, [])
    providers = tuple(sorted({m.group(1) for p in capi.glob("libonnxruntime_providers_*")
                              if (m := re.match(r"libonnxruntime_providers_([a-z_]+?)\.", p.name)) and m.group(1) != "shared"}))
    b = Build("onnxruntime", version, evidence="onnxruntime/capi", problems=problems, providers=providers)
    cuda = consts.get("cuda_version")
    b.cuda = str(cuda) if cuda and "cuda" in providers else None
    b.cudnn_major = _major(consts.get("cudnn_version"))
    b.cpu_only = not any(p in providers for p in ("cuda", "tensorrt", "rocm", "migraphx"))
    return b


def wheel_family(name: str, version: str | None) -> int | None:
    """The CUDA major an NVIDIA or CUDA-flavoured wheel belongs to (None: not such a wheel)."""
    n = name.lower().replace("_", "-")
    for pattern in (r"nvidia-.+-cu(\d{1,8})$", r"jax-cuda(\d{1,8})-(?:plugin|pjrt)$", r"cupy-cuda(\d{1,8})x$"):
        m = re.match(pattern, n)
        if m:
            return int(m.group(1))
    if n.startswith("nvidia-") and n not in ("nvidia-ml-py", "nvidia-ml-py3", "nvidia-pyindex") and version:
        major = _major(version)
        # CUDA 13 wheels dropped the suffix; their versions follow the toolkit (13.0.96)
        if n.startswith(("nvidia-cuda-", "nvidia-cublas", "nvidia-cufft", "nvidia-curand", "nvidia-cusolver",
                         "nvidia-cusparse", "nvidia-nvjitlink", "nvidia-nvtx", "nvidia-npp", "nvidia-nvjpeg")) and major:
            return int(major)
    return None


def cudnn_major_of(name: str, version: str | None) -> tuple[str, str] | None:
    """``("cudnn"|"nccl", major)`` for an installed nvidia-cudnn/nccl wheel."""
    m = re.match(r"nvidia-(cudnn|nccl)-cu\d+$", name.lower().replace("_", "-"))
    if m and version and _major(version):
        return m.group(1), str(_major(version))
    return None
