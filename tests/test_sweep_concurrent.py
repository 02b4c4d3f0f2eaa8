"""Concurrent sweeps on one store: each cell computed once between them, datasets never mixed,
a crashed claimer's cells taken over when its lease runs out."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from live_toy import ToySimulator

from t2s_env.rewards.store import DatasetBindingError, Evaluation, EvaluationKey, RewardStore
from t2s_env.sweep import plan_sweep, run_sweep

HERE = Path(__file__).parent
CONFIGS = ["all"]


def fake(request, device=None, progress=False) -> Evaluation:
    value = sum(int(v) for v in request.config_key.split("_")) + request.seed
    return Evaluation(request.key, (value % 10) / 10, {"total": 0.0})


SCRIPT = """
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, {here!r})
from live_toy import ToySimulator
from test_sweep_concurrent import fake
from t2s_env.datasets import DatasetSpec
from t2s_env.rewards.store import RewardStore
from t2s_env.sweep import plan_sweep, run_sweep

log = Path({log!r})

def counted(request, **kw):
    time.sleep(0.05)
    with open(log, "a") as f:  # O_APPEND: one line per computation, from either process
        f.write(f"{{os.getpid()}} {{request.config_key}}\\n")
    return fake(request)

spec = DatasetSpec.parse("digits", seed={split_seed})
requests = plan_sweep({{"t": spec}}, "all", ToySimulator(), "tiny")[:{cells}]
Path({ready!r} + str(os.getpid())).touch()
while not Path({go!r}).exists():
    time.sleep(0.01)
report = run_sweep(requests, RewardStore({store!r}), evaluate_fn=counted, progress=False,
                   poll_seconds=0.05)
print(json.dumps({{"computed": report.computed, "cached": report.cached,
                  "refused": len(report.refused), "failed": len(report.failed)}}))
