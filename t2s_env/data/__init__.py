"""Data released with the Task2Sim paper, shipped inside the package.

Every loader reads a bundled file through :mod:`importlib.resources` and raises
:class:`DataFileError` naming the file when it is missing or corrupt. Provenance, formats and
units are documented in ``t2s_env/data/README.md``; the files are produced from the authors'
release by ``scripts/convert_paper_data.py``.

>>> table = load_reward_table()
>>> table.accuracy.shape, table.accuracy.dtype
((20, 256), dtype('float64'))
>>> load_task2vec().embedding.shape
(20, 9600)
>>> split = load_task_split()
>>> len(split["seen"]), len(split["unseen"])
(12, 8)
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DataFileError",
    "TASK2VEC_DIM",
    "ReplicateTable",
    "RewardTable",
    "Task2VecTable",
    "UntrainedReference",
    "load_cpu_table",
    "load_cpu_untrained",
    "load_knob_records",
    "load_live_task2vec",
    "load_materials",
    "load_object_classes",
    "load_reward_table",
    "load_task2vec",
    "load_task_split",
    "data_path",
    "read_replicate_table",
    "read_replicate_table_file",
    "read_untrained_reference",
]


class DataFileError(RuntimeError):
    """A packaged (or user-supplied) data file is missing, cannot be read, or holds data of the
    wrong shape, range or kind; the message names the file and what is wrong."""


TASK2VEC_DIM = 9600
"""Numbers in a Task2Vec vector of the ResNet-18 probe (one per filter of its 20 convolutions
and 20 batch-norms: :mod:`t2s_env.task2vec.layout`); every shipped vector has this size."""


def data_path(name: str) -> Traversable:
    """A bundled data file, read through :mod:`importlib.resources` (from any install)."""
    return resources.files("t2s_env.data") / name


def _read_text(path: Path | Traversable) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"cannot read data file {path}: {exc}") from exc


def _read_json(path: Path | Traversable) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"data file {path} is not valid JSON: {exc}") from exc


def _read_npz(
    path: Path | Traversable, fields: dict[str, tuple[str, int]]
) -> dict[str, np.ndarray]:
    """Read ``fields`` ({name: (dtype kind(s), ndim)}) from an npz file, checking each."""
    try:
        with path.open("rb") as file, np.load(file, allow_pickle=False) as npz:
            out = {}
            for name, (kinds, ndim) in fields.items():
                if name not in npz.files:
                    raise DataFileError(f"data file {path} has no array {name!r} ({npz.files})")
                arr = npz[name]
                if arr.dtype.kind not in kinds or arr.ndim != ndim:
                    raise DataFileError(
                        f"data file {path}: array {name!r} has dtype {arr.dtype} and "
                        f"{arr.ndim} dims, expected kind {kinds!r} and {ndim} dims"
                    )
                out[name] = arr
            return out
    except DataFileError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataFileError(f"cannot read data file {path}: {exc}") from exc


SIGNED_VECTORS = ("conv-log-z",)
"""Task2Vec vector forms whose entries may be negative (``Task2VecConfig.vector``): the live
probe's per-convolution z-scores of the log-Fisher. A table whose provenance names one of them
(``provenance.task2vec.vector``) is read with signed vectors."""


def _check_embedding(path: object, emb: np.ndarray, n_tasks: int, signed: bool = False) -> None:
    """Task2Vec vectors: one finite, non-zero row of :data:`TASK2VEC_DIM` numbers per task,
    non-negative unless ``signed`` (a Fisher diagonal is a mean of squares; a
    :data:`SIGNED_VECTORS` form is not)."""
    if emb.shape != (n_tasks, TASK2VEC_DIM):
        raise DataFileError(
            f"data file {path}: the Task2Vec embedding has shape {emb.shape}, expected "
            f"({n_tasks} tasks, {TASK2VEC_DIM}) (a ResNet-18 probe's vector per task)"
        )
    if signed and not np.all(np.isfinite(emb)):
        raise DataFileError(f"data file {path}: the Task2Vec embedding must be finite")
    if not signed and (not np.all(np.isfinite(emb)) or np.any(emb < 0)):
        raise DataFileError(
            f"data file {path}: the Task2Vec embedding must be finite and >= 0 (a Fisher diagonal)"
        )
    zero = np.flatnonzero(~emb.any(axis=1))
    if zero.size:
        raise DataFileError(
            f"data file {path}: the Task2Vec vector of task row {int(zero[0])} is all zeros"
        )


def _check_names(path: object, what: str, names: np.ndarray) -> None:
    if names.size == 0:
        raise DataFileError(f"data file {path}: it names no {what}")
    if any(not str(n).strip() for n in names.tolist()):
        raise DataFileError(f"data file {path}: a {what} name is empty")
    dup = _first_repeat([str(n) for n in names.tolist()])
    if dup is not None:
        raise DataFileError(f"data file {path}: it names {what} {dup!r} more than once")


def _first_repeat(names: Sequence[str]) -> str | None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            return n
        seen.add(n)
    return None


@dataclass(frozen=True)
class RewardTable:
    """The measured reward table.

    Attributes:
        tasks: Task names, seen tasks first (shape ``(T,)``).
        keys: Configuration keys in the knob space's flat-index order (shape ``(C,)``).
        accuracy: 5-NN top-1 accuracy in **percent**, ``accuracy[t, c]`` (float64, ``(T, C)``).
    """

    tasks: tuple[str, ...]
    keys: tuple[str, ...]
    accuracy: np.ndarray

    def __post_init__(self) -> None:
        # a repeated name would make every row (column) after its first unreachable
        for what, names in (("task", self.tasks), ("configuration key", self.keys)):
            dup = _first_repeat(names)
            if dup is not None:
                raise ValueError(f"the reward table names {what} {dup!r} more than once")

    def task_index(self, task: str) -> int:
        """Row of ``task``; raises ``KeyError`` listing the known tasks."""
        try:
            return self.tasks.index(task)
        except ValueError:
            raise KeyError(f"unknown task {task!r}; known tasks: {list(self.tasks)}") from None

    def to_dict(self) -> dict[str, dict[str, float]]:
        """``{task: {key: accuracy_percent}}``, the layout of the authors' ``reward_db.json``."""
        return {
            t: {k: float(v) for k, v in zip(self.keys, row, strict=True)}
            for t, row in zip(self.tasks, self.accuracy, strict=True)
        }

    def save(self, path: str | Path) -> None:
        """Write the table in the packaged npz format."""
        np.savez_compressed(
            path, tasks=np.array(self.tasks), keys=np.array(self.keys), accuracy=self.accuracy
        )


