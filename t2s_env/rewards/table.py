"""Measured reward tables as reward sources: the paper's (fast, exact, the default) and tables
with several seed replicates per cell (the packaged CPU table), and how an answer on a table is
scored (:func:`scoring_folds`: on a replicate table, on seeds the method did not learn from)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from t2s_env.data import (
    ReplicateTable,
    RewardTable,
    Task2VecTable,
    UntrainedReference,
    load_cpu_table,
    load_cpu_untrained,
    load_reward_table,
    load_task2vec,
    load_task_split,
    read_replicate_table_file,
    read_untrained_reference,
)
from t2s_env.rewards.base import UnknownTaskError
from t2s_env.rewards.fidelity import fidelity_index
from t2s_env.rewards.signal import held_out_mean, held_out_reference
from t2s_env.space import PAPER_SPACE, KnobSpace


class TableRewardSource:
    """Rewards looked up in a measured table: one pre-training run per (task, configuration).

    Args:
        table: The table (accuracies in %); the paper's by default.
        embeddings: Task2Vec vectors for the table's tasks; the paper's by default.
        space: The knob space the table's keys belong to; the paper's by default.
        split: ``{"seen": names, "unseen": names}``; tasks in neither are ``"user"`` tasks.

    >>> source = TableRewardSource()
    >>> round(source.reward("SVHN", source.space.key_to_dict("1_1_1_1_1_3_0_1_1")), 4)
    0.2856
    >>> source.split("CUB")
    'unseen'
    """

    name = "table"

    def __init__(
        self,
        table: RewardTable | None = None,
        embeddings: Task2VecTable | None = None,
        space: KnobSpace = PAPER_SPACE,
        split: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.table = load_reward_table() if table is None else table
        embeddings = load_task2vec() if embeddings is None else embeddings
        self.space = space
        expected = space.all_keys()
        if list(self.table.keys) != expected:
            if set(self.table.keys) != set(expected):
                raise ValueError(
                    f"the table's {len(self.table.keys)} keys are not the {space.size} "
                    f"configurations of the {space.name!r} knob space"
                )
            order = [self.table.keys.index(k) for k in expected]
            self.table = RewardTable(
                self.table.tasks, tuple(expected), self.table.accuracy[:, order]
            )
        missing = [t for t in self.table.tasks if t not in embeddings.tasks]
        if missing:
            raise ValueError(f"no Task2Vec embedding for tasks {missing}")
        rows = [embeddings.tasks.index(t) for t in self.table.tasks]
        self._embedding = np.ascontiguousarray(embeddings.embedding[rows], dtype=np.float32)
        self._rewards = self.table.accuracy / 100.0  # fractions, (T, C)
        self._best = self._rewards.max(axis=1)
        split = load_task_split() if split is None else split
        self._split = {t: s for s, names in split.items() for t in names}

    @property
    def tasks(self) -> tuple[str, ...]:
        return self.table.tasks

    def task_index(self, task: str) -> int:
        try:
            return self.table.tasks.index(task)
        except ValueError:
            raise UnknownTaskError(task, self.tasks) from None

    def split(self, task: str) -> str:
        self.task_index(task)
        return self._split.get(task, "user")

    def embedding(self, task: str) -> np.ndarray:
        return self._embedding[self.task_index(task)].copy()

    def reward(self, task: str, config: Mapping[str, object]) -> float:
        action = self.space.dict_to_action(config)  # type: ignore[arg-type]
        return float(self._rewards[self.task_index(task), self.space.action_to_index(action)])

    def best_reward(self, task: str) -> float:
        return float(self._best[self.task_index(task)])

    # Array views for vectorised consumers (the vector env, baselines, benchmarks).
    @property
    def rewards(self) -> np.ndarray:
        """Reward matrix, fractions, ``(n_tasks, n_configurations)`` in flat-index order."""
        return self._rewards

    @property
    def embeddings(self) -> np.ndarray:
        """Embedding matrix, float32 ``(n_tasks, dim)``, rows in :attr:`tasks` order."""
        return self._embedding


class ReplicateRewardSource(TableRewardSource):
    """A measured table with several seed replicates per cell, such as the packaged CPU table.

    The true reward of a (task, configuration) is the mean over its measured replicates
    (:meth:`reward`, :attr:`rewards`, :meth:`best_reward`); an env samples what the agent sees
    with :meth:`sample_reward`: one measured replicate, drawn with the env's RNG, so the
    agent's noise is the measured seed-to-seed noise, not an assumed one.

    A table with learning curves (its ``fidelities``, ``curves`` and ``cost_seconds``) also
    answers at a lower fidelity (epoch budget): :attr:`fidelities`, :attr:`curves`,
    :attr:`curve_means`, :attr:`cost_seconds` and :meth:`config_cost`, and the ``fidelity``
    argument of :meth:`sample_reward`; on a table without them these are ``None``.

    Args:
        table: The replicate table; the packaged CPU table (:func:`~t2s_env.data.load_cpu_table`)
            by default.
        space: The knob space of the table's keys; the paper's by default.
        untrained: The untrained backbone on the table's tasks and seeds (:attr:`untrained`);
            with the packaged table, its packaged reference
            (:func:`~t2s_env.data.load_cpu_untrained`) by default, otherwise none.

    >>> source = ReplicateRewardSource()
    >>> source.replicates["fmnist-20shot"].shape == (len(source.seeds), 256)
    True
    >>> rng = np.random.default_rng(0)
    >>> config = source.space.key_to_dict("1_1_1_1_1_3_0_1_1")
    >>> source.sample_reward("fmnist-20shot", config, rng) in source.replicates["fmnist-20shot"]
    True
    """

    name = "replicates"

    def __init__(
        self,
        table: ReplicateTable | None = None,
        space: KnobSpace = PAPER_SPACE,
        untrained: UntrainedReference | None = None,
    ) -> None:
        if table is None:
            table = load_cpu_table()
            untrained = load_cpu_untrained() if untrained is None else untrained
        expected = space.all_keys()
        if set(table.keys) != set(expected) or len(table.keys) != len(expected):
            raise ValueError(
                f"the table's {len(table.keys)} keys are not the {space.size} "
                f"configurations of the {space.name!r} knob space"
            )
        order = np.array([table.keys.index(k) for k in expected])
        self.replicate_table = table
        self.seeds: tuple[int, ...] = table.seeds
        self.provenance = table.provenance
        self._replicates = np.ascontiguousarray(table.reward[:, :, order])  # (T, S, C)
        self._replicates.setflags(write=False)
        self._measured = np.isfinite(self._replicates)
        mean = table.mean()[:, order]
        super().__init__(
            RewardTable(table.tasks, tuple(expected), 100.0 * mean),
            Task2VecTable(table.tasks, table.embedding),
            space,
            table.split,
        )
        self._rewards = mean  # the exact mean, not a round trip through percent
        self._best = mean.max(axis=1)
        self.untrained_reference = untrained
        self._untrained = None if untrained is None else _align_untrained(untrained, table)
        self.fidelities: tuple[float, ...] | None = table.fidelities
        """The table's fidelities (epoch budgets, ascending; the last is the full budget), or
        ``None`` on a table without learning curves."""
        self._curves = self._curve_means = self._cost = self._config_cost = None
        if table.fidelities is not None:
            self._curves = _read_only(table.curves[:, :, order])  # type: ignore[index]
            self._curve_means = _read_only(_nanmean(self._curves, axis=1))  # (T, C, F)
            self._cost = _read_only(table.cost_seconds[:, order])  # type: ignore[index]
            self._config_cost = _read_only(_nanmean(self._cost, axis=0))  # (C,)

    @classmethod
    def from_file(cls, path: str | Path, space: KnobSpace = PAPER_SPACE) -> ReplicateRewardSource:
        """The source of a replicate table file (``.npz``, its ``.json`` beside, as an export
        writes it), with its untrained backbone when a ``<name>_untrained.json`` lies beside it
        too. Raises :class:`~t2s_env.data.DataFileError` naming the file and what is wrong."""
        table = read_replicate_table_file(path)
        beside = Path(path).with_name(Path(path).stem + "_untrained.json")
        untrained = read_untrained_reference(beside) if beside.is_file() else None
        return cls(table, space, untrained)

    @property
    def curves(self) -> np.ndarray | None:
        """``(tasks, seeds, configurations, fidelities)`` accuracy (fractions) of each
        pre-training at each of :attr:`fidelities`, tasks and seeds in :attr:`tasks` /
        :attr:`seeds` order, configurations in ``space.all_keys()`` order; ``[..., -1]`` is
        :attr:`replicates`. ``None`` without learning curves. Read-only."""
        return self._curves

    @property
    def curve_means(self) -> np.ndarray | None:
        """``(tasks, configurations, fidelities)`` mean over the measured seeds of
        :attr:`curves` (``[..., -1]`` is :attr:`rewards`); ``None`` without curves."""
        return self._curve_means

    @property
    def cost_seconds(self) -> np.ndarray | None:
        """``(seeds, configurations)`` CPU seconds of each full pre-training (NaN where that
        seed did not pre-train the configuration); ``None`` without curves. Read-only."""
        return self._cost

    def config_cost(self, config_index: int) -> float:
        """CPU seconds of a full pre-training of the configuration at flat index
        ``config_index``: the mean over the seeds that pre-trained it (the seeds a query may
        draw from), for a consumer that charges the cost rule (:mod:`t2s_env.rewards.fidelity`)
        without drawing a seed; the env charges the drawn pre-training's own
        :attr:`cost_seconds`."""
        if self._config_cost is None:
            raise ValueError("this replicate table has no cost_seconds (no learning curves)")
        return float(self._config_cost[config_index])

    def fidelity_index(self, fidelity: object) -> int:
        """The position of ``fidelity`` in :attr:`fidelities`, or a ``ValueError`` naming the
        allowed values (or saying the table has no learning curves)."""
        return fidelity_index(fidelity, self.fidelities)

    @property
    def untrained(self) -> np.ndarray | None:
        """``(tasks, seeds)`` accuracy (fractions) of each seed's untrained backbone on each
        task, rows in :attr:`tasks` order and columns in :attr:`seeds` order; ``None`` when the
        table came without one. Read-only."""
        return self._untrained

    def complete_seeds(self) -> tuple[int, ...]:
        """The seeds that measured every (task, configuration) of the table."""
        return tuple(s for j, s in enumerate(self.seeds) if self._measured[:, j].all())

    def restricted(self, seeds: Sequence[int]) -> ReplicateRewardSource:
        """The same table with only ``seeds``' replicates (and untrained backbones): what a
        method that learns from those seeds alone may see. Every cell must stay measured.

        >>> one = ReplicateRewardSource().restricted([0])
        >>> row = one.rewards[one.task_index("digits-0to4")]
        >>> one.seeds, bool((row == one.replicates["digits-0to4"][0]).all())
        ((0,), True)
        """
        unknown = [s for s in seeds if s not in self.seeds]
        if unknown or not seeds:
            raise ValueError(f"seeds {list(seeds)} must be some of the table's {list(self.seeds)}")
        table = self.replicate_table
        cols = [table.seeds.index(int(s)) for s in seeds]
        reward = table.reward[:, cols]
        if not np.isfinite(reward).any(axis=1).all():
            raise ValueError(f"seeds {list(seeds)} leave (task, configuration) cells unmeasured")
        curves = cost = None
        if table.fidelities is not None:
            curves, cost = table.curves[:, cols], table.cost_seconds[cols]  # type: ignore[index]
        sub = ReplicateTable(
            table.tasks, table.keys, tuple(int(s) for s in seeds), reward, table.embedding,
            table.split, table.provenance, table.fidelities, curves, cost,
        )  # fmt: skip
        ref = self.untrained_reference
        if ref is not None:
            ref = UntrainedReference(
                ref.tasks, sub.seeds, ref.accuracy[:, [ref.seeds.index(s) for s in sub.seeds]],
                ref.provenance,
            )  # fmt: skip
        return ReplicateRewardSource(sub, self.space, ref)

    @property
    def replicates(self) -> dict[str, np.ndarray]:
        """``{task: (seeds, configurations)}`` measured rewards (fractions) in the order of
        ``space.all_keys()``; NaN where a seed was not measured. Read-only views."""
        return {t: self._replicates[i] for i, t in enumerate(self.tasks)}

    def draw_seeds(
        self, task_idx: np.ndarray, config_idx: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Per (task row, flat configuration index) pair, the position in :attr:`seeds` of one
        of its measured seeds, drawn uniformly with ``rng`` (one ``rng.random`` per pair): the
        draw behind :meth:`sample_rewards`."""
        measured = self._measured[task_idx, :, config_idx]  # (N, S)
        counts = measured.sum(axis=1)
        pick = (rng.random(len(counts)) * counts).astype(np.int64)  # which measured seed
        return np.argmax(np.cumsum(measured, axis=1) > pick[:, None], axis=1)

    def sample_reward(
        self,
        task: str,
        config: Mapping[str, object],
        rng: np.random.Generator,
        fidelity: float | None = None,
    ) -> float:
        """One measured replicate of (task, configuration), drawn uniformly with ``rng``; at
        ``fidelity`` (one of :attr:`fidelities`; ``None``: the full budget) that replicate's
        accuracy after that many epochs. The draw is the same whatever the fidelity."""
        action = self.space.dict_to_action(config)  # type: ignore[arg-type]
        t, c = self.task_index(task), int(self.space.action_to_index(action))
        f = None if fidelity is None else self.fidelity_index(fidelity)
        return float(self.sample_rewards(np.array([t]), np.array([c]), rng, f)[0])

    def sample_rewards(
        self,
        task_idx: np.ndarray,
        config_idx: np.ndarray,
        rng: np.random.Generator,
        fidelity_index: int | np.ndarray | None = None,
    ) -> np.ndarray:
        """Vectorised :meth:`sample_reward` over rows of :attr:`tasks` and flat configuration
        indices: one uniform draw per pair among its measured seeds; with ``fidelity_index``
        (positions in :attr:`fidelities`, one or one per pair) the drawn seed's curve there."""
        seed_pos = self.draw_seeds(task_idx, config_idx, rng)
        if fidelity_index is None:
            return self._replicates[task_idx, seed_pos, config_idx]
        if self._curves is None:
            raise ValueError("this replicate table has no learning curves (no fidelities)")
        return self._curves[task_idx, seed_pos, config_idx, fidelity_index]


