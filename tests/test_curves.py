"""Learning curves and cost (issue 24): one pre-training scored at the recipe's curve epochs,
with the same final weights and accuracies as without; the reward store's schema 2 (curves, CPU
seconds) and its migration from version 1; the recipe ids that must not move."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch

from t2s_env.datasets import DatasetSpec
from t2s_env.pipeline import evaluate_backbone, group_by_backbone
from t2s_env.pretrain import get_recipe, train_backbone
from t2s_env.pretrain.train import curve_steps
from t2s_env.rewards.store import SCHEMA_VERSION, Evaluation, EvaluationKey, RewardStore, StoreError
from t2s_env.sweep import plan_sweep, run_sweep

V1_DUMP = Path(__file__).parent / "data" / "store_v1.sql"
TASKS = {"digits": DatasetSpec.parse("digits"), "digits-b": DatasetSpec.parse("digits", seed=1)}
DR = "1_1_1_1_1_3_0_1_1"
TINY = get_recipe("tiny").replace(arch="resnet10_w32")  # a narrow backbone: fast tests
TINY_CURVES = TINY.replace(curve_epochs=(0.5, 1.0))


# -- recipes -------------------------------------------------------------------------------------
def test_curve_field_leaves_the_measured_recipe_ids_unchanged():
    assert get_recipe("cpu").id == "cpu@d1a84dd4e7"  # Task2Sim-CPU-v0
    assert get_recipe("cpu2").id == "cpu2@952125d8fd"  # the cpu2 signal study
    assert get_recipe("tiny").id == "tiny@e0bb72cd13"
    cpu2c = get_recipe("cpu2c")
    assert cpu2c.curve_epochs == (0.5, 1.0, 2.0) and cpu2c.id != get_recipe("cpu2").id
    assert cpu2c.replace(name="cpu2", curve_epochs=()) == get_recipe("cpu2")  # same training
    assert TINY_CURVES.id != TINY.id


@pytest.mark.parametrize(
    "curve", [(1.0, 0.5), (0.5,), (0.0, 1.0), (0.5, 0.5, 1.0), (0.5, 2.0), [0.5, 1.0], ("1",)]
)
def test_bad_curve_epochs_are_named(curve):
    with pytest.raises(ValueError, match="curve_epochs"):
        get_recipe("tiny").replace(curve_epochs=curve)


def test_curve_steps_and_too_few_steps():
    assert curve_steps(get_recipe("cpu2c"), 78) == {39: 0.5, 78: 1.0, 156: 2.0}
    with pytest.raises(ValueError, match="distinct optimisation steps"):
        curve_steps(get_recipe("tiny").replace(curve_epochs=(0.1, 1.0)), 3)


# -- one pre-training, bit for bit -----------------------------------------------------------------
def test_curve_scoring_leaves_training_bit_for_bit():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (60, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(60) % 4
    recipe = TINY.replace(
        classes=4, images_per_class=15, epochs=2, batch_size=10, curve_epochs=(0.5, 1.0, 1.5, 2.0)
    )
    seen = []

    def probe(epochs, model):
        assert not model.training and torch.is_inference_mode_enabled()
        seen.append(epochs)
        model(torch.zeros(2, 3, 32, 32))

    plain = train_backbone(images, labels, recipe, seed=3, device="cpu", progress=False)
    curved = train_backbone(images, labels, recipe, 3, "cpu", False, at_curve_epoch=probe)
    assert seen == [0.5, 1.0, 1.5]  # the last is the returned model
    assert curved.final_loss == plain.final_loss and curved.model.training is False
    a, b = plain.model.state_dict(), curved.model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_backbone_job_records_curves_and_cpu_seconds_and_the_same_accuracies(sim):
    torch.set_num_threads(1)
    (plain,) = group_by_backbone(plan_sweep(TASKS, [DR], sim, TINY))
    (curved,) = group_by_backbone(plan_sweep(TASKS, [DR], sim, TINY_CURVES))
    without = evaluate_backbone(plain, "cpu", progress=False)
    with_curves = evaluate_backbone(curved, "cpu", progress=False)
    for a, b in zip(without, with_curves, strict=True):
        assert a.accuracy == b.accuracy  # the full-fidelity value, bit for bit
        assert a.curve == () and [e for e, _ in b.curve] == [0.5, 1.0]
        assert b.curve[-1] == (1.0, b.accuracy) and 0 <= b.curve[0][1] <= 1
        assert b.cpu_seconds > 0 and b.details["job_tasks"] == 2
    assert len({b.cpu_seconds for b in with_curves}) == 1  # one cost per pre-training
    assert with_curves[0].curve[0] != with_curves[1].curve[0]  # each task its own curve


@pytest.mark.slow
def test_sweep_stores_curves_and_cost(sim, tmp_path):
    torch.set_num_threads(1)
    store = RewardStore(tmp_path / "r.sqlite")
    report = run_sweep(plan_sweep(TASKS, [DR], sim, TINY_CURVES), store, progress=False)
    assert report.ok and report.computed == 2
    again = RewardStore(tmp_path / "r.sqlite")
    for e in again:
        assert len(e.curve) == 2 and e.curve[-1][1] == e.accuracy and e.cpu_seconds > 0


# -- the store's schema ------------------------------------------------------------------------------
def _v1_store(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DUMP.read_text())
    conn.close()
    return path


def test_a_version_1_store_is_migrated_in_place_and_loses_nothing(tmp_path):
    path = _v1_store(tmp_path / "v1.sqlite")
    with sqlite3.connect(path) as conn:
        before = conn.execute("SELECT * FROM evaluations ORDER BY task, seed").fetchall()
        claims = conn.execute("SELECT * FROM claims").fetchall()
    conn.close()
    store = RewardStore(path)
    rows = sorted(store, key=lambda e: (e.key.task, e.key.seed))
    assert [(*e.key.values(), e.accuracy, e.backbone) for e in rows] == [
        (*r[:7], r[11]) for r in before
    ]
    assert all(e.curve == () and e.cpu_seconds is None for e in rows)
    assert rows[0].timings == {"cpu": 1.25, "total": 1.5}
    assert rows[0].details == {"dataset": "ds-digits-0to4"}
    assert store.get_embedding("digits-0to4", "m").tolist() == [0.0, 1.0, 2.0, 3.0]
    assert len(store.claims()) == len(claims) == 1
    key = EvaluationKey("digits-0to4", DR, "embedded", "ea5e93aa5e2b", "cpu2c@x", 0)
    new = Evaluation(key, 0.7, curve=((1.0, 0.6), (2.0, 0.7)), cpu_seconds=41.5)
    assert store.put(new, dataset="ds-digits-0to4")
    store.close()
    reopened = RewardStore(path)  # a second open finds version 2: nothing to do
    assert reopened.get(key) == RewardStore(path).get(key)
    assert reopened.get(key).curve == ((1.0, 0.6), (2.0, 0.7))
    assert reopened.get(key).cpu_seconds == 41.5 and len(reopened) == 5
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),) == ("2",)


def test_a_failed_migration_leaves_the_version_1_store_as_it_was(tmp_path, monkeypatch):
    from t2s_env.rewards import store as store_module

    path = _v1_store(tmp_path / "v1.sqlite")
    before = path.read_bytes()
    monkeypatch.setitem(
        store_module._MIGRATIONS, 1, (*store_module._MIGRATIONS[1], "ALTER TABLE nowhere x")
    )
    with pytest.raises(StoreError, match="not a usable reward store"):
        RewardStore(path)
    with sqlite3.connect(path) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(evaluations)")]
        version = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        assert conn.execute("SELECT COUNT(*) FROM evaluations").fetchone() == (4,)
    conn.close()
    assert "curve" not in columns and version == ("1",)
    monkeypatch.undo()
    assert len(RewardStore(path)) == 4 and path.read_bytes() != before  # then migrated


def test_a_newer_store_is_refused_untouched(tmp_path):
    path = _v1_store(tmp_path / "v3.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '3' WHERE name = 'schema_version'")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="schema version 3.*upgrade t2s_env"):
        RewardStore(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"curve": ((1.0, 0.5),)}, "last accuracy"),
        ({"curve": ((1.0, 0.2), (0.5, 0.7))}, "ascending"),
        ({"curve": ((0.5, 1.2), (1.0, 0.7))}, "fractions"),
        ({"cpu_seconds": -1.0}, "cpu_seconds"),
        ({"cpu_seconds": float("nan")}, "cpu_seconds"),
    ],
)
def test_bad_curves_and_costs_are_named(kwargs, match):
    key = EvaluationKey("t", "c", "toy", "1", "r@x", 0)
    with pytest.raises(ValueError, match=match):
        Evaluation(key, 0.7, **kwargs)