@dataclass(frozen=True)
class Task2VecTable:
    """Task2Vec embeddings (``hessian / scale``, not normalised), float32 ``(T, 9600)``."""

    tasks: tuple[str, ...]
    embedding: np.ndarray


@dataclass(frozen=True)
class ReplicateTable:
    """A reward table measured several times per cell (one pre-training per seed).

    Attributes:
        tasks: Task names (shape ``(T,)``).
        keys: Configuration keys in the knob space's flat-index order (shape ``(C,)``).
        seeds: The pre-training seeds (shape ``(S,)``).
        reward: 5-NN top-1 accuracy as a **fraction**, ``reward[t, s, c]`` (float64,
            ``(T, S, C)``); NaN where seed ``s`` of configuration ``c`` was not measured. Every
            cell has at least one measured seed.
        embedding: Task2Vec vectors of the tasks (float32 ``(T, 9600)``, not normalised).
        split: ``{"seen": names, "unseen": names}``.
        provenance: How the table was measured (recipe, simulator version, commit, machine,
            dates, Task2Vec settings), as recorded when it was packaged.
        fidelities: The epoch budgets at which every pre-training was also evaluated, ascending,
            the last the recipe's full budget (``(F,)``); ``None`` on a table without learning
            curves. ``fidelities``, ``curves`` and ``cost_seconds`` come together or not at all.
        curves: 5-NN accuracy (fraction) at each fidelity, ``curves[t, s, c, f]`` (float64,
            ``(T, S, C, F)``); ``curves[..., -1]`` equals ``reward`` (NaN where it is NaN).
        cost_seconds: CPU seconds of the full pre-training of each (seed, configuration): render,
            training and the curve evaluations (one pre-training serves every task), float64
            ``(S, C)``; NaN where that seed did not pre-train that configuration.
    """

    tasks: tuple[str, ...]
    keys: tuple[str, ...]
    seeds: tuple[int, ...]
    reward: np.ndarray
    embedding: np.ndarray
    split: dict[str, tuple[str, ...]]
    provenance: dict[str, Any]
    fidelities: tuple[float, ...] | None = None
    curves: np.ndarray | None = None
    cost_seconds: np.ndarray | None = None

    def __post_init__(self) -> None:
        for what, names in (("task", self.tasks), ("configuration key", self.keys)):
            dup = _first_repeat(names)
            if dup is not None:
                raise ValueError(f"the replicate table names {what} {dup!r} more than once")
        shape = (len(self.tasks), len(self.seeds), len(self.keys))
        if self.reward.shape != shape:
            raise ValueError(f"reward has shape {self.reward.shape}, expected {shape}")
        if self.embedding.ndim != 2 or self.embedding.shape[0] != len(self.tasks):
            raise ValueError(
                f"embedding has shape {self.embedding.shape}, expected one row per task"
            )
        curve_arrays = (self.fidelities, self.curves, self.cost_seconds)
        if any(a is None for a in curve_arrays) and any(a is not None for a in curve_arrays):
            raise ValueError(
                "fidelities, curves and cost_seconds come together (a table with learning "
                "curves) or not at all"
            )
        if self.fidelities is not None:
            shape4 = (*shape, len(self.fidelities))
            if self.curves.shape != shape4:  # type: ignore[union-attr]
                raise ValueError(f"curves has shape {self.curves.shape}, expected {shape4}")  # type: ignore[union-attr]
            if self.cost_seconds.shape != shape[1:]:  # type: ignore[union-attr]
                raise ValueError(
                    f"cost_seconds has shape {self.cost_seconds.shape}, expected {shape[1:]}"  # type: ignore[union-attr]
                )
            if not np.array_equal(self.curves[..., -1], self.reward, equal_nan=True):  # type: ignore[index]
                raise ValueError("curves at the last fidelity must equal reward (NaN where it is)")

    @property
    def has_curves(self) -> bool:
        """Whether the table holds learning curves and costs (:attr:`fidelities`)."""
        return self.fidelities is not None

    def mean(self) -> np.ndarray:
        """Mean over the measured seeds, ``(T, C)`` fractions."""
        measured = np.isfinite(self.reward)
        total = np.where(measured, self.reward, 0.0).sum(axis=1)
        return total / measured.sum(axis=1)


