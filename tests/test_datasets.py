"""Downstream tasks as data: digits, image folders, torchvision tasks; splits and samples."""

from __future__ import annotations

import bz2
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2s_env.datasets import (
    DatasetError,
    DatasetSpec,
    balanced_indices,
    known_datasets,
    load_dataset,
    stratified_split,
)


def _write_folder(root, counts: dict[str, int], size=(12, 10), seed=0):
    rng = np.random.default_rng(seed)
    for cls, n in counts.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            arr = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / cls / f"{i}.png")
    return root


# ---- digits -------------------------------------------------------------------------------------


def test_digits_splits_are_stratified_disjoint_and_seeded():
    task = load_dataset("digits")
    assert task.classes == tuple(str(i) for i in range(10))
    assert len(task.train) + len(task.test) == 1797
    image, label = task.train[5]
    assert image.dtype == np.uint8 and image.shape == (8, 8, 3) and 0 <= label < 10
    assert image.max() > 200  # scaled from 0-16 to 0-255
    # Stratified: every class has ~20% of its images in test.
    share = np.bincount(task.test.labels, minlength=10) / np.bincount(
        np.concatenate([task.train.labels, task.test.labels]), minlength=10
    )
    assert np.all(np.abs(share - 0.2) < 0.02)
    again = load_dataset("digits")
    assert np.array_equal(again.test.labels, task.test.labels)
    other = load_dataset("digits", seed=1)
    assert not np.array_equal(other.test.labels, task.test.labels)


# ---- sampling and splitting ---------------------------------------------------------------------


def test_balanced_sample_is_balanced_seeded_and_fills_small_classes():
    labels = np.array([0] * 50 + [1] * 50 + [2] * 3)
    idx = balanced_indices(labels, 9, seed=0)
    assert len(set(idx.tolist())) == 9
    assert np.bincount(labels[idx]).tolist() == [3, 3, 3]
    idx = balanced_indices(labels, 63, seed=0)  # class 2 has only 3: the rest is shared
    assert np.bincount(labels[idx]).tolist() == [30, 30, 3]
    assert np.array_equal(
        balanced_indices(labels, 63, seed=4), balanced_indices(labels, 63, seed=4)
    )
    assert not np.array_equal(balanced_indices(labels, 63, 4), balanced_indices(labels, 63, 5))
    assert sorted(balanced_indices(labels, 1000, seed=0).tolist()) == list(range(103))
    counts = np.bincount(labels[balanced_indices(labels, 7, seed=0)], minlength=3)
    assert counts.sum() == 7 and counts.max() - counts.min() <= 1
    with pytest.raises(ValueError, match="n must be >= 1"):
        balanced_indices(labels, 0)


def test_imageset_balanced_sample_and_subset_yield_images():
    task = load_dataset("digits")
    sample = task.train.balanced_sample(50, seed=3)
    assert len(sample) == 50 and np.bincount(sample.labels).tolist() == [5] * 10
    image, label = sample[0]
    assert image.shape == (8, 8, 3) and label == sample.labels[0]
    with pytest.raises(IndexError):
        sample.subset([50])


def test_stratified_split_keeps_one_in_train_and_rejects_bad_fraction():
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 2])
    train, test = stratified_split(labels, 0.4, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(8))
    assert np.bincount(labels[test], minlength=3).tolist() == [2, 1, 0]
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(labels, 1.0)


# ---- image folders ------------------------------------------------------------------------------


def test_folder_split_by_seed(tmp_path):
    root = _write_folder(tmp_path / "shapes", {"cat": 10, "dog": 5})
    (root / "dog" / "notes.txt").write_text("ignored")
    task = load_dataset(f"folder:{root}")
    assert task.name == "shapes" and task.classes == ("cat", "dog")
    assert len(task.train) + len(task.test) == 15 and np.bincount(task.test.labels).tolist() == [
        2,
        1,
    ]
    image, _ = task.test[0]
    assert image.shape == (10, 12, 3) and image.dtype == np.uint8
    assert DatasetSpec.parse(str(root)).kind == "folder"  # a bare existing path is a folder


def test_folder_with_train_and_test(tmp_path):
    _write_folder(tmp_path / "train", {"a": 3, "b": 2})
    _write_folder(tmp_path / "test", {"a": 1, "b": 2}, seed=1)
    task = load_dataset(f"folder:{tmp_path}")
    assert (len(task.train), len(task.test)) == (5, 3)
    assert task.test.labels.tolist() == [0, 1, 1]


