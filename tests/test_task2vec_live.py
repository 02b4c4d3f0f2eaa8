"""The live tasks' Task2Vec setting: the ``conv-log-z`` vector, the ``"live"`` probe option, the
packaged live vectors, and ``t2s embed --probe live``."""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import pytest
import torch

from agents.cli import main
from t2s_env.task2vec import (
    LIVE_TASK2VEC,
    ProbeWeightsError,
    Task2VecConfig,
    TaskEmbedding,
    build_probe,
    config_record,
    embed_task,
    family_agreement,
    resnet18_layout,
    task2vec_options,
    task_vector,
)

TINY_LIVE = replace(LIVE_TASK2VEC, n_images=64, max_samples=96, batch_size=32, head_epochs=2,
                    device="cpu")  # fmt: skip
"""The live setting on a tiny sample (the vector mode and the probe are the live ones)."""


def _fisher(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(-12, 2, 9600)


def test_conv_log_z_standardises_each_convolution_and_zeroes_batch_norms():
    f = _fisher()
    v = task_vector(f, "conv-log-z")
    assert v.shape == (9600,) and v.dtype == np.float32
    for block in resnet18_layout():
        b = v[block.start : block.stop].astype(np.float64)
        if block.kind == "conv":
            assert abs(b.mean()) < 1e-5 and b.std() == pytest.approx(1, abs=1e-5), block.name
            # monotone in the Fisher within a block: the order of the filters is kept
            order = np.argsort(f[block.start : block.stop], kind="stable")
            assert np.all(np.diff(b[order]) >= -1e-6)
        else:
            assert not b.any(), block.name
    # per block, a Fisher scaled by any factor (a layer's or the whole vector's) is the same task
    g = f.copy()
    g[:64] *= 1e3
    assert np.allclose(task_vector(g * 7.0, "conv-log-z"), v, atol=1e-5)
    assert np.array_equal(task_vector(f, "fisher"), f.astype(np.float32))


def test_conv_log_z_handles_dead_filters_and_refuses_bad_input():
    f = _fisher()
    f[10] = 0.0  # a dead filter: floored, not -inf
    f[64 * 2 : 64 * 3] = 0.0  # a whole dead convolution (layer1.0.conv1): zeros
    v = task_vector(f, "conv-log-z")
    assert np.all(np.isfinite(v)) and v[10] == v[:64].min() and not v[128:192].any()
    with pytest.raises(ValueError, match="vector mode must be one of"):
        task_vector(f, "log")
    with pytest.raises(ValueError, match="needs a ResNet-18 Fisher of 9600 entries"):
        task_vector(f[:100], "conv-log-z")
    f[3] = -1.0
    with pytest.raises(ValueError, match="finite, non-negative"):
        task_vector(f, "conv-log-z")


def test_live_option_is_the_one_setting_and_refuses_what_it_fixes():
    assert task2vec_options("live") is LIVE_TASK2VEC
    assert (LIVE_TASK2VEC.probe, LIVE_TASK2VEC.vector) == ("random", "conv-log-z")
    assert (LIVE_TASK2VEC.image_size, LIVE_TASK2VEC.n_images) == (32, 2048)
    assert not LIVE_TASK2VEC.download
    with pytest.raises(ValueError, match="probe 'live' fixes the Task2Vec images"):
        task2vec_options("live", n_images=500)
    with pytest.raises(ValueError, match="names a whole setting"):
        Task2VecConfig(probe="live")
    with pytest.raises(ValueError, match="vector must be one of"):
        Task2VecConfig(vector="log")
    # store keys of raw-Fisher settings are those from before the vector modes existed
    old_key = {k: v for k, v in asdict(Task2VecConfig()).items() if k != "vector"}
    assert config_record(Task2VecConfig()) == old_key
    assert config_record(LIVE_TASK2VEC)["vector"] == "conv-log-z"


@pytest.mark.slow
def test_live_vector_is_deterministic_and_is_the_fisher_transformed(digits, tmp_path):
    a = embed_task(digits, TINY_LIVE, progress=False)
    b = embed_task(digits, TINY_LIVE, progress=False)
    assert a.meta["vector"] == "conv-log-z" and a.meta["probe"] == "random (seed 0)"
    assert np.array_equal(a.vector, b.vector) and a.vector.any()
    raw = embed_task(digits, replace(TINY_LIVE, vector="fisher"), progress=False)
    assert np.array_equal(raw.hessian, a.hessian)  # the mode changes the vector, not the draws
    assert np.array_equal(a.vector, task_vector(raw.vector, "conv-log-z"))
    a.save(tmp_path / "a.npz")
    assert np.array_equal(TaskEmbedding.load(tmp_path / "a.npz").vector, a.vector)


class _NotATensor:
    pass


def test_probe_files_are_read_with_weights_only(tmp_path):
    # A file that would run code when unpickled (an arbitrary object) is refused, not loaded.
    torch.save({"conv1.weight": _NotATensor()}, tmp_path / "evil.pth")
    with pytest.raises(ProbeWeightsError, match=r"cannot read probe weights file .*evil\.pth"):
        build_probe(tmp_path / "evil.pth", 3)


def test_packaged_live_vectors_are_the_live_setting_and_know_their_families():
    from t2s_env.data import load_live_task2vec
    from t2s_env.datasets import LIVE_TASKS, live_task_families

    table, meta = load_live_task2vec()
    assert table.tasks == tuple(LIVE_TASKS) and meta["tasks"] == LIVE_TASKS
    assert meta["task2vec"] == asdict(replace(LIVE_TASK2VEC, device="cpu"))
    assert meta["built_by"].endswith("--preset live --package")
    conv1 = table.embedding[:, :64].astype(np.float64)  # conv-log-z: each block standardised
    assert np.allclose(conv1.mean(1), 0, atol=1e-5) and np.allclose(conv1.std(1), 1, atol=1e-4)
    families = live_task_families()
    agree = family_agreement(table.embedding, [families[t] for t in table.tasks])
    assert agree["fraction"] == pytest.approx(meta["family_fraction"], abs=1e-4)


def test_embed_probe_live_errors_are_one_line(tmp_path, capsys):
    out = str(tmp_path / "x.npz")
    rc = main(["embed", "digits", "--out", out, "--probe", "live", "--n-images", "64"])
    err = capsys.readouterr().err
    assert rc == 2 and "--n-images has no effect with --probe live" in err
    rc = main(["embed", "digits", "--out", out, "--probe", "live", "--metric", "cosine"])
    assert rc == 2 and "--metric has no effect with --probe live" in capsys.readouterr().err
    rc = main(["recommend", "digits", "--probe", "live"])
    err = capsys.readouterr().err
    assert rc == 2 and "--probe live makes live-task vectors" in err and "Traceback" not in err


def test_live_source_reads_the_packaged_vectors_of_live_tasks(tmp_path, monkeypatch):
    """With the ``live`` setting a live task's vector is the packaged one, not embedded again;
    another setting, or a live task's name bound to another dataset, embeds."""
    import t2s_env.task2vec as task2vec_module
    from t2s_env.data import load_live_task2vec
    from t2s_env.rewards.live import LiveRewardSource, packaged_live_vector

    def no_embedding(*args, **kwargs):
        raise AssertionError("embedded a live task again")

    monkeypatch.setattr(task2vec_module, "embed_task", no_embedding)
    src = LiveRewardSource(["digits-zoom"], store=tmp_path / "r.sqlite", recipe="tiny",
                           task2vec_probe="live", progress=False)  # fmt: skip
    table, _ = load_live_task2vec()
    expected = table.embedding[table.tasks.index("digits-zoom")]
    assert np.array_equal(src.embedding("digits-zoom"), expected)
    from t2s_env.datasets import DatasetSpec
    from t2s_env.task2vec import LIVE_TASK2VEC

    other = DatasetSpec.parse("digits?shots=3")
    assert packaged_live_vector("digits-zoom", other, LIVE_TASK2VEC) is None
    assert packaged_live_vector("digits", other, LIVE_TASK2VEC) is None