def read_replicate_table(
    npz: str | Path | Traversable, meta: str | Path | Traversable
) -> ReplicateTable:
    """Read a replicate table: the arrays from ``npz`` (``tasks``, ``keys``, ``seeds``,
    ``reward``, ``embedding``, and optionally the learning curves: :data:`CURVE_ARRAYS`), the
    split and provenance from the JSON file ``meta``. Every array is checked; a bad one is a
    :class:`DataFileError` naming the file and the array."""
    npz = Path(npz) if isinstance(npz, str) else npz
    meta = Path(meta) if isinstance(meta, str) else meta
    arrs = _read_npz(
        npz,
        {"tasks": ("U", 1), "keys": ("U", 1), "seeds": ("iu", 1), "reward": ("f", 3),
         "embedding": ("f", 2)},
    )  # fmt: skip
    info = _read_json(meta)
    if not isinstance(info, dict) or not isinstance(info.get("split"), dict):
        raise DataFileError(f"data file {meta} must hold an object with a 'split'")
    _check_names(npz, "task", arrs["tasks"])
    _check_names(npz, "configuration", arrs["keys"])
    seeds = arrs["seeds"]
    if seeds.size == 0:
        raise DataFileError(
            f"data file {npz}: it holds no seed (a replicate table needs at least one measured "
            "seed per cell)"
        )
    if np.any(seeds < 0) or len(np.unique(seeds)) != len(seeds):
        raise DataFileError(f"data file {npz}: seeds must be distinct integers >= 0")
    shape = (len(arrs["tasks"]), len(seeds), len(arrs["keys"]))
    if arrs["reward"].shape != shape:
        raise DataFileError(
            f"data file {npz}: reward has shape {arrs['reward'].shape}, expected {shape} "
            "(tasks, seeds, configurations)"
        )
    reward = arrs["reward"].astype(np.float64, copy=False)
    measured = np.isfinite(reward)
    if np.any(np.isinf(reward)) or np.any(reward[measured] < 0) or np.any(reward[measured] > 1):
        raise DataFileError(
            f"data file {npz}: rewards must be fractions in [0, 1] (NaN where not measured); "
            f"found values up to {np.nanmax(np.where(np.isinf(reward), np.nan, reward)):.4g}"
            + (" (percentages? divide by 100)" if np.nanmax(reward[measured]) > 1 else "")
        )
    if reward.ndim == 3 and reward.size and not measured.any(axis=1).all():
        t, c = np.argwhere(~measured.any(axis=1))[0]
        raise DataFileError(
            f"data file {npz}: task {arrs['tasks'][t]!r}, configuration "
            f"{arrs['keys'][c]!r} has no measured seed"
        )
    emb = arrs["embedding"].astype(np.float32, copy=False)
    task2vec = (info.get("provenance") or {}).get("task2vec")
    signed = isinstance(task2vec, dict) and task2vec.get("vector") in SIGNED_VECTORS
    _check_embedding(npz, emb, len(arrs["tasks"]), signed)
    tasks = tuple(arrs["tasks"].tolist())
    split = _check_split(meta, info["split"], tasks)
    fidelities, curves, cost = _read_curves(npz, reward, arrs["tasks"], arrs["keys"], seeds)
    for a in (reward, emb):
        a.setflags(write=False)
    try:
        return ReplicateTable(
            tasks, tuple(arrs["keys"].tolist()), tuple(int(s) for s in arrs["seeds"]), reward,
            emb, split, dict(info.get("provenance") or {}), fidelities, curves, cost,
        )  # fmt: skip
    except ValueError as exc:
        raise DataFileError(f"data file {npz}: {exc}") from exc


