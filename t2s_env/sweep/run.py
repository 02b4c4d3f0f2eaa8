"""Run a sweep: skip what the store has, evaluate the rest by backbone, store each result as it
arrives."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from t2s_env.pipeline import (
    BackboneCache,
    EvaluationRequest,
    evaluate_backbone,
    evaluate_each,
    group_by_backbone,
)
from t2s_env.rewards.store import EvaluationKey, RewardStore
from t2s_env.sweep.executors import EvaluateFn, Executor, LocalExecutor


@dataclass
class SweepReport:
    """What a sweep did."""

    planned: int
    cached: int
    computed: int = 0
    pretrained: int = 0
    """Backbones pre-trained (one per configuration and seed, however many tasks score it)."""
    failed: list[tuple[EvaluationKey, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        text = (
            f"{self.planned} evaluations planned: {self.cached} already in the store, "
            f"{self.computed} computed ({self.pretrained} pre-trainings), {len(self.failed)} "
            f"failed, in {self.seconds:.1f} s"
        )
        if self.computed:
            text += f" ({self.computed / self.seconds * 3600:.1f} evaluations per hour)"
        return text


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def run_sweep(
    requests: Sequence[EvaluationRequest],
    store: RewardStore,
    executor: Executor | None = None,
    evaluate_fn: EvaluateFn | None = None,
    progress: bool = True,
    backbones: BackboneCache | None = None,
) -> SweepReport:
    """Evaluate every request whose key is not in ``store``; write each result as it finishes.

    The missing requests are grouped by backbone (configuration, seed): each group is one job
    that pre-trains once and scores every task (:func:`~t2s_env.pipeline.evaluate_backbone`,
    fetching the backbone from ``backbones`` when that cache holds it), so T tasks x C
    configurations cost C pre-trainings. A per-request ``evaluate_fn`` replaces that (each
    request evaluated on its own; for tests and custom pipelines).

    A task name the store already holds for another dataset raises
    :class:`~t2s_env.rewards.store.StoreError` before anything runs. Failures (exceptions inside
    an evaluation) are collected in the report and the sweep goes on; an interruption (``KeyboardInterrupt``, a killed process) loses only unfinished work,
    and rerunning the same sweep computes only the missing evaluations.
    """
    executor = executor or LocalExecutor()
    start = time.perf_counter()
    for task, dataset in sorted({(r.task, r.dataset.identity) for r in requests}):
        store.check_dataset(task, dataset)
    by_key = {r.key: r for r in requests}
    todo = [by_key[k] for k in store.missing(by_key)]
    jobs = group_by_backbone(todo)
    job_fn = (
        functools.partial(evaluate_backbone, cache=backbones)
        if evaluate_fn is None
        else functools.partial(evaluate_each, evaluate_fn)
    )
    report = SweepReport(planned=len(by_key), cached=len(by_key) - len(todo))
    bar = tqdm(
        total=len(todo), desc=f"sweep ({executor.name} x{executor.workers})", unit="eval",
        disable=not progress,
    )  # fmt: skip
    try:
        for job, outcome in executor.map(job_fn, jobs):
            outcomes = outcome if isinstance(outcome, list) else [outcome] * len(job.requests)
            for request, result in zip(job.requests, outcomes, strict=True):
                if isinstance(result, BaseException):
                    report.failed.append((request.key, f"{type(result).__name__}: {result}"))
                    bar.write(f"failed {request.task} {request.config_key}: {result}")
                else:
                    store.put(result)
                    report.computed += 1
                    report.pretrained += int(bool(result.details.get("pretrained_here", True)))
            bar.update(len(job.requests))
            done = report.computed + len(report.failed)
            elapsed = time.perf_counter() - start
            left = elapsed / done * (len(todo) - done)
            bar.set_postfix(done=done, failed=len(report.failed), left=_fmt_seconds(left))
    finally:
        bar.close()
        report.seconds = time.perf_counter() - start
    return report
