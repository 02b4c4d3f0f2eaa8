"""``t2s train``, ``t2s evaluate`` and ``t2s plot`` end to end on tiny budgets."""

from __future__ import annotations

import json

import pytest

from agents.cli import main
from agents.cli.train import parse_overrides


def test_train_resume_and_plot(tmp_path, capsys):
    logdir = tmp_path / "runs"
    rc = main(["train", "task2sim", "--seed", "1", "--epochs", "8", "--logdir", str(logdir),
               "--checkpoint-every", "4", "--no-progress", "--set", "hidden=32"])  # fmt: skip
    assert rc == 0
    (run,) = logdir.iterdir()
    assert run.name.startswith("Task2Sim-Seen-v0__task2sim__1__")
    assert {"checkpoint.npz", "history.json", "run.json", "trainer_state.json"} <= {
        p.name for p in run.iterdir()
    }
    assert any(p.name.startswith("events.out.tfevents") for p in run.iterdir())
    assert len(json.loads((run / "history.json").read_text())["epoch"]) == 8
    assert main(["train", "--resume", str(run), "--epochs", "12", "--no-progress"]) == 0
    assert len(json.loads((run / "history.json").read_text())["epoch"]) == 12
    out = capsys.readouterr().out
    assert "answer accuracy" in out and "SVHN" in out

    plots = tmp_path / "plots"
    assert main(["plot", str(run), "--out", str(plots)]) == 0
    names = {p.name for p in plots.iterdir()}
    assert {"learning_curves.png", "regret_vs_reward_queries.png",
            "regret_vs_distinct_evaluations.png", "policy_heatmap_task2sim_1.png"} <= names  # fmt: skip


def test_tensorboard_keys_are_namespaced(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    main(["train", "task2sim", "--epochs", "3", "--logdir", str(tmp_path), "--no-progress",
          "--set", "hidden=16"])  # fmt: skip
    (run,) = tmp_path.iterdir()
    acc = EventAccumulator(str(run))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"charts/greedy_reward", "charts/cumulative_regret", "losses/policy_loss",
            "policy/entropy", "policy/lr", "policy/SVHN/blur"} <= tags  # fmt: skip
    assert "config" in "".join(acc.Tags()["tensors"])


def test_evaluate_quick_writes_markdown_and_json(tmp_path, capsys):
    out = tmp_path / "eval"
    rc = main(
        [
            "evaluate",
            "--agents",
            "dr,best-fixed,oracle",
            "--quick",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert rc == 0
    res = json.loads(out.with_suffix(".json").read_text())
    assert res["agents"]["dr"]["seen_mean"] == pytest.approx(24.07, abs=0.01)
    assert res["agents"]["oracle"]["unseen_mean"] == pytest.approx(61.62, abs=0.01)
    assert "| oracle | oracle (upper bound) |" in out.with_suffix(".md").read_text()


@pytest.mark.slow
def test_evaluate_loto_on_one_agent(tmp_path):
    out = tmp_path / "eval"
    main(["evaluate", "--agents", "best-fixed", "--seeds", "1", "--loto", "best-fixed",
          "--epochs", "best-fixed=256", "--out", str(out), "--no-progress"])  # fmt: skip
    res = json.loads(out.with_suffix(".json").read_text())["agents"]["best-fixed"]
    assert res["seen_mean"] == pytest.approx(29.89, abs=0.01)
    assert 0.85 < res["loto_fraction"] < 0.95
    assert len(res["loto_per_task"]) == 20


def test_bad_arguments_give_clear_errors(tmp_path, capsys):
    assert main(["evaluate", "--agents", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "unknown agents" in capsys.readouterr().err
    assert main(["train", "ucb1", "--env", "Task2Sim-Nope-v0", "--logdir", str(tmp_path)]) == 2
    assert "unknown env" in capsys.readouterr().err
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_overrides(["lr"])
    assert parse_overrides(["lr=0.1", "algo=ppo"]) == {"lr": 0.1, "algo": "ppo"}


def test_render_writes_the_grid_and_the_folder_of_the_same_images(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    grid_path, folder = tmp_path / "grid.png", tmp_path / "data"
    argv = ["render", "--config", "1_1_1_1_1_3_0_1_1", "--classes", "3", "--resolution", "16"]
    argv += ["--images-per-class", "2", "--grid", str(grid_path), "--out", str(folder)]
    assert main(argv) == 0
    assert "(2x3 images)" in capsys.readouterr().out
    grid = np.asarray(Image.open(grid_path))
    assert grid.shape == (32, 48, 3)  # 6 images at 16 px, 3 a row
    files = sorted(folder.rglob("*.png"))
    assert len(files) == 6 and len({f.parent.name for f in files}) == 3
    tiles = {grid[r : r + 16, c : c + 16].tobytes() for r in (0, 16) for c in (0, 16, 32)}
    images = {np.asarray(Image.open(f)).tobytes() for f in files}
    assert len(images) == 6 and tiles == images  # the grid shows exactly the dataset's images