def test_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(f"folder:{tmp_path / 'nope'}")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(DatasetError, match="not a directory"):
        load_dataset(f"folder:{tmp_path / 'file.png'}")
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(
        DatasetError, match=r"no images in class folders under .*empty.*ROOT/<class>"
    ):
        load_dataset(f"folder:{tmp_path / 'empty'}")
    _write_folder(tmp_path / "tt" / "train", {"a": 2})
    _write_folder(tmp_path / "tt" / "test", {"a": 1, "z": 1})
    with pytest.raises(DatasetError, match=r"test classes \['z'\]"):
        load_dataset(f"folder:{tmp_path / 'tt'}")
    bad = _write_folder(tmp_path / "bad", {"a": 4, "b": 4})
    (bad / "a" / "0.png").write_bytes(b"not a png")  # refused at load, before any work
    with pytest.raises(DatasetError, match=r"cannot read image file .*0\.png"):
        load_dataset(f"folder:{bad}", test_fraction=0.25)
    one = _write_folder(tmp_path / "one", {"a": 4})
    with pytest.raises(DatasetError, match=r"1 class \(a\); a task needs at least 2 classes"):
        load_dataset(f"folder:{one}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable folders")
def test_unreadable_folder(tmp_path):
    root = _write_folder(tmp_path / "locked", {"a": 2})
    root.chmod(0)
    try:
        with pytest.raises(DatasetError, match="not readable"):
            load_dataset(f"folder:{root}")
    finally:
        root.chmod(0o755)


# ---- names and torchvision ----------------------------------------------------------------------


def test_unknown_name_lists_known_datasets():
    with pytest.raises(
        DatasetError, match=r"unknown dataset 'imagenet42'; known names: digits, SVHN"
    ):
        load_dataset("imagenet42")
    with pytest.raises(DatasetError, match="unknown torchvision task 'Nope'; known: SVHN, USPS"):
        load_dataset("torchvision:Nope:/tmp")
    assert {"digits", "SVHN", "USPS", "EuroSAT", "DTD", "Flowers102", "Omniglot"} <= set(
        known_datasets()
    )


def test_spec_round_trip():
    for text in ["digits", "torchvision:SVHN:/data/svhn", "folder:/data/x", "torchvision:DTD"]:
        assert str(DatasetSpec.parse(text)) == text
    assert DatasetSpec.parse("usps:/r").name == "USPS" and DatasetSpec.parse("usps").root is None
    # one folder, one spec string, however it is written (the reward store relies on it)
    here = DatasetSpec.parse(f"folder:{Path.cwd() / 'tasks' / 'mine'}")
    assert DatasetSpec.parse("folder:tasks/mine") == here
    assert str(DatasetSpec.parse("folder:tasks/../tasks/mine/")) == str(here)
    assert here.name == "mine"
    with pytest.raises(DatasetError, match="test_fraction"):
        DatasetSpec.parse("digits", test_fraction=0)


def test_missing_torchvision_files_say_what_to_put_where(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_dataset(f"torchvision:SVHN:{tmp_path}")
    msg = str(err.value)
    assert "train_32x32.mat" in msg and str(tmp_path) in msg and "download=True" in msg
    with pytest.raises(DatasetError, match=r"eurosat/2750/<class>"):
        load_dataset(f"EuroSAT:{tmp_path}")


def _write_usps(path, labels, seed):
    rng = np.random.default_rng(seed)
    lines = []
    for y in labels:
        vals = rng.uniform(-1, 1, 256)
        lines.append(f"{y + 1} " + " ".join(f"{i + 1}:{v:.4f}" for i, v in enumerate(vals)))
    with bz2.open(path, "wt") as f:
        f.write("\n".join(lines) + "\n")


def test_torchvision_task_from_local_files(tmp_path):
    """USPS and EuroSAT read through torchvision itself, from files made here (no download)."""
    _write_usps(tmp_path / "usps.bz2", [0, 1, 2, 9] * 3, seed=0)
    _write_usps(tmp_path / "usps.t.bz2", [0, 1, 9], seed=1)
    task = load_dataset(f"torchvision:USPS:{tmp_path}")
    assert (len(task.train), len(task.test)) == (12, 3) and task.classes[-1] == "9"
    image, label = task.test[2]
    assert image.shape == (16, 16, 3) and image.dtype == np.uint8 and label == 9

    _write_folder(tmp_path / "eurosat" / "2750", {"Forest": 5, "River": 5})
    euro = load_dataset(f"EuroSAT:{tmp_path}", test_fraction=0.4, seed=2)
    assert euro.classes == ("Forest", "River") and np.bincount(euro.test.labels).tolist() == [2, 2]
    assert euro.train[0][0].shape == (10, 12, 3)
