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
    with pytest.raises(ValueError, match="curve_test_max"):
        get_recipe("tiny").replace(curve_test_max=0)


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
    # cheaper curve points (a capped test set before the last epoch): the same final values
    (capped,) = group_by_backbone(
        plan_sweep(TASKS, [DR], sim, TINY_CURVES.replace(curve_test_max=40))
    )
    cheap = evaluate_backbone(capped, "cpu", progress=False)
    assert [e.accuracy for e in cheap] == [e.accuracy for e in without]
    assert [len(e.curve) for e in cheap] == [2, 2]
    assert all(abs(e.curve[0][1] * 40 - round(e.curve[0][1] * 40)) < 1e-4 for e in cheap)  # k/40


@pytest.mark.slow
def test_sweep_stores_curves_and_cost(sim, tmp_path):
    torch.set_num_threads(1)
    store = RewardStore(tmp_path / "r.sqlite")
    report = run_sweep(plan_sweep(TASKS, [DR], sim, TINY_CURVES), store, progress=False)
    assert report.ok and report.computed == 2 and report.pretrained == 1
    assert report.cpu_seconds > 0 and "CPU s per pre-training" in report.summary()
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


# -- the export and the packaged table ---------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "cpu_table.py"


def _run(*args: str) -> str:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _embed(store: RewardStore, tasks: dict[str, str], vectors: np.ndarray) -> None:
    import json

    from t2s_env.task2vec import Task2VecConfig, config_record

    embedding = {"probe": "random", "image_size": 64, "n_images": 2000, "max_samples": 2000}
    config = config_record(Task2VecConfig(**embedding, device="cpu"))
    for (task, spec), vector in zip(tasks.items(), vectors, strict=True):
        method = {"dataset": DatasetSpec.parse(spec).identity, "task2vec": config}
        store.put_embedding(task, json.dumps(method, sort_keys=True), vector)


@pytest.mark.slow
def test_v0_package_rebuilds_byte_identical_from_its_export(tmp_path):
    """Task2Sim-CPU-v0's files come out of `cpu_table.py package` unchanged: the npz byte for
    byte, the json but for the machine's description."""
    import json

    from t2s_env.data import data_path
    from t2s_env.datasets import LIVE_TASKS, V0_TASKS

    packaged = np.load(data_path("cpu_table.npz"))
    store = RewardStore(tmp_path / "r.sqlite")
    _embed(store, {t: LIVE_TASKS[t] for t in V0_TASKS}, packaged["embedding"])
    meta = json.loads(data_path("cpu_table.json").read_text())
    _run("package", "--store", str(tmp_path / "r.sqlite"), "--dest", str(tmp_path),
         "--out", str(ROOT / "benchmarks" / "results" / "cpu_table"),
         "--commit", meta["provenance"]["commit"])  # fmt: skip
    assert (tmp_path / "cpu_table.npz").read_bytes() == data_path("cpu_table.npz").read_bytes()
    rebuilt = json.loads((tmp_path / "cpu_table.json").read_text())
    rebuilt["provenance"]["machine"] = meta["provenance"]["machine"]
    assert rebuilt == meta
    assert "curves" not in np.load(tmp_path / "cpu_table.npz")


