"""The live reward: render a configuration, pre-train a backbone, 5-NN evaluate on the task.

One reward is one evaluation of :mod:`t2s_env.pipeline` (render, pre-train, features, k-NN).
:class:`LiveRewardSource` wraps it in the :class:`~t2s_env.rewards.RewardSource` protocol with a
:class:`~t2s_env.rewards.store.RewardStore`: an evaluation already in the store is returned from
it, never recomputed; and a :class:`~t2s_env.pipeline.BackboneCache` keeps the pre-trained
backbones, so that a configuration already pre-trained for one task costs another task only its
feature extraction and k-NN. ``gym.make("Task2Sim-Live-v0", ...)`` builds the env on it
(:func:`t2s_env.envs.make_live_env`).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from t2s_env.data import TASK2VEC_DIM, load_task2vec, load_task_split
from t2s_env.datasets import DatasetSpec, live_task_split
from t2s_env.pipeline import BackboneCache, EvaluationRequest, evaluate, prepare_task
from t2s_env.pretrain import Recipe, get_recipe
from t2s_env.rewards.base import UnknownTaskError
from t2s_env.rewards.store import Evaluation, RewardStore, StoreError
from t2s_env.simulator import Simulator
from t2s_env.space import PAPER_SPACE, KnobSpace

STORE_ENV = "T2S_STORE"
"""Environment variable naming the default reward store file."""


def default_store_path() -> Path:
    """``$T2S_STORE`` or ``~/.cache/t2s_env/rewards.sqlite``."""
    env = os.environ.get(STORE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache/t2s_env/rewards.sqlite"


def default_simulator() -> Simulator:
    """The package's default simulator: the embedded procedural renderer."""
    from t2s_env.simulator import EmbeddedSimulator

    return EmbeddedSimulator()


def is_subspace(space: KnobSpace, of: KnobSpace) -> bool:
    """Whether every knob of ``space`` is a knob of ``of`` with a subset of its options, and
    ``of`` has no other knobs (so ``space``'s configurations are ``of``'s, with the same keys)."""
    if space.names != of.names:
        return False
    return all(
        {str(o) for o in k.options} <= {str(o) for o in of[k.name].options} for k in space.knobs
    )


def default_space(simulator: Simulator) -> KnobSpace:
    """The paper's space when the simulator renders all of its configurations, else its own.

    >>> from t2s_env.simulator import EmbeddedSimulator
    >>> default_space(EmbeddedSimulator()).name
    'paper'
    """
    return PAPER_SPACE if is_subspace(PAPER_SPACE, simulator.space) else simulator.space


def default_backbone_cache(store: RewardStore) -> BackboneCache:
    """The backbones folder beside a store file: ``rewards.sqlite`` -> ``rewards.backbones/``."""
    return BackboneCache(store.path.with_suffix(".backbones"), max_files=32)


def as_spec(dataset: str | DatasetSpec) -> DatasetSpec:
    """A :class:`~t2s_env.datasets.DatasetSpec` from a spec string (or a spec, as is)."""
    return dataset if isinstance(dataset, DatasetSpec) else DatasetSpec.parse(dataset)


Embeddings = Mapping[str, np.ndarray] | Any
"""A ``{task: vector}`` mapping, or a :class:`~t2s_env.task2vec.Task2VecConfig`."""


def packaged_live_vector(task: str, spec: DatasetSpec, config: Any) -> np.ndarray | None:
    """The packaged vector of a live task (``t2s_env/data/live_task2vec.npz``) when ``task`` is
    one of them with the same dataset and ``config`` is the setting they were made with (the
    device aside), else ``None``: the live tasks are not embedded again (about 20 CPU s each).

    >>> from t2s_env.datasets import LIVE_TASKS
    >>> from t2s_env.task2vec import LIVE_TASK2VEC, Task2VecConfig
    >>> spec = DatasetSpec.parse(LIVE_TASKS["fmnist-20shot"])
    >>> packaged_live_vector("fmnist-20shot", spec, LIVE_TASK2VEC).shape
    (9600,)
    >>> packaged_live_vector("fmnist-20shot", spec, Task2VecConfig(image_size=64)) is None
    True
    """
    from t2s_env.data import load_live_task2vec
    from t2s_env.task2vec import config_record

    table, meta = load_live_task2vec()
    if task not in table.tasks or task not in meta.get("tasks", {}):
        return None
    if DatasetSpec.parse(meta["tasks"][task]).identity != spec.identity:
        return None
    made, asked = dict(meta.get("task2vec", {})), config_record(config)
    made.pop("device", None), asked.pop("device", None)
    if made != asked:
        return None
    return np.asarray(table.embedding[table.tasks.index(task)], dtype=np.float32)


