"""Simulator versions derived from what determines the images, never bumped by hand.

The reward store keys every measurement on ``(simulator, simulator_version, ...)``, so the
version must change whenever the images could. It is a SHA-256 of the bytes of every file an
image depends on: the simulator's modules and the packaged data they read (the class list
``objects.json``, the material names ``materials.txt``, the paper's knobs ``knobs.json``).

Why the code and assets rather than a few golden renders: a hash of files is the same on every
machine and device (a render's floating point may differ in its last bits between a CPU and a
GPU, which would split one image set into several versions), costs microseconds at import
instead of a render, and covers every knob level and class, where a few renders would miss a
change that only some of them show. It errs on the safe side: an edit that cannot change an
image (a comment, a docstring) also gives a new version, so a reward is re-measured, never
served stale.

>>> v = sources_fingerprint(embedded_sources)
>>> len(v), v == sources_fingerprint(embedded_sources), v != sources_fingerprint(tdw_sources)
(12, True, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from importlib import resources
from importlib.resources.abc import Traversable

_NOT_IMAGES = frozenset({"__init__.py", "base.py", "folder.py", "fingerprint.py"})
"""Simulator modules no image depends on: re-exports, the protocol, the image-folder export."""
DATA_FILES = ("data/objects.json", "data/materials.txt", "data/knobs.json")
"""Packaged data the simulators read (paths inside the ``t2s_env`` package)."""


def _modules(folder: Traversable, prefix: str) -> list[str]:
    return sorted(
        f"{prefix}/{f.name}"
        for f in folder.iterdir()
        if f.is_file() and f.name.endswith(".py") and f.name not in _NOT_IMAGES
    )


def embedded_sources(root: Traversable) -> list[str]:
    """The embedded renderer's files: every simulator module outside ``tdw/`` but those in
    :data:`_NOT_IMAGES` (so a new module counts without being listed), and the data."""
    return [*_modules(root / "simulator", "simulator"), *DATA_FILES]


def tdw_sources(root: Traversable) -> list[str]:
    """The TDW backend's files: the shared draws, its own modules, and the data."""
    shared = ["simulator/counter_rng.py", "simulator/draws.py", "simulator/knobs.py"]
    return [*shared, *_modules(root / "simulator" / "tdw", "simulator/tdw"), *DATA_FILES]


def fingerprint(root: Traversable, names: Iterable[str]) -> str:
    """12 hex digits of a SHA-256 over ``names`` (paths under ``root``) and their bytes.

    Line endings are normalised, so a checkout with CRLF line endings has the same version.
    """
    digest = hashlib.sha256()
    for name in sorted(names):
        data = root.joinpath(*name.split("/")).read_bytes().replace(b"\r\n", b"\n")
        digest.update(name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()[:12]


def sources_fingerprint(
    sources: Callable[[Traversable], list[str]], root: Traversable | None = None
) -> str:
    """The fingerprint of a simulator's files (``root``: the ``t2s_env`` package by default)."""
    root = resources.files("t2s_env") if root is None else root
    return fingerprint(root, sources(root))


__all__ = ["DATA_FILES", "embedded_sources", "fingerprint", "sources_fingerprint", "tdw_sources"]
