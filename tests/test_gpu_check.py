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
    """The shell script the device runs (GPU_CHECK_DRY_RUN=1: tiny recipes on the CPU), with
    the repo root put on PYTHONPATH by the script itself."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GPU_CHECK_DRY_RUN": "1", "OUT": str(tmp_path)}
    env["PYTHON"] = sys.executable
    env.pop("T2S_DATA_ROOT", None)
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh")], env=env,
                          cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "paper.log").is_file() and (tmp_path / "small.log").is_file()
    assert not (tmp_path / "gpu_check.sqlite").exists()
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