@pytest.mark.slow
def test_v1_export_and_package_carry_curves_and_costs(tmp_path):
    """A store with curves (synthetic: every configuration of the paper's space, two tasks, two
    seeds) exports its curves and costs, reads back bit for bit, and packages the interface's
    arrays: fidelities (F,), curves (T, S, C, F) with curves[..., -1] == reward, cost (S, C)."""
    import csv
    import json

    from t2s_env.datasets import LIVE_TASKS
    from t2s_env.space import PAPER_SPACE

    tasks = {t: LIVE_TASKS[t] for t in LIVE_TASKS}
    store = RewardStore(tmp_path / "r.sqlite")
    rng = np.random.default_rng(0)
    keys = PAPER_SPACE.all_keys()
    for seed in (0, 1):
        for i, config in enumerate(keys):
            cost = 30.0 + rng.random()
            for task in ("digits-0to4", "fmnist-tops"):
                acc = rng.random(3)
                key = EvaluationKey(task, config, "embedded", "v1", "cpu2c@test", seed)
                curve = ((0.5, acc[0]), (1.0, acc[1]), (2.0, acc[2]))
                if task == "fmnist-tops" and seed == 1 and i == 0:  # one cell from two jobs
                    cost += 1.0
                store.put(
                    Evaluation(key, float(acc[2]), curve=curve, cpu_seconds=cost,
                               backbone=f"{config}/{seed}", created=1.0),
                    dataset=DatasetSpec.parse(tasks[task]).identity,
                )  # fmt: skip
    out = tmp_path / "export"
    _run("export", "--table", "cpu-v1", "--store", str(tmp_path / "r.sqlite"), "--out", str(out))
    with open(out / "measurements.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 256 * 2 and "curve" in rows[0] and "cpu_seconds" in rows[0]
    first = store.get(EvaluationKey(rows[0]["task"], rows[0]["config"], "embedded", "v1",
                                    "cpu2c@test", int(rows[0]["seed"])))  # fmt: skip
    assert tuple(map(tuple, json.loads(rows[0]["curve"]))) == first.curve
    assert float(rows[0]["cpu_seconds"]) == first.cpu_seconds
    assert "with a learning curve" in (out / "status.md").read_text()
    # a lost store comes back from the export, curves and costs included
    _run(
        "import", "--table", "cpu-v1", "--store", str(tmp_path / "again.sqlite"), "--out", str(out)
    )
    assert RewardStore(tmp_path / "again.sqlite").get(first.key).curve == first.curve
    # the package needs every task of the table: here only two, so the others are refused
    dest = tmp_path / "pkg"
    dest.mkdir()
    import subprocess
    import sys

    refused = subprocess.run([sys.executable, str(SCRIPT), "package", "--table", "cpu-v1",
                              "--store", str(tmp_path / "r.sqlite"), "--out", str(out),
                              "--dest", str(dest)], capture_output=True, text=True)  # fmt: skip
    assert refused.returncode != 0 and "no measurement yet" in refused.stderr


def test_v1_table_arrays_follow_the_interface():
    """``replicate_arrays`` of a curve export: the interface's shapes and identities."""
    import json

    from t2s_env.datasets import LIVE_TASKS
    from t2s_env.rewards.export import replicate_arrays
    from t2s_env.space import PAPER_SPACE

    keys = PAPER_SPACE.all_keys()
    rows = []
    for t, task in enumerate(LIVE_TASKS):
        for seed in (0, 1):
            for c, config in enumerate(keys[:3]):
                acc = [0.1 * t / 24, 0.2 + 0.01 * c, 0.5 + 0.001 * seed]
                rows.append({"task": task, "config": config, "seed": str(seed),
                             "accuracy": repr(acc[-1]),
                             "curve": json.dumps([[0.5, acc[0]], [1.0, acc[1]], [2.0, acc[2]]]),
                             "cpu_seconds": repr(40.0 + seed + c)})  # fmt: skip
    arrays = replicate_arrays(rows, list(LIVE_TASKS), keys, curves=True)
    assert arrays["fidelities"].tolist() == [0.5, 1.0, 2.0]
    shape = (len(LIVE_TASKS), 2, 256, 3)
    assert arrays["curves"].shape == shape and arrays["cost_seconds"].shape == (2, 256)
    measured = np.isfinite(arrays["reward"])
    assert np.array_equal(arrays["curves"][..., -1], arrays["reward"], equal_nan=True)
    assert measured[:, :, :3].all() and not measured[:, :, 3:].any()
    assert arrays["cost_seconds"][1, 2] == 43.0 and np.isnan(arrays["cost_seconds"][:, 3:]).all()
    plain = replicate_arrays(rows, list(LIVE_TASKS), keys)
    assert set(plain) == {"tasks", "keys", "seeds", "reward"}
    bad = [dict(r) for r in rows]
    bad[0]["curve"] = json.dumps([[1.0, 0.2], [2.0, 0.5]])  # another grid of epochs
    with pytest.raises(ValueError, match="one grid"):
        replicate_arrays(bad, list(LIVE_TASKS), keys, curves=True)
    bad = [dict(r) for r in rows]
    bad[0]["accuracy"] = "0.25"
    with pytest.raises(ValueError, match="last accuracy"):
        replicate_arrays(bad, list(LIVE_TASKS), keys, curves=True)
    bad = [dict(r) for r in rows]
    for r in bad:
        if r["seed"] == "0" and r["config"] == keys[0]:
            r["cpu_seconds"] = ""
    with pytest.raises(ValueError, match="no cpu_seconds"):
        replicate_arrays(bad, list(LIVE_TASKS), keys, curves=True)


# -- speed without a change: the augmentation's direct path ---------------------------------------
def test_direct_crop_and_flip_gives_the_transforms_pixels():
    """``AugmentedImages`` without RandAugment calls the crop and flip directly: every item of
    two epochs equals the composed torchvision transforms' under the same seed."""
    from t2s_env.pretrain.augment import AugmentedImages

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (150, 40, 40, 3), dtype=np.uint8)
    data = AugmentedImages(images, np.arange(150) % 3, 32, (0.35, 1.0), False, seed=5)
    for epoch in (0, 1):
        data.epoch = epoch
        for i in range(150):
            fast, label = data[i]
            seed = np.random.SeedSequence([5, epoch, i]).generate_state(1)[0]
            with torch.random.fork_rng(devices=[]):
                torch.default_generator.manual_seed(int(seed))
                slow = data.transform(torch.from_numpy(images[i]).permute(2, 0, 1))
            assert torch.equal(fast, slow) and label == i % 3


