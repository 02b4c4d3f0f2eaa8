"""The packaged data equals the authors' release, and bad files give clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from t2s_env import data
from t2s_env.data import DataFileError, read_reward_table
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY


def test_reward_table_equals_release_exactly(paper_dir):
    released = json.loads((paper_dir / "reward_db.json").read_text())
    table = data.load_reward_table()
    assert set(table.tasks) == set(released)
    assert table.to_dict() == released  # every float, bit for bit


def test_split_and_embeddings_equal_release(paper_dir):
    split = data.load_task_split()
    emb = data.load_task2vec()
    for name, split_name in [("12_seen", "seen"), ("8_unseen", "unseen")]:
        released = torch.load(paper_dir / f"resnet18_imagenet_{name}_tasks.pt", weights_only=True)
        assert list(released) == list(split[split_name])
        for task, v in released.items():
            expected = (v["hessian"] / v["scale"]).numpy()
            got = emb.embedding[emb.tasks.index(task)]
            assert got.dtype == np.float32 and got.shape == (9600,)
            np.testing.assert_array_equal(got, expected)


def test_objects_and_materials_equal_release(paper_dir):
    objects = json.loads((paper_dir / "tdw_simple_objs_100.json").read_text())
    assert {k: tuple(v) for k, v in objects.items()} == data.load_object_classes()
    assert len(data.load_object_classes()) == 100
    lines = [m.strip() for m in (paper_dir / "material_subset.txt").read_text().splitlines()]
    assert data.load_materials() == tuple(m for m in lines if m)


def test_baseline_averages_match_json(paper_dir):
    """Random, domain randomisation and per-task best averages: package vs json."""
    released = json.loads((paper_dir / "reward_db.json").read_text())
    table = data.load_reward_table()
    split = data.load_task_split()
    for names, expected in [
        (split["seen"], (25.12, 24.07, 32.60)),
        (split["unseen"], (51.75, 50.75, 61.62)),
    ]:
        rows = np.array([table.accuracy[table.task_index(t)] for t in names])
        dr = table.keys.index(DOMAIN_RANDOMIZATION_KEY)
        from_package = (rows.mean(), rows[:, dr].mean(), rows.max(axis=1).mean())
        from_json = (
            np.mean([np.mean(list(released[t].values())) for t in names]),
            np.mean([released[t][DOMAIN_RANDOMIZATION_KEY] for t in names]),
            np.mean([max(released[t].values()) for t in names]),
        )
        np.testing.assert_allclose(from_package, from_json, rtol=0, atol=1e-12)
        np.testing.assert_allclose(from_package, expected, atol=0.005)


def test_missing_table_file_names_the_file(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(DataFileError, match="nope.npz"):
        read_reward_table(path)


def test_corrupt_table_file_names_the_file(tmp_path):
    path = tmp_path / "corrupt.npz"
    path.write_bytes(b"PK\x03\x04 definitely not a zip archive")
    with pytest.raises(DataFileError, match="corrupt.npz"):
        read_reward_table(path)


def test_table_with_wrong_arrays_is_rejected(tmp_path):
    path = tmp_path / "wrong.npz"
    np.savez(path, tasks=np.array(["a"]), keys=np.array(["k"]))
    with pytest.raises(DataFileError, match="accuracy"):
        read_reward_table(path)
    np.savez(path, tasks=np.array(["a"]), keys=np.array(["k"]), accuracy=np.array([[140.0]]))
    with pytest.raises(DataFileError, match=r"\[0, 100\]"):
        read_reward_table(path)


def test_corrupt_packaged_json_names_the_file(tmp_path, monkeypatch):
    bad = tmp_path / "tasks.json"
    bad.write_text("{not json")
    monkeypatch.setattr(data, "data_path", lambda name: tmp_path / name)
    data.load_task_split.cache_clear()
    try:
        with pytest.raises(DataFileError, match="tasks.json"):
            data.load_task_split()
    finally:
        data.load_task_split.cache_clear()


def test_table_save_round_trip(tmp_path):
    table = data.load_reward_table()
    table.save(tmp_path / "copy.npz")
    back = read_reward_table(tmp_path / "copy.npz")
    assert back.tasks == table.tasks and back.keys == table.keys
    np.testing.assert_array_equal(back.accuracy, table.accuracy)
