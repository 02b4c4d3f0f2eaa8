"""Task2Vec: layout of the shipped vectors, the Fisher embedding, probes, distances."""

from __future__ import annotations

from dataclasses import replace
from urllib.error import URLError

import numpy as np
import pytest
import torch
import torchvision

from t2s_env.data import load_task2vec
from t2s_env.datasets import ImageSet
from t2s_env.task2vec import (
    ProbeWeightsError,
    Task2VecConfig,
    TaskEmbedding,
    build_probe,
    cosine_distance,
    embed_task,
    family_agreement,
    nearest_other,
    nearest_tasks,
    resnet18_layout,
    task2vec_distance,
)

TINY = Task2VecConfig(
    n_images=64, max_samples=96, batch_size=32, image_size=32, probe="random", head_epochs=3
)


@pytest.fixture(scope="module")
def photos():
    """A second real task: 48x48 patches of scikit-learn's two bundled photos, one class each."""
    from sklearn.datasets import load_sample_images

    rng = np.random.default_rng(0)
    patches, labels = [], []
    for k, im in enumerate(load_sample_images().images):
        for _ in range(150):
            y, x = rng.integers(0, im.shape[0] - 48), rng.integers(0, im.shape[1] - 48)
            patches.append(im[y : y + 48, x : x + 48])
            labels.append(k)
    return ImageSet("photos", ["china", "flower"], np.array(labels), lambda j: patches[j])


# ---- layout -------------------------------------------------------------------------------------


def test_layout_is_resnet18_convs_and_batchnorms_in_module_order():
    layout = resnet18_layout()
    model = torchvision.models.resnet18(weights=None)
    expected = [
        (n, m.weight.shape[0])
        for n, m in model.named_modules()
        if isinstance(m, torch.nn.Conv2d | torch.nn.BatchNorm2d)
    ]
    assert [(s.name, s.stop - s.start) for s in layout] == expected
    assert layout[-1].stop == 9600 == load_task2vec().embedding.shape[1]
    assert [s.kind for s in layout] == ["conv", "bn"] * 20
    assert sum(s.stop - s.start for s in layout if s.kind == "conv") == 4800
    assert all(a.stop == b.start for a, b in zip(layout[:-1], layout[1:], strict=True))
    assert layout[14].name == "layer2.0.downsample.0"  # the shortcut conv sits after conv2/bn2


def _bn_above_neighbours(vectors, layout) -> bool:
    def med(e, s):
        return np.median(e[s.start : s.stop])

    return all(
        med(e, s) > 2 * med(e, layout[j])
        for e in vectors
        for i, s in enumerate(layout)
        if s.kind == "bn"
        for j in (i - 1, i + 1)
        if 0 <= j < len(layout)
    )


def test_shipped_vectors_follow_the_layout():
    """Batch-norm entries (single squared gradients) sit far above the filter-means of the
    conv blocks on either side, at exactly these boundaries, in all 20 shipped tasks; a
    "all convs, then all batch-norms" layout does not fit."""
    vectors = load_task2vec().embedding.astype(np.float64)
    layout = resnet18_layout()
    assert _bn_above_neighbours(vectors, layout)
    convs_first, start = [], 0
    for s in [s for s in layout if s.kind == "conv"] + [s for s in layout if s.kind == "bn"]:
        n = s.stop - s.start
        convs_first.append(replace(s, start=start, stop=start + n))
        start += n
    assert not _bn_above_neighbours(vectors, tuple(convs_first))


# ---- the embedding ------------------------------------------------------------------------------


def test_embedding_shape_meta_and_round_trip(digits, tmp_path):
    emb = embed_task(digits, TINY, progress=False, dataset="digits")
    assert emb.vector.shape == (9600,) and emb.vector.dtype == np.float32
    assert np.all(emb.vector >= 0) and np.all(np.isfinite(emb.vector)) and emb.vector.max() > 0
    assert np.array_equal(emb.scale, np.ones(9600, np.float32))
    assert emb.meta["random_probe"] and emb.meta["probe"] == "random (seed 0)"
    assert emb.meta["n_images"] == 64 and emb.meta["dataset"] == "digits"
    emb.save(tmp_path / "e.npz")
    back = TaskEmbedding.load(tmp_path / "e.npz")
    assert np.array_equal(back.vector, emb.vector) and back.meta == emb.meta
    with pytest.raises(ValueError, match="not a Task2Vec embedding file"):
        TaskEmbedding.load(tmp_path / "missing.npz")


