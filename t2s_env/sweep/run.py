"""Run a sweep: skip what the store has, evaluate the rest, store each result as it arrives."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from t2s_env.rewards.live import EvaluationRequest, evaluate
from t2s_env.rewards.store import EvaluationKey, RewardStore
from t2s_env.sweep.executors import EvaluateFn, Executor, LocalExecutor


@dataclass
class SweepReport:
    """What a sweep did."""

    planned: int
    cached: int
    computed: int = 0
    failed: list[tuple[EvaluationKey, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        text = (
            f"{self.planned} evaluations planned: {self.cached} already in the store, "
            f"{self.computed} computed, {len(self.failed)} failed, in {self.seconds:.1f} s"
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
    evaluate_fn: EvaluateFn = evaluate,
    progress: bool = True,
) -> SweepReport:
    """Evaluate every request whose key is not in ``store``; write each result as it finishes.

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
    report = SweepReport(planned=len(by_key), cached=len(by_key) - len(todo))
    bar = tqdm(
        total=len(todo), desc=f"sweep ({executor.name} x{executor.workers})", unit="eval",
        disable=not progress,
    )  # fmt: skip
    try:
        for request, outcome in executor.map(evaluate_fn, todo):
            if isinstance(outcome, BaseException):
                report.failed.append((request.key, f"{type(outcome).__name__}: {outcome}"))
                bar.write(f"failed {request.task} {request.config_key}: {outcome}")
            else:
                store.put(outcome)
                report.computed += 1
            bar.update(1)
            done = report.computed + len(report.failed)
            elapsed = time.perf_counter() - start
            left = elapsed / done * (len(todo) - done)
            bar.set_postfix(done=done, failed=len(report.failed), left=_fmt_seconds(left))
    finally:
        bar.close()
        report.seconds = time.perf_counter() - start
    return report
