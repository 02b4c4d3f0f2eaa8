"""Task2Vec follows the reference procedure (aws-cv-task2vec, Monte-Carlo), on tiny inputs.

Each test checks one property of that procedure without its code: batch norm in train mode
with batch statistics, class-balanced draws with replacement and their count, the head's
optimiser and schedule, the accumulation divisor, determinism; and that the two off-by-default
options (eval-mode batch norm, balanced sampling without replacement) do what they say.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import t2s_env.task2vec.fisher as fisher
from t2s_env.datasets import ImageSet
from t2s_env.task2vec import (
    Task2VecConfig,
    build_probe,
    class_balanced_draws,
    embed_task,
    embedding_modules,
    fisher_diagonal,
    preprocess,
    resnet18_layout,
)

TINY = Task2VecConfig(
    n_images=64, max_samples=96, batch_size=32, image_size=32, probe="random", head_epochs=2
)


def recording_set(digits, labels: list[int]) -> tuple[ImageSet, list[int]]:
    """Digits images under the given labels; every image read is appended to the list."""
    reads: list[int] = []
    images = [digits[j][0] for j in range(len(labels))]

    def load(j: int) -> np.ndarray:
        reads.append(j)
        return images[j]

    return ImageSet("rec", ["a", "b"], np.array(labels), load), reads


def test_defaults_are_the_reference_settings():
    cfg = Task2VecConfig()
    assert (cfg.n_images, cfg.max_samples, cfg.batch_size, cfg.image_size) == (10_000,) * 2 + (
        64,
        224,
    )
    assert (cfg.head_epochs, cfg.head_lr, cfg.head_weight_decay) == (10, 4e-4, 1e-4)
    assert (cfg.batch_norm, cfg.sampling, cfg.probe) == ("train", "weighted", "imagenet")


def _watch_batch_norm(monkeypatch) -> list[tuple[bool, bool]]:
    """Every batch-norm call of the next probe built: (module in training mode, output equals
    normalisation by the batch's own statistics)."""
    calls: list[tuple[bool, bool]] = []
    made: list[nn.Module] = []

    def hook(m, inputs, out):
        batch_stats = F.batch_norm(inputs[0], None, None, m.weight, m.bias, True, 0.0, m.eps)
        calls.append((m.training, torch.allclose(out, batch_stats, atol=1e-4, rtol=1e-4)))

    def build(*args, **kwargs):
        probe, what = build_probe(*args, **kwargs)
        for m in probe.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.register_forward_hook(hook)
        made.append(probe)
        return probe, what

    monkeypatch.setattr(fisher, "build_probe", build)
    return calls, made


def test_batch_norm_uses_batch_statistics_throughout(digits, monkeypatch):
    calls, made = _watch_batch_norm(monkeypatch)
    emb = embed_task(digits, TINY, progress=False)
    # 2 feature batches + 2 Fisher batches, 20 batch-norms each
    assert len(calls) == 20 * 4 and all(train and batch for train, batch in calls)
    bn1 = made[0].trunk.bn1
    assert bn1.num_batches_tracked == 4 and not torch.allclose(bn1.running_mean, torch.zeros(64))
    assert emb.meta["procedure"] == "reference"


def test_eval_option_uses_running_statistics(digits, monkeypatch):
    calls, made = _watch_batch_norm(monkeypatch)
    emb = embed_task(digits, replace(TINY, batch_norm="eval"), progress=False)
    assert calls and not any(train or batch for train, batch in calls)
    assert made[0].trunk.bn1.num_batches_tracked == 0
    assert emb.meta["procedure"] == "batch_norm=eval, sampling=weighted"


def test_class_balanced_draws_are_with_replacement_and_balanced():
    labels = np.array([0] * 27 + [1] * 3)
    idx = class_balanced_draws(labels, 3000, torch.Generator().manual_seed(0))
    assert idx.shape == (3000,) and idx.min() >= 0 and idx.max() < 30
    assert len(torch.unique(idx)) == 30  # every item drawn, each many times (3000 > 30)
    share = float((torch.from_numpy(labels)[idx] == 1).float().mean())
    assert 0.45 < share < 0.55  # 3 items of 30, drawn half of the time
    with pytest.raises(ValueError, match="empty split"):
        class_balanced_draws(np.array([], np.int64), 5, torch.Generator())


def test_features_are_the_first_images_and_fisher_draws_with_replacement(digits):
    # 12 images, 9 of class a then 3 of class b; cache: max_samples // 16 - 1 = 1 batch
    images, reads = recording_set(digits, [0] * 9 + [1] * 3)
    cfg = replace(TINY, n_images=260, batch_size=16, max_samples=32, head_epochs=0)
    emb = embed_task(images, cfg, progress=False)
    features, drawn = reads[:12], reads[12:]
    assert features == list(range(12)) and emb.meta["head_features"] == 12
    assert len(drawn) == 256 == emb.meta["n_images"] and emb.meta["fisher_batches"] == 16
    assert 96 < sum(j >= 9 for j in drawn) < 160  # class b: 3 of 12 images, half the draws


def test_a_sample_smaller_than_a_batch_is_one_batch(digits):
    cfg = Task2VecConfig(n_images=20, max_samples=96, image_size=32, probe="random", head_epochs=1)
    emb = embed_task(digits, cfg, progress=False)  # batch_size 64 > n_images
    assert emb.meta["batch_size"] == 20 and emb.meta["fisher_batches"] == 1
    assert emb.meta["n_images"] == 20 and emb.meta["head_features"] == 60  # 96 // 20 - 1 = 3


def test_feature_cache_is_capped_by_max_samples(digits):
    images, reads = recording_set(digits, [0, 1] * 40)
    emb = embed_task(images, replace(TINY, batch_size=16, max_samples=60), progress=False)
    assert reads[:32] == list(range(32)) and emb.meta["head_features"] == 32  # 60 // 16 - 1 = 2


def test_balanced_option_reads_each_sampled_image_once(digits):
    images, reads = recording_set(digits, [0] * 9 + [1] * 3)
    cfg = replace(TINY, sampling="balanced", n_images=24, batch_size=5, head_epochs=1)
    emb = embed_task(images, cfg, progress=False)
    assert sorted(reads[:12]) == list(range(12)) and sorted(reads[12:]) == list(range(12))
    # 12 images in batches of 5: 5, 5, 2
    assert emb.meta["n_images"] == 12 and emb.meta["fisher_batches"] == 3


def test_head_is_fitted_with_adam_at_the_reference_settings(digits, monkeypatch):
    made: list[dict] = []

    class SpyAdam(torch.optim.Adam):
        def __init__(self, params, **kwargs):
            params = list(params)
            super().__init__(params, **kwargs)
            made.append({"shapes": [tuple(p.shape) for p in params], "steps": 0, **kwargs})

        def step(self, closure=None):
            made[-1]["steps"] += 1
            return super().step(closure)

    monkeypatch.setattr(torch.optim, "Adam", SpyAdam)
    cfg = Task2VecConfig(
        n_images=70, max_samples=96, batch_size=32, image_size=32, probe="random"
    )  # head settings at their defaults
    emb = embed_task(digits, cfg, progress=False)
    (adam,) = made
    assert adam["lr"] == 4e-4 and adam["weight_decay"] == 1e-4
    assert adam["shapes"] == [(10, 512), (10,)]  # the head alone
    assert adam["steps"] == 10 * 2 == emb.meta["head_steps"]  # 10 epochs of 70 // 32 batches


def test_fisher_is_divided_by_the_number_of_batches():
    probe, _ = build_probe("random", 3, seed=0)
    probe.train()
    modules = embedding_modules(probe.trunk)
    x = torch.randn(3, 8, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    got, n = fisher_diagonal(probe, modules, list(x), torch.Generator().manual_seed(5))
    assert n == 3

    gen, total = torch.Generator().manual_seed(5), None
    for xb in x:  # by hand: sum over batches of squared gradients, filter-wise mean
        probe.zero_grad()
        logits = probe(xb)
        y = torch.multinomial(F.softmax(logits.detach(), 1), 1, generator=gen).view(-1)
        F.cross_entropy(logits, y).backward()
        g2 = np.concatenate(
            [(m.weight.grad**2).reshape(m.weight.shape[0], -1).mean(1).numpy() for _, m in modules]
        )
        total = g2 if total is None else total + g2
    assert [name for name, _ in modules] == [s.name for s in resnet18_layout()]
    np.testing.assert_allclose(got, total / 3, rtol=1e-4, atol=1e-14)
    assert not np.allclose(got, total, rtol=0.1)


def test_same_seed_same_vector_for_each_procedure(digits):
    for cfg in (TINY, replace(TINY, batch_norm="eval", sampling="balanced")):
        a = embed_task(digits, cfg, progress=False).vector
        b = embed_task(digits, cfg, progress=False).vector
        c = embed_task(digits, replace(cfg, seed=1), progress=False).vector
        assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_preprocess_is_per_image():
    """The reference comparison feeds it the same tensors: batching must not change them."""
    ims = [np.full((8, 8, 3), v, np.uint8) for v in (0, 100, 255)]
    both = preprocess(ims, 32)
    np.testing.assert_array_equal(both[1:], preprocess(ims[1:], 32))
