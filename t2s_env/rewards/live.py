"""The live reward: render a configuration, pre-train a backbone, 5-NN evaluate on the task.

One reward is one evaluation (:func:`evaluate`):

1. render the recipe's pre-training set with the simulator for the configuration (seeded);
2. pre-train the recipe's backbone from scratch to classify the rendered object classes;
3. extract L2-normalised pooled penultimate features of the task's train and test images and
   classify the test images by a 5-NN vote weighted by ``exp(cosine / 0.07)``; the reward is
   the top-1 accuracy.

:class:`LiveRewardSource` wraps this in the :class:`~t2s_env.rewards.RewardSource` protocol
with a :class:`~t2s_env.rewards.store.RewardStore`: an evaluation already in the store is
returned from it, never recomputed. ``gym.make("Task2Sim-Live-v0", ...)`` builds the env on it
(:func:`t2s_env.envs.make_live_env`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from t2s_env.data import load_task2vec, load_task_split
from t2s_env.datasets import DatasetSpec, DownstreamTask
from t2s_env.knn import extract_features, knn_accuracy, prepare_images
from t2s_env.pretrain import Recipe, default_device, get_recipe, render_dataset, train_backbone
from t2s_env.rewards.base import UnknownTaskError
from t2s_env.rewards.store import Evaluation, EvaluationKey, RewardStore, versions
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


def as_spec(dataset: str | DatasetSpec) -> DatasetSpec:
    """A :class:`~t2s_env.datasets.DatasetSpec` from a spec string (or a spec, as is)."""
    return dataset if isinstance(dataset, DatasetSpec) else DatasetSpec.parse(dataset)


@dataclass(frozen=True)
class EvaluationRequest:
    """Everything one evaluation needs; picklable, so it can run in another process or machine."""

    task: str
    dataset: DatasetSpec
    config: Mapping[str, Any]
    simulator: Simulator
    recipe: Recipe
    seed: int = 0
    config_key: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "config_key", self.simulator.space.dict_to_key(self.config))

    @property
    def key(self) -> EvaluationKey:
        return EvaluationKey(
            self.task,
            self.config_key,
            self.simulator.name,
            str(self.simulator.version),
            self.recipe.id,
            int(self.seed),
        )


@dataclass
class _PreparedTask:
    train: torch.Tensor
    train_labels: torch.Tensor
    test: torch.Tensor
    test_labels: torch.Tensor
    num_classes: int


_PREPARED: dict[tuple, _PreparedTask] = {}
_PREPARED_MAX_BYTES = 1 << 30


def prepare_task(spec: DatasetSpec, recipe: Recipe) -> _PreparedTask:
    """The task's images resized for the recipe (cached per process when under 1 GiB)."""
    cache_key = (str(spec), spec.seed, spec.test_fraction, recipe.resolution,
                 recipe.knn_train_max, recipe.knn_test_max)  # fmt: skip
    if cache_key in _PREPARED:
        return _PREPARED[cache_key]
    task: DownstreamTask = spec.load()
    # The downstream sample is fixed (seed 0) whatever the pre-training seed, so that every
    # configuration is scored on the same images.
    train = (
        task.train
        if recipe.knn_train_max is None
        else task.train.balanced_sample(recipe.knn_train_max, seed=0)
    )
    test = (
        task.test
        if recipe.knn_test_max is None
        else task.test.balanced_sample(recipe.knn_test_max, seed=0)
    )
    if len(train) == 0 or len(test) == 0:
        raise ValueError(f"task {task.name!r} has an empty train or test split")
    prepared = _PreparedTask(
        prepare_images([train[i][0] for i in range(len(train))], recipe.resolution),
        torch.from_numpy(train.labels),
        prepare_images([test[i][0] for i in range(len(test))], recipe.resolution),
        torch.from_numpy(test.labels),
        len(task.classes),
    )
    size = prepared.train.numel() + prepared.test.numel()
    if size < _PREPARED_MAX_BYTES:
        if len(_PREPARED) >= 4:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[cache_key] = prepared
    return prepared