def test_same_seed_same_vector(digits):
    a = embed_task(digits, TINY, progress=False).vector
    b = embed_task(digits, TINY, progress=False).vector
    c = embed_task(digits, replace(TINY, seed=1), progress=False).vector
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_different_tasks_are_farther_apart_than_two_samples_of_one(digits, photos):
    cfg = replace(TINY, n_images=192, max_samples=352)  # head: the first 320 images (all photos)
    d0, d1 = (embed_task(digits, replace(cfg, seed=s), progress=False).vector for s in (0, 1))
    p0, p1 = (embed_task(photos, replace(cfg, seed=s), progress=False).vector for s in (0, 1))
    # Task2Vec's normalised cosine separates them (0.18 within vs 0.25 between here, 6 Fisher
    # batches of 32). The plain cosine does not at this size: with a random probe and batch
    # statistics, a few layers' noisy entries dominate it (0.24 within vs 0.16 between).
    within = max(task2vec_distance(d0, d1), task2vec_distance(p0, p1))
    between = min(task2vec_distance(u, v) for u in (d0, d1) for v in (p0, p1))
    assert between > 1.25 * within, (within, between)


# ---- probe weights ------------------------------------------------------------------------------


def test_offline_imagenet_without_file_says_how_to_provide_it(monkeypatch, tmp_path, digits):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("T2S_OFFLINE", "1")
    with pytest.raises(ProbeWeightsError) as err:
        embed_task(digits, replace(TINY, probe="imagenet"), progress=False)
    msg = str(err.value)
    cache = tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert str(cache) in msg and "resnet18-f37072fd.pth" in msg and "--probe" in msg


