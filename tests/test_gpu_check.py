"""benchmarks/gpu_check.py end to end on the CPU (``--dry-run``: the tiny recipe stands in for
`paper` and `small`), so that the prepared GPU script is known to run before a GPU is lent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_gpu_check_dry_run_writes_both_parts(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    script = str(ROOT / "benchmarks" / "gpu_check.py")
    for parts in (["--fresh", "--parts", "paper"], ["--parts", "small", "--seeds", "0", "1"]):
        subprocess.run([sys.executable, script, "--dry-run", "--out", str(tmp_path), *parts],
                       check=True, env=env, cwd=ROOT, capture_output=True)  # fmt: skip
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert res["dry_run"] is True
    paper, small = res["paper"], res["small"]
    assert paper["epochs_run"] == paper["full_epochs"] == 1 and 0 <= paper["accuracy"] <= 1
    assert paper["extrapolated_full_seconds"] > 0
    assert set(small["per_task"]) == {"digits-10shot", "digits-0to4", "digits-5to9"}
    for fig in small["per_task"].values():
        assert all(len(v) == 2 for v in fig["accuracy"].values())  # 2 seeds per configuration
        assert -1 <= fig["spearman_seeds"] <= 1 and len(fig["untrained"]) == 2
    md = (tmp_path / "gpu_check.md").read_text()
    assert "4 configurations x 2 seeds" in md and "digits-5to9" in md


def test_gpu_check_refuses_a_machine_without_cuda(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--out",
                          str(tmp_path)], capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert out.returncode != 0 and "no CUDA device" in out.stderr
    assert not (tmp_path / "gpu_check.json").exists()
