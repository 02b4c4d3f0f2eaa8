"""The SQLite reward store: caching, concurrency, interruption, bad files, export to a table."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from t2s_env.data import Task2VecTable, read_reward_table
from t2s_env.rewards import TableRewardSource
from t2s_env.rewards.store import Evaluation, EvaluationKey, RewardStore, StoreError
from t2s_env.space import Knob, KnobSpace

SPACE = KnobSpace((Knob("a", (0, 1), "knob a"), Knob("b", (0, 1, 2), "knob b")), name="toy")


def key(task="t", config="0_0", seed=0, recipe="smoke@x") -> EvaluationKey:
    return EvaluationKey(task, config, "toy", "1", recipe, seed)


def test_put_get_never_overwrites(tmp_path):
    store = RewardStore(tmp_path / "r.sqlite")
    e = Evaluation(key(), 0.5, {"total": 2.0}, {"torch": "x"}, {"note": [1, 2]}, 123.0)
    assert store.put(e) is True
    assert store.get(key()) == e
    assert store.put(Evaluation(key(), 0.9)) is False
    assert store.get(key()).accuracy == 0.5
    assert store.get(key(seed=1)) is None and key(seed=1) not in store
    assert store.missing([key(), key(seed=1), key(seed=1)]) == [key(seed=1)]
    assert [x.key for x in store.evaluations(seed=0)] == [key()]
    with pytest.raises(ValueError, match="unknown key fields"):
        store.evaluations(colour="red")
    store.close()
    assert len(RewardStore(tmp_path / "r.sqlite")) == 1  # persisted


def test_accuracy_must_be_a_fraction():
    with pytest.raises(ValueError, match=r"fraction in \[0, 1\]"):
        Evaluation(key(), 93.0)


def _writer(path: str, offset: int, n: int) -> None:
    store = RewardStore(path, timeout=60)
    for i in range(n):
        store.put(Evaluation(key(task=f"t{offset}", config=str(i)), (i % 10) / 10))


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "r.sqlite")
    RewardStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 40)) for w in range(3)]
    for p in procs:
        p.start()
    _writer(path, 99, 40)  # and this process at the same time
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = RewardStore(path)
    assert len(store) == 160
    assert store.get(key(task="t2", config="39")).accuracy == pytest.approx(0.9)


def test_killed_writer_keeps_finished_rows(tmp_path):
    path = tmp_path / "r.sqlite"
    script = textwrap.dedent(f"""
        import time
        from t2s_env.rewards.store import Evaluation, EvaluationKey, RewardStore
        store = RewardStore({str(path)!r})
        for i in range(10_000):
            store.put(Evaluation(EvaluationKey("t", str(i), "toy", "1", "r", 0), 0.5))
            time.sleep(0.01)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parent.parent)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.3)
            if path.exists():
                try:
                    if len(RewardStore(path)) >= 5:
                        break
                except StoreError:
                    pass
        proc.kill()  # SIGKILL: no cleanup at all
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    store = RewardStore(path)
    n = len(store)
    assert n >= 5
    assert all(store.get(key(task="t", config=str(i), recipe="r")) for i in range(n))
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_corrupt_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "r.sqlite"
    garbage = b"this is not a database\n" * 50
    path.write_bytes(garbage)
    with pytest.raises(StoreError, match="not a reward store: not an SQLite database"):
        RewardStore(path)
    assert path.read_bytes() == garbage

    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(StoreError, match="not a reward store"):
        RewardStore(other)
    assert other.read_bytes() == before

    with pytest.raises(StoreError, match="does not exist"):
        RewardStore(tmp_path / "no" / "such" / "folder.sqlite")


def test_truncated_store_gives_a_clear_error(tmp_path):
    path = tmp_path / "r.sqlite"
    store = RewardStore(path)
    for i in range(50):
        store.put(Evaluation(key(config=str(i)), 0.5, details={"pad": "x" * 500}))
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\x00" * 4000 + data[4100:])
    with pytest.raises(StoreError, match=str(path.name)):
        len(RewardStore(path))


def test_embedding_cache(tmp_path):
    store = RewardStore(tmp_path / "r.sqlite")
    v = np.arange(5, dtype=np.float32)
    store.put_embedding("digits", "m1", v, {"probe": "random"})
    store.put_embedding("digits", "m1", v * 0)  # the first one stays
    np.testing.assert_array_equal(store.get_embedding("digits", "m1"), v)
    assert store.get_embedding("digits", "m2") is None


