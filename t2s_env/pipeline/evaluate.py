"""Evaluations: one (task, configuration, seed) request, or one backbone scored on many tasks."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from t2s_env.datasets import DatasetSpec
from t2s_env.pipeline.cache import BackboneCache, BackboneKey, PretrainedBackbone
from t2s_env.pipeline.stages import PreparedTask, prepare_task, pretrain, score_model, score_tasks
from t2s_env.pretrain import Recipe, default_device
from t2s_env.rewards.store import Evaluation, EvaluationKey, versions
from t2s_env.simulator import Simulator


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
        """The reward store's key of this measurement."""
        return EvaluationKey(
            self.task,
            self.config_key,
            self.simulator.name,
            str(self.simulator.version),
            self.recipe.id,
            int(self.seed),
        )

    @property
    def backbone(self) -> BackboneKey:
        """The backbone this evaluation scores (shared by every task)."""
        return BackboneKey(
            self.config_key,
            self.simulator.name,
            str(self.simulator.version),
            self.recipe.id,
            int(self.seed),
        )


@dataclass(frozen=True)
class BackboneJob:
    """One backbone to pre-train (or fetch) and the requests, one per task, that score it."""

    requests: tuple[EvaluationRequest, ...]

    def __post_init__(self) -> None:
        if not self.requests:
            raise ValueError("a backbone job needs at least one request")
        keys = {r.backbone for r in self.requests}
        if len(keys) != 1:
            raise ValueError(f"the requests of a backbone job share one backbone, got {keys}")

    @property
    def backbone(self) -> BackboneKey:
        return self.requests[0].backbone


def group_by_backbone(requests: Sequence[EvaluationRequest]) -> list[BackboneJob]:
    """The requests grouped into one job per backbone (in order of first appearance)."""
    groups: dict[BackboneKey, list[EvaluationRequest]] = {}
    for r in requests:
        groups.setdefault(r.backbone, []).append(r)
    return [BackboneJob(tuple(g)) for g in groups.values()]


def backbone_for(
    request: EvaluationRequest,
    device: torch.device,
    progress: bool = True,
    cache: BackboneCache | None = None,
    curve_tasks: Mapping[str, PreparedTask] | None = None,
) -> PretrainedBackbone:
    """The request's backbone: from ``cache`` if it holds it, else rendered and pre-trained (and
    put in ``cache``), scored on ``curve_tasks`` at the recipe's curve epochs on the way."""
    found = cache.get(request.backbone) if cache is not None else None
    if found is not None:
        return found
    backbone = pretrain(
        request.backbone, request.simulator, request.config, request.recipe, device, progress,
        curve_tasks,
    )  # fmt: skip
    if cache is not None:
        cache.put(backbone)
    return backbone


def score(
    backbone: PretrainedBackbone,
    request: EvaluationRequest,
    device: torch.device,
    progress: bool = True,
    started: float | None = None,
    load_task: float | None = None,
    cpu_started: float | None = None,
    scored: tuple[float, dict[str, float]] | None = None,
) -> Evaluation:
    """Score ``backbone`` on the request's task and return the measurement's record.

    ``timings`` holds the backbone's ``render`` and ``pretrain`` seconds (as measured when it was
    trained), this task's ``load_task``, ``features`` and ``knn`` seconds, and ``total``: the
    wall time this evaluation itself cost (from ``started``), and ``cpu``: this process's CPU
    seconds over the same span (from ``cpu_started``). ``details["pretrained_here"]`` says
    whether this evaluation paid for the pre-training. ``load_task`` gives the seconds the task's
    images took when a caller read them earlier. The evaluation's ``curve`` is the backbone's
    learning curve on this task (``training["curves"]``) followed by the final accuracy, when
    the pre-training recorded one for it. ``scored``: the accuracy and timings when a caller
    scored the task already (:func:`~t2s_env.pipeline.stages.score_tasks`).
    """
    start = time.perf_counter() if started is None else started
    cpu_start = time.process_time() if cpu_started is None else cpu_started
    t0 = time.perf_counter()
    task = prepare_task(request.dataset, request.recipe)
    if load_task is None:
        load_task = time.perf_counter() - t0
    accuracy, t = (
        score_model(backbone.model, task, request.recipe, device, progress)
        if scored is None
        else scored
    )
    training = backbone.training
    early = training.get("curves", {}).get(request.task)
    curve = () if early is None else (*map(tuple, early), (request.recipe.epochs, accuracy))
    timings = {"load_task": load_task, "render": training["render"],
               "pretrain": training["pretrain"],
               **{k: training[k] for k in ("render_cpu", "pretrain_cpu", "curve_cpu")
                  if k in training},
               **t, "total": time.perf_counter() - start,
               "cpu": time.process_time() - cpu_start}  # fmt: skip
    info = versions()
    info["device"] = str(device)
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return Evaluation(
        request.key,
        accuracy,
        timings={k: round(float(v), 4) for k, v in timings.items()},
        versions=info,
        details={
            "dataset": request.dataset.identity,
            "config": dict(request.config),
            "rendered_images": training["rendered_images"],
            "train_images": len(task.train_labels),
            "test_images": len(task.test_labels),
            "pretrain_images_per_second": training["pretrain_images_per_second"],
            "final_loss": training["final_loss"],
            "pretrained_here": backbone.pretrained_here,
            "recipe": request.recipe.to_dict(),
            "torch_threads": torch.get_num_threads(),
        },
        created=time.time(),
        backbone=request.backbone.id,
        curve=curve,
    )