def test_exported_curve_arrays_read_back_through_the_table_loader(tmp_path):
    """The arrays the export packages are what ``read_replicate_table`` (the env's loader)
    reads: fidelities, curves and costs, bit for bit."""
    import json

    from t2s_env.data import read_replicate_table
    from t2s_env.rewards.export import replicate_arrays
    from t2s_env.space import PAPER_SPACE

    rng = np.random.default_rng(1)
    tasks, keys = ["fmnist-20shot", "digits-5to9"], PAPER_SPACE.all_keys()
    rows = []
    for seed in (0, 1):
        for config in keys:
            cost = repr(float(rng.uniform(30, 60)))
            for task in tasks:
                acc = rng.random(3)
                rows.append({"task": task, "config": config, "seed": str(seed),
                             "accuracy": repr(float(acc[2])), "cpu_seconds": cost,
                             "curve": json.dumps([[0.5, acc[0]], [1.0, acc[1]], [2.0, acc[2]]])})  # fmt: skip
    arrays = replicate_arrays(rows, tasks, keys, curves=True)
    embedding = rng.uniform(0.01, 1, (2, 9600)).astype(np.float32)
    np.savez_compressed(tmp_path / "t.npz", **arrays, embedding=embedding)
    split = {"seen": ["fmnist-20shot"], "unseen": ["digits-5to9"]}
    (tmp_path / "t.json").write_text(json.dumps({"split": split, "provenance": {}}))
    table = read_replicate_table(tmp_path / "t.npz", tmp_path / "t.json")
    assert table.fidelities == (0.5, 1.0, 2.0)
    assert np.array_equal(table.curves, arrays["curves"])
    assert np.array_equal(table.cost_seconds, arrays["cost_seconds"])
    assert np.array_equal(table.reward, arrays["reward"])