def test_export_to_table_and_back_into_the_table_env(tmp_path):
    store = RewardStore(tmp_path / "r.sqlite")
    keys = SPACE.all_keys()
    rng = np.random.default_rng(0)
    truth = {}
    for task in ("mine", "yours"):
        for k in keys:
            accs = rng.uniform(0.2, 0.8, 2)
            truth[task, k] = accs.mean()
            for seed, acc in enumerate(accs):
                store.put(Evaluation(EvaluationKey(task, k, "toy", "1", "smoke@abc", seed), acc))
    store.put(Evaluation(EvaluationKey("mine", keys[0], "toy", "1", "tiny@zz", 0), 0.1))

    table = store.to_reward_table(SPACE, recipe="smoke")
    assert table.tasks == ("mine", "yours") and list(table.keys) == keys
    assert table.accuracy[1, 3] == pytest.approx(100 * truth["yours", keys[3]])
    seed0 = store.to_reward_table(SPACE, recipe="smoke@abc", seeds=[0])
    assert seed0.accuracy[0, 0] == pytest.approx(100 * store.get(
        EvaluationKey("mine", keys[0], "toy", "1", "smoke@abc", 0)).accuracy)  # fmt: skip

    table.save(tmp_path / "mine.npz")
    loaded = read_reward_table(tmp_path / "mine.npz")
    embeddings = Task2VecTable(("mine", "yours"), rng.normal(size=(2, 16)).astype(np.float32))
    source = TableRewardSource(table=loaded, embeddings=embeddings, space=SPACE, split={})
    assert source.split("mine") == "user"
    assert source.reward("yours", SPACE.key_to_dict(keys[3])) == pytest.approx(
        truth["yours", keys[3]]
    )


def test_export_errors_say_what_is_missing(tmp_path):
    store = RewardStore(tmp_path / "r.sqlite")
    store.put(Evaluation(EvaluationKey("mine", "0_0", "toy", "1", "smoke@abc", 0), 0.5))
    with pytest.raises(ValueError, match=r"missing configurations per task \{'mine': 5\}"):
        store.to_reward_table(SPACE, recipe="smoke")
    with pytest.raises(ValueError, match="no evaluations with recipe 'paper'"):
        store.to_reward_table(SPACE, recipe="paper")
    store.put(Evaluation(EvaluationKey("mine", "0_0", "toy", "1", "smoke@def", 0), 0.5))
    with pytest.raises(ValueError, match="matches several recipe ids"):
        store.to_reward_table(SPACE, recipe="smoke")


def test_a_task_name_stays_bound_to_its_dataset(tmp_path):
    """Results are keyed by task name: a second dataset under a stored name is refused, by the
    store, by the live source and by a sweep, before anything is computed or overwritten."""
    from t2s_env.datasets import DatasetSpec
    from t2s_env.rewards.live import EvaluationRequest, LiveRewardSource
    from t2s_env.simulator import EmbeddedSimulator
    from t2s_env.sweep import run_sweep

    store = RewardStore(tmp_path / "r.sqlite")
    store.put(Evaluation(key(task="mine"), 0.5, details={"dataset": "folder:/data/a"}))
    store.put(Evaluation(key(task="old"), 0.5))  # no dataset recorded: nothing to check
    assert store.datasets("mine") == {"folder:/data/a"}
    store.check_dataset("mine", "folder:/data/a")
    store.check_dataset("old", "digits")
    store.check_dataset("new", "digits")
    with pytest.raises(
        StoreError, match=r"'mine' measured on dataset 'folder:/data/a', not 'digits'"
    ):
        store.check_dataset("mine", "digits")
    with pytest.raises(StoreError, match="task 'mine'"):
        LiveRewardSource({"mine": "digits"}, store=store, progress=False)
    store.put(Evaluation(key(task="d"), 0.5, details={"dataset": "digits"}))
    LiveRewardSource({"d": DatasetSpec.parse("digits")}, store=store, progress=False)
    with pytest.raises(StoreError, match="'digits', not 'digits\\?seed=1'"):  # another split
        LiveRewardSource({"d": DatasetSpec.parse("digits", seed=1)}, store=store, progress=False)
    sim = EmbeddedSimulator(device="cpu")
    src = LiveRewardSource({"other": "digits"}, simulator=sim, store=store, progress=False)
    request = src.request("other", src.space.key_to_dict(src.space.all_keys()[0]))
    renamed = EvaluationRequest("mine", request.dataset, request.config, sim, request.recipe)
    with pytest.raises(StoreError, match="task 'mine'"):
        run_sweep([renamed], store, evaluate_fn=lambda *a, **k: pytest.fail("ran"), progress=False)
    assert len(store) == 3
