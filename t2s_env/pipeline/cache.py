"""Pre-trained backbones, identified by what made them and kept for scoring more tasks.

Pre-training does not depend on the downstream task: a backbone is fixed by the configuration,
the simulator (and its version), the recipe and the seed (:class:`BackboneKey`). The
:class:`BackboneCache` keeps the last few backbones in memory and, given a folder, every one
(up to ``max_files``) as a ``state_dict`` file, written atomically and read back with
``torch.load(weights_only=True)`` (no code runs when a file is read). Scoring a cached backbone
on one more task costs only its feature extraction and k-NN.

>>> key = BackboneKey("1_1_1_1_1_3_0_1_1", "toy", "1", "tiny@0123456789", 0)
>>> key.id
'toy@1/tiny@0123456789/1_1_1_1_1_3_0_1_1/seed=0'
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from t2s_env.files import write_atomic
from t2s_env.pretrain import build_backbone


@dataclass(frozen=True)
class BackboneKey:
    """What identifies a pre-trained backbone (every task scored on it shares it)."""

    config: str
    """The configuration's key string."""
    simulator: str
    simulator_version: str
    recipe: str
    """The recipe's :attr:`~t2s_env.pretrain.Recipe.id`."""
    seed: int

    @property
    def id(self) -> str:
        """A readable unique string: what the reward store records as an evaluation's backbone."""
        return (
            f"{self.simulator}@{self.simulator_version}/{self.recipe}/{self.config}/"
            f"seed={int(self.seed)}"
        )

    @property
    def filename(self) -> str:
        """The cache file name (a hash of :attr:`id`: versions may hold any character)."""
        return hashlib.sha256(self.id.encode()).hexdigest()[:24] + ".pt"


@dataclass
class PretrainedBackbone:
    """A backbone and how it was made."""

    key: BackboneKey
    model: nn.Module
    arch: str
    training: dict[str, Any]
    """``render`` and ``pretrain`` seconds, ``rendered_images``, ``pretrain_images_per_second``,
    ``final_loss``: measured when it was trained, kept with it in the cache."""
    pretrained_here: bool = True
    """``True`` if this call trained it, ``False`` if it came from a cache."""


class BackboneCache:
    """Pre-trained backbones by :class:`BackboneKey`: the last ``in_memory`` in this process, and
    every one (the ``max_files`` most recently used) in ``folder`` when one is given.

    Args:
        folder: Where ``state_dict`` files go (created if missing); ``None``: memory only.
        in_memory: Backbones kept in this process (a ResNet-18 takes about 45 MB).
        max_files: Files kept in ``folder``; the least recently used beyond it are deleted.
    """

    def __init__(
        self, folder: str | Path | None = None, in_memory: int = 2, max_files: int | None = 64
    ) -> None:
        if in_memory < 0 or (max_files is not None and max_files < 1):
            raise ValueError("in_memory must be >= 0 and max_files >= 1 or None")
        self.folder = None if folder is None else Path(folder).expanduser()
        self.in_memory = int(in_memory)
        self.max_files = max_files
        self._memory: OrderedDict[str, PretrainedBackbone] = OrderedDict()

    def __getstate__(self) -> dict[str, Any]:  # a worker process starts with an empty memory
        return {"folder": self.folder, "in_memory": self.in_memory, "max_files": self.max_files}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"BackboneCache({str(self.folder) if self.folder else None!r})"

    def _path(self, key: BackboneKey) -> Path | None:
        return None if self.folder is None else self.folder / key.filename

    def get(self, key: BackboneKey) -> PretrainedBackbone | None:
        """The cached backbone of ``key`` (``pretrained_here`` False), or ``None``."""
        if key.id in self._memory:
            self._memory.move_to_end(key.id)
            found = self._memory[key.id]
            return PretrainedBackbone(key, found.model, found.arch, found.training, False)
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            meta = json.loads(blob["meta"])
            if meta["key"] != key.id:
                return None
            state = blob["state_dict"]
            model = build_backbone(meta["arch"], int(state["fc.weight"].shape[0]), key.seed)
            model.load_state_dict(state)
        except Exception:  # a truncated or foreign file is a cache miss, never an error
            return None
        model.eval()
        os.utime(path)  # most recently used
        backbone = PretrainedBackbone(key, model, meta["arch"], meta["training"], False)
        self._remember(backbone)
        return backbone

    def put(self, backbone: PretrainedBackbone) -> None:
        """Keep ``backbone`` (in memory; and on disk, atomically, when there is a folder)."""
        self._remember(backbone)
        path = self._path(backbone.key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"key": backbone.key.id, "arch": backbone.arch, "training": backbone.training}
        state = {k: v.detach().cpu() for k, v in backbone.model.state_dict().items()}
        write_atomic(path, lambda p: torch.save({"meta": json.dumps(meta), "state_dict": state}, p))
        self._prune()

    def _remember(self, backbone: PretrainedBackbone) -> None:
        if self.in_memory == 0:
            return
        self._memory[backbone.key.id] = backbone
        self._memory.move_to_end(backbone.key.id)
        while len(self._memory) > self.in_memory:
            self._memory.popitem(last=False)

    def _prune(self) -> None:
        if self.folder is None or self.max_files is None:
            return
        files = sorted(self.folder.glob("*.pt"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[self.max_files :]:
            old.unlink(missing_ok=True)

    def __len__(self) -> int:
        """Backbones on disk (in memory when there is no folder)."""
        if self.folder is None:
            return len(self._memory)
        return len(list(self.folder.glob("*.pt"))) if self.folder.is_dir() else 0
