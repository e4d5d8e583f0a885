"""Typed facts: what a collector learnt that the post-collection passes
(:mod:`mlbom.collectors.passes`) need, as values rather than as property strings to parse back.

A collector yields facts beside its components; they do not go into the BOM themselves. A
leaf module: it imports nothing of mlbom.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class Fact:
    """Base class of the facts a collector may yield."""


@dataclass(frozen=True)
class InstalledPackage:
    """An active (not shadowed) distribution of an environment."""

    ref: str
    name: str
    version: str | None


@dataclass(frozen=True)
class PythonEnvironment(Fact):
    """One Python environment: how its markers evaluate and what is installed (active)."""

    markers: Mapping[str, str]
    packages: tuple[InstalledPackage, ...]


@dataclass(frozen=True)
class DeclaredPackage:
    """A package a requirements or lock file declares. ``project_root`` marks the project itself
    (uv's ``source = { virtual = "." }``, an editable or directory root nobody requires)."""

    ref: str
    name: str
    version: str | None
    requirement: str | None
    marker: str | None
    where: str
    project_root: bool = False


@dataclass(frozen=True)
class Declaration(Fact):
    """What one requirements or lock file declares. ``full_locks`` names the lock formats among
    them that list a whole environment (so an installed package missing there is unlocked)."""

    packages: tuple[DeclaredPackage, ...]
    full_locks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gpu:
    ref: str
    name: str
    compute_capability: str | None


@dataclass(frozen=True)
class GpuHost(Fact):
    """The NVIDIA driver and GPUs the release runs on (this host, or a recording of one)."""

    driver_version: str | None
    cuda_driver_version: str | None
    gpus: tuple[Gpu, ...] = field(default=())


@dataclass(frozen=True)
class FrameworkBuild(Fact):
    """What a framework distribution (torch, TensorFlow, ONNX Runtime) was built for, read from
    its files: ``build`` is ``cuda-X.Y``, ``rocm-X.Y`` or ``cpu``; ``archs`` its GPU code list."""

    ref: str
    name: str
    version: str | None
    build: str
    archs: tuple[str, ...] = ()
