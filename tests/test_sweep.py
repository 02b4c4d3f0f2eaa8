"""Sweeps: planning, skipping what the store has, interruption and rerun, local process pools."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from agents.cli import main as t2s
from t2s_env.rewards.live import evaluate
from t2s_env.rewards.store import Evaluation, RewardStore
from t2s_env.sweep import LocalExecutor, make_executor, plan_sweep, resolve_configs, run_sweep

KEYS = ["0_0_0_0_0_1_0_0_0", "1_1_1_1_1_3_0_1_1", "0_1_0_1_0_3_0_0_1"]


def fake_evaluate(request, device=None, progress=False) -> Evaluation:
    """A fast stand-in: a deterministic accuracy from the key (for sweep mechanics only)."""
    value = sum(int(v) for v in request.config_key.split("_")) + request.seed
    return Evaluation(request.key, (value % 10) / 10, {"total": 0.0})


class StopAfter:
    """Evaluates normally, then raises KeyboardInterrupt (a user's Ctrl-C) on call ``n + 1``."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __call__(self, request, **kwargs):
        self.calls += 1
        if self.calls > self.n:
            raise KeyboardInterrupt
        return evaluate(request, **kwargs)


def test_resolve_configs_errors(sim):
    space = sim.space
    with pytest.raises(ValueError, match="bad configuration '1_2'.*fields"):
        resolve_configs(space, ["1_2"])
    with pytest.raises(ValueError, match="at least one"):
        resolve_configs(space, [])
    assert resolve_configs(space, KEYS + KEYS[:1]) == KEYS


def test_interrupted_sweep_reruns_only_missing_cells(sim, tmp_path):
    torch.set_num_threads(1)
    store = RewardStore(tmp_path / "r.sqlite")
    requests = plan_sweep(["digits"], KEYS, sim, "tiny", seeds=[0])
    stopper = StopAfter(2)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(requests, store, evaluate_fn=stopper, progress=False)
    assert len(store) == 2  # the two finished evaluations were kept
    first = {e.key: e.accuracy for e in store}

    counter = StopAfter(10)
    report = run_sweep(requests, store, evaluate_fn=counter, progress=False)
    assert counter.calls == 1 and report.cached == 2 and report.computed == 1 and report.ok
    assert len(store) == 3 and all(0 <= e.accuracy <= 1 for e in store)
    assert {k: v for k, v in ((e.key, e.accuracy) for e in store) if k in first} == first

    nothing = StopAfter(0)  # a third run computes nothing at all
    assert run_sweep(requests, store, evaluate_fn=nothing, progress=False).computed == 0


def test_killed_sweep_process_loses_nothing_finished(sim, tmp_path):
    """A real SIGKILL in the middle of a sweep; the rerun computes exactly the missing cells."""
    path = tmp_path / "r.sqlite"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from live_toy import ToySimulator
        from test_sweep import fake_evaluate
        from t2s_env.rewards.store import RewardStore
        from t2s_env.sweep import plan_sweep, run_sweep

        def slow(request, **kw):
            time.sleep(0.15)
            return fake_evaluate(request)

        requests = plan_sweep(["digits"], "all", ToySimulator(), "tiny")
        run_sweep(requests, RewardStore({str(path)!r}), evaluate_fn=slow, progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parent.parent)
    try:
        deadline = time.time() + 90
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.3)
            if path.exists() and len(RewardStore(path)) >= 5:
                break
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    store = RewardStore(path)
    done = len(store)
    assert 5 <= done < 256
    calls = []

    def counting(request, **kw):
        calls.append(request.key)
        return fake_evaluate(request)

    requests = plan_sweep(["digits"], "all", sim, "tiny")
    report = run_sweep(requests, store, evaluate_fn=counting, progress=False)
    assert report.cached == done and len(calls) == 256 - done and len(store) == 256
    assert all(e.accuracy == fake_evaluate_key(e) for e in store)


def fake_evaluate_key(e: Evaluation) -> float:
    return (sum(int(v) for v in e.key.config.split("_")) + e.key.seed) % 10 / 10


def test_failures_are_reported_and_the_sweep_goes_on(sim, tmp_path):
    store = RewardStore(tmp_path / "r.sqlite")

    def flaky(request, **kw):
        if request.config_key == KEYS[1]:
            raise RuntimeError("renderer crashed")
        return fake_evaluate(request)

    report = run_sweep(plan_sweep(["digits"], KEYS, sim, "tiny"), store, evaluate_fn=flaky,
                       progress=False)  # fmt: skip
    assert report.computed == 2 and len(report.failed) == 1 and not report.ok
    assert "renderer crashed" in report.failed[0][1] and report.failed[0][0].config == KEYS[1]
    assert len(store) == 2


@pytest.mark.slow
def test_local_process_pool_matches_in_process(sim, tmp_path):
    requests = plan_sweep(["digits"], KEYS, sim, "tiny", seeds=[0, 1])
    one, two = RewardStore(tmp_path / "one.sqlite"), RewardStore(tmp_path / "two.sqlite")
    run_sweep(requests, one, LocalExecutor(1), fake_evaluate, progress=False)
    report = run_sweep(requests, two, LocalExecutor(2, 1), fake_evaluate, progress=False)
    assert report.computed == 6
    assert [(e.key, e.accuracy) for e in one] == [(e.key, e.accuracy) for e in two]


def test_make_executor_validates():
    with pytest.raises(ValueError, match="unknown executor 'dask'"):
        make_executor("dask")
    with pytest.raises(ValueError, match="--address is for the ray executor"):
        make_executor("local", address="auto")
    with pytest.raises(ValueError, match="workers must be >= 1"):
        LocalExecutor(0)


def test_cli_sweep_errors(tmp_path, capsys):
    code = t2s(["sweep", "--tasks", "nope", "--configs", KEYS[0], "--recipe", "tiny",
                "--store", str(tmp_path / "r.sqlite")])  # fmt: skip
    assert code == 2 and "unknown dataset 'nope'" in capsys.readouterr().err


def test_cli_sweep_end_to_end_with_export(tmp_path, capsys, monkeypatch):
    import numpy as np

    torch.set_num_threads(1)
    store = tmp_path / "r.sqlite"
    args = ["sweep", "--tasks", "digits", "--configs", *KEYS[:2], "--recipe", "tiny",
            "--store", str(store), "--simulator", "live_toy:ToySimulator", "--no-progress"]  # fmt: skip
    assert t2s(args) == 0
    assert "2 computed" in capsys.readouterr().out
    assert t2s(args) == 0
    assert "2 already in the store, 0 computed" in capsys.readouterr().out
    # Export needs every configuration: with two of 256 the error says what is missing.
    assert t2s([*args, "--export", str(tmp_path / "t.npz")]) == 2
    assert "'digits': 254" in capsys.readouterr().err
    accs = sorted(e.accuracy for e in RewardStore(store))
    assert len(accs) == 2 and np.all(np.array(accs) > 0.5)
    assert not (tmp_path / "t.npz").exists()
