"""The live reward end to end on the digits task: render, pre-train, 5-NN; store; env; errors."""

from __future__ import annotations

import os

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env
from live_toy import toy_embedding

import t2s_env  # noqa: F401  (registers the envs)
from t2s_env.datasets import DatasetError
from t2s_env.knn import knn_accuracy, knn_predict
from t2s_env.pretrain import build_backbone, get_recipe, train_backbone
from t2s_env.rewards.live import LiveRewardSource, evaluate
from t2s_env.rewards.store import RewardStore, StoreError

DR = "1_1_1_1_1_3_0_1_1"


class Counting:
    """An evaluate function that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, request, **kwargs):
        self.calls += 1
        return evaluate(request, **kwargs)


def source(sim, store, **kwargs):
    kwargs.setdefault("embeddings", {"digits": toy_embedding()})
    return LiveRewardSource(["digits"], simulator=sim, recipe="tiny", store=store, progress=False,
                            **kwargs)  # fmt: skip


def test_reward_end_to_end_and_cached(sim, tmp_path):
    torch.set_num_threads(1)
    counter = Counting()
    src = source(sim, tmp_path / "r.sqlite", evaluate_fn=counter)
    config = src.space.key_to_dict(DR)
    reward = src.reward("digits", config)
    assert 0.5 < reward <= 1.0  # 10 classes: chance is 0.1
    e = src.evaluation("digits", config)
    assert counter.calls == 1 and src.evaluations_run == 1  # the second call hit the store
    assert e.accuracy == reward
    assert set(e.timings) >= {"render", "pretrain", "features", "knn", "total"}
    assert e.details["rendered_images"] == 120 and e.versions["torch"] == torch.__version__
    assert e.key.recipe == get_recipe("tiny").id and e.key.simulator == "toy"

    # A new source on the same file (another session) reuses the measurement too.
    again = source(sim, tmp_path / "r.sqlite", evaluate_fn=counter)
    assert again.reward("digits", config) == reward and counter.calls == 1
    # ...but another seed is another measurement.
    other = source(sim, tmp_path / "r.sqlite", evaluate_fn=counter, seed=1)
    assert 0.5 < other.reward("digits", config) <= 1.0 and counter.calls == 2
    assert len(RewardStore(tmp_path / "r.sqlite")) == 2


def test_trained_backbone_beats_chance_and_untrained_features_differ(sim):
    """The backbone is really trained on the rendered classes."""
    torch.set_num_threads(1)
    recipe = get_recipe("tiny").replace(epochs=4)
    batch = sim.render(sim.space.key_to_dict(DR), 12, seed=0, resolution=32)
    result = train_backbone(batch.images, batch.labels, recipe, seed=0, device="cpu",
                            progress=False)  # fmt: skip
    assert np.isfinite(result.final_loss) and result.final_loss < np.log(10)
    untrained = build_backbone("resnet18", 10, seed=0)
    moved = [
        not torch.equal(a, b)
        for a, b in zip(result.model.parameters(), untrained.parameters(), strict=True)
    ]
    assert all(moved)


def test_knn_weighted_vote():
    # Two far neighbours of class 0 against one very close neighbour of class 1: with
    # exp(sim / 0.07) weights the close one wins, a plain majority would not.
    train = torch.nn.functional.normalize(
        torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.8, -0.6], [-1.0, 0.0]]), dim=1
    )
    labels = torch.tensor([1, 0, 0, 2])
    test = torch.tensor([[1.0, 0.0]])
    assert knn_predict(train, labels, test, 3, k=3).tolist() == [1]
    assert knn_predict(train, labels, test, 3, k=3, temperature=100.0).tolist() == [0]
    assert knn_accuracy(train, labels, train, labels, 3, k=1) == 1.0
    with pytest.raises(ValueError, match="dims"):
        knn_predict(train, labels, torch.zeros(1, 3), 3)


def test_live_env_passes_check_env(sim, tmp_path):
    torch.set_num_threads(1)
    env = gym.make(
        "Task2Sim-Live-v0", simulator=sim, recipe="tiny", store=str(tmp_path / "r.sqlite"),
        embeddings={"digits": toy_embedding()}, progress=False,
    )  # fmt: skip
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=0)
    _, reward, terminated, _, info = env.step(env.action_space.sample())
    assert info["split"] == "user" and terminated
    assert "best_reward" not in info and "regret" not in info  # unknown: no key
    assert 0 <= reward <= 1
    assert obs.shape == (9600,) and abs(np.linalg.norm(obs) - 1) < 1e-5


def test_live_env_works_offline_with_a_random_probe(sim, tmp_path, monkeypatch):
    """The Task2Vec options of ``t2s train`` (probe, images, image size) reach the live env."""
    monkeypatch.setenv("T2S_OFFLINE", "1")  # any download attempt would fail
    torch.set_num_threads(1)
    env = gym.make(
        "Task2Sim-Live-v0", simulator=sim, recipe="tiny", store=str(tmp_path / "r.sqlite"),
        task2vec_probe="random", task2vec_images=64, task2vec_image_size=32, progress=False,
    )  # fmt: skip
    obs, _ = env.reset(seed=0)
    assert obs.shape == (9600,) and abs(np.linalg.norm(obs) - 1) < 1e-5
    _, reward, terminated, _, _ = env.step(env.action_space.sample())
    assert 0 <= reward <= 1 and terminated
    (meta,) = RewardStore(tmp_path / "r.sqlite")._query("SELECT meta FROM embeddings")
    assert '"probe": "random (seed 0)"' in meta[0] and '"image_size": 32' in meta[0]
    with pytest.raises(ValueError, match="either embeddings or task2vec_probe"):
        source(sim, tmp_path / "r.sqlite", task2vec_probe="random")
    with pytest.raises(ValueError, match="image_size must be >= 1"):
        source(sim, tmp_path / "r.sqlite", embeddings=None, task2vec_image_size=0)


def test_task2vec_embedding_is_cached_in_the_store(sim, tmp_path):
    from t2s_env.task2vec import Task2VecConfig

    cfg = Task2VecConfig(n_images=30, batch_size=15, image_size=32, probe="random",
                         head_epochs=1, device="cpu")  # fmt: skip
    first = source(sim, tmp_path / "r.sqlite", embeddings=cfg)
    vector = first.embedding("digits")
    assert vector.shape == (9600,) and np.all(np.isfinite(vector))
    store = RewardStore(tmp_path / "r.sqlite")
    assert len(store._query("SELECT * FROM embeddings")) == 1
    second = source(sim, tmp_path / "r.sqlite", embeddings=cfg)
    np.testing.assert_array_equal(second.embedding("digits"), vector)


def test_bad_inputs_give_clear_errors_and_leave_the_store_intact(sim, tmp_path):
    path = tmp_path / "r.sqlite"
    src = source(sim, path)
    src.store.put_embedding("x", "m", np.zeros(3))  # the store holds something
    before = len(src.store._query("SELECT * FROM embeddings"))

    with pytest.raises(DatasetError, match="unknown dataset 'no-such-task'.*digits"):
        LiveRewardSource(["no-such-task"], simulator=sim, store=path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="no images in class folders"):
        bad = LiveRewardSource([f"folder:{empty}"], simulator=sim, recipe="tiny", store=path,
                               embeddings={"empty": toy_embedding()}, progress=False)  # fmt: skip
        bad.reward("empty", bad.space.key_to_dict(DR))
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked"
        (locked / "a").mkdir(parents=True)
        locked.chmod(0)
        try:
            with pytest.raises(DatasetError, match="not readable"):
                LiveRewardSource([f"folder:{locked}"], simulator=sim, store=path).reward(
                    "locked", sim.space.key_to_dict(DR)
                )
        finally:
            locked.chmod(0o755)
    with pytest.raises(ValueError, match="unknown recipe 'huge'"):
        LiveRewardSource(["digits"], simulator=sim, recipe="huge", store=path)
    with pytest.raises(KeyError, match="unknown task 'SVHN'"):
        src.reward("SVHN", sim.space.key_to_dict(DR))
    with pytest.raises(ValueError, match="unknown knobs"):
        src.reward("digits", {"colour": 1})

    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"garbage" * 100)
    with pytest.raises(StoreError, match="not an SQLite database"):
        LiveRewardSource(["digits"], simulator=sim, store=corrupt)
    assert corrupt.read_bytes() == b"garbage" * 100
    assert len(src.store) == 0
    assert len(RewardStore(path)._query("SELECT * FROM embeddings")) == before


def test_live_env_pickles_and_reuses_the_store(sim, tmp_path):
    import pickle

    torch.set_num_threads(1)
    env = gym.make(
        "Task2Sim-Live-v0", simulator=sim, recipe="tiny", store=str(tmp_path / "r.sqlite"),
        embeddings={"digits": toy_embedding()}, progress=False,
    )  # fmt: skip
    env.reset(seed=3)
    _, reward, *_ = env.step(np.ones(8, dtype=np.int64))
    clone = pickle.loads(pickle.dumps(env.unwrapped))
    clone.reset(seed=3)
    _, again, *_ = clone.step(np.ones(8, dtype=np.int64))
    assert again == reward and clone.reward_source.evaluations_run == 1  # no new evaluation


def test_pretraining_is_deterministic_for_a_seed():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (32, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(32) % 4
    recipe = get_recipe("tiny").replace(classes=4, images_per_class=8, batch_size=16,
                                        mixup_alpha=0.8, cutmix_alpha=1.0, randaugment=True,
                                        label_smoothing=0.1)  # fmt: skip
    a = train_backbone(images, labels, recipe, seed=5, device="cpu", progress=False)
    b = train_backbone(images, labels, recipe, seed=5, device="cpu", progress=False)
    c = train_backbone(images, labels, recipe, seed=6, device="cpu", progress=False)
    assert a.final_loss == b.final_loss != c.final_loss
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters(),
                                                  strict=True))  # fmt: skip


def test_recipes_validate_and_key_on_every_field():
    smoke = get_recipe("smoke")
    assert smoke.replace(epochs=11).id != smoke.id and smoke.replace().id == smoke.id
    paper = get_recipe("paper")
    assert (paper.arch, paper.total_images, paper.resolution, paper.epochs) == (
        "resnet50", 40_000, 224, 100)  # fmt: skip
    assert (paper.lr, paper.weight_decay, paper.warmup_epochs, paper.amp) == (1e-3, 0.05, 20, True)
    with pytest.raises(ValueError, match="arch must be one of"):
        smoke.replace(arch="vgg16")
    with pytest.raises(ValueError, match="warmup_epochs must be in"):
        smoke.replace(warmup_epochs=50)
    with pytest.raises(ValueError, match="resolution must be in"):
        smoke.replace(resolution=8)


def test_embedded_simulator_end_to_end(tmp_path):
    """The package's default renderer, the paper's action space, a tiny render."""
    from t2s_env.simulator import EmbeddedSimulator
    from t2s_env.space import PAPER_SPACE

    torch.set_num_threads(1)
    src = LiveRewardSource(["digits"], simulator=EmbeddedSimulator(device="cpu"), recipe="tiny",
                           store=tmp_path / "r.sqlite", progress=False,
                           embeddings={"digits": toy_embedding()})  # fmt: skip
    assert src.space is PAPER_SPACE
    e = src.evaluation("digits", PAPER_SPACE.key_to_dict(DR))
    assert 0.5 < e.accuracy <= 1.0 and e.key.simulator == "embedded" and e.key.config == DR
