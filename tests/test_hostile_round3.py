"""Hostile input, round 3 (issue 26): plug-in agents, malformed or ignored options, images,
tampered data files, symlinked run files, the env API. Every bad input ends in a named error
(for the CLI: one ``t2s: error:`` line, exit status 2), before any work, and no file outside
the destination is written."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sqlite3
import struct
import sys
import uuid
import zlib
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from PIL import Image

import t2s_env
import t2s_env.data as data
from agents.base import CheckpointError, read_state, write_state
from agents.cli import main
from agents.evaluation import PluginError, resolve_entry
from t2s_env.data import DataFileError, read_replicate_table, read_reward_table
from t2s_env.datasets import DatasetError, load_dataset
from t2s_env.envs import Task2SimEnv
from t2s_env.envs.vector import Task2SimVectorEnv
from t2s_env.files import write_atomic
from t2s_env.rewards import ReplicateRewardSource
from t2s_env.rewards.store import RewardStore, StoreError


def cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main([str(a) for a in argv])
    return rc, err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else ""


# -- plug-in agents ------------------------------------------------------------------------------
GOOD_AGENT = """
import numpy as np

class Fixed:
    name = "fixed"
    kind = "context-free"

    def __init__(self, seed):
        self.seed = seed

    def act(self, obs, deterministic=False):
        return np.ones((len(obs), 8), np.int64)

    def learn(self, obs, actions, rewards):
        return {}

    def save(self, path):
        pass

    def load(self, path):
        pass
