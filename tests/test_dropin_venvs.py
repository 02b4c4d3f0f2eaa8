"""The version floors and rl_zoo3, each in a scratch venv (never the running environment).

Each test builds a venv that sees the packages of the interpreter running the tests (a ``.pth``
file adds its site directories *after* the venv's own, so what the venv installs takes
precedence: the floor test reads gymnasium 1.1 from its venv beside a newer one outside;
``--system-site-packages`` would show the base interpreter's instead, which on a
fresh machine has no torch), installs the versions under test into it with the project's torch
constraints, and runs the env tests or ``rl_zoo3`` there. Skipped, saying so, when the package
registry cannot be reached.

Marked ``venv`` (and ``slow``): they take minutes, so the default run leaves them out
(``pyproject.toml``); ``python -m pytest -q -m venv`` runs them, as ``.ci/run`` does.
"""

from __future__ import annotations

import json
import os
import shlex
import site
import subprocess
import sys
from pathlib import Path

import pytest
from readme_snippets import readme_snippet

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
pytestmark = [pytest.mark.slow, pytest.mark.venv]


def run(cmd: list[str | Path], cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, env=env, **kwargs
    )


def running_site_dirs() -> list[str]:
    """The site directories of the interpreter running the tests (a venv's own, and the base
    interpreter's too when that venv sees them)."""
    user = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []
    return [d for d in [*site.getsitepackages(), *user] if os.path.isdir(d)]


def see_running_packages(python: Path) -> None:
    """Let the venv of ``python`` import the running interpreter's packages, behind its own:
    a ``.pth`` line that adds each site directory (with its own ``.pth`` files) at the end of
    ``sys.path``. Checked: the venv's site-packages comes first, then those directories."""
    venv_site = run([python, "-c", "import site; print(site.getsitepackages()[0])"])
    assert venv_site.returncode == 0, venv_site.stderr
    dirs = running_site_dirs()
    line = "import site; " + "; ".join(f"site.addsitedir({d!r})" for d in dirs)
    (Path(venv_site.stdout.strip()) / "_t2s_running_env.pth").write_text(line + "\n")
    shown = run([python, "-c", "import json, sys; print(json.dumps(sys.path))"])
    path = json.loads(shown.stdout)
    own = path.index(venv_site.stdout.strip())
    assert all(own < path.index(d) for d in dirs), path


def scratch_venv(path: Path, *requirements: str) -> Path:
    """A venv at ``path`` with ``requirements`` installed; its python."""
    probe = run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", path / "probe",
                 requirements[-1]], timeout=300)  # fmt: skip
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"the package registry cannot be reached to fetch {requirements[-1]}: {last}")
    made = run([sys.executable, "-m", "venv", path / "venv"])
    assert made.returncode == 0, made.stderr
    python = path / "venv" / "bin" / "python"
    see_running_packages(python)
    installed = run([python, "-m", "pip", "install", "-q", "-c", CONSTRAINTS, *requirements],
                    timeout=900)  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    return python


def test_floor_versions_pass_the_env_tests(tmp_path):
    python = scratch_venv(tmp_path, "gymnasium==1.1.*", "stable-baselines3==2.6.*")
    versions = run([python, "-c", "import gymnasium, stable_baselines3 as s; "
                    "print(gymnasium.__version__, s.__version__)"])  # fmt: skip
    gym_version, sb3_version = versions.stdout.split()
    assert gym_version.startswith("1.1.") and sb3_version.startswith("2.6."), versions.stdout
    tests = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                 "tests/test_env.py", "tests/test_vector_env.py", "t2s_env/envs", "t2s_env/space"],
                timeout=900)  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-4000:]
    assert " passed" in tests.stdout.splitlines()[-1]


@pytest.fixture(scope="module")
def rl_venv(tmp_path_factory) -> Path:
    """One venv for rl_zoo3, RLlib (and the gymnasium it pins) and mabwiser."""
    return scratch_venv(tmp_path_factory.mktemp("rl"), "ray[rllib]", "rl_zoo3", "mabwiser")


def test_rl_zoo3_readme_commands_and_video(rl_venv, tmp_path):
    """The README's RL Zoo commands (train PPO and DQN, enjoy), on a budget of a few hundred
    steps, then A2C's file; and SB3's video recorder on ``render_mode="rgb_array"``."""
    python = rl_venv
    work = tmp_path / "work"
    work.mkdir()
    short = {"ppo": ["-n", "256"], "a2c": ["-n", "256"],
             "dqn": ["-n", "300", "-params", "learning_starts:100", "buffer_size:1000"]}  # fmt: skip
    commands = [shlex.split(line) for line in readme_snippet("rl-zoo").splitlines()]
    a2c = [w.replace("ppo", "a2c") for w in commands[0]]
    for words in [*commands[:2], a2c, commands[2]]:
        assert words[:2] == ["python", "-m"]
        words = [str(ROOT / w) if w.startswith("agents/hyperparams/") else w for w in words]
        algo = words[words.index("--algo") + 1]
        if words[2] == "rl_zoo3.train":
            words += [*short[algo], "--eval-freq", "-1"]
        done = run([python, *words[1:]], cwd=work, timeout=600)
        assert done.returncode == 0, (words, done.stderr[-3000:])
    assert (work / "logs" / "dqn" / "Task2Sim-Seen-Discrete-v0_1").is_dir()
    assert "Mean reward" in done.stdout  # enjoy's summary
    video = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "tests/test_vector_env.py::test_sb3_make_vec_env_and_video_recorder_without_warnings"],
                timeout=600)  # fmt: skip
    assert video.returncode == 0 and "1 passed" in video.stdout, video.stdout[-3000:]


def test_rllib_and_mabwiser_readme_snippets(rl_venv, tmp_path):
    """RLlib PPO (its own gymnasium pin) and mabwiser on the table arrays, as the README shows."""
    python = rl_venv
    for name, expect in (("rllib", ""), ("mabwiser", "unseen accuracy ")):
        script = tmp_path / f"readme_{name}.py"  # not mabwiser.py: it would shadow the package
        script.write_text(readme_snippet(name))
        done = run([python, script], timeout=900)
        assert done.returncode == 0, (name, done.stderr[-3000:])
        last = done.stdout.strip().splitlines()[-1]
        assert last.startswith(expect), last
        value = float(last.removeprefix(expect).removesuffix(" %"))
        assert 0.0 < value < (1.0 if name == "rllib" else 100.0)  # a fraction; a percentage
