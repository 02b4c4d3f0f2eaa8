"""The README's "Use it from ..." snippets run as written (those needing packages that pin
another gymnasium run in scratch venvs: tests/test_dropin_venvs.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from readme_snippets import readme_snippet, snippet_names

IN_VENVS = {"rl-zoo", "rllib", "mabwiser"}  # run by tests/test_dropin_venvs.py
IN_CI = {"quick-start-tests"}  # run by .ci/run, in a fresh venv
HERE = ["sb3-ppo", "sb3-dqn", "cleanrl", "live-env", "cpu-v1-env"]
ROOT = Path(__file__).resolve().parents[1]


def test_every_snippet_is_run_somewhere():
    assert set(snippet_names()) == IN_VENVS | IN_CI | set(HERE)
    ci = (ROOT / ".ci" / "run").read_text()
    assert all(f'readme_snippet("{name}")' in ci for name in IN_CI)


def test_ci_runs_the_readme_test_command_in_a_fresh_venv():
    """.ci/run's command 2 is the README's, run by a fresh venv's pip and python."""
    command = readme_snippet("quick-start-tests")
    assert "pip install -c constraints.txt" in command and "python -m pytest" in command
    ci = (ROOT / ".ci" / "run").read_text()
    made, activated, ran = (ci.index(s) for s in ('python3 -m venv "$venv"',
                            'source "$venv/bin/activate"', '-c "$command2"'))  # fmt: skip
    assert made < activated < ran
    assert "python -m pytest -q -m venv" in ci[ran:]


@pytest.mark.slow
@pytest.mark.parametrize("name", HERE)
def test_snippet_runs_without_warnings(name, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("T2S_OFFLINE", "1")  # the live snippet must run with no download
    monkeypatch.chdir(tmp_path)  # it writes rewards.sqlite where it runs
    scope: dict = {"__name__": f"readme_{name}"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(readme_snippet(name), f"README.md:{name}", "exec"), scope)
    if name == "sb3-ppo":
        assert scope["actions"].shape == (8, 8) and scope["model"].num_timesteps >= 1_024
    elif name == "sb3-dqn":
        assert scope["model"].num_timesteps >= 1_000
    elif name == "live-env":
        obs, info = scope["obs"], scope["info"]
        assert obs.shape == (9600,) and abs(float((obs**2).sum()) - 1) < 1e-4
        assert info["task"] == "digits" and (tmp_path / "rewards.sqlite").is_file()
        meta = scope["env"].unwrapped.reward_source.store._query("SELECT meta FROM embeddings")
        assert '"random_probe": true' in meta[0][0]
    elif name == "cpu-v1-env":  # one query at 0.5 epochs, charged a quarter of its pre-training
        env, info = scope["env"].unwrapped, scope["info"]
        assert info["fidelity"] == 2.0 and env.reward_queries == env.distinct_evaluations == 1
        source = env.reward_source
        assert 0 < env.cost_seconds_spent < float(np.nanmax(source.cost_seconds)) / 2
    else:
        out = capsys.readouterr().out
        assert out.startswith("regret ") and out.strip().endswith("accuracy points")
        assert 0 <= float(out.split()[1]) < 15  # points; a random policy's regret is ~7.5
