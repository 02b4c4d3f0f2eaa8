"""Simulator versions derived from what determines the images, never bumped by hand.

The reward store keys every measurement on ``(simulator, simulator_version, ...)``, so the
version must change whenever the images could. Two fingerprints serve that:

- **The code version** (:func:`sources_fingerprint`): a SHA-256 of the bytes of every file an
  image depends on: the simulator's modules and the packaged data they read (the class list
  ``objects.json``, the material names ``materials.txt``, the paper's knobs ``knobs.json``). It
  costs microseconds and is the same on every machine, but it also moves with a refactor or a
  comment that changes no pixel.
- **The image version** (:func:`image_fingerprint`): a SHA-256 of a fixed reference render
  (:data:`REFERENCE_RENDER`: every option of every knob at least once, 4 classes, 2 images per
  class, 32 px, seed 0, on the CPU; under two seconds). A refactor that leaves every pixel
  unchanged keeps it.

The embedded simulator's ``version`` is its image version. So that every machine gives the
same version (a render's floating point may differ in its last bits between machines) and no
process pays for the render, the image version of each code version is recorded in the package
(``data/simulator_versions.json``, written by ``python scripts/record_simulator_version.py``, which
renders the reference set); a code version not recorded there (an edited simulator) renders
it at first use. The tests check that the record holds for the current code, and that every
packaged table's simulator version has the current images (or that the record accepts the
change).

>>> v = sources_fingerprint(embedded_sources)
>>> len(v), v == sources_fingerprint(embedded_sources), v != sources_fingerprint(tdw_sources)
(12, True, True)
>>> image_version_of("embedded", "ea5e93aa5e2b") == recorded_image_versions("embedded")[v]
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

_NOT_IMAGES = frozenset({"__init__.py", "base.py", "folder.py", "fingerprint.py"})
"""Simulator modules no image depends on: re-exports, the protocol, the image-folder export."""
DATA_FILES = ("data/objects.json", "data/materials.txt", "data/knobs.json")
"""Packaged data the simulators read (paths inside the ``t2s_env`` package)."""
VERSIONS_FILE = "simulator_versions.json"
"""In ``t2s_env.data``: each simulator's code versions and the image version of each."""
REFERENCE_RENDER: Mapping[str, int] = {
    "images_per_class": 2,
    "classes": 4,
    "seed": 0,
    "resolution": 32,
}
"""How each configuration of :func:`reference_configs` is rendered for :func:`image_fingerprint`."""


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


def reference_configs(space: Any) -> list[dict[str, object]]:
    """Configurations of ``space`` (a :class:`~t2s_env.space.KnobSpace`) that together show
    every option of every knob: the ``j``-th sets each knob to its option ``j`` (modulo its
    count), as many as the largest knob has options."""
    n = max(len(k.options) for k in space.knobs)
    return [{k.name: k.options[j % len(k.options)] for k in space.knobs} for j in range(n)]


def image_fingerprint(simulator: Any) -> str:
    """12 hex digits of a SHA-256 over the reference render of ``simulator``: each of
    :func:`reference_configs` rendered as :data:`REFERENCE_RENDER` says (images and labels)."""
    digest = hashlib.sha256()
    for config in reference_configs(simulator.space):
        batch = simulator.render(config, **REFERENCE_RENDER)
        digest.update(repr(sorted(config.items())).encode())
        digest.update(batch.images.tobytes() + batch.labels.astype("<i8").tobytes())
    return digest.hexdigest()[:12]


def _versions_record() -> dict[str, Any]:
    text = (resources.files("t2s_env.data") / VERSIONS_FILE).read_text()
    return json.loads(text)


def recorded_image_versions(simulator: str) -> dict[str, str]:
    """``{code version: image version}`` of ``simulator`` as recorded in the package."""
    return dict(_versions_record().get(simulator, {}).get("code_to_image", {}))


def accepted_image_changes(simulator: str) -> list[dict[str, str]]:
    """Recorded image changes that leave measurements valid: ``{"from", "to", "why"}``."""
    return list(_versions_record().get(simulator, {}).get("accepted_image_changes", []))


def image_version_of(simulator: str, version: str) -> str:
    """The image version of a recorded code version (a table's provenance, an old store), or
    ``version`` itself (already an image version, or not recorded)."""
    return recorded_image_versions(simulator).get(str(version), str(version))


def same_images(simulator: str, version: str, current: str) -> bool:
    """Whether measurements made with ``simulator`` at ``version`` hold for the ``current``
    image version: the same images, or a change the record accepts."""
    old = image_version_of(simulator, version)
    return old == current or any(
        c.get("from") == old and c.get("to") == current for c in accepted_image_changes(simulator)
    )


def record_image_version(simulator_name: str, code: str, image: str, path: Any = None) -> bool:
    """Add ``code -> image`` to the versions file (the package's by default); ``True`` if new."""
    path = resources.files("t2s_env.data") / VERSIONS_FILE if path is None else path
    record = json.loads(path.read_text())
    versions = record.setdefault(simulator_name, {}).setdefault("code_to_image", {})
    if versions.get(code) == image:
        return False
    versions[code] = image
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return True


__all__ = [
    "DATA_FILES",
    "REFERENCE_RENDER",
    "VERSIONS_FILE",
    "accepted_image_changes",
    "embedded_sources",
    "fingerprint",
    "image_fingerprint",
    "image_version_of",
    "record_image_version",
    "recorded_image_versions",
    "reference_configs",
    "same_images",
    "sources_fingerprint",
    "tdw_sources",
]
