"""Crafted files: a pickle payload in every kind of file the project reads runs nothing (no
marker file appears) and a named error is raised; damaged files fail the same way."""

from __future__ import annotations

import base64
import io
import json
import pickle
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from agents import make_agent
from agents.base import CheckpointError, load_checkpoint
from agents.cli import main
from agents.toy import TOY_SPACE, toy_env
from t2s_env.data import DataFileError, load_reward_table, read_reward_table
from t2s_env.rewards.store import Evaluation, EvaluationKey, RewardStore, StoreError


class Payload:
    """Unpickling this creates the marker file (a harmless stand-in for running code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "MARKER"
    yield path
    assert not path.exists(), "a crafted file ran code"


def pickled_npz(path: Path, marker: Path, **arrays) -> Path:
    """An npz whose entries include an object array (numpy pickles it)."""
    with open(path, "wb") as f:
        np.savez(f, **arrays, payload=np.array([Payload(marker)], dtype=object))
    return path


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("t2s: error: "), err
    return lines[0]


def sb3_zip_with_payload(marker: Path) -> bytes:
    """A real SB3 model zip whose ``policy_class`` holds a cloudpickle payload."""
    agent = make_agent("ppo", 0, space=TOY_SPACE, overrides=dict(n_steps=16, batch_size=16))
    agent.train_batch(toy_env(), ["a0"] * 16, 0)
    buf = io.BytesIO()
    agent.model.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "data":
                d = json.loads(data)
                d["policy_class"][":serialized:"] = base64.b64encode(
                    pickle.dumps(Payload(marker))
                ).decode()
                data = json.dumps(d).encode()
            dst.writestr(name, data)
    return out.getvalue()


def test_the_sb3_payload_is_live_and_the_policy_loader_never_opens_it(tmp_path, marker):
    import stable_baselines3 as sb3

    blob = sb3_zip_with_payload(marker)
    live = tmp_path / "live"  # proof that the payload is real: SB3's own load runs it
    with pytest.raises(Exception):  # noqa: B017 (the payload breaks the rest of the load)
        sb3.PPO.load(io.BytesIO(blob), custom_objects=None, print_system_info=False)
    assert marker.exists()
    marker.rename(live)
    meta = {"name": "ppo", "seed": 0, "config": {"algo": "ppo", "n_steps": 16, "batch_size": 16,
            "learning_rate": 3e-4, "net_arch": [64, 64]}}  # fmt: skip
    for fmt in (None, "sb3-state-dict-1"):  # old checkpoints, and ones that claim the format
        path = tmp_path / f"ppo_{fmt}.npz"
        with open(path, "wb") as f:
            np.savez(f, __meta__=np.array(json.dumps({**meta, "format": fmt})), owed=np.array(0),
                     model_zip=np.frombuffer(blob, np.uint8))  # fmt: skip
        with pytest.raises(CheckpointError, match="never opened"):
            make_agent("ppo").load(path)
        with pytest.raises(CheckpointError):
            load_checkpoint(make_agent("ppo"), path)


def test_sb3_agents_round_trip_without_pickle(tmp_path):
    """Weights and optimiser state as arrays, settings as JSON; the model is rebuilt on load and
    keeps learning on the env it is given."""
    for algo, overrides in (("ppo", dict(n_steps=16, batch_size=16)), ("a2c", dict(n_steps=16))):
        agent = make_agent(algo, 3, space=TOY_SPACE, overrides=overrides)
        env = toy_env()
        for epoch in range(3):
            agent.train_batch(env, ["a0", "a1", "b0", "b1"] * 4, epoch)
        path = tmp_path / f"{algo}.npz"
        agent.save(path)
        with np.load(path, allow_pickle=False) as npz:
            assert "model_zip" not in npz.files and any(k.startswith("policy/") for k in npz.files)
            meta = json.loads(str(npz["__meta__"]))
        assert meta["format"] == "sb3-state-dict-1" and meta["model"]["num_timesteps"] == 48
        clone = make_agent(algo, 99, space=TOY_SPACE)
        clone.load(path)
        obs = np.stack([env.unwrapped.task_observation(t) for t in ("a0", "b1", "a1")])
        np.testing.assert_array_equal(agent.act(obs, True), clone.act(obs, True))
        assert clone.config == agent.config and clone.seed == 3
        a, b = agent.model.policy.optimizer.state_dict(), clone.model.policy.optimizer.state_dict()
        for pid in a["state"]:
            for k, v in a["state"][pid].items():
                torch.testing.assert_close(v, b["state"][pid][k])
        clone.train_batch(toy_env(), ["a0"] * 16, 3)  # binds the real env and learns on
        assert clone.model.num_timesteps == 64


def test_damaged_sb3_weights_are_named(tmp_path):
    agent = make_agent("a2c", 0, space=TOY_SPACE, overrides=dict(n_steps=16))
    agent.train_batch(toy_env(), ["a0"] * 16, 0)
    path = tmp_path / "a2c.npz"
    agent.save(path)
    with np.load(path) as npz:
        arrays = dict(npz)
    arrays["policy/action_net.weight"] = np.zeros((2, 2), np.float32)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(CheckpointError, match="a2c.npz.*action_net.weight"):
        make_agent("a2c").load(path)


def test_pickled_policy_checkpoint_is_refused_by_recommend(tmp_path, marker, capsys):
    meta = np.array(json.dumps({"name": "task2sim", "seed": 0}))
    path = pickled_npz(tmp_path / "policy.npz", marker, __meta__=meta)
    with pytest.raises(CheckpointError, match="policy.npz"):
        load_checkpoint(make_agent("task2sim"), path)
    assert main(["recommend", "digits", "--policy", str(path), "--embedding", str(path)]) == 2
    assert "policy.npz" in one_line_error(capsys)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("runs")
    assert main(["train", "dr", "--epochs", "1", "--logdir", str(logdir), "--no-progress"]) == 0
    (run,) = logdir.iterdir()
    return run


def test_pickled_run_checkpoint_is_refused_by_resume_and_plot(run_dir, tmp_path, marker, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    meta = np.array(json.dumps({"name": "dr", "seed": 0}))
    pickled_npz(run / "checkpoint.npz", marker, __meta__=meta)
    assert main(["train", "--resume", str(run), "--no-progress"]) == 2
    assert "checkpoint.npz" in one_line_error(capsys)
    assert main(["plot", str(run), "--out", str(tmp_path / "plots")]) == 2
    assert "checkpoint.npz" in one_line_error(capsys)
    assert not (tmp_path / "plots").exists()


def test_pickled_embedding_is_refused(tmp_path, marker, capsys):
    path = pickled_npz(
        tmp_path / "emb.npz", marker, hessian=np.ones(9600, np.float32),
        scale=np.ones(9600, np.float32),
    )  # fmt: skip
    with open(path, "wb") as f:  # the meta record itself a pickled object
        np.savez(f, hessian=np.ones(9600, np.float32), scale=np.ones(9600, np.float32),
                 meta=np.array([Payload(marker)], dtype=object))  # fmt: skip
    assert main(["recommend", "digits", "--embedding", str(path)]) == 2
    assert "--embedding" in one_line_error(capsys)


def test_all_zero_or_wrong_size_embedding_is_refused(tmp_path, capsys):
    from t2s_env.task2vec import TaskEmbedding

    path = tmp_path / "zero.npz"
    TaskEmbedding(np.zeros(9600, np.float32), np.ones(9600, np.float32), {}).save(path)
    assert main(["recommend", "digits", "--embedding", str(path)]) == 2
    assert "all zeros" in one_line_error(capsys)
    TaskEmbedding(np.ones(12, np.float32), np.ones(12, np.float32), {}).save(path)
    assert main(["recommend", "digits", "--embedding", str(path)]) == 2
    assert "expected (9600,)" in one_line_error(capsys)
    from agents.cli.recommend import recommend

    with pytest.raises(ValueError, match="non-zero"):
        recommend(np.zeros(9600), {}, make_agent("random"), "random")


def test_pickled_and_duplicate_reward_tables_are_refused(tmp_path, marker):
    table = load_reward_table()
    path = pickled_npz(
        tmp_path / "t.npz", marker, tasks=np.array(table.tasks), keys=np.array(table.keys),
        accuracy=table.accuracy,
    )  # fmt: skip
    read_reward_table(path)  # the extra entry is never read
    with open(path, "wb") as f:
        np.savez(f, tasks=np.array([Payload(marker)], dtype=object), keys=np.array(table.keys),
                 accuracy=table.accuracy)  # fmt: skip
    with pytest.raises(DataFileError, match="t.npz"):
        read_reward_table(path)
    tasks = list(table.tasks)
    tasks[5] = tasks[0]
    with open(path, "wb") as f:
        np.savez(f, tasks=np.array(tasks), keys=np.array(table.keys), accuracy=table.accuracy)
    with pytest.raises(DataFileError, match=f"names task {tasks[0]!r} more than once"):
        read_reward_table(path)


def test_pickled_probe_weights_are_refused(tmp_path, marker):
    from t2s_env.task2vec.probe import ProbeWeightsError, build_probe

    path = tmp_path / "resnet18.pth"
    torch.save({"state_dict": Payload(marker)}, path)
    with pytest.raises(ProbeWeightsError, match="resnet18.pth"):
        build_probe(path, num_classes=10)


def test_crafted_stores(tmp_path, marker):
    """Nothing in a store is unpickled (vectors are raw float32 bytes, records JSON); a foreign
    database, even one with an ``evaluations`` table, is refused byte for byte unmodified."""
    path = tmp_path / "r.sqlite"
    store = RewardStore(path)
    store.put_embedding("t", "m", np.zeros(4))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE embeddings SET vector = ?", (pickle.dumps(Payload(marker)),))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="r.sqlite: the embedding of 't' is damaged"):
        RewardStore(path).get_embedding("t", "m")  # raw bytes of the wrong length, never unpickled
    conn = sqlite3.connect(path)
    conn.execute("UPDATE embeddings SET vector = ?", (pickle.dumps(Payload(marker))[:8],))
    conn.execute(
        "INSERT INTO evaluations (task, config, simulator, simulator_version, recipe, seed, "
        "accuracy, timings, versions, details, created, backbone) "
        "VALUES ('t', 'c', 's', '1', 'r', 0, 0.5, ?, '{}', '{}', 0, '')",
        (pickle.dumps(Payload(marker)),),
    )
    conn.commit()
    conn.close()
    assert RewardStore(path).get_embedding("t", "m").dtype == np.float32  # bytes read as numbers
    with pytest.raises(StoreError, match="r.sqlite holds a damaged row"):
        RewardStore(path).evaluations()

    foreign = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE evaluations (task TEXT, accuracy REAL)")
    conn.execute("INSERT INTO evaluations VALUES ('x', 0.5)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    with pytest.raises(StoreError, match="foreign.sqlite is an SQLite database but not a reward"):
        RewardStore(foreign)
    assert foreign.read_bytes() == before
    assert not Path(str(foreign) + "-wal").exists()


@pytest.mark.parametrize("damage", ["empty", "truncated", "bitflip", "text"])
def test_damaged_checkpoints_give_named_errors(tmp_path, damage):
    agent = make_agent("ucb1", 0)
    path = tmp_path / "ucb1.npz"
    agent.save(path)
    data = path.read_bytes()
    damaged = {
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "bitflip": data[:200] + bytes([data[200] ^ 0xFF]) + data[201:],
        "text": b"hello",
    }[damage]
    path.write_bytes(damaged)
    try:
        load_checkpoint(make_agent("ucb1"), path)
    except CheckpointError as exc:
        assert "ucb1.npz" in str(exc)
    else:  # a flipped bit in padding may leave the file readable: then it must load cleanly
        assert damage == "bitflip"


def test_store_binding_is_enforced_at_write_time(tmp_path):
    """Two connections (two sweeps) naming different datasets under one task: the second write
    is refused inside its transaction, not checked once up front."""
    from t2s_env.rewards.store import DatasetBindingError

    a, b = RewardStore(tmp_path / "r.sqlite"), RewardStore(tmp_path / "r.sqlite")
    key = EvaluationKey("t", "0_0", "toy", "1", "tiny@x", 0)
    a.check_dataset("t", "digits")
    b.check_dataset("t", "folder:/other")  # both pass the up-front check
    assert a.put(Evaluation(key, 0.5), dataset="digits")
    other = EvaluationKey("t", "1_1", "toy", "1", "tiny@x", 0)
    with pytest.raises(DatasetBindingError, match="'t' for dataset 'digits', not 'folder:/other'"):
        b.put(Evaluation(other, 0.7), dataset="folder:/other")
    assert len(a) == 1 and a.datasets("t") == {"digits"}