def _cpu_table_script():
    import importlib.util
    import sys

    if "cpu_table_script" not in sys.modules:  # its dataclasses need it registered
        spec = importlib.util.spec_from_file_location("cpu_table_script", SCRIPT)
        sys.modules["cpu_table_script"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["cpu_table_script"])
    return sys.modules["cpu_table_script"]


def test_v1_packages_the_live_vectors_the_live_env_observes():
    """``cpu-v1``'s packaged vectors are the live probe's (the ones ``Task2Sim-Live-v0`` reads
    for these tasks), in the table's task order, with their settings as provenance."""
    from t2s_env.data import load_live_task2vec
    from t2s_env.datasets import LIVE_TASKS
    from t2s_env.rewards.live import packaged_live_vector
    from t2s_env.task2vec import LIVE_TASK2VEC

    script = _cpu_table_script()
    table = script.TABLES["cpu-v1"]
    vectors, record = script.table_vectors(Path("unused.sqlite"), table)
    assert len(vectors) == len(table.tasks) == 26
    for task, vector in zip(table.tasks, vectors, strict=True):
        live = packaged_live_vector(task, DatasetSpec.parse(LIVE_TASKS[task]), LIVE_TASK2VEC)
        assert np.array_equal(vector, live), task
    assert record["vector"] == load_live_task2vec()[1]["task2vec"]["vector"] == "conv-log-z"


def test_export_status_gives_each_task_one_seeds_reliability():
    """The export's status: a task whose seeds agree is reliable, one of pure seed noise is
    listed below 0.5 (a third seed); a task not measured yet has no figure."""
    script = _cpu_table_script()
    table = script.TABLES["cpu-v1"]
    rng = np.random.default_rng(0)
    effect = rng.uniform(0.3, 0.7, 40)
    rows = []
    for seed in (0, 1):
        for c in range(40):
            for task, acc in (("fmnist-tops", effect[c] + 0.01 * rng.normal()),
                              ("digits-0to4", rng.uniform(0.3, 0.7))):  # fmt: skip
                key = EvaluationKey(task, f"c{c}", "embedded", "v1", "cpu2c@test", seed)
                rows.append(Evaluation(key, float(acc)))
    lines = "\n".join(script.reliability_lines(rows, table))
    tops = next(x for x in lines.splitlines() if x.startswith("| fmnist-tops "))
    assert float(tops.split("|")[4]) > 0.9
    assert "Below 0.5 (a third seed, issue 24): 1 of 26: digits-0to4." in lines
    assert "| fmnist-wear | 0 | 0 | - | - |" in lines and "early figures" in lines


def test_v1_untrained_reference_is_the_cpu2c_initialisation_on_v1s_tasks():
    """``cpu_table_v1_untrained.json`` (``cpu_table.py untrained --table cpu-v1``): V1's 26
    tasks and their specs, seeds 0-2, the `cpu2c` recipe; one value recomputed exactly."""
    import torch

    from t2s_env.data import data_path, read_untrained_reference
    from t2s_env.datasets import LIVE_TASKS
    from t2s_env.datasets.live_tasks import V1_TASKS
    from t2s_env.pipeline import prepare_task, score_model
    from t2s_env.pretrain import build_backbone, get_recipe

    ref = read_untrained_reference(data_path("cpu_table_v1_untrained.json"))
    recipe = get_recipe("cpu2c")
    assert ref.tasks == tuple(V1_TASKS) and ref.seeds == (0, 1, 2)
    assert ref.provenance["recipe"] == recipe.id
    assert ref.provenance["tasks"] == {t: LIVE_TASKS[t] for t in V1_TASKS}
    task = "digits-0to4"  # the smallest: 50 + 175 images
    model = build_backbone(recipe.arch, max(recipe.classes, 2), 1).eval()
    prepared = prepare_task(DatasetSpec.parse(LIVE_TASKS[task]), recipe)
    acc, _ = score_model(model, prepared, recipe, torch.device("cpu"), progress=False)
    assert acc == ref.accuracy[ref.tasks.index(task), 1]