def _read_only(a: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(a, dtype=np.float64)
    out.setflags(write=False)
    return out


def _nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    """Mean over the finite entries along ``axis`` (NaN where none is), without numpy's
    all-NaN warning."""
    finite = np.isfinite(a)
    n = finite.sum(axis=axis)
    total = np.where(finite, a, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _align_untrained(ref: UntrainedReference, table: ReplicateTable) -> np.ndarray:
    """``ref``'s accuracies as ``(table tasks, table seeds)``; refuses a reference of another
    recipe or one that misses a task or a seed of the table."""
    recipes = ref.provenance.get("recipe"), table.provenance.get("recipe")
    if None not in recipes and recipes[0] != recipes[1]:
        raise ValueError(
            f"the untrained reference is of recipe {recipes[0]}, the table of {recipes[1]}"
        )
    missing = [t for t in table.tasks if t not in ref.tasks]
    missing += [f"seed {s}" for s in table.seeds if s not in ref.seeds]
    if missing:
        raise ValueError(f"the untrained reference has no {missing} of the table")
    rows = [ref.tasks.index(t) for t in table.tasks]
    cols = [ref.seeds.index(s) for s in table.seeds]
    out = np.ascontiguousarray(ref.accuracy[np.ix_(rows, cols)], dtype=np.float64)
    out.setflags(write=False)
    return out


SCORINGS: tuple[str, ...] = ("held-out seed", "mean")
"""How an answer on a table is graded. ``"held-out seed"`` (the default on a replicate table):
the method learns from one seed's replicates and its answer is graded by the mean of the other
seeds, both ways round (cross-fit), averaged; ``"mean"``: learned from and graded by the whole
table (the replicate mean on a replicate table; the only scoring of a single-valued one)."""


@dataclass(frozen=True)
class ScoringFold:
    """One way round of a scoring: the source a method learns from and what grades its answer.

    Attributes:
        train: The reward source the method trains, fits or measures on.
        grade: ``(tasks, configurations)`` fractions that grade an answer, rows in the source's
            task order, columns in its flat-index order.
        train_seeds: The replicate seeds ``train`` holds (``None`` on a single-valued table).
        graded_seeds: The seeds ``grade`` averages (``None`` on a single-valued table).
        untrained: ``(tasks,)`` the untrained backbone graded on the same seeds, or ``None``.
    """

    train: TableRewardSource
    grade: np.ndarray
    train_seeds: tuple[int, ...] | None = None
    graded_seeds: tuple[int, ...] | None = None
    untrained: np.ndarray | None = None

    @property
    def best(self) -> np.ndarray:
        """Per task, the grade of the configuration best on the training rewards: with
        held-out-seed scoring the cross-seed per-task best (the honest oracle), with mean
        scoring the table's per-task best."""
        return self.grade[np.arange(len(self.grade)), np.argmax(self.train.rewards, axis=1)]


def default_scoring(source: TableRewardSource) -> str:
    """``"held-out seed"`` on a table with replicates of two or more seeds, else ``"mean"``."""
    if isinstance(source, ReplicateRewardSource) and len(source.seeds) >= 2:
        return "held-out seed"
    return "mean"


def scoring_folds(source: TableRewardSource, scoring: str | None = None) -> list[ScoringFold]:
    """The folds ``scoring`` (one of :data:`SCORINGS`; ``None``: :func:`default_scoring`) grades
    an answer on: with ``"mean"`` one, the source itself; with ``"held-out seed"`` one per seed
    that measured every cell, the source restricted to that seed (:meth:`ReplicateRewardSource.
    restricted`) graded by the mean of the other seeds (:func:`~t2s_env.rewards.signal.
    held_out_mean`). A result is the mean over the folds.

    >>> folds = scoring_folds(ReplicateRewardSource())
    >>> [(f.train_seeds, f.graded_seeds) for f in folds]
    [((0,), (1,)), ((1,), (0,))]
    >>> bool((folds[0].grade == folds[1].train.rewards).all())
    True
    """
    scoring = default_scoring(source) if scoring is None else scoring
    if scoring not in SCORINGS:
        raise ValueError(f"unknown scoring {scoring!r}; choose from {list(SCORINGS)}")
    replicates = isinstance(source, ReplicateRewardSource)
    if scoring == "mean":
        untrained = None
        if replicates and source.untrained is not None:
            untrained = source.untrained.mean(axis=1)
        seeds = source.seeds if replicates else None
        return [ScoringFold(source, source.rewards, seeds, seeds, untrained)]
    if not replicates or len(source.seeds) < 2:
        raise ValueError(
            "held-out-seed scoring needs a table with replicates of two or more seeds; "
            "score this one by its values (scoring='mean')"
        )
    reps = source._replicates  # (T, S, C)
    folds = []
    for seed in source.complete_seeds():
        j = source.seeds.index(seed)
        grade = np.stack([held_out_mean(reps[t], j) for t in range(len(source.tasks))])
        if not np.isfinite(grade).all():
            continue  # some cell only this seed measured: it cannot be graded without it
        others = tuple(s for s in source.seeds if s != seed)
        untrained = None
        if source.untrained is not None:  # weighted as the grades weigh the other seeds
            untrained = np.array([held_out_reference(source.untrained[t], reps[t], j)
                                  for t in range(len(source.tasks))])  # fmt: skip
        folds.append(ScoringFold(source.restricted([seed]), grade, (seed,), others, untrained))
    if not folds:
        raise ValueError(
            "held-out-seed scoring needs a seed that measured every (task, configuration) and "
            "other seeds that measured every cell again; this table has none (scoring='mean')"
        )
    return folds
