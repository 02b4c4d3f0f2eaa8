"""``benchmarks/cpu_recipe_study.py rescore``: a sweep's kept backbones scored on other tasks
without pre-training again (the `tiny` recipe, one configuration and its untrained backbone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "cpu_recipe_study.py"
OLD = "old=digits?shots=3&test=40"
NEW = "new=digits?classes=0+1+2&shots=3&test=30&rotate=random"


def study(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, cwd=ROOT)  # fmt: skip


def records(path: Path) -> dict[tuple[str, int], dict]:
    return {(r["config"], r["seed"]): r for r in map(json.loads, path.read_text().splitlines())}


@pytest.mark.slow
def test_rescore_scores_kept_backbones_on_new_tasks_as_the_run_did(tmp_path):
    sweep, keep, out = tmp_path / "sweep.jsonl", tmp_path / "bb", tmp_path / "rescored.jsonl"
    config = "1_0_0_0_0_1_0_0_0"
    done = study("run", "--recipe", "tiny", "--configs", config, "--seeds", "0", "--tasks", OLD,
                 "--results", str(sweep), "--keep-backbones", str(keep))  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(list(keep.glob("*.pt"))) == 1  # the trained backbone; the untrained is rebuilt
    # the old task again (must reproduce the run's scores) and a new one, on both backbones
    args = ["rescore", "--recipe", "tiny", "--from", str(sweep), "--keep-backbones", str(keep),
            "--results", str(out), "--tasks", OLD.replace("old=", "again="), NEW]  # fmt: skip
    done = study(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = records(sweep), records(out)
    assert set(after) == set(before) == {(config, 0), ("untrained", 0)}
    for key, record in after.items():
        assert set(record["accuracy"]) == {"again", "new"}
        assert record["accuracy"]["again"] == before[key]["accuracy"]["old"]
        assert record["task_specs"]["new"] == NEW.partition("=")[2]
        assert record["cpu_seconds"] == before[key]["cpu_seconds"]  # the sweep's pre-training
    assert after[config, 0]["accuracy"]["new"] != after["untrained", 0]["accuracy"]["new"] or (
        after[config, 0]["accuracy"]["again"] != after["untrained", 0]["accuracy"]["again"]
    )
    # resumable: nothing left to score, nothing appended
    assert study(*args).returncode == 0
    assert len(out.read_text().splitlines()) == 2


@pytest.mark.slow
def test_rescore_refuses_a_sweep_of_another_recipe(tmp_path):
    sweep = tmp_path / "sweep.jsonl"
    sweep.write_text(json.dumps({"recipe": "cpu@0000000000", "config": "untrained", "seed": 0,
                                 "accuracy": {}}) + "\n")  # fmt: skip
    done = study("rescore", "--recipe", "tiny", "--from", str(sweep), "--keep-backbones",
                 str(tmp_path), "--results", str(tmp_path / "out.jsonl"), "--tasks", NEW)  # fmt: skip
    assert done.returncode != 0
    assert (
        done.stderr.strip().splitlines()[-1].startswith(f"{sweep} has no records of recipe tiny@")
    )