"""


def run_two(tmp_path: Path, split_seeds: tuple[int, int], cells: int) -> list[dict]:
    import json

    store, log, go = tmp_path / "r.sqlite", tmp_path / "log.txt", tmp_path / "go"
    RewardStore(store).close()
    procs = []
    for seed in split_seeds:
        script = SCRIPT.format(here=str(HERE), log=str(log), split_seed=seed, cells=cells,
                               ready=str(tmp_path / "ready-"), go=str(go), store=str(store))  # fmt: skip
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", textwrap.dedent(script)],
                cwd=HERE.parent,
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
        )
    deadline = time.time() + 120
    while len(list(tmp_path.glob("ready-*"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    go.touch()  # both start their sweeps at once
    outs = [p.communicate(timeout=180)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    return [json.loads(o.strip().splitlines()[-1]) for o in outs]


@pytest.mark.slow
def test_two_sweeps_on_one_store_compute_each_cell_once(tmp_path):
    cells = 32
    reports = run_two(tmp_path, (0, 0), cells)
    lines = (tmp_path / "log.txt").read_text().split()
    keys = lines[1::2]
    assert len(keys) == cells and len(set(keys)) == cells  # every cell, each once
    assert sum(r["computed"] for r in reports) == cells
    assert all(r["computed"] + r["cached"] == cells for r in reports)
    assert all(r["computed"] > 0 for r in reports)  # the work was shared
    store = RewardStore(tmp_path / "r.sqlite")
    assert len(store) == cells and store.claims() == []


@pytest.mark.slow
def test_two_sweeps_naming_different_datasets_never_mix(tmp_path):
    """Same task name, two datasets (two splits of digits): one sweep binds the name, the
    other's cells are refused, and the store holds one dataset's results only."""
    cells = 16
    reports = run_two(tmp_path, (0, 1), cells)
    store = RewardStore(tmp_path / "r.sqlite")
    (dataset,) = store.datasets("t")
    assert len(store) == cells
    winner = [r for r in reports if r["refused"] == 0]
    loser = [r for r in reports if r["refused"] > 0]
    assert len(winner) == 1 and len(loser) == 1
    assert winner[0]["computed"] == cells and loser[0]["computed"] == 0
    assert loser[0]["refused"] + loser[0]["cached"] == cells


def test_a_crashed_claimers_lease_expires(tmp_path):
    store = RewardStore(tmp_path / "r.sqlite")
    key = EvaluationKey("t", "0_0", "toy", "1", "tiny@x", 0)
    away = "otherhost:123:abc"  # a claimer on another machine: only its lease tells
    assert store.claim(key, away, "digits", lease_seconds=10, now=1000.0) == "claimed"
    assert store.claim(key, "me", "digits", lease_seconds=10, now=1005.0) == "busy"
    assert store.claim(key, "me", "digits", lease_seconds=10, now=1011.0) == "claimed"
    assert [(k, o) for k, o, _ in store.claims()] == [(key, "me")]
    store.put(Evaluation(key, 0.5), dataset="digits")  # a write releases the claim
    assert store.claims() == [] and store.claim(key, away, "digits") == "done"


def test_a_killed_claimer_on_this_host_frees_its_cells_at_once(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store = RewardStore(tmp_path / "r.sqlite")
    key = EvaluationKey("t", "0_0", "toy", "1", "tiny@x", 0)
    store.claim(key, f"{socket.gethostname()}:{dead.pid}:abc", lease_seconds=3600)
    assert store.claim(key, "me") == "claimed"


def test_a_sweep_waits_for_a_live_claim_then_takes_over_when_it_expires(tmp_path):
    store = RewardStore(tmp_path / "r.sqlite")
    requests = plan_sweep(["digits"], ["0_0_0_0_0_1_0_0_0", "1_1_1_1_1_3_0_1_1"],
                          ToySimulator(), "tiny")  # fmt: skip
    held = requests[0].key
    store.claim(held, "otherhost:1:x", requests[0].dataset.identity, lease_seconds=0.5)
    calls = []

    def counting(request, **kw):
        calls.append(request.key)
        return fake(request)

    report = run_sweep(requests, store, evaluate_fn=counting, progress=False, poll_seconds=0.1)
    assert report.computed == 2 and report.ok and calls[-1] == held
    assert len(store) == 2 and store.claims() == []


def test_a_claim_for_another_dataset_is_refused(tmp_path):
    store = RewardStore(tmp_path / "r.sqlite")
    key = EvaluationKey("t", "0_0", "toy", "1", "tiny@x", 0)
    store.claim(key, "otherhost:1:x", "digits")
    other = EvaluationKey("t", "1_1", "toy", "1", "tiny@x", 0)
    with pytest.raises(DatasetBindingError, match="'t' for dataset 'digits'"):
        store.claim(other, "me", "folder:/mine")


def test_refused_writes_are_reported_not_counted(tmp_path):
    """A writer that takes no claims (an older t2s, say) binds the task to another dataset while
    the sweep runs: the sweep's write is refused inside its transaction, the next cell's claim
    too, and both are reported as refused, not computed; the exit status says so."""
    import sqlite3

    path = tmp_path / "r.sqlite"
    store = RewardStore(path)
    requests = plan_sweep(["digits"], ["0_0_0_0_0_1_0_0_0", "1_1_1_1_1_3_0_1_1"],
                          ToySimulator(), "tiny")  # fmt: skip

    def racing(request, **kw):
        if request is requests[0]:
            with sqlite3.connect(path) as conn:
                conn.execute(
                    "INSERT INTO evaluations (task, config, simulator, simulator_version, "
                    "recipe, seed, accuracy, timings, versions, details, created, backbone) "
                    "VALUES ('digits', 'x', 'toy', '1', 'r', 0, 0.1, "
                    "'{}', '{}', '{\"dataset\": \"digits?seed=7\"}', 0, '')"
                )
        return fake(request)

    report = run_sweep(requests, store, evaluate_fn=racing, progress=False)
    assert report.computed == 0 and len(report.refused) == 2 and not report.ok
    assert "2 refused by the store" in report.summary()
    assert store.datasets("digits") == {"digits?seed=7"} and len(store) == 1