def evaluate(
    request: EvaluationRequest,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> Evaluation:
    """Run one evaluation (render, pre-train, features, k-NN) and return its record."""
    device = torch.device(device) if device is not None else default_device()
    recipe, t = request.recipe, {}
    start = time.perf_counter()
    task = prepare_task(request.dataset, recipe)
    t["load_task"] = time.perf_counter() - start

    t0 = time.perf_counter()
    images, labels = render_dataset(
        request.simulator, request.config, recipe, request.seed, progress=progress
    )
    t["render"] = time.perf_counter() - t0

    trained = train_backbone(images, labels, recipe, request.seed, device, progress=progress)
    t["pretrain"] = trained.seconds

    t0 = time.perf_counter()
    train_f = extract_features(trained.model, task.train, device=device, progress=progress)
    test_f = extract_features(trained.model, task.test, device=device, progress=progress)
    t["features"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    accuracy = knn_accuracy(
        train_f, task.train_labels, test_f, task.test_labels, task.num_classes,
        recipe.knn_k, recipe.knn_temperature,
    )  # fmt: skip
    t["knn"] = time.perf_counter() - t0
    t["total"] = time.perf_counter() - start
    info = versions()
    info["device"] = str(device)
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return Evaluation(
        request.key,
        accuracy,
        timings={k: round(v, 4) for k, v in t.items()},
        versions=info,
        details={
            "dataset": request.dataset.identity,
            "config": dict(request.config),
            "rendered_images": len(labels),
            "train_images": len(task.train_labels),
            "test_images": len(task.test_labels),
            "pretrain_images_per_second": round(trained.images_per_second, 2),
            "final_loss": round(trained.final_loss, 5),
            "recipe": recipe.to_dict(),
            "torch_threads": torch.get_num_threads(),
        },
        created=time.time(),
    )


Embeddings = Mapping[str, np.ndarray] | Any
"""A ``{task: vector}`` mapping, or a :class:`~t2s_env.task2vec.Task2VecConfig`."""


class LiveRewardSource:
    """Rewards measured for real (render, pre-train, 5-NN evaluate), cached in a reward store.

    Args:
        tasks: Downstream tasks: spec strings / :class:`~t2s_env.datasets.DatasetSpec` (named
            by the spec's task name) or a ``{name: spec}`` mapping.
        simulator: Renders the pre-training sets (the package's default renderer if ``None``).
        space: The configurations the source scores (the env's action space): a sub-space of
            the simulator's; by default the paper's 8 binary knobs when the simulator has them
            (so policies trained on the packaged table apply), else the simulator's own space.
        recipe: A preset name (``"tiny"``, ``"smoke"``, ``"small"``, ``"paper"``) or a
            :class:`~t2s_env.pretrain.Recipe`.
        store: A :class:`RewardStore` or its path (default :func:`default_store_path`).
        seed: Seed of rendering and pre-training (part of the store key).
        embeddings: Task2Vec vectors of the tasks: a ``{task: vector}`` mapping, or a
            :class:`~t2s_env.task2vec.Task2VecConfig` to compute them (cached in the store).
            Tasks named like one of the paper's 20 default to the packaged vectors.
        device: Torch device (CUDA when present by default).
        progress: Show progress bars while evaluating.
        evaluate_fn: What runs one evaluation (default :func:`evaluate`).

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
    ) -> None:
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
        if not isinstance(store, RewardStore):
            store = RewardStore(default_store_path() if store is None else store)
        self.store = store
        for name, spec in specs.items():
            store.check_dataset(name, spec.identity)
        if int(seed) != seed or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed}")
        self.seed = int(seed)
        self.device = device
        self.progress = progress
        self.evaluate_fn = evaluate_fn or evaluate
        self._embeddings_arg = embeddings
        self._embedding_cache: dict[str, np.ndarray] = {}
        self._paper_split = {t: s for s, names in load_task_split().items() for t in names}
        self.evaluations_run = 0
        """Evaluations this source computed (store hits excluded)."""

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
        return self._paper_split.get(task, "user")

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
        self._embedding_cache[task] = np.asarray(vector, dtype=np.float32)
        return self._embedding_cache[task].copy()

    def _task2vec(self, task: str, spec: DatasetSpec, config: Any) -> np.ndarray:
        import dataclasses

        from t2s_env.task2vec import Task2VecConfig, embed_task

        config = Task2VecConfig() if config is None else config
        if not isinstance(config, Task2VecConfig):
            raise TypeError(
                f"embeddings must be a {{task: vector}} mapping or a Task2VecConfig, got {config!r}"
            )
        method = json.dumps(
            {"dataset": spec.identity, "task2vec": dataclasses.asdict(config)}, sort_keys=True
        )
        vector = self.store.get_embedding(task, method)
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
        """The stored evaluation of ``(task, config)``, computing and storing it if missing."""
        request = self.request(task, config)
        found = self.store.get(request.key)
        if found is not None:
            return found
        result = self.evaluate_fn(request, device=self.device, progress=self.progress)
        self.store.put(result)
        self.evaluations_run += 1
        return self.store.get(request.key) or result

    def reward(self, task: str, config: Mapping[str, object]) -> float:
        return self.evaluation(task, config).accuracy

    def best_reward(self, task: str) -> None:
        self._check(task)
        return None
