"""Each knob's main effect per task family: the computation (``t2s_env.rewards.signal``) and the
figure (``agents.plotting``), on planted effects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from agents.plotting import plot_main_effects, plot_table_main_effects
from t2s_env.rewards.signal import family_effects, knob_matrix, main_effects
from t2s_env.space import PAPER_SPACE

ROOT = Path(__file__).resolve().parent.parent


def planted(seed: int = 0):
    """3 tasks x 2 seeds over the 256 configurations: task 0 and 2 (family "a") gain 3 points
    from the first knob, task 1 (family "b") loses 2; seed noise 0.1."""
    keys = PAPER_SPACE.all_keys()
    _, x = knob_matrix(keys)
    gain = np.array([3.0, -2.0, 3.0])
    rng = np.random.default_rng(seed)
    acc = 50 + gain[:, None, None] * x[None, None, :, 0] + rng.normal(0, 0.1, (3, 2, len(keys)))
    return keys, acc


def test_main_effects_recover_planted_effects_per_family():
    keys, acc = planted()
    names, effects, method = main_effects(acc, keys)
    assert names[0] == "backgr" and method == "least squares over 256 configurations"
    fam = family_effects(effects, ["a", "b", "a"])
    assert fam["a"]["mean"][0] == pytest.approx(3.0, abs=0.05)
    assert fam["b"]["mean"][0] == pytest.approx(-2.0, abs=0.05)
    assert np.abs(fam["a"]["mean"][1:]).max() < 0.1
    assert fam["a"]["per_seed"].shape == (2, len(names))
    with pytest.raises(ValueError, match="acc must be"):
        main_effects(acc[:, :, :10], keys)
    with pytest.raises(ValueError, match="one family per task"):
        family_effects(effects, ["a"])


def test_figures_for_effects_and_for_a_replicate_table(tmp_path):
    keys, acc = planted()
    names, effects, _ = main_effects(acc, keys)
    out = plot_main_effects(effects, names, ["a", "b", "a"], tmp_path / "e.png",
                            highlight={"a": "backgr"})  # fmt: skip
    assert out.read_bytes()[:4] == b"\x89PNG"
    source = SimpleNamespace(
        tasks=("t0", "t1", "t2"), seeds=(0, 1), space=PAPER_SPACE,
        replicates={f"t{i}": acc[i] / 100 for i in range(3)},
    )  # fmt: skip
    path = plot_table_main_effects(source, tmp_path / "t.png", {"t0": "a", "t2": "a"})
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match="knobs"):
        plot_main_effects(effects[..., :3], names, ["a", "b", "a"], tmp_path / "x.png")


@pytest.mark.slow
def test_cpu_env_says_when_the_table_has_no_learning_curves():
    run = subprocess.run(
        [sys.executable, "benchmarks/cpu_env.py", "fewshot", "--budget-pretrainings", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert "no learning curves" in run.stderr and "Traceback" not in run.stderr