CURVE_ARRAYS = ("fidelities", "curves", "cost_seconds")
"""The optional arrays of a replicate table with learning curves (:class:`ReplicateTable`)."""


def _read_curves(
    npz: Path | Traversable,
    reward: np.ndarray,
    tasks: np.ndarray,
    keys: np.ndarray,
    seeds: np.ndarray,
) -> tuple[tuple[float, ...] | None, np.ndarray | None, np.ndarray | None]:
    """The optional :data:`CURVE_ARRAYS` of ``npz``, checked against its ``reward``:
    ``(None, None, None)`` when the file has none of them."""
    try:
        with npz.open("rb") as file, np.load(file, allow_pickle=False) as z:
            present = [n for n in CURVE_ARRAYS if n in z.files]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataFileError(f"cannot read data file {npz}: {exc}") from exc
    if not present:
        return None, None, None
    if len(present) != len(CURVE_ARRAYS):
        missing = [n for n in CURVE_ARRAYS if n not in present]
        raise DataFileError(
            f"data file {npz}: it has {present} but no {missing} (a table with learning curves "
            f"holds all of {list(CURVE_ARRAYS)})"
        )
    arrs = _read_npz(npz, {"fidelities": ("iuf", 1), "curves": ("f", 4), "cost_seconds": ("f", 2)})
    fid = arrs["fidelities"].astype(np.float64, copy=False)
    if fid.size == 0 or not np.all(np.isfinite(fid)) or np.any(fid <= 0):
        raise DataFileError(
            f"data file {npz}: array 'fidelities' must hold finite epoch budgets > 0, got "
            f"{fid.tolist()}"
        )
    if np.any(np.diff(fid) <= 0):
        raise DataFileError(
            f"data file {npz}: array 'fidelities' must be strictly ascending, got {fid.tolist()}"
        )
    curves = arrs["curves"].astype(np.float64, copy=False)
    shape = (*reward.shape, len(fid))
    if curves.shape != shape:
        raise DataFileError(
            f"data file {npz}: array 'curves' has shape {curves.shape}, expected {shape} "
            "(tasks, seeds, configurations, fidelities)"
        )
    measured = np.isfinite(reward)
    finite = np.isfinite(curves)
    if np.any(finite != measured[..., None]):
        t, s, c, f = np.argwhere(finite != measured[..., None])[0]
        raise DataFileError(
            f"data file {npz}: array 'curves' at task {str(tasks[t])!r}, seed {int(seeds[s])}, "
            f"configuration {str(keys[c])!r}, fidelity {fid[f]:g} is "
            f"{'NaN' if measured[t, s, c] else 'measured'} where reward is "
            f"{'measured' if measured[t, s, c] else 'NaN'} (a curve is finite exactly where its "
            "cell was measured)"
        )
    if np.any(curves[finite] < 0) or np.any(curves[finite] > 1):
        raise DataFileError(
            f"data file {npz}: array 'curves' must hold fractions in [0, 1]; found values up "
            f"to {np.nanmax(curves):.4g}"
        )
    if not np.array_equal(curves[..., -1], reward, equal_nan=True):
        t, s, c = np.argwhere(~np.isclose(curves[..., -1], reward, 0, 0, equal_nan=True))[0]
        raise DataFileError(
            f"data file {npz}: array 'curves' at the last fidelity must equal 'reward'; task "
            f"{str(tasks[t])!r}, seed {int(seeds[s])}, configuration {str(keys[c])!r} has "
            f"{curves[t, s, c, -1]!r} against {reward[t, s, c]!r}"
        )
    cost = arrs["cost_seconds"].astype(np.float64, copy=False)
    if cost.shape != reward.shape[1:]:
        raise DataFileError(
            f"data file {npz}: array 'cost_seconds' has shape {cost.shape}, expected "
            f"{reward.shape[1:]} (seeds, configurations)"
        )
    pretrained = measured.any(axis=0)  # (S, C): the pre-trainings that were run
    bad = pretrained & ~(np.isfinite(cost) & (cost >= 0))
    bad |= ~pretrained & ~np.isnan(cost)
    if bad.any():
        s, c = np.argwhere(bad)[0]
        raise DataFileError(
            f"data file {npz}: array 'cost_seconds' must be finite and >= 0 for every "
            f"pre-training the table measured and NaN for the others; seed {int(seeds[s])}, "
            f"configuration {str(keys[c])!r} has {cost[s, c]!r}"
        )
    for a in (curves, cost):
        a.setflags(write=False)
    return tuple(float(f) for f in fid), curves, cost


