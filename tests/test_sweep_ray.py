"""The Ray executor on a local 2-worker cluster: same store as the local executor, retries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from t2s_env.rewards.live import evaluate
from t2s_env.rewards.store import RewardStore
from t2s_env.sweep import LocalExecutor, RayExecutor, plan_sweep, run_sweep

pytest.importorskip("ray")

KEYS = ["0_0_0_0_0_1_0_0_0", "1_1_1_1_1_3_0_1_1"]


class CrashOnce:
    """Kills its worker process the first time it runs each request (a dying machine)."""

    def __init__(self, marker_dir: Path) -> None:
        self.marker_dir = str(marker_dir)

    def __call__(self, request, **kwargs):
        marker = Path(self.marker_dir) / request.config_key
        if not marker.exists():
            marker.touch()
            os._exit(1)
        return evaluate(request, **kwargs)


@pytest.mark.slow
def test_ray_matches_local_and_retries_dead_workers(sim, tmp_path, monkeypatch):
    # The workers import this worktree's t2s_env (the executor puts it on their PYTHONPATH)
    # and the test double's module from here.
    tests_dir = str(Path(__file__).parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([tests_dir, os.environ.get("PYTHONPATH", "")]))
    torch.set_num_threads(1)  # the same thread count as the Ray workers (OMP_NUM_THREADS=1)
    requests = plan_sweep(["digits"], KEYS, sim, "tiny", seeds=[0])

    local = RewardStore(tmp_path / "local.sqlite")
    run_sweep(requests, local, LocalExecutor(1, device="cpu"), progress=False)

    remote = RewardStore(tmp_path / "ray.sqlite")
    (tmp_path / "markers").mkdir()
    executor = RayExecutor(workers=2, cpus_per_task=1, max_retries=2)
    report = run_sweep(requests, remote, executor, CrashOnce(tmp_path / "markers"), progress=False)
    assert report.ok and report.computed == 2, report.failed
    assert len(list((tmp_path / "markers").iterdir())) == 2  # both first attempts died

    def contents(store):
        return [(e.key, e.accuracy, e.details["rendered_images"]) for e in store]

    assert contents(remote) == contents(local)
    assert {e.versions["torch"] for e in remote} == {torch.__version__}
