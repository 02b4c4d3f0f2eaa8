"""Fashion-MNIST's idx reader, few-shot / class-subset specs and the named live tasks."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from t2s_env.datasets import (
    DEBIAN_PACKAGE,
    LIVE_TASKS,
    DatasetError,
    DatasetSpec,
    find_fashion_mnist_root,
    live_task_split,
    load_fashion_mnist_task,
    read_idx,
)
from t2s_env.datasets.fashion_mnist import FILES

NEEDS_FMNIST = pytest.mark.skipif(
    find_fashion_mnist_root() is None,
    reason=f"Fashion-MNIST not installed: apt-get install -y {DEBIAN_PACKAGE}",
)


def idx_bytes(array: np.ndarray) -> bytes:
    """An idx file of unsigned bytes holding ``array``."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_fashion(root, *, n_train=30, n_test=20, gz=False, seed=0):
    """Four hand-made idx files: image ``i`` is filled with the value ``i`` (mod 256)."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    data = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images = (np.arange(n)[:, None, None] * np.ones((1, 28, 28))).astype(np.uint8)
        labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
        data[split] = (images, labels)
    for key, stem in FILES.items():
        split, what = key.split("_")
        payload = idx_bytes(data[split][0 if what == "images" else 1])
        if gz:
            (root / (stem + ".gz")).write_bytes(gzip.compress(payload))
        else:
            (root / stem).write_bytes(payload)
    return data


@pytest.mark.parametrize("gz", [False, True])
def test_reader_reads_hand_made_files(tmp_path, gz):
    data = write_fashion(tmp_path / "fm", gz=gz)
    task = load_fashion_mnist_task(tmp_path / "fm")
    assert (len(task.train), len(task.test)) == (30, 20)
    assert task.classes[0] == "T-shirt/top" and len(task.classes) == 10
    np.testing.assert_array_equal(task.train.labels, data["train"][1])
    image, label = task.test[7]
    assert image.shape == (28, 28, 3) and image.dtype == np.uint8
    assert (image == 7).all() and label == int(data["test"][1][7])


def test_spec_reads_a_given_root(tmp_path):
    write_fashion(tmp_path / "fm", gz=True)
    spec = DatasetSpec.parse(f"fashion-mnist:{tmp_path / 'fm'}")
    assert spec.kind == "fashion-mnist" and str(spec) == f"fashion-mnist:{tmp_path / 'fm'}"
    assert len(spec.load().train) == 30


def test_missing_files_name_the_package_and_files(tmp_path):
    write_fashion(tmp_path / "fm")
    (tmp_path / "fm" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(
        DatasetError, match=rf"t10k-labels-idx1-ubyte.*apt-get install -y {DEBIAN_PACKAGE}"
    ):
        load_fashion_mnist_task(tmp_path / "fm")
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte"):
        load_fashion_mnist_task(tmp_path / "empty")


def test_default_root_missing_names_the_package(monkeypatch, tmp_path):
    import t2s_env.datasets.fashion_mnist as fm

    monkeypatch.setattr(fm, "DEBIAN_ROOT", tmp_path / "nowhere")
    monkeypatch.delenv("T2S_DATA_ROOT", raising=False)
    with pytest.raises(DatasetError, match=DEBIAN_PACKAGE):
        DatasetSpec.parse("fashion-mnist").load()


def test_corrupt_files_are_named(tmp_path):
    write_fashion(tmp_path / "fm")
    path = tmp_path / "fm" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    task = load_fashion_mnist_task(tmp_path / "fm")  # labels and header read fine
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.*truncated"):
        task.train[0]
    (tmp_path / "bad").write_bytes(b"\x08\x03\x00\x01garbage")
    with pytest.raises(DatasetError, match="bad magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(DatasetError, match="cannot read idx file"):
        read_idx(tmp_path / "bad.gz")


def test_label_count_mismatch(tmp_path):
    write_fashion(tmp_path / "fm")
    (tmp_path / "fm" / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(29, np.uint8)))
    with pytest.raises(DatasetError, match="30 images but .* 29 labels"):
        load_fashion_mnist_task(tmp_path / "fm")


def test_few_shot_settings_sample_exactly(tmp_path):
    write_fashion(tmp_path / "fm", n_train=60, n_test=40)
    spec = DatasetSpec.parse(f"fashion-mnist:{tmp_path / 'fm'}?shots=3&test=20")
    task = spec.load()
    assert np.bincount(task.train.labels).tolist() == [3] * 10
    assert np.bincount(task.test.labels).tolist() == [2] * 10
    again = DatasetSpec.parse(spec.identity).load()  # the string records the whole task
    np.testing.assert_array_equal(
        [task.train[i][0][0, 0, 0] for i in range(30)],
        [again.train[i][0][0, 0, 0] for i in range(30)],
    )
    other = DatasetSpec.parse(spec.identity + "&seed=1").load()
    assert sorted(task.train[i][0][0, 0, 0] for i in range(30)) != sorted(
        other.train[i][0][0, 0, 0] for i in range(30)
    )


def test_class_subset_relabels(tmp_path):
    data = write_fashion(tmp_path / "fm", n_train=60, n_test=40)
    task = DatasetSpec.parse(f"fashion-mnist:{tmp_path / 'fm'}?classes=7+2").load()
    assert task.classes == ("Sneaker", "Pullover")
    train_labels = data["train"][1]
    assert len(task.train) == int(np.isin(train_labels, [7, 2]).sum())
    for i in range(len(task.train)):
        image, label = task.train[i]
        assert train_labels[image[0, 0, 0]] == (7, 2)[label]


def test_spec_strings_and_identity():
    spec = DatasetSpec.parse("digits?classes=3,1&shots=4&test=30&seed=2")
    assert spec.classes == (3, 1) and spec.shots == 4 and spec.test_size == 30 and spec.seed == 2
    assert str(spec) == "digits?classes=3+1&shots=4&test=30"
    assert spec.identity == "digits?classes=3+1&shots=4&test=30&seed=2"
    assert DatasetSpec.parse(spec.identity) == spec
    assert DatasetSpec.parse("digits").identity == "digits"  # unchanged for plain specs
    assert DatasetSpec.parse("digits?seed=3") == DatasetSpec.parse("digits", seed=3)


@pytest.mark.parametrize(
    "text, message",
    [
        ("digits?shots=0", "shots must be an integer >= 1"),
        ("digits?shots=abc", "shots='abc' must be an integer"),
        ("digits?shot=5", "unknown dataset setting.*shot.*known: classes, shots"),
        ("digits?classes=1+1", "distinct"),
        ("digits?test_fraction=2", "test_fraction must be in"),
        ("digits?shots", "key=value"),
    ],
)
def test_bad_settings(text, message):
    with pytest.raises(DatasetError, match=message):
        DatasetSpec.parse(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("digits?shots=500", "fewer than shots=500"),
        ("digits?test=5000", "test=5000 but the test split has 359"),
        ("digits?classes=4+10", r"out of range; digits has 10 classes \(0-9\)"),
    ],
)
def test_samples_larger_than_the_data(text, message):
    with pytest.raises(DatasetError, match=message):
        DatasetSpec.parse(text).load()


def test_live_tasks_and_split():
    split = live_task_split()
    assert len(LIVE_TASKS) >= 8
    assert set(split["seen"]) | set(split["unseen"]) == set(LIVE_TASKS)
    assert not set(split["seen"]) & set(split["unseen"])
    identities = {DatasetSpec.parse(name).identity for name in LIVE_TASKS}
    assert len(identities) == len(LIVE_TASKS)  # eight distinct tasks
    for name in LIVE_TASKS:
        spec = DatasetSpec.parse(name)
        assert spec.name == name and spec.few_shot


def test_live_digits_tasks_load():
    task = DatasetSpec.parse("digits-0to4").load()
    assert task.name == "digits-0to4" and task.classes == ("0", "1", "2", "3", "4")
    assert np.bincount(task.train.labels).tolist() == [10] * 5
    assert np.bincount(task.test.labels).tolist() == [35] * 5


@NEEDS_FMNIST
def test_live_fashion_tasks_load():
    for name in ("fmnist-20shot", "fmnist-tops", "fmnist-5shot"):
        spec = DatasetSpec.parse(name)
        task = spec.load()
        assert len(task.train) == spec.shots * len(task.classes)
        assert len(task.test) == spec.test_size
        image, _ = task.test[0]
        assert image.shape == (28, 28, 3)