def read_replicate_table_file(npz: str | Path) -> ReplicateTable:
    """A replicate table from its ``.npz`` path, the JSON of its split and provenance beside it
    (same name, ``.json``), as :func:`load_cpu_table` reads the packaged one."""
    path = Path(npz)
    if path.suffix != ".npz":
        raise DataFileError(f"a replicate table is an .npz file (its .json beside), got {npz}")
    if not path.is_file():
        raise DataFileError(f"no replicate table file {npz}")
    return read_replicate_table(path, path.with_suffix(".json"))


@lru_cache(maxsize=1)
def load_cpu_table() -> ReplicateTable:
    """The measured CPU table (``cpu_table.npz`` + ``cpu_table.json``): the 8 live tasks x 256
    configurations x the seeds measured, ``cpu`` recipe.

    Provenance: ``benchmarks/cpu_table.py package``, from the sweep's store; the recipe id,
    simulator version, commit, machine and dates are in ``provenance``.
    """
    return read_replicate_table(data_path("cpu_table.npz"), data_path("cpu_table.json"))


@dataclass(frozen=True)
class UntrainedReference:
    """What a replicate table's backbones score before any pre-training: each seed's
    initialisation, never trained, evaluated like the table's cells.

    Attributes:
        tasks: Task names (shape ``(T,)``).
        seeds: The initialisation seeds (shape ``(S,)``).
        accuracy: 5-NN top-1 accuracy as a **fraction**, ``accuracy[t, s]`` (float64,
            ``(T, S)``).
        provenance: How it was measured (recipe, architecture, head, commit, machine, date).
    """

    tasks: tuple[str, ...]
    seeds: tuple[int, ...]
    accuracy: np.ndarray
    provenance: dict[str, Any]

    def __post_init__(self) -> None:
        for what, names in (("task", self.tasks), ("seed", self.seeds)):
            dup = _first_repeat(names)
            if dup is not None:
                raise ValueError(f"the untrained reference names {what} {dup!r} more than once")
        shape = (len(self.tasks), len(self.seeds))
        if self.accuracy.shape != shape:
            raise ValueError(f"accuracy has shape {self.accuracy.shape}, expected {shape}")
        if not np.all(np.isfinite(self.accuracy)) or np.any(
            (self.accuracy < 0) | (self.accuracy > 1)
        ):
            raise ValueError("accuracies must be finite fractions in [0, 1]")