def test_failed_download_says_how_to_provide_it(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("T2S_OFFLINE", raising=False)

    def offline(*args, **kwargs):
        raise URLError("Name or service not known")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(ProbeWeightsError, match=r"download failed .*Name or service not known"):
        build_probe("imagenet", 10)


def test_local_weights_file_is_loaded_and_bad_files_are_named(tmp_path):
    with torch.random.fork_rng():
        torch.manual_seed(7)
        state = torchvision.models.resnet18(weights=None).state_dict()
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, tmp_path / "r18.pth")
    probe, what = build_probe(tmp_path / "r18.pth", 5)
    assert what == f"file ({tmp_path / 'r18.pth'})"
    assert torch.equal(probe.trunk.layer3[1].conv2.weight, state["layer3.1.conv2.weight"])
    with pytest.raises(ProbeWeightsError, match="does not exist"):
        build_probe(tmp_path / "nope.pth", 5)
    (tmp_path / "junk.pth").write_bytes(b"junk")
    with pytest.raises(ProbeWeightsError, match=r"cannot read probe weights file .*junk\.pth"):
        build_probe(tmp_path / "junk.pth", 5)
    torch.save({"conv1.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ProbeWeightsError, match="do not fit torchvision's ResNet-18"):
        build_probe(tmp_path / "other.pth", 5)


def test_config_validation():
    with pytest.raises(ValueError, match="n_images must be >= 1"):
        Task2VecConfig(n_images=0)
    with pytest.raises(ValueError, match="head_epochs"):
        Task2VecConfig(head_epochs=-1)
    with pytest.raises(ValueError, match=r"batch_norm must be one of \('train', 'eval'\)"):
        Task2VecConfig(batch_norm="frozen")
    with pytest.raises(ValueError, match="sampling must be one of"):
        Task2VecConfig(sampling="uniform")
    assert Task2VecConfig(n_images=20).effective_batch_size == 20  # one batch of 20
    with pytest.raises(ValueError, match=r"max_samples \(100\) must be >= 2 \* batch_size \(128\)"):
        Task2VecConfig(max_samples=100)
    Task2VecConfig(n_images=20, max_samples=1, sampling="balanced")  # no cap there


# ---- distances ----------------------------------------------------------------------------------


def test_distances_and_nearest_shipped_tasks():
    table = load_task2vec()
    a, b = table.embedding[0], table.embedding[1]
    for dist in (cosine_distance, task2vec_distance):
        assert dist(a, a) == pytest.approx(0, abs=1e-9)
        assert dist(a, b) == pytest.approx(dist(b, a)) and dist(a, b) > 0
        assert dist(3 * a, 3 * b) == pytest.approx(dist(a, b), rel=1e-6)
    assert cosine_distance(a, 5 * a) == pytest.approx(0, abs=1e-9)
    with pytest.raises(ValueError, match="differ in length"):
        cosine_distance(a, b[:10])
    for i, task in enumerate(table.tasks):
        (first, d), *_ = nearest_tasks(table.embedding[i], k=3)
        assert first == task and d == pytest.approx(0, abs=1e-6)
    pairs = {
        t: nearest_tasks(table.embedding[table.tasks.index(t)], k=2)[1][0] for t in table.tasks
    }
    assert (
        pairs["Flowers102"] == "CUB" and pairs["PacsS"] == "Sketch" and pairs["AID"] == "Resisc45"
    )
    with pytest.raises(ValueError, match="metric must be one of"):
        nearest_tasks(a, metric="l2")


def test_nearest_other_and_family_agreement_on_the_shipped_vectors():
    """The paper's ImageNet-probe vectors know their domains: each task's nearest other task."""
    table = load_task2vec()
    nearest = nearest_other(table.embedding)
    assert all(j != i for i, j in enumerate(nearest))
    # cosine of the L2-normalised rows, the agents' similarity: the argmax by hand
    unit = table.embedding / np.linalg.norm(table.embedding, axis=1, keepdims=True)
    sims = unit @ unit.T - 10 * np.eye(len(unit))
    assert nearest.tolist() == sims.argmax(axis=1).tolist()
    families = ["x"] * len(table.tasks)
    families[table.tasks.index("Flowers102")] = families[table.tasks.index("CUB")] = "fine"
    families[table.tasks.index("PacsS")] = "lonely"  # no mate: not counted
    agree = family_agreement(table.embedding, families)
    assert agree["with_mate"] == len(table.tasks) - 1
    assert agree["same"][table.tasks.index("Flowers102")]
    assert 0 < agree["fraction"] <= 1
    with pytest.raises(ValueError, match="families for"):
        family_agreement(table.embedding, families[:3])
    with pytest.raises(ValueError, match="at least 2"):
        nearest_other(table.embedding[:1])


def test_packaged_live_vectors_cover_every_live_task_with_their_recorded_figure():
    from t2s_env.data import load_live_task2vec
    from t2s_env.datasets import LIVE_TASKS, live_task_families

    table, meta = load_live_task2vec()
    # every packaged vector is of a live task with the spec it was made from; live tasks added
    # since (the V1 ones) have none until benchmarks/live_task2vec.py --package is run again
    assert set(table.tasks) <= set(LIVE_TASKS) and table.embedding.shape == (len(table.tasks), 9600)
    assert tuple(LIVE_TASKS)[: len(table.tasks)] == table.tasks
    assert np.isfinite(table.embedding).all() and (table.embedding >= 0).all()
    assert meta["tasks"] == {t: LIVE_TASKS[t] for t in table.tasks}
    assert meta["probe"].startswith("random")
    assert meta["task2vec"]["probe"] == "random" and "live_task2vec.py" in meta["built_by"]
    families = live_task_families()
    agree = family_agreement(table.embedding, [families[t] for t in table.tasks])
    assert agree["fraction"] == pytest.approx(meta["family_fraction"], abs=1e-4)
