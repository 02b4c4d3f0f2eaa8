"""Run a sweep: skip what the store has, evaluate the rest by backbone, store each result as it
arrives.

The missing cells are grouped by backbone (configuration, seed): one job pre-trains once and
scores every task. Concurrent sweeps on one store share the work: a sweep claims each cell in
the store as its executor draws the cell's job (a lease, renewed while the sweep runs), skips
cells another sweep holds, and afterwards waits for those to be stored or for their leases to
expire (a crashed sweep's cells are then computed here). So two sweeps compute each cell once
between them.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from t2s_env.pipeline import (
    BackboneCache,
    BackboneJob,
    EvaluationRequest,
    evaluate_backbone,
    evaluate_each,
    group_by_backbone,
)
from t2s_env.rewards.store import (
    DEFAULT_LEASE_SECONDS,
    DatasetBindingError,
    EvaluationKey,
    RewardStore,
    new_owner,
)
from t2s_env.sweep.executors import EvaluateFn, Executor, LocalExecutor


@dataclass
class SweepReport:
    """What a sweep did."""

    planned: int
    cached: int
    """Cells already in the store (at the start, or stored meanwhile by a concurrent sweep)."""
    computed: int = 0
    """Cells evaluated here and written to the store."""
    pretrained: int = 0
    """Backbones pre-trained (one per configuration and seed, however many tasks score it)."""
    failed: list[tuple[EvaluationKey, str]] = field(default_factory=list)
    refused: list[tuple[EvaluationKey, str]] = field(default_factory=list)
    """Cells the store refused (their task name is bound to another dataset)."""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """CPU seconds of the pre-trainings computed here (each job's ``cpu_seconds``, once per
    backbone: render, training, curve and final scoring), where the evaluations record it."""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused

    def summary(self) -> str:
        text = (
            f"{self.planned} evaluations planned: {self.cached} already in the store, "
            f"{self.computed} computed ({self.pretrained} pre-trainings), {len(self.failed)} failed"
        )
        if self.refused:
            text += f", {len(self.refused)} refused by the store"
        text += f", in {self.seconds:.1f} s"
        if self.cpu_seconds:
            text += f" ({self.cpu_seconds / max(self.pretrained, 1):.1f} CPU s per pre-training)"
        if self.computed:
            text += f" ({self.computed / self.seconds * 3600:.1f} evaluations per hour)"
        return text


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class _Heartbeat:
    """Renews ``owner``'s claims every third of a lease while the sweep runs."""

    def __init__(self, store: RewardStore, owner: str, lease: float) -> None:
        self.store, self.owner, self.lease = store, owner, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.lease / 3):
            self.store.renew(self.owner, self.lease)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_sweep(
    requests: Sequence[EvaluationRequest],
    store: RewardStore,
    executor: Executor | None = None,
    evaluate_fn: EvaluateFn | None = None,
    progress: bool = True,
    backbones: BackboneCache | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    poll_seconds: float = 2.0,
) -> SweepReport:
    """Evaluate every request whose key is not in ``store``; write each result as it finishes.

    The missing requests are grouped by backbone (configuration, seed): each group is one job
    that pre-trains once and scores every task (:func:`~t2s_env.pipeline.evaluate_backbone`,
    fetching the backbone from ``backbones`` when that cache holds it), so T tasks x C
    configurations cost C pre-trainings. A per-request ``evaluate_fn`` replaces that (each
    request evaluated on its own; for tests and custom pipelines).

    A task name the store already holds for another dataset raises
    :class:`~t2s_env.rewards.store.StoreError` before anything runs; one bound to another
    dataset while the sweep runs (by a concurrent sweep) has its cells refused and reported.
    Failures (exceptions inside an evaluation) are collected in the report and the sweep goes
    on; an interruption (``KeyboardInterrupt``, a killed process) loses only unfinished work,
    and rerunning the same sweep computes only the missing evaluations. Cells a concurrent
    sweep is computing are waited for (``poll_seconds``), not computed twice.
    """
    if lease_seconds <= 0 or poll_seconds <= 0:
        raise ValueError("lease_seconds and poll_seconds must be > 0")
    executor = executor or LocalExecutor()
    start = time.perf_counter()
    for task, dataset in sorted({(r.task, r.dataset.identity) for r in requests}):
        store.check_dataset(task, dataset)
    for sim in {
        (r.simulator.name, str(r.simulator.version)): r.simulator for r in requests
    }.values():
        # Measurements under an earlier version with the same images are found, not recomputed.
        held = store.simulator_versions(sim.name)
        for alias in set(getattr(sim, "version_aliases", ())) & held:
            store.relabel_simulator_version(sim.name, alias, str(sim.version))
    by_key = {r.key: r for r in requests}
    todo = [by_key[k] for k in store.missing(by_key)]
    job_fn = (
        functools.partial(evaluate_backbone, cache=backbones)
        if evaluate_fn is None
        else functools.partial(evaluate_each, evaluate_fn)
    )
    report = SweepReport(planned=len(by_key), cached=len(by_key) - len(todo))
    owner = new_owner()
    bar = tqdm(
        total=len(todo), desc=f"sweep ({executor.name} x{executor.workers})", unit="eval",
        disable=not progress,
    )  # fmt: skip

    def claimed(
        pending: list[EvaluationRequest], busy: list[EvaluationRequest]
    ) -> Iterator[BackboneJob]:
        """One job per backbone of the cells of ``pending`` this sweep gets to compute, each
        cell claimed as its job is drawn; cells another sweep holds go to ``busy``."""
        for job in group_by_backbone(pending):
            mine = []
            for r in job.requests:
                try:
                    status = store.claim(r.key, owner, r.dataset.identity, lease_seconds)
                except DatasetBindingError as exc:
                    report.refused.append((r.key, str(exc)))
                    bar.update(1)
                    continue
                if status == "claimed":
                    mine.append(r)
                elif status == "done":
                    report.cached += 1
                    bar.update(1)
                else:
                    busy.append(r)
            if mine:
                yield BackboneJob(tuple(mine))

    try:
        with _Heartbeat(store, owner, lease_seconds):
            while todo:
                busy: list[EvaluationRequest] = []
                for job, outcome in executor.map(job_fn, claimed(todo, busy)):
                    outcomes = (
                        outcome if isinstance(outcome, list) else [outcome] * len(job.requests)
                    )
                    for request, result in zip(job.requests, outcomes, strict=True):
                        _record(store, owner, request, result, report, bar)
                    done = report.computed + len(report.failed)
                    elapsed = time.perf_counter() - start
                    left = elapsed / max(done, 1) * (len(by_key) - report.cached - done)
                    bar.set_postfix(done=done, failed=len(report.failed), left=_fmt_seconds(left))
                todo = busy
                if todo:  # another sweep computes these: wait for it (or for its lease to end)
                    time.sleep(poll_seconds)
    finally:
        store.release(owner)
        bar.close()
        report.seconds = time.perf_counter() - start
    return report


def _record(
    store: RewardStore,
    owner: str,
    request: EvaluationRequest,
    outcome: object,
    report: SweepReport,
    bar: tqdm,
) -> None:
    """Write one outcome to the store and count it as what it turned out to be."""
    if isinstance(outcome, BaseException):
        report.failed.append((request.key, f"{type(outcome).__name__}: {outcome}"))
        bar.write(f"failed {request.task} {request.config_key}: {outcome}")
        store.release(owner, request.key)
    else:
        here = bool(outcome.details.get("pretrained_here", True))
        report.pretrained += int(here)
        if here and outcome.cpu_seconds is not None:
            report.cpu_seconds += outcome.cpu_seconds
        try:
            stored = store.put(outcome, dataset=request.dataset.identity)
        except DatasetBindingError as exc:
            report.refused.append((request.key, str(exc)))
            store.release(owner, request.key)
        else:
            if stored:
                report.computed += 1
            else:  # a concurrent sweep stored it first (our lease had run out): its value stays
                report.cached += 1
    bar.update(1)


__all__ = ["SweepReport", "run_sweep"]
