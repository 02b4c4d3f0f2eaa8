"""Live measurements on the console: beside the untrained backbone and the test-split size, with
warnings; ``t2s sweep``'s closing table; ``recommend --budget K`` pre-trains at most K times."""

from __future__ import annotations

import json
import re

import pytest

from agents.cli import main
from agents.cli.live_report import (
    MAX_STANDARD_ERROR,
    measurement_text,
    standard_error,
    warnings_for,
)

TOY = "tests.live_toy:ToySimulator"


def test_standard_error_and_warnings():
    assert standard_error(0.6, 2000) == pytest.approx(0.011, abs=0.0005)
    assert standard_error(1.0, 40) > MAX_STANDARD_ERROR  # a perfect score claims no certainty
    assert warnings_for(0.6, 0.55, 2000) == []
    (small,) = warnings_for(0.95, 0.9, 40)
    assert "40 images" in small and "too small" in small and "4.1 points" in small
    ceiling = warnings_for(0.995, 1.0, 4000)
    assert len(ceiling) == 1 and "at the ceiling" in ceiling[0]
    assert measurement_text(0.95, 1.0, 40) == (
        "95.00% (untrained backbone 100.00%; 40 test images, SE 4.1 points)"
    )
    with pytest.raises(ValueError, match="at least one image"):
        standard_error(0.5, 0)


def test_sweep_ends_with_a_table_beside_the_untrained_backbone(tmp_path, capsys):
    store = tmp_path / "r.sqlite"
    args = ["sweep", "--tasks", "digits-0to4", "--configs", "0_0_0_0_0_1_0_0_0",
            "1_1_1_1_1_3_0_1_1", "--recipe", "tiny", "--simulator", TOY, "--store", str(store),
            "--no-progress"]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    table = text[text.index("measured (5-NN accuracy") :]
    header = table.splitlines()[1].split()
    assert header[:4] == ["task", "configuration", "seed", "accuracy"] and "untrained" in header
    rows = re.findall(r"^digits-0to4\s+(\S+)\s+0\s+([\d.]+)\s+([\d.]+)\s+(\d+)$", table, re.M)
    assert [r[0] for r in rows] == ["0_0_0_0_0_1_0_0_0", "1_1_1_1_1_3_0_1_1"]
    from t2s_env.rewards.store import RewardStore

    stored = {e.key.config: e for e in RewardStore(store)}
    for config, acc, _, n_test in rows:
        assert float(acc) == pytest.approx(100 * stored[config].accuracy, abs=0.005)
        assert int(n_test) == stored[config].details["test_images"]
    assert len({r[2] for r in rows}) == 1  # one untrained backbone per task and seed
    expected = warnings_for(stored[rows[0][0]].accuracy, float(rows[0][2]) / 100, int(rows[0][3]))
    for w in expected:  # 175 test images: the split is too small (SE over 2 points)
        assert f"WARNING: digits-0to4: {w}" in text
    assert expected and "too small" in expected[0]


@pytest.mark.slow
def test_recommend_budget_pretrains_at_most_k_and_reuses_the_kept_backbone(
    tmp_path, capsys, monkeypatch
):
    import importlib

    import numpy as np

    from t2s_env.data import load_task2vec
    from t2s_env.task2vec import TaskEmbedding

    pipeline = importlib.import_module("t2s_env.pipeline.evaluate")  # not the function
    calls = []
    real = pipeline.pretrain
    monkeypatch.setattr(
        pipeline, "pretrain", lambda key, *a, **k: calls.append(key) or real(key, *a, **k)
    )
    packaged = load_task2vec()
    emb = tmp_path / "cub.npz"
    vec = packaged.embedding[packaged.tasks.index("CUB")].astype(np.float32)
    TaskEmbedding(vec, np.ones_like(vec), {"dataset": "digits"}).save(emb)
    out = tmp_path / "run"
    args = ["recommend", "digits", "--embedding", str(emb), "--pretrain", "--budget", "2",
            "--advisor", "static", "--recipe", "tiny", "--simulator", TOY, "--out-dir",
            str(out)]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert len(calls) == 2  # the two runs; the kept configuration's backbone was reused
    assert "the backbone measured above, reused" in text
    record = json.loads((out / "budget_runs.json").read_text())
    report = json.loads((out / "report.json").read_text())
    assert report["configuration_key"] == record["keep"] and not report["pretrained_here"]
    kept = {r["key"]: r["accuracy"] for r in record["runs"]}[record["keep"]]
    assert report["knn5_accuracy"] == pytest.approx(kept)  # the same backbone, the same score
    untrained = f"untrained backbone {100 * report['knn5_accuracy_untrained']:.2f}%"
    n_test = report["knn_images"]["test"]
    assert (
        len(re.findall(rf"run \d/2: \S+ -> [\d.]+% \({untrained}; {n_test} test images", text)) == 2
    )
