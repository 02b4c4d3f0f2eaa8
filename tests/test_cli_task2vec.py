"""``t2s embed`` and ``t2s recommend`` end to end at tiny scale (digits, random probe)."""

from __future__ import annotations

from agents.cli import main
from t2s_env.task2vec import TaskEmbedding

TINY = ["--probe", "random", "--n-images", "64", "--batch-size", "32", "--image-size", "32"]
TINY += ["--head-epochs", "2"]


def test_embed_writes_the_embedding_and_lists_nearest_tasks(tmp_path, capsys):
    out = tmp_path / "digits.npz"
    assert main(["embed", "digits", "--out", str(out), *TINY]) == 0
    emb = TaskEmbedding.load(out)
    assert emb.vector.shape == (9600,) and emb.meta["dataset"] == "digits"
    assert emb.meta["random_probe"] and emb.meta["n_images"] == 64
    text = capsys.readouterr().out
    assert "nearest shipped tasks (task2vec distance)" in text and "random probe" in text
    assert len([line for line in text.splitlines() if line.startswith("  ") and "0." in line]) >= 3


def test_embed_errors_are_clear(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    rc = main(["embed", "digits", "--out", str(tmp_path / "x.npz"), "--offline"])
    err = capsys.readouterr().err
    assert rc == 2 and "ImageNet weights" in err and "resnet18-f37072fd.pth" in err
    assert not (tmp_path / "x.npz").exists()
    rc = main(["embed", "nosuchset", "--out", str(tmp_path / "x.npz"), *TINY])
    assert rc == 2 and "unknown dataset 'nosuchset'; known names: digits" in capsys.readouterr().err