def _device(device: str | torch.device | None) -> torch.device:
    return torch.device(device) if device is not None else default_device()


def evaluate(
    request: EvaluationRequest,
    device: str | torch.device | None = None,
    progress: bool = True,
    cache: BackboneCache | None = None,
) -> Evaluation:
    """One evaluation: render, pre-train (unless ``cache`` holds the backbone), features, k-NN.

    The task's images are read first, so that a missing dataset fails before pre-training."""
    device, start, cpu_start = _device(device), time.perf_counter(), time.process_time()
    task = prepare_task(request.dataset, request.recipe)
    load_task, job_cpu = time.perf_counter() - start, time.process_time()
    backbone = backbone_for(request, device, progress, cache, {request.task: task})
    out = score(backbone, request, device, progress, start, load_task, cpu_start)
    if backbone.pretrained_here:  # render, training, scoring (as evaluate_backbone counts it)
        out = dataclasses.replace(out, cpu_seconds=round(time.process_time() - job_cpu, 3))
    return out


def evaluate_backbone(
    job: BackboneJob,
    device: str | torch.device | None = None,
    progress: bool = True,
    cache: BackboneCache | None = None,
) -> list[Evaluation | Exception]:
    """Pre-train the job's backbone once (or fetch it from ``cache``) and score it on every task.

    Returns one outcome per request, in order: its :class:`Evaluation`, or the exception its
    scoring raised (the other tasks are still scored). The tasks' images are read first: a task
    whose dataset fails is not scored, and none is pre-trained for when every task fails. A
    failed pre-training raises.

    With a recipe that has ``curve_epochs``, the pre-training scores every readable task of the
    job at each curve epoch (each evaluation's ``curve``). When this call pre-trained the
    backbone, every evaluation's ``cpu_seconds`` is this process's CPU time for the whole job:
    render, training, the curve scoring and the final scoring of every task (not the reading of
    the tasks' images, which a process does once: :func:`prepare_task` keeps them).
    """
    device = _device(device)
    outcomes: list[Evaluation | Exception | None] = []
    loads: list[tuple[float, float]] = []  # (wall, CPU) seconds reading each task
    tasks: dict[str, PreparedTask] = {}
    for request in job.requests:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            tasks[request.task] = prepare_task(request.dataset, request.recipe)
            outcomes.append(None)
        except Exception as exc:
            outcomes.append(exc)
        loads.append((time.perf_counter() - t0, time.process_time() - c0))
    if all(o is not None for o in outcomes):
        return outcomes  # type: ignore[return-value]
    # The first scored task's totals count the pre-training and its own reading, not the others'.
    first = outcomes.index(None)
    start, cpu_start = time.perf_counter() - loads[first][0], time.process_time() - loads[first][1]
    job_cpu = time.process_time()
    backbone = backbone_for(job.requests[0], device, progress, cache, tasks)
    pretrained_here = backbone.pretrained_here
    try:  # every task in one feature extraction (each shared image once); else one by one
        final = score_tasks(backbone.model, tasks, job.requests[0].recipe, device)
    except Exception:
        final = {}
    for i, request in enumerate(job.requests):
        if outcomes[i] is not None:
            continue
        try:
            outcomes[i] = score(backbone, request, device, progress, start, loads[i][0], cpu_start,
                                final.get(request.task))  # fmt: skip
        except Exception as exc:
            outcomes[i] = exc
        # the later tasks do not pay for the pre-training
        backbone = PretrainedBackbone(
            backbone.key, backbone.model, backbone.arch, backbone.training, False
        )
        start, cpu_start = time.perf_counter(), time.process_time()
    if pretrained_here:
        cpu = round(time.process_time() - job_cpu, 3)
        extra = {"job_tasks": len(tasks), "curve_seconds": backbone.training.get("curve_seconds"),
                 "curve_cpu": backbone.training.get("curve_cpu")}  # fmt: skip
        outcomes = [
            dataclasses.replace(o, cpu_seconds=cpu, details={**o.details, **extra})
            if isinstance(o, Evaluation)
            else o
            for o in outcomes
        ]
    return outcomes  # type: ignore[return-value]


def evaluate_each(
    evaluate_fn: Any,
    job: BackboneJob,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> list[Evaluation | Exception]:
    """A job run by a per-request ``evaluate_fn(request, device=, progress=)`` (no sharing)."""
    outcomes: list[Evaluation | Exception] = []
    for request in job.requests:
        try:
            outcomes.append(evaluate_fn(request, device=device, progress=progress))
        except Exception as exc:
            outcomes.append(exc)
    return outcomes
