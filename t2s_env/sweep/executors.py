"""Where a sweep's evaluations run: this process, a local process pool, or a Ray cluster.

Work is scheduled by backbone: an executor maps a job function over
:class:`~t2s_env.pipeline.BackboneJob` s (one configuration and seed, every requested task) and
yields ``(job, outcome)`` pairs as they finish, where the outcome is the list of per-request
outcomes (an :class:`~t2s_env.rewards.store.Evaluation` or the exception its scoring raised) or
the exception the whole job raised (a failed pre-training). A worker pre-trains a configuration
and scores it on every task before it moves on. Results come back to the caller (the driver),
which alone writes the store.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Protocol

from t2s_env.pipeline import BackboneJob, EvaluationRequest
from t2s_env.rewards.store import Evaluation

EvaluateFn = Callable[..., Evaluation]
"""``fn(request, device=, progress=) -> Evaluation``: one evaluation."""
JobFn = Callable[..., list]
"""``fn(job, device=, progress=) -> [Evaluation | Exception, ...]``: one backbone's evaluations."""
Outcome = list[Evaluation | Exception] | BaseException


class Executor(Protocol):
    """Runs evaluations; ``workers`` says how many at once."""

    name: str
    workers: int

    def map(self, fn: JobFn, jobs: Iterable[BackboneJob]) -> Iterator[tuple[BackboneJob, Outcome]]:
        """Run ``jobs`` (drawn lazily: the sweep claims each job's cells as it is drawn)."""
        ...


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _call(fn: JobFn, job: BackboneJob, device: str | None) -> list:
    return fn(job, device=device, progress=False)


def _call_parts(fn: JobFn, simulator, parts: list[dict], device: str | None) -> list:
    """:func:`_call` for a job sent without its simulator (shipped once, by reference)."""
    job = BackboneJob(tuple(EvaluationRequest(simulator=simulator, **p) for p in parts))
    return fn(job, device=device, progress=False)


class LocalExecutor:
    """Evaluations on this machine: in this process (``workers=1``) or a spawned process pool.

    Args:
        workers: Evaluations at once.
        threads_per_worker: Torch threads per worker (default: the CPUs divided among workers).
        device: Torch device for every evaluation (CUDA when present by default).
    """

    name = "local"

    def __init__(
        self, workers: int = 1, threads_per_worker: int | None = None, device: str | None = None
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = int(workers)
        self.threads = threads_per_worker or max(1, (os.cpu_count() or 1) // self.workers)
        self.device = device

    def map(self, fn: JobFn, jobs: Iterable[BackboneJob]) -> Iterator[tuple[BackboneJob, Outcome]]:
        if self.workers == 1:
            for job in jobs:
                try:
                    yield job, fn(job, device=self.device, progress=False)
                except Exception as exc:  # reported by the sweep; KeyboardInterrupt stops it
                    yield job, exc
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=_set_threads, initargs=(self.threads,)
        ) as pool:
            # At most `workers` in flight: jobs are drawn only when a worker is free, so a
            # sweep that claims each cell as it draws it leaves the rest to concurrent sweeps.
            source = iter(jobs)
            pending = {}
            for job in source:
                pending[pool.submit(_call, fn, job, self.device)] = job
                if len(pending) >= self.workers:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    exc = future.exception()
                    yield job, exc if exc is not None else future.result()
                for job in source:
                    pending[pool.submit(_call, fn, job, self.device)] = job
                    if len(pending) >= self.workers:
                        break


def _package_root() -> str:
    """The folder holding the ``t2s_env`` package this process imported."""
    import t2s_env

    return str(Path(t2s_env.__file__).resolve().parent.parent)


class RayExecutor:
    """Each backbone job a Ray task with its CPU/GPU resources; the store stays on the driver.

    Args:
        address: An existing cluster (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``); by
            default a local cluster is started with ``workers`` CPUs and stopped afterwards.
        workers: CPUs of the local cluster (ignored with ``address``).
        cpus_per_task: CPUs each evaluation reserves (and its torch threads).
        gpus_per_task: GPUs each evaluation reserves (fractions share a GPU).
        max_retries: Times a task is resubmitted when its worker process dies.
        ship_code: Send this ``t2s_env`` to the cluster (``py_modules``) when ``address`` is
            given; a local cluster gets it through ``PYTHONPATH``.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        cpus_per_task: float = 1.0,
        gpus_per_task: float = 0.0,
        max_retries: int = 3,
        ship_code: bool = True,
    ) -> None:
        if cpus_per_task <= 0 or gpus_per_task < 0 or max_retries < 0:
            raise ValueError("cpus_per_task must be > 0, gpus_per_task and max_retries >= 0")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.address = address
        self.workers = int(workers or os.cpu_count() or 1)
        self.cpus_per_task = cpus_per_task
        self.gpus_per_task = gpus_per_task
        self.max_retries = max_retries
        self.ship_code = ship_code

    def _runtime_env(self) -> dict:
        threads = str(max(1, int(self.cpus_per_task)))
        env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        if self.address is None:
            path = os.pathsep.join(p for p in (_package_root(), os.environ.get("PYTHONPATH")) if p)
            return {"env_vars": {**env, "PYTHONPATH": path}}
        runtime: dict = {"env_vars": env}
        if self.ship_code:
            import t2s_env

            runtime["py_modules"] = [str(Path(t2s_env.__file__).resolve().parent)]
        return runtime

    def map(self, fn: JobFn, jobs: Iterable[BackboneJob]) -> Iterator[tuple[BackboneJob, Outcome]]:
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError(
                "the Ray executor needs ray: pip install 'task2sim-gym[ray]'"
            ) from exc
        started = not ray.is_initialized()
        if started:
            kwargs: dict = {"runtime_env": self._runtime_env(), "log_to_driver": False}
            if self.address is None:
                kwargs.update(num_cpus=self.workers, include_dashboard=False)
            ray.init(address=self.address, **kwargs)
        try:
            remote = ray.remote(_call_parts).options(
                num_cpus=self.cpus_per_task,
                num_gpus=self.gpus_per_task,
                max_retries=self.max_retries,
            )
            device = "cuda" if self.gpus_per_task > 0 else "cpu"
            # The simulator (megabytes of textures) goes to the object store once, not per task.
            sims: dict[int, object] = {}
            pending = {}
            for job in jobs:
                sim = job.requests[0].simulator
                if id(sim) not in sims:
                    sims[id(sim)] = ray.put(sim)
                parts = [{"task": r.task, "dataset": r.dataset, "config": r.config,
                          "recipe": r.recipe, "seed": r.seed} for r in job.requests]  # fmt: skip
                pending[remote.remote(fn, sims[id(sim)], parts, device)] = job
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    job = pending.pop(ref)
                    try:
                        yield job, ray.get(ref)
                    except Exception as exc:  # a task error, or retries exhausted
                        yield job, exc
        finally:
            if started:
                ray.shutdown()


def make_executor(
    name: str, *, workers: int = 1, address: str | None = None, **kwargs: object
) -> Executor:
    """``"local"`` or ``"ray"`` executor from command-line style options."""
    if name == "local":
        if address is not None:
            raise ValueError("--address is for the ray executor")
        return LocalExecutor(workers=workers, **kwargs)  # type: ignore[arg-type]
    if name == "ray":
        return RayExecutor(address=address, workers=workers, **kwargs)  # type: ignore[arg-type]
    raise ValueError(f"unknown executor {name!r}; choose 'local' or 'ray'")
