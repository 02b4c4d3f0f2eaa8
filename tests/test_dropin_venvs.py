"""The version floors and rl_zoo3, each in a scratch venv (never the running environment).

Each test builds a venv that sees this environment's packages (``--system-site-packages``),
installs the versions under test into it with the project's torch constraints, and runs the env
tests or ``rl_zoo3`` there. Skipped, saying so, when the package registry cannot be reached.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
pytestmark = pytest.mark.slow


def run(cmd: list[str | Path], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, cwd=ROOT, env=env, **kwargs
    )


def scratch_venv(path: Path, *requirements: str) -> Path:
    """A venv at ``path`` with ``requirements`` installed; its python."""
    probe = run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", path / "probe",
                 requirements[0]], timeout=300)  # fmt: skip
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"the package registry cannot be reached to fetch {requirements[0]}: {last}")
    made = run([sys.executable, "-m", "venv", "--system-site-packages", path / "venv"])
    assert made.returncode == 0, made.stderr
    python = path / "venv" / "bin" / "python"
    installed = run([python, "-m", "pip", "install", "-q", "-c", CONSTRAINTS, *requirements],
                    timeout=900)  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    return python


def test_floor_versions_pass_the_env_tests(tmp_path):
    python = scratch_venv(tmp_path, "gymnasium==1.1.*", "stable-baselines3==2.6.*")
    versions = run([python, "-c", "import gymnasium, stable_baselines3 as s; "
                    "print(gymnasium.__version__, s.__version__)"])  # fmt: skip
    assert versions.stdout.split()[0].startswith("1.1.") and versions.stdout.split()[1] == "2.6.0"
    tests = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                 "tests/test_env.py", "tests/test_vector_env.py", "t2s_env/envs", "t2s_env/space"],
                timeout=900)  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-4000:]
    assert " passed" in tests.stdout.splitlines()[-1]


def test_rl_zoo3_trains_enjoys_and_records(tmp_path):
    python = scratch_venv(tmp_path, "rl_zoo3")
    logs = tmp_path / "logs"
    for algo, env_id, steps in (
        ("ppo", "Task2Sim-Seen-v0", 256),
        ("a2c", "Task2Sim-Seen-v0", 256),
        ("dqn", "Task2Sim-Seen-Discrete-v0", 300),
    ):
        extra = ["-params", "learning_starts:100", "buffer_size:1000"] if algo == "dqn" else []
        trained = run([python, "-m", "rl_zoo3.train", "--algo", algo, "--env", env_id,
                       "--gym-packages", "t2s_env", "--conf-file", f"agents/hyperparams/{algo}.yml",
                       "-n", str(steps), "--seed", "0", "--eval-freq", "-1", "--log-folder", logs,
                       *extra], timeout=600)  # fmt: skip
        assert trained.returncode == 0, trained.stderr[-3000:]
        assert (logs / algo / f"{env_id}_1" / f"{env_id}.zip").is_file()
    enjoyed = run([python, "-m", "rl_zoo3.enjoy", "--algo", "ppo", "--env", "Task2Sim-Seen-v0",
                   "--gym-packages", "t2s_env", "-f", logs, "--exp-id", "1", "-n", "10",
                   "--no-render", "--deterministic"], timeout=600)  # fmt: skip
    assert enjoyed.returncode == 0, enjoyed.stderr[-3000:]
    assert "Mean reward" in enjoyed.stdout
    # SB3's video recorder on render_mode="rgb_array" (moviepy comes with rl_zoo3)
    video = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "tests/test_vector_env.py::test_sb3_make_vec_env_and_video_recorder_without_warnings"],
                timeout=600)  # fmt: skip
    assert video.returncode == 0 and "1 passed" in video.stdout, video.stdout[-3000:]
