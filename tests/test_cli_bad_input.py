"""Bad input to every sub-command: one line on stderr naming the problem, no traceback, exit
status 2, and nothing written. Table-driven: missing, malformed, out-of-range, unwritable,
directory-for-file and wrong-kind-file arguments."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents import make_agent
from agents.cli import main
from t2s_env.task2vec import TaskEmbedding

DR = "1_1_1_1_1_3_0_1_1"
TOY = "live_toy:ToySimulator"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Files of every kind, good and bad, in one folder (whose listing must never change)."""
    root = tmp_path_factory.mktemp("inputs")
    f = {"root": root}
    f["text"] = root / "notes.txt"
    f["text"].write_text("hello\n")
    f["under_file"] = f["text"] / "x"
    f["folder"] = root / "folder"
    f["folder"].mkdir()
    f["npz_folder"] = root / "folder.npz"
    f["npz_folder"].mkdir()
    f["missing"] = root / "missing"
    f["policy"] = root / "ucb1.npz"
    make_agent("ucb1", 0).save(f["policy"])
    f["truncated"] = root / "truncated.npz"
    f["truncated"].write_bytes(f["policy"].read_bytes()[:300])
    f["table"] = root / "table.npz"
    from t2s_env.data import load_reward_table

    load_reward_table().save(f["table"])
    f["emb"] = root / "emb.npz"
    TaskEmbedding(np.ones(9600, np.float32), np.ones(9600, np.float32), {}).save(f["emb"])
    f["emb_zero"] = root / "zero.npz"
    TaskEmbedding(np.zeros(9600, np.float32), np.ones(9600, np.float32), {}).save(f["emb_zero"])
    f["csv_header"] = root / "runs_header.csv"
    f["csv_header"].write_text("config,acc\n1_1_1_1_1_3_0_1_1,50\n")
    f["csv_text"] = root / "runs_text.csv"
    f["csv_text"].write_text("key,accuracy\n1_1_1_1_1_3_0_1_1,high\n")
    f["csv_range"] = root / "runs_range.csv"
    f["csv_range"].write_text("key,accuracy\n1_1_1_1_1_3_0_1_1,150\n")
    f["foreign_db"] = root / "people.sqlite"
    conn = sqlite3.connect(f["foreign_db"])
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.commit()
    conn.close()
    logdir = root / "runs"
    assert main(["train", "dr", "--epochs", "1", "--logdir", str(logdir), "--no-progress"]) == 0
    (f["run"],) = logdir.iterdir()
    for name, edit in {
        "run_list": lambda d: (d / "run.json").write_text("[]"),
        "run_env": lambda d: (d / "run.json").write_text(json.dumps(
            {**json.loads((d / "run.json").read_text()), "env": "Other-v0"})),
        "run_seed": lambda d: (d / "run.json").write_text(json.dumps(
            {**json.loads((d / "run.json").read_text()), "seed": "zero"})),
        "run_truncated": lambda d: shutil.copy(f["truncated"], d / "checkpoint.npz"),
        "run_other_agent": lambda d: shutil.copy(f["policy"], d / "checkpoint.npz"),
        "run_history": lambda d: (d / "history.json").write_text('{"epoch": 3}'),
        "run_state": lambda d: (d / "trainer_state.json").write_text('{"epoch": "x"}'),
    }.items():  # fmt: skip
        f[name] = root / name
        shutil.copytree(f["run"], f[name])
        edit(f[name])
    return f


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# (case id, argv with {placeholders} for files, a fragment the error line must contain)
CASES = [
    ("no-command", [], "required: COMMAND"),
    ("bad-command", ["bogus"], "invalid choice"),
    ("info-extra", ["info", "--bogus"], "unrecognized arguments"),
    # train
    ("train-missing-agent", ["train"], "name an AGENT"),
    ("train-unknown-agent", ["train", "bogus"], "invalid choice: 'bogus'"),
    ("train-checkpoint-0", ["train", "ucb1", "--checkpoint-every", "0"], "--checkpoint-every"),
    ("train-epochs-neg", ["train", "ucb1", "--epochs", "-1"], "--epochs: must be an integer >= 1"),
    ("train-seed-text", ["train", "ucb1", "--seed", "x"], "--seed"),
    ("train-set-type", ["train", "task2sim", "--set", "lr=abc"], "lr must be a number"),
    ("train-set-bool", ["train", "task2sim", "--set", "hidden=True"], "hidden must be an integer"),
    ("train-set-unknown", ["train", "task2sim", "--set", "nope=1"], "no hyperparameter 'nope'"),
    ("train-set-form", ["train", "task2sim", "--set", "lr"], "KEY=VALUE"),
    ("train-set-range", ["train", "task2sim", "--set", "lr=-1"], "lr"),
    ("train-set-none", ["train", "dr", "--set", "x=1"], "no hyperparameters"),
    ("train-env", ["train", "ucb1", "--env", "Nope-v0"], "unknown env 'Nope-v0'"),
    ("train-logdir-file", ["train", "ucb1", "--logdir", "{text}"], "--logdir"),
    ("train-logdir-under-file", ["train", "ucb1", "--logdir", "{under_file}"], "is a file"),
    ("train-resume-missing", ["train", "--resume", "{missing}"], "--resume"),
    ("train-resume-file", ["train", "--resume", "{text}"], "is not a folder"),
    ("train-resume-empty", ["train", "--resume", "{folder}"], "run.json"),
    ("train-resume-list", ["train", "--resume", "{run_list}"], "not a t2s run record"),
    ("train-resume-env", ["train", "--resume", "{run_env}"], "env 'Other-v0'"),
    ("train-resume-seed", ["train", "--resume", "{run_seed}"], "seed 'zero'"),
    ("train-resume-truncated", ["train", "--resume", "{run_truncated}"], "checkpoint.npz"),
    ("train-resume-other", ["train", "--resume", "{run_other_agent}"], "holds a 'ucb1' agent"),
    ("train-resume-state", ["train", "--resume", "{run_state}"], "trainer_state.json"),
    # evaluate
    ("eval-agents-empty", ["evaluate", "--agents", ","], "names no agent"),
    ("eval-agents-unknown", ["evaluate", "--agents", "nope"], "unknown agents ['nope']"),
    ("eval-agents-twice", ["evaluate", "--agents", "dr,dr"], "twice"),
    ("eval-loto-bogus", ["evaluate", "--agents", "dr", "--loto", "bogus"], "--loto 'bogus'"),
    ("eval-loto-seeds-0", ["evaluate", "--agents", "dr", "--loto-seeds", "0"], "--loto-seeds"),
    ("eval-seeds-0", ["evaluate", "--agents", "dr", "--seeds", "0"], "--seeds"),
    ("eval-epochs-text", ["evaluate", "--agents", "dr", "--epochs", "dr=x"], "--epochs"),
    ("eval-epochs-0", ["evaluate", "--agents", "dr", "--epochs", "dr=0"], "N >= 1"),
    ("eval-out-dir", ["evaluate", "--agents", "dr", "--out", "{folder}"], "is a directory"),
    ("eval-out-under-file", ["evaluate", "--agents", "dr", "--out", "{under_file}"], "is a file"),
    # suggest
    ("suggest-no-embedding", ["suggest"], "--embedding"),
    ("suggest-emb-missing", ["suggest", "--embedding", "{missing}"], "--embedding"),
    ("suggest-emb-text", ["suggest", "--embedding", "{text}"], "not a Task2Vec embedding"),
    ("suggest-emb-zero", ["suggest", "--embedding", "{emb_zero}"], "all zeros"),
    ("suggest-advisor", ["suggest", "--embedding", "{emb}", "--advisor", "nope"], "--advisor"),
    ("suggest-seed", ["suggest", "--embedding", "{emb}", "--seed", "-1"], "--seed"),
    (
        "suggest-obs-missing",
        ["suggest", "--embedding", "{emb}", "--observed", "{missing}"],
        "--observed",
    ),
    (
        "suggest-obs-header",
        ["suggest", "--embedding", "{emb}", "--observed", "{csv_header}"],
        "first row",
    ),
    (
        "suggest-obs-text",
        ["suggest", "--embedding", "{emb}", "--observed", "{csv_text}"],
        "not a number",
    ),
    (
        "suggest-obs-range",
        ["suggest", "--embedding", "{emb}", "--observed", "{csv_range}"],
        "outside 0..100",
    ),
    # plot
    ("plot-missing-arg", ["plot"], "required: runs"),
    ("plot-missing", ["plot", "{missing}"], "is not a folder"),
    ("plot-file", ["plot", "{text}"], "is not a folder"),
    ("plot-run-list", ["plot", "{run_list}"], "not a t2s run record"),
    ("plot-history", ["plot", "{run_history}"], "not a t2s training history"),
    ("plot-truncated", ["plot", "{run_truncated}"], "checkpoint.npz"),
    ("plot-out-file", ["plot", "{run}", "--out", "{text}"], "--out"),
    # render
    ("render-no-config", ["render", "--grid", "{root}/g.png"], "--config"),
    ("render-bad-config", ["render", "--config", "1_1", "--grid", "{root}/g.png"], "2 fields"),
    ("render-no-output", ["render", "--config", DR], "give --grid"),
    ("render-grid-dir", ["render", "--config", DR, "--grid", "{folder}"], "is a directory"),
    ("render-grid-under-file", ["render", "--config", DR, "--grid", "{under_file}"], "is a file"),
    ("render-grid-suffix", ["render", "--config", DR, "--grid", "{root}/g"], "must end in .png"),
    ("render-out-file", ["render", "--config", DR, "--out", "{text}"], "is not a folder"),
    ("render-classes-0", ["render", "--config", DR, "--classes", "0"], "--classes"),
    (
        "render-classes-big",
        ["render", "--config", DR, "--out", "{root}/o", "--classes", "999"],
        "100 object classes",
    ),  # fmt: skip
    ("render-resolution", ["render", "--config", DR, "--resolution", "2"], "--resolution"),
    ("render-supersample", ["render", "--config", DR, "--supersample", "9"], "invalid choice"),
    ("render-device", ["render", "--config", DR, "--device", "bogus"], "torch device"),
    # sweep
    ("sweep-no-tasks", ["sweep"], "--tasks"),
    ("sweep-task-bogus", ["sweep", "--tasks", "bogus"], "unknown dataset 'bogus'"),
    ("sweep-task-folder", ["sweep", "--tasks", "folder:{missing}"], "cannot load"),
    ("sweep-task-twice", ["sweep", "--tasks", "digits", "digits"], "twice"),
    ("sweep-config", ["sweep", "--tasks", "digits", "--configs", "1_2"], "bad configuration"),
    ("sweep-recipe", ["sweep", "--tasks", "digits", "--recipe", "bogus"], "invalid choice"),
    ("sweep-seed", ["sweep", "--tasks", "digits", "--seeds", "-1"], "--seeds"),
    ("sweep-workers", ["sweep", "--tasks", "digits", "--workers", "0"], "--workers"),
    ("sweep-gpus", ["sweep", "--tasks", "digits", "--gpus-per-task", "-1"], "--gpus-per-task"),
    (
        "sweep-sim-value",
        ["sweep", "--tasks", "digits", "--simulator", "math:pi"],
        "math:pi is a float, not a factory",
    ),  # fmt: skip
    (
        "sweep-sim-args",
        ["sweep", "--tasks", "digits", "--simulator", "math:sqrt"],
        "without arguments",
    ),  # fmt: skip
    (
        "sweep-sim-kind",
        ["sweep", "--tasks", "digits", "--simulator", "os:getcwd"],
        "not a Simulator",
    ),  # fmt: skip
    (
        "sweep-sim-import",
        ["sweep", "--tasks", "digits", "--simulator", "nosuch:X"],
        "cannot import",
    ),  # fmt: skip
    (
        "sweep-sim-form",
        ["sweep", "--tasks", "digits", "--simulator", "nosuch"],
        "package.module:factory",
    ),
    (
        "sweep-store-dir",
        ["sweep", "--tasks", "digits", "--simulator", TOY, "--store", "{folder}"],
        "is a directory",
    ),  # fmt: skip
    (
        "sweep-store-foreign",
        ["sweep", "--tasks", "digits", "--simulator", TOY, "--store", "{foreign_db}"],
        "not a reward store",
    ),  # fmt: skip
    (
        "sweep-store-text",
        ["sweep", "--tasks", "digits", "--simulator", TOY, "--store", "{text}"],
        "not an SQLite database",
    ),  # fmt: skip
    (
        "sweep-store-under-file",
        ["sweep", "--tasks", "digits", "--simulator", TOY, "--store", "{under_file}"],
        "is a file",
    ),  # fmt: skip
    (
        "sweep-export-suffix",
        ["sweep", "--tasks", "digits", "--simulator", TOY, "--export", "{root}/t.txt"],
        "ending in .npz",
    ),  # fmt: skip
    (
        "sweep-export-dir",
        ["sweep", "--tasks", "digits", "--simulator", TOY, "--export", "{npz_folder}"],
        "is a directory",
    ),  # fmt: skip
    (
        "sweep-address",
        [
            "sweep",
            "--tasks",
            "digits",
            "--simulator",
            TOY,
            "--store",
            "{root}/s.sqlite",
            "--address",
            "x",
        ],
        "--address",
    ),  # fmt: skip
    # embed
    ("embed-no-out", ["embed", "digits"], "--out"),
    ("embed-out-suffix", ["embed", "digits", "--out", "{root}/e"], "ending in .npz"),
    ("embed-out-dir", ["embed", "digits", "--out", "{npz_folder}"], "is a directory"),
    ("embed-out-under-file", ["embed", "digits", "--out", "{text}/e.npz"], "is a file"),
    (
        "embed-n-images",
        ["embed", "digits", "--out", "{root}/e.npz", "--n-images", "0"],
        "--n-images",
    ),  # fmt: skip
    (
        "embed-device",
        ["embed", "digits", "--out", "{root}/e.npz", "--device", "gpu9"],
        "torch device",
    ),  # fmt: skip
    ("embed-dataset", ["embed", "nosuchset", "--out", "{root}/e.npz"], "unknown dataset"),
    ("embed-folder", ["embed", "folder:{missing}", "--out", "{root}/e.npz"], "missing"),
    # recommend
    ("rec-policy-missing", ["recommend", "digits", "--policy", "{missing}"], "no policy"),
    ("rec-policy-dir", ["recommend", "digits", "--policy", "{folder}"], "no policy checkpoint"),
    ("rec-policy-text", ["recommend", "digits", "--policy", "{text}"], "not an agent checkpoint"),
    ("rec-policy-trunc", ["recommend", "digits", "--policy", "{truncated}"], "truncated.npz"),
    ("rec-policy-kind", ["recommend", "digits", "--policy", "{table}"], "not an agent checkpoint"),
    ("rec-emb-missing", ["recommend", "digits", "--embedding", "{missing}"], "does not exist"),
    ("rec-emb-kind", ["recommend", "digits", "--embedding", "{policy}"], "not a Task2Vec"),
    ("rec-emb-text", ["recommend", "digits", "--embedding", "{text}"], "not a Task2Vec"),
    ("rec-emb-zero", ["recommend", "digits", "--embedding", "{emb_zero}"], "all zeros"),
    ("rec-emb-dir", ["recommend", "digits", "--embedding", "{folder}"], "is a directory"),
    ("rec-nearest-neg", ["recommend", "digits", "--nearest", "-1"], "--nearest"),
    (
        "rec-nearest-big",
        ["recommend", "digits", "--embedding", "{emb}", "--nearest", "50"],
        "20 known tasks",
    ),  # fmt: skip
    ("rec-dataset", ["recommend", "bogus", "--embedding", "{emb}"], "unknown dataset"),
    (
        "rec-sim",
        ["recommend", "digits", "--embedding", "{emb}", "--pretrain", "--simulator", "math:pi"],
        "not a factory",
    ),  # fmt: skip
    (
        "rec-recipe",
        ["recommend", "digits", "--embedding", "{emb}", "--pretrain", "--recipe", "bogus"],
        "--recipe: invalid choice",
    ),  # fmt: skip
    (
        "rec-out-dir",
        [
            "recommend",
            "digits",
            "--embedding",
            "{emb}",
            "--pretrain",
            "--simulator",
            TOY,
            "--out-dir",
            "{text}",
        ],
        "--out-dir",
    ),  # fmt: skip
]