"""

PLUGINS = {
    "syntax": ("def broken(:\n", "f", r"has a syntax error"),
    "import_raises": ("raise RuntimeError('boom')\n", "f", r"importing module .* raised RuntimeError: boom"),
    "exits": ("import sys\nsys.exit(0)\n", "f", r"called sys.exit\(0\)"),
    "factory_raises": ("def f(seed):\n    raise KeyError('x')\n", "f", r"the factory \(seed=0\) raised KeyError"),
    "no_seed": ("def f():\n    return 1\n", "f", r"the factory takes no seed parameter"),
    "not_agent": ("def f(seed):\n    return object()\n", "f", r"neither an agent .* nor an advisor"),
    "half_agent": (GOOD_AGENT.replace("    def save", "    def _save").replace("    def load", "    def _load")
                   + "\ndef f(seed):\n    return Fixed(seed)\n", "f", r"lacks the Agent methods \['save', 'load'\]"),
    "bad_kind": (GOOD_AGENT.replace('"context-free"', '"psychic"') + "\ndef f(seed):\n    return Fixed(seed)\n",
                 "f", r"kind 'psychic' is not one of"),
    "not_callable": ("f = 3\n", "f", r"is a int, not a factory"),
    "missing_attr": ("g = 3\n", "f", r"has no attribute 'f'"),
}  # fmt: skip


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Writes a module under a fresh name; returns its ``module:attr`` entry."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(source: str, attr: str) -> str:
        name = f"plugin_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(source)
        monkeypatch.setitem(sys.modules, name, None)  # removed again after the test
        del sys.modules[name]
        return f"{name}:{attr}"

    return write


@pytest.mark.parametrize("case", sorted(PLUGINS))
def test_plugin_failures_are_one_line_errors_naming_the_entry(plugin, case):
    source, attr, message = PLUGINS[case]
    entry = plugin(source, attr)
    with pytest.raises(PluginError, match=message) as info:
        resolve_entry(entry)
    assert str(info.value).startswith(entry) and "\n" not in str(info.value)


@pytest.mark.slow
def test_plugin_that_exits_on_import_is_exit_2_before_any_work(plugin, tmp_path):
    entry = plugin("import sys\nsys.exit(0)\n", "f")
    rc, line = cli("evaluate", "--agents", entry, "--quick", "--out", tmp_path / "e")
    assert rc == 2 and f"{entry}: importing module" in line and "sys.exit(0)" in line
    assert not list(tmp_path.glob("e.*"))


def test_plugin_methods_that_fail_are_named_and_a_good_plugin_runs(plugin, tmp_path):
    good = plugin(GOOD_AGENT + "\ndef f(seed):\n    return Fixed(seed)\n", "f")
    entry = resolve_entry(good)
    assert (entry.kind, entry.name) == ("agent", "fixed")
    assert entry.make(3).act(np.zeros((2, 5))).shape == (2, 8)
    bad = plugin(
        GOOD_AGENT.replace("return np.ones((len(obs), 8), np.int64)", "return 1 / 0")
        + "\ndef f(seed):\n    return Fixed(seed)\n",
        "f",
    )
    rc, line = cli("evaluate", "--agents", bad, "--quick", "--out", tmp_path / "e", "--no-progress")
    assert (
        rc == 2
        and line == f"t2s: error: {bad}: its act() raised ZeroDivisionError: division by zero"
    )


# -- malformed or ignored options ----------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "--budgets", "1,,2"], "--budgets '1,,2' has an empty item"),
        (["evaluate", "--budgets", "1,2,"], "has an empty item"),
        (["evaluate", "--budgets", "2,2"], "--budgets names an item twice"),
        (["evaluate", "--budgets", "1", "--noise", "0,,0.1"], "--noise '0,,0.1' has an empty item"),
        (["evaluate", "--budgets", "1", "--splits", "loto,bogus"], "'bogus' is not one of"),
        (["evaluate", "--noise", "0.01"], "--noise has no effect without --budgets"),
        (["evaluate", "--splits", "loto"], "--splits has no effect without --budgets"),
        (["evaluate", "--budgets", "1", "--loto-seeds", "2"], "--loto-seeds has no effect with --budgets"),
        (["evaluate", "--quick", "--seeds", "3"], "--seeds has no effect with --quick"),
        (["evaluate", "--loto", "none", "--loto-seeds", "2"], "--loto-seeds has no effect with --loto none"),
        (["train", "ucb1", "--recipe", "tiny"], "--recipe has no effect without --env Task2Sim-Live-v0"),
        (["recommend", "digits", "--recipe", "tiny"], "--recipe has no effect without --pretrain"),
        (["sweep", "--tasks", "digits", "--address", "auto"], "--address has no effect with --executor local"),
        (["embed", "digits", "--out", "{tmp}/e.npz", "--nearest", "0", "--metric", "cosine"],
         "--metric has no effect with --nearest 0"),
    ],
)  # fmt: skip
def test_malformed_and_ignored_options_are_refused_before_any_work(tmp_path, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if argv[0] == "evaluate":
        argv += ["--out", str(tmp_path / "e")]
    rc, line = cli(*argv)
    assert rc == 2 and line.startswith("t2s: error: ") and message in line
    assert list(tmp_path.iterdir()) == []


def test_train_resume_refuses_options_of_a_new_run(tmp_path):
    assert cli("train", "dr", "--epochs", "1", "--logdir", tmp_path, "--no-progress")[0] == 0
    (run,) = tmp_path.iterdir()
    for extra, option in ((["--seed", "3"], "--seed"), (["ucb1"], "AGENT")):
        rc, line = cli("train", *extra, "--resume", run)
        assert rc == 2 and f"{option} has no effect with --resume" in line


# -- images and the task rules -------------------------------------------------------------------
def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG file whose header claims ``width x height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")  # fmt: skip


def image_folder(root: Path, counts: dict[str, int]) -> Path:
    for name, n in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8, 3), 30 * i, np.uint8)).save(root / name / f"{i}.png")
    return root


def test_decompression_bomb_is_refused_by_every_command(tmp_path):
    root = image_folder(tmp_path / "bomb", {"a": 3, "b": 3})
    (root / "a" / "big.png").write_bytes(bomb_png())
    with pytest.raises(DatasetError, match=r"big\.png is over the limit of 89,478,485 pixels"):
        load_dataset(f"folder:{root}")
    out = tmp_path / "out"
    for argv in (
        ["embed", f"folder:{root}", "--out", out / "e.npz", "--probe", "random"],
        ["sweep", "--tasks", f"folder:{root}", "--configs", "1_1_1_1_1_3_0_1_1", "--store", out / "s.sqlite"],
    ):  # fmt: skip
        rc, line = cli(*argv)
        assert rc == 2 and "big.png is over the limit" in line
    assert not out.exists()


@pytest.mark.slow
def test_single_class_task_is_refused_alike_by_embed_sweep_and_the_live_env(tmp_path):
    root = image_folder(tmp_path / "one", {"only": 6})
    message = "1 class (only); a task needs at least 2 classes"
    rc, line = cli("embed", f"folder:{root}", "--out", tmp_path / "e.npz", "--probe", "random")
    assert rc == 2 and message in line
    rc, line = cli("sweep", "--tasks", f"folder:{root}", "--store", tmp_path / "s.sqlite")
    assert rc == 2 and message in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one"]
    from t2s_env.rewards.live import LiveRewardSource

    with pytest.raises(DatasetError, match=re.escape(message)):
        LiveRewardSource([f"folder:{root}"], store=tmp_path / "r.sqlite")


# -- tampered data files -------------------------------------------------------------------------
def _save(path: Path, **arrays) -> Path:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def test_reward_table_as_fractions_is_refused(tmp_path):
    t = data.load_reward_table()
    arrays = dict(tasks=np.array(t.tasks), keys=np.array(t.keys))
    path = _save(tmp_path / "t.npz", accuracy=t.accuracy / 100, **arrays)
    with pytest.raises(DataFileError, match=r"t\.npz: accuracies look like fractions"):
        read_reward_table(path)
    one_row = t.accuracy.copy()
    one_row[4] /= 100
    with pytest.raises(DataFileError, match="look like fractions"):
        read_reward_table(_save(tmp_path / "t.npz", accuracy=one_row, **arrays))


@pytest.fixture
def tampered_package(tmp_path, monkeypatch):
    """A copy of the packaged data files that a test may damage; the loaders read it."""
    folder = tmp_path / "data"
    shutil.copytree(Path(data.__file__).parent, folder)
    monkeypatch.setattr(data, "data_path", lambda name: folder / name)
    cached = (data.load_task2vec, data.load_cpu_table, data.load_reward_table, data.load_task_split)
    for loader in cached:
        loader.cache_clear()
    yield folder
    for loader in cached:
        loader.cache_clear()


def test_task2vec_vectors_cut_short_are_refused_by_the_loader_and_the_cli(tampered_package):
    path = tampered_package / "task2vec.npz"
    with np.load(path) as npz:
        tasks, emb = npz["tasks"], npz["embedding"]
    _save(path, tasks=tasks, embedding=emb[:, :10])
    with pytest.raises(DataFileError, match=r"task2vec\.npz: the Task2Vec embedding has shape \(20, 10\), expected \(20 tasks, 9600\)"):  # fmt: skip
        data.load_task2vec()
    rc, line = cli("info")
    assert rc == 2 and "task2vec.npz" in line and "(20, 10)" in line


def test_cpu_table_without_seeds_is_refused(tampered_package):
    path = tampered_package / "cpu_table.npz"
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    _save(path, **{**arrays, "seeds": arrays["seeds"][:0], "reward": arrays["reward"][:, :0]})
    with pytest.raises(DataFileError, match=r"cpu_table\.npz: it holds no seed"):
        read_replicate_table(path, tampered_package / "cpu_table.json")
    rc, line = cli("info", "--table", "cpu")
    assert rc == 2 and "it holds no seed" in line


@pytest.mark.parametrize("version", ["abc", "1.5", ""])
def test_store_with_a_non_numeric_schema_version_is_refused_untouched(tmp_path, version):
    path = tmp_path / "r.sqlite"
    RewardStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (version,))
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=f"schema version '{version}', not a number"):
        RewardStore(path)
    assert path.read_bytes() == before


# -- run folders: symlinks and checkpoints -------------------------------------------------------
@pytest.fixture
def run_dir(tmp_path):
    assert (
        cli("train", "ucb1", "--epochs", "2", "--logdir", tmp_path / "runs", "--no-progress")[0]
        == 0
    )
    return next((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("name", ["history.json", "checkpoint.npz"])
def test_run_file_linked_outside_the_run_folder_is_refused_and_not_written(run_dir, tmp_path, name):
    victim = tmp_path / "victim"
    shutil.copy(run_dir / name, victim)
    before = victim.read_bytes()
    (run_dir / name).unlink()
    (run_dir / name).symlink_to(victim)
    for argv in (
        ["train", "--resume", run_dir, "--no-progress"],
        ["plot", run_dir, "--out", tmp_path / "p"],
    ):
        rc, line = cli(*argv)
        assert rc == 2 and f"{name} is a symlink to {victim}, outside the run folder" in line
    assert victim.read_bytes() == before


def test_atomic_writes_replace_a_symlink_and_never_write_through_it(tmp_path):
    from agents import make_agent

    victim = tmp_path / "victim.npz"
    victim.write_bytes(b"another run's checkpoint")
    link = tmp_path / "checkpoint.npz"
    link.symlink_to(victim)
    make_agent("ucb1", 0).save(link)  # write_state: atomic
    assert victim.read_bytes() == b"another run's checkpoint" and not link.is_symlink()
    link.unlink()
    link.symlink_to(victim)
    with pytest.raises(ZeroDivisionError):
        write_atomic(link, lambda p: 1 / 0)  # a failed write leaves everything as it was
    assert link.is_symlink() and victim.read_bytes() == b"another run's checkpoint"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz", "victim.npz"]


@pytest.mark.parametrize("array", ["mem_obs", "mem_sums", "mem_counts"])
def test_checkpoints_of_the_wrong_shape_are_refused_by_resume_plot_and_recommend(
    run_dir, tmp_path, array
):
    meta, arrays = read_state(run_dir / "checkpoint.npz", "ucb1")
    write_state(run_dir / "checkpoint.npz", meta, {**arrays, array: arrays[array][:, :10]})
    shutil.copy(run_dir / "checkpoint.npz", tmp_path / "policy.npz")
    emb = tmp_path / "emb.npz"
    _save(
        emb, hessian=np.ones(9600, np.float32), scale=np.ones(9600, np.float32), meta=np.array("{}")
    )
    for argv in (
        ["train", "--resume", run_dir, "--no-progress"],
        ["plot", run_dir, "--out", tmp_path / "p"],
        ["recommend", "digits", "--policy", tmp_path / "policy.npz", "--embedding", emb],
    ):
        rc, line = cli(*argv)
        assert rc == 2 and "is not a usable ucb1 checkpoint" in line, (argv, line)
    assert not (tmp_path / "p").exists()


def test_paper_agent_checkpoint_with_a_wrong_layer_is_refused(tmp_path):
    from agents import load_agent, make_agent
    from agents.training import train

    agent = make_agent("task2sim", 0, overrides={"hidden": 8})
    train(agent, gym.make("t2s_env:Task2Sim-Seen-v0"), epochs=1, seed=0, progress=False)
    agent.save(tmp_path / "a.npz")
    meta, arrays = read_state(tmp_path / "a.npz", "task2sim")
    write_state(tmp_path / "b.npz", meta, {**arrays, "p_w2": arrays["p_w2"][:, :3]})
    with pytest.raises(
        CheckpointError, match=r"p_w2 has shape \(8, 3\) \(float32\), expected \(8, 8\)"
    ):
        load_agent(tmp_path / "b.npz")


# -- the env API ---------------------------------------------------------------------------------
@pytest.mark.parametrize("options", [["task"], "SVHN", 3])
def test_reset_options_not_a_dict_is_a_value_error(options):
    for env in (Task2SimEnv(), Task2SimVectorEnv(num_envs=2)):
        with pytest.raises(ValueError, match="options must be a dict"):
            env.reset(options=options)


@pytest.mark.parametrize("kwargs", [{"noise_std": "0.1"}, {"noise_std": -1}, {"discrete": "no"}])
def test_bad_env_arguments_are_value_errors(kwargs):
    for make in (Task2SimEnv, Task2SimVectorEnv):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            make(**kwargs)


@pytest.mark.parametrize("source", ["table", "replicates"])
def test_noisy_vector_env_equals_single_envs_seeded_s_plus_i(source):
    """The README's statement, with noise: sub-env i of reset(seed=s) gives what a single env
    gives after reset(seed=s + i), stepped with the same actions and reset after every step."""
    make = (lambda: {}) if source == "table" else (lambda: {"reward_source": ReplicateRewardSource(), "tasks": "all"})  # fmt: skip
    n, s = 4, 11
    vec = Task2SimVectorEnv(num_envs=n, noise_std=0.05, **make())
    singles = [Task2SimEnv(noise_std=0.05, **make()) for _ in range(n)]
    obs, _ = vec.reset(seed=s)
    single_obs = [e.reset(seed=s + i)[0] for i, e in enumerate(singles)]
    np.testing.assert_array_equal(obs, np.stack(single_obs))
    rng = np.random.default_rng(0)
    for _ in range(10):
        actions = rng.integers(0, vec.space.nvec, size=(n, len(vec.space.nvec)))
        obs, rewards, *_ = vec.step(actions)
        single = [e.step(a)[1] for e, a in zip(singles, actions, strict=True)]
        np.testing.assert_array_equal(rewards, single)
        np.testing.assert_array_equal(obs, np.stack([e.reset()[0] for e in singles]))
    assert 0 < np.std(rewards)  # the noise is there


def test_packaged_dimension_matches_the_probe_layout():
    from t2s_env.task2vec.layout import embedding_dim, resnet18_layout

    assert t2s_env.data.TASK2VEC_DIM == embedding_dim(resnet18_layout())