def read_untrained_reference(path: str | Path | Traversable) -> UntrainedReference:
    """Read an untrained-backbone reference (JSON: ``tasks``, ``seeds``, ``accuracy`` as
    ``[task][seed]`` fractions, ``provenance``)."""
    path = Path(path) if isinstance(path, str) else path
    raw = _read_json(path)
    try:
        tasks = tuple(str(t) for t in raw["tasks"])
        seeds = tuple(int(s) for s in raw["seeds"])
        accuracy = np.array(raw["accuracy"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(
            f"data file {path} must hold 'tasks', 'seeds' and 'accuracy' ([task][seed] "
            f"fractions): {exc}"
        ) from exc
    accuracy.setflags(write=False)
    try:
        return UntrainedReference(tasks, seeds, accuracy, dict(raw.get("provenance") or {}))
    except ValueError as exc:
        raise DataFileError(f"data file {path}: {exc}") from exc


@lru_cache(maxsize=1)
def load_cpu_untrained() -> UntrainedReference:
    """The untrained backbone on the CPU table's tasks (``cpu_table_untrained.json``): per task
    and seed, the ``cpu`` recipe's backbone as the sweep initialises it (seeded, the recipe's
    100-way head) scored by the recipe's 5-NN without pre-training, the reference that tells
    what pre-training bought.

    Provenance: ``python benchmarks/cpu_table.py untrained``; recipe, architecture, commit,
    machine and date are in ``provenance``.

    >>> ref = load_cpu_untrained()
    >>> ref.accuracy.shape == (len(ref.tasks), len(ref.seeds)), ref.provenance["recipe"]
    (True, 'cpu@d1a84dd4e7')
    """
    return read_untrained_reference(data_path("cpu_table_untrained.json"))


def read_reward_table(path: str | Path | Traversable) -> RewardTable:
    """Read a reward table in the packaged npz format from ``path`` (a user's own, say)."""
    path = Path(path) if isinstance(path, str) else path
    arrs = _read_npz(path, {"tasks": ("U", 1), "keys": ("U", 1), "accuracy": ("f", 2)})
    acc = arrs["accuracy"]
    if acc.shape != (len(arrs["tasks"]), len(arrs["keys"])):
        raise DataFileError(
            f"data file {path}: accuracy has shape {acc.shape}, expected "
            f"({len(arrs['tasks'])} tasks, {len(arrs['keys'])} keys)"
        )
    if acc.size == 0:
        raise DataFileError(f"data file {path}: the table is empty")
    if not np.all(np.isfinite(acc)) or acc.min() < 0 or acc.max() > 100:
        raise DataFileError(f"data file {path}: accuracies must be finite percentages in [0, 100]")
    low = np.flatnonzero(acc.max(axis=1) <= 1.0)
    if low.size:  # a best accuracy of at most 1% is below chance on any task: fractions
        raise DataFileError(
            f"data file {path}: accuracies look like fractions, not percentages (the best of "
            f"task {str(arrs['tasks'][low[0]])!r} is {acc[low[0]].max():.4g}); the table holds "
            "percentages in [0, 100]: multiply by 100"
        )
    _check_names(path, "task", arrs["tasks"])
    _check_names(path, "configuration", arrs["keys"])
    acc.setflags(write=False)
    try:
        return RewardTable(tuple(arrs["tasks"].tolist()), tuple(arrs["keys"].tolist()), acc)
    except ValueError as exc:
        raise DataFileError(f"data file {path}: {exc}") from exc


@lru_cache(maxsize=1)
def load_reward_table() -> RewardTable:
    """The paper's 20 x 256 reward table (``reward_table.npz``).

    Provenance: ``reward_db.json`` of the authors' release. Values are 5-NN top-1 accuracies in
    percent of a ResNet-50 pre-trained on 40,000 ThreeDWorld images rendered with each
    configuration, one measurement per cell.
    """
    return read_reward_table(data_path("reward_table.npz"))


@lru_cache(maxsize=1)
def load_task2vec() -> Task2VecTable:
    """Task2Vec embeddings of the 20 tasks (``task2vec.npz``), float32 ``(20, 9600)``.

    Provenance: the authors' ``resnet18_imagenet_{12_seen,8_unseen}_tasks.pt``; each vector is
    ``hessian / scale`` of a Monte-Carlo Fisher embedding with an ImageNet ResNet-18 probe.
    """
    path = data_path("task2vec.npz")
    arrs = _read_npz(path, {"tasks": ("U", 1), "embedding": ("f", 2)})
    _check_names(path, "task", arrs["tasks"])
    emb = arrs["embedding"].astype(np.float32, copy=False)
    _check_embedding(path, emb, len(arrs["tasks"]))
    emb.setflags(write=False)
    return Task2VecTable(tuple(arrs["tasks"].tolist()), emb)


@lru_cache(maxsize=1)
def load_live_task2vec() -> tuple[Task2VecTable, dict[str, Any]]:
    """Task2Vec vectors of the named live tasks (``live_task2vec.npz``) and how they were made.

    Provenance: this project's ``benchmarks/live_task2vec.py --preset live --package``, with the
    live probe (:data:`t2s_env.task2vec.LIVE_TASK2VEC`: random ResNet-18, 32 px, 2,048 draws,
    ``conv-log-z`` vectors, so entries can be negative); the ``dict`` holds the probe, the
    Task2Vec settings, each task's spec and family, the leave-one-out family figure and the
    command. Not comparable with :func:`load_task2vec`'s ImageNet-probe vectors.
    """
    path = data_path("live_task2vec.npz")
    arrs = _read_npz(path, {"tasks": ("U", 1), "embedding": ("f", 2), "meta": ("U", 0)})
    emb = arrs["embedding"].astype(np.float32, copy=False)
    if emb.shape[0] != len(arrs["tasks"]) or not np.all(np.isfinite(emb)):
        raise DataFileError(f"data file {path}: embedding must be finite, one row per task")
    try:
        meta = json.loads(str(arrs["meta"]))
    except ValueError as exc:
        raise DataFileError(f"data file {path}: meta is not JSON ({exc})") from exc
    emb.setflags(write=False)
    return Task2VecTable(tuple(arrs["tasks"].tolist()), emb), meta


@lru_cache(maxsize=1)
def load_task_split() -> dict[str, tuple[str, ...]]:
    """``{"seen": (12 names), "unseen": (8 names)}`` (``tasks.json``)."""
    path = data_path("tasks.json")
    raw = _read_json(path)
    if not isinstance(raw, dict) or set(raw) != {"seen", "unseen"}:
        raise DataFileError(f"data file {path} must hold {{'seen': [...], 'unseen': [...]}}")
    return _check_split(path, raw, None)


def _check_split(path: object, raw: Any, tasks: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
    """A ``{"seen": names, "unseen": names}`` split: lists of distinct task names (of
    ``tasks`` when given), no task in both."""
    if not isinstance(raw, dict) or not all(
        isinstance(v, list) and all(isinstance(t, str) and t for t in v) for v in raw.values()
    ):
        raise DataFileError(f"data file {path}: the split must map names to lists of task names")
    split = {str(k): tuple(v) for k, v in raw.items()}
    every = [t for names in split.values() for t in names]
    dup = _first_repeat(every)
    if dup is not None:
        raise DataFileError(f"data file {path}: the split names task {dup!r} more than once")
    if tasks is not None:
        strays = sorted(set(every) - set(tasks))
        if strays:
            raise DataFileError(
                f"data file {path}: the split names tasks {strays} not in the table"
            )
    return split


@lru_cache(maxsize=1)
def load_knob_records() -> tuple[dict[str, Any], ...]:
    """The paper's knob definitions (``knobs.json``) as plain records."""
    path = data_path("knobs.json")
    raw = _read_json(path)
    try:
        records = tuple(raw["knobs"])
        for r in records:
            if not isinstance(r["name"], str) or not isinstance(r["options"], list):
                raise TypeError(r)
            if not r["options"]:
                raise DataFileError(f"data file {path}: knob {r['name']!r} has no options")
    except (KeyError, TypeError) as exc:
        raise DataFileError(
            f"data file {path}: every knob needs a 'name' (a string) and 'options' (a list)"
        ) from exc
    if not records:
        raise DataFileError(f"data file {path}: it defines no knob")
    return records


@lru_cache(maxsize=1)
def load_object_classes() -> dict[str, tuple[str, ...]]:
    """The 100 object classes: WordNet id -> ThreeDWorld model names (``objects.json``)."""
    path = data_path("objects.json")
    raw = _read_json(path)
    if (
        not isinstance(raw, dict)
        or not raw
        or not all(
            isinstance(v, list) and v and all(isinstance(m, str) for m in v) for v in raw.values()
        )
    ):
        raise DataFileError(
            f"data file {path}: it must map each WordNet id to a non-empty list of model names"
        )
    return {str(k): tuple(v) for k, v in raw.items()}


@lru_cache(maxsize=1)
def load_materials() -> tuple[str, ...]:
    """The 140 ThreeDWorld material names drawn for random materials (``materials.txt``)."""
    lines = _read_text(data_path("materials.txt")).splitlines()
    return tuple(m.strip() for m in lines if m.strip())