class StoreMissError(StoreError):
    """A store-only :class:`LiveRewardSource` was asked for a measurement its store lacks."""


class LiveRewardSource:
    """Rewards measured for real (render, pre-train, 5-NN evaluate), cached in a reward store.

    Args:
        tasks: Downstream tasks: spec strings / :class:`~t2s_env.datasets.DatasetSpec` (named
            by the spec's task name) or a ``{name: spec}`` mapping.
        simulator: Renders the pre-training sets (the package's default renderer if ``None``).
        space: The configurations the source scores (the env's action space): a sub-space of
            the simulator's; by default the paper's 8 binary knobs when the simulator has them
            (so policies trained on the packaged table apply), else the simulator's own space.
        recipe: A preset name (``"tiny"``, ``"smoke"``, ``"cpu"``, ``"small"``, ``"paper"``) or a
            :class:`~t2s_env.pretrain.Recipe`.
        store: A :class:`RewardStore` or its path (default :func:`default_store_path`).
        seed: Seed of rendering and pre-training (part of the store key).
        embeddings: Task2Vec vectors of the tasks: a ``{task: vector}`` mapping, or a
            :class:`~t2s_env.task2vec.Task2VecConfig` to compute them (cached in the store).
            Tasks named like one of the paper's 20 default to the packaged vectors. A task
            named like one of :data:`~t2s_env.datasets.LIVE_TASKS` is ``"seen"`` or
            ``"unseen"`` by :func:`~t2s_env.datasets.live_task_split` (others ``"user"``).
        device: Torch device (CUDA when present by default).
        progress: Show progress bars while evaluating.
        evaluate_fn: What runs one evaluation (default :func:`~t2s_env.pipeline.evaluate`
            with ``backbones``).
        backbones: Where pre-trained backbones are kept for scoring other tasks: a
            :class:`~t2s_env.pipeline.BackboneCache`, a folder, or ``None`` for the folder
            beside the store (:func:`default_backbone_cache`); ``False``: memory only.
        task2vec_probe: The Task2Vec probe, as ``t2s train --task2vec-probe``: ``"imagenet"``
            (the default; needs the torch hub cache or a download), ``"random"`` (offline; the
            vectors are then not comparable with the shipped tasks', so a policy trained on the
            packaged table sees unfamiliar observations), ``"live"`` (offline; the packaged
            live tasks' setting, :data:`~t2s_env.task2vec.LIVE_TASK2VEC`, which fixes the
            images and the size), or a ResNet-18 weights file.
        task2vec_images: Task2Vec sample size (Fisher draws; default 10,000).
        task2vec_image_size: Task2Vec probe input in pixels (default 224; 64 costs ~1/12).
            The three ``task2vec_*`` options build the ``Task2VecConfig``
            (:func:`~t2s_env.task2vec.task2vec_options`) of every task, so they exclude
            ``embeddings``.
        store_only: Answer from the store alone: a (task, configuration, seed) the store does
            not hold raises :class:`StoreMissError` naming it, instead of pre-training (a loop
            replayed on a finished sweep's store that must run no new pre-training). Backbones
            are then kept in memory only (``backbones`` ``None``: no folder beside the store).

    Example (``toy`` is any :class:`~t2s_env.simulator.Simulator`)::

        source = LiveRewardSource(["digits"], simulator=toy, recipe="smoke", store="r.sqlite")
        source.reward("digits", source.space.key_to_dict("1_1_1_1_1_3_0_1_1"))
    """

    name = "live"

    def __init__(
        self,
        tasks: Sequence[str | DatasetSpec] | Mapping[str, str | DatasetSpec] = ("digits",),
        simulator: Simulator | None = None,
        space: KnobSpace | None = None,
        recipe: str | Recipe = "smoke",
        store: RewardStore | str | Path | None = None,
        seed: int = 0,
        embeddings: Embeddings | None = None,
        device: str | None = None,
        progress: bool = True,
        evaluate_fn: Callable[..., Evaluation] | None = None,
        backbones: BackboneCache | str | Path | bool | None = None,
        task2vec_probe: str | Path | None = None,
        task2vec_images: int | None = None,
        task2vec_image_size: int | None = None,
        store_only: bool = False,
    ) -> None:
        options = (task2vec_probe, task2vec_images, task2vec_image_size)
        if any(o is not None for o in options):
            from t2s_env.task2vec import task2vec_options

            if embeddings is not None:
                raise ValueError(
                    "give either embeddings or task2vec_probe / task2vec_images / "
                    "task2vec_image_size (which make the Task2VecConfig), not both"
                )
            embeddings = task2vec_options(*options)
        if isinstance(tasks, Mapping):
            specs = {str(n): as_spec(s) for n, s in tasks.items()}
        else:
            if isinstance(tasks, (str, DatasetSpec)):
                tasks = [tasks]
            specs = {}
            for s in tasks:
                spec = as_spec(s)
                if spec.name in specs:
                    raise ValueError(
                        f"two tasks are named {spec.name!r}; pass a {{name: spec}} dict"
                    )
                specs[spec.name] = spec
        if not specs:
            raise ValueError("tasks must name at least one downstream task")
        self.datasets: dict[str, DatasetSpec] = specs
        self.simulator = simulator if simulator is not None else default_simulator()
        self._space = default_space(self.simulator) if space is None else space
        if not is_subspace(self._space, self.simulator.space):
            raise ValueError(
                f"space {self._space.name!r} is not a sub-space of simulator "
                f"{self.simulator.name!r}'s knobs {list(self.simulator.space.names)}"
            )
        self.recipe = get_recipe(recipe)
        for spec in specs.values():
            spec.load()  # a missing dataset fails here, before any pre-training (labels only)
        if not isinstance(store, RewardStore):
            store = RewardStore(default_store_path() if store is None else store)
        self.store = store
        aliases = getattr(self.simulator, "version_aliases", ())  # same images, older names
        store.check_simulator(self.simulator.name, str(self.simulator.version), aliases)
        for name, spec in specs.items():
            store.check_dataset(name, spec.identity)
        self.store_only = bool(store_only)
        if isinstance(backbones, BackboneCache):
            self.backbones = backbones
        elif backbones is None and self.store_only:
            self.backbones = BackboneCache(None)
        elif backbones is None or backbones is True:
            self.backbones = default_backbone_cache(store)
        elif backbones is False:
            self.backbones = BackboneCache(None)
        else:
            self.backbones = BackboneCache(backbones, max_files=32)
        if int(seed) != seed or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed}")
        self.seed = int(seed)
        self.device = device
        self.progress = progress
        self.evaluate_fn = evaluate_fn or functools.partial(evaluate, cache=self.backbones)
        self._embeddings_arg = embeddings
        self._embedding_cache: dict[str, np.ndarray] = {}
        self._paper_split = {t: s for s, names in load_task_split().items() for t in names}
        live = {t: s for s, names in live_task_split().items() for t in names}
        self._split = {**live, **self._paper_split}
        self.evaluations_run = 0
        """Evaluations this source computed (store hits excluded)."""
        self.pretrainings_run = 0
        """Backbones this source pre-trained (the others came from the backbone cache)."""
        self.store_hits = 0
        """Rewards answered from the store."""

    @property
    def space(self) -> KnobSpace:
        return self._space

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.datasets)

    def _check(self, task: str) -> DatasetSpec:
        try:
            return self.datasets[task]
        except KeyError:
            raise UnknownTaskError(task, self.tasks) from None

    def split(self, task: str) -> str:
        self._check(task)
        return self._split.get(task, "user")

    def embedding(self, task: str) -> np.ndarray:
        spec = self._check(task)
        if task in self._embedding_cache:
            return self._embedding_cache[task].copy()
        given = self._embeddings_arg
        if isinstance(given, Mapping):
            if task not in given:
                raise ValueError(f"embeddings has no vector for task {task!r}")
            vector = np.asarray(given[task], dtype=np.float32)
        elif given is None and task in self._paper_split:
            packaged = load_task2vec()
            vector = packaged.embedding[packaged.tasks.index(task)]
        else:
            vector = self._task2vec(task, spec, given)
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape != (TASK2VEC_DIM,) or not np.all(np.isfinite(vector)) or not vector.any():
            raise ValueError(
                f"the Task2Vec vector of task {task!r} has shape {vector.shape} or is zero or not "
                f"finite; expected {TASK2VEC_DIM} finite numbers, not all zero"
            )
        self._embedding_cache[task] = vector
        return self._embedding_cache[task].copy()

    def _task2vec(self, task: str, spec: DatasetSpec, config: Any) -> np.ndarray:
        from t2s_env.task2vec import Task2VecConfig, config_record, embed_task

        config = Task2VecConfig() if config is None else config
        if not isinstance(config, Task2VecConfig):
            raise TypeError(
                f"embeddings must be a {{task: vector}} mapping or a Task2VecConfig, got {config!r}"
            )
        method = json.dumps(
            {"dataset": spec.identity, "task2vec": config_record(config)}, sort_keys=True
        )
        vector = self.store.get_embedding(task, method)
        if vector is None:
            vector = packaged_live_vector(task, spec, config)
        if vector is None:
            emb = embed_task(spec.load().train, config, progress=self.progress, dataset=str(spec))
            vector = emb.vector
            self.store.put_embedding(task, method, vector, emb.meta)
        return vector

    def request(self, task: str, config: Mapping[str, object], seed: int | None = None):
        """The :class:`EvaluationRequest` of ``(task, config)``."""
        config = self.space.key_to_dict(self.space.dict_to_key(config))  # validated, complete
        return EvaluationRequest(
            task, self._check(task), config, self.simulator, self.recipe,
            self.seed if seed is None else seed,
        )  # fmt: skip

    def evaluation(self, task: str, config: Mapping[str, object]) -> Evaluation:
        """The stored evaluation of ``(task, config)``, computing and storing it if missing (with
        ``store_only``, a :class:`StoreMissError` instead)."""
        request = self.request(task, config)
        found = self.store.get(request.key)
        if found is not None:
            self.store_hits += 1
            return found
        if self.store_only:
            k = request.key
            raise StoreMissError(
                f"store-only: reward store {self.store.path} has no measurement of task "
                f"{k.task!r}, configuration {k.config}, seed {k.seed} (recipe {k.recipe}, "
                f"simulator {k.simulator} {k.simulator_version}); nothing was pre-trained"
            )
        result = self.evaluate_fn(request, device=self.device, progress=self.progress)
        self.store.put(result)
        self.evaluations_run += 1
        self.pretrainings_run += int(bool(result.details.get("pretrained_here", True)))
        return self.store.get(request.key) or result

    def reward(self, task: str, config: Mapping[str, object]) -> float:
        return self.evaluation(task, config).accuracy

    def best_reward(self, task: str) -> None:
        """``None``: a live source does not know a task's best reward."""
        self._check(task)
        return None


__all__ = [
    "EvaluationRequest",  # re-exported from t2s_env.pipeline
    "LiveRewardSource",
    "StoreMissError",
    "as_spec",
    "default_backbone_cache",
    "default_simulator",
    "default_space",
    "default_store_path",
    "evaluate",  # re-exported from t2s_env.pipeline
    "is_subspace",
    "prepare_task",  # re-exported from t2s_env.pipeline
]