@pytest.mark.parametrize("argv, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gives_one_line_and_status_2(files, argv, fragment, capsys):
    args = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    before = tree(files["root"])
    rc = main(args)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert rc == 2, captured
    assert "Traceback" not in captured.err
    assert len(lines) == 1 and lines[0].startswith("t2s: error: "), captured.err
    assert fragment in lines[0]
    assert tree(files["root"]) == before  # nothing written, no empty run folder left


def test_every_subcommand_has_bad_input_cases():
    from agents.cli import COMMANDS

    covered = {c[1][0] for c in CASES if c[1]}
    assert set(COMMANDS) <= covered


def test_a_real_process_prints_one_line_and_debug_shows_the_traceback(tmp_path):
    cmd = [sys.executable, "-m", "agents.cli", "train", "ucb1", "--logdir", str(tmp_path)]
    plain = subprocess.run([*cmd, "--set", "c=abc"], capture_output=True, text=True)
    assert plain.returncode == 2
    assert plain.stderr.strip() == "t2s: error: --set c='abc': c must be a number"
    debug = subprocess.run([*cmd, "--set", "c=abc", "--debug"], capture_output=True, text=True)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "UsageError" in debug.stderr


def test_a_bug_still_shows_its_traceback(monkeypatch, tmp_path):
    import agents.training

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(agents.training, "train", broken)
    with pytest.raises(ZeroDivisionError):
        main(["train", "ucb1", "--logdir", str(tmp_path), "--no-progress"])
    assert list(tmp_path.iterdir()) == []  # the failed run left no empty run folder


def test_a_late_write_failure_saves_the_results_to_a_named_recovery_file(
    monkeypatch, tmp_path, capsys
):
    """The output folder turns into a file while the work runs: the results are not lost."""
    import tempfile

    import agents.evaluation

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # recovery files go here
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "results"
    real = agents.evaluation.evaluate

    def evaluate_then_block(*args, **kwargs):
        result = real(*args, **kwargs)
        out.mkdir()
        (out / "eval.json").mkdir()  # a folder where the output file should go
        return result

    monkeypatch.setattr(agents.evaluation, "evaluate", evaluate_then_block)
    rc = main(["evaluate", "--agents", "dr", "--quick", "--out", str(out / "eval"),
               "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("t2s: error: cannot write --out") and "Traceback" not in err
    spare = Path(err.rsplit("saved to ", 1)[1])
    assert spare.is_relative_to(tmp_path / "tmp")
    assert json.loads(spare.read_text())["agents"]["dr"]["seen_mean"] == pytest.approx(24.07, 0.01)
