"""Hostile input, tried as a hostile but fair reviewer would: bad command lines for every
sub-command, damaged and crafted files of every kind the project reads, damaged stores,
malformed reward tables, late write failures, and concurrent sweeps on one store. Writes
``benchmarks/results/hostile_input.{json,md}``.

Each case is classified: **clean error** (a named error: for the CLI one ``t2s: error:`` line
and exit status 2), **traceback** (any other exception, or a traceback on stderr), **wrong exit
0** (the bad input was accepted), **data lost** (finished work not kept, or a file the project
must leave alone was modified). Every crafted pickle creates a marker file when unpickled: a
**code execution** is a marker that appeared. Targets: 0 in the last three columns, 0 code
executions.

    OMP_NUM_THREADS=1 python benchmarks/hostile_input.py            # CLI cases in-process
    OMP_NUM_THREADS=1 python benchmarks/hostile_input.py --subprocess   # each one a real process
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pickle
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from functools import partial
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
DR = "1_1_1_1_1_3_0_1_1"
TOY = "hostile_toy:ToySimulator"


class Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


# -- the files -----------------------------------------------------------------------------------
def make_files(root: Path) -> dict[str, str]:
    """Good and bad files of every kind; returns ``{name: path}`` (for ``{name}`` in argv)."""
    import torch

    from agents import make_agent
    from agents.cli import main
    from t2s_env.data import load_reward_table
    from t2s_env.task2vec import TaskEmbedding

    f: dict[str, Path] = {"root": root}
    marker = str(root / "MARKER")
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
    data = f["policy"].read_bytes()
    f["table"] = root / "table.npz"
    load_reward_table().save(f["table"])
    f["emb"] = root / "emb.npz"
    TaskEmbedding(np.ones(9600, np.float32), np.ones(9600, np.float32), {}).save(f["emb"])
    emb_bytes = f["emb"].read_bytes()
    for name, blob in (
        ("empty", b""),
        ("truncated", data[: len(data) // 2]),
        ("bitflip", data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]),
        ("emb_truncated", emb_bytes[: len(emb_bytes) // 3]),
    ):
        f[name] = root / f"{name}.npz"
        f[name].write_bytes(blob)
    obj = np.array([Payload(marker)], dtype=object)
    for name, agent in (("pickled_policy", "task2sim"), ("pickled_ppo", "ppo")):
        f[name] = root / f"{name}.npz"
        with open(f[name], "wb") as fh:
            np.savez(fh, __meta__=np.array(json.dumps({"name": agent, "seed": 0})), payload=obj)
    f["pickled_meta"] = root / "pickled_meta.npz"
    with open(f["pickled_meta"], "wb") as fh:
        np.savez(fh, __meta__=obj)
    f["sb3_zip"] = root / "sb3_zip.npz"  # an old-style SB3 checkpoint with a live payload
    cfg = {"algo": "ppo", "n_steps": 16, "batch_size": 16, "learning_rate": 3e-4,
           "net_arch": [64, 64]}  # fmt: skip
    with open(f["sb3_zip"], "wb") as fh:
        meta = {"name": "ppo", "seed": 0, "config": cfg}
        blob = np.frombuffer(sb3_zip_with_payload(marker), np.uint8)
        np.savez(fh, __meta__=np.array(json.dumps(meta)), owed=np.array(0), model_zip=blob)
    f["emb_zero"] = root / "zero.npz"
    TaskEmbedding(np.zeros(9600, np.float32), np.ones(9600, np.float32), {}).save(f["emb_zero"])
    f["emb_nan"] = root / "nan.npz"
    TaskEmbedding(np.full(9600, np.nan, np.float32), np.ones(9600, np.float32), {}).save(
        f["emb_nan"]
    )
    f["emb_small"] = root / "small.npz"
    TaskEmbedding(np.ones(7, np.float32), np.ones(7, np.float32), {}).save(f["emb_small"])
    f["emb_pickled"] = root / "emb_pickled.npz"
    with open(f["emb_pickled"], "wb") as fh:
        np.savez(fh, hessian=np.ones(9600, np.float32), scale=np.ones(9600, np.float32), meta=obj)
    f["probe_pickled"] = root / "probe.pth"
    torch.save({"state_dict": Payload(marker)}, f["probe_pickled"])
    f["probe_text"] = f["text"]
    for name, tables in (("foreign_db", ["people (name TEXT)"]),
                         ("foreign_eval_db", ["evaluations (task TEXT, accuracy REAL)"])):  # fmt: skip
        f[name] = root / f"{name}.sqlite"
        conn = sqlite3.connect(f[name])
        for t in tables:
            conn.execute(f"CREATE TABLE {t}")
        conn.commit()
        conn.close()
    logdir = root / "runs"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["train", "dr", "--epochs", "1", "--logdir", str(logdir), "--no-progress"]) == 0
    (f["run"],) = logdir.iterdir()
    run_edits = {
        "run_list": lambda d: (d / "run.json").write_text("[]"),
        "run_badjson": lambda d: (d / "run.json").write_text("{nope"),
        "run_env": lambda d: _edit_json(d / "run.json", env="Other-v0"),
        "run_agent": lambda d: _edit_json(d / "run.json", agent="bogus"),
        "run_seed": lambda d: _edit_json(d / "run.json", seed="zero"),
        "run_epochs": lambda d: _edit_json(d / "run.json", epochs=-5),
        "run_overrides": lambda d: _edit_json(d / "run.json", overrides=[1]),
        "run_truncated": lambda d: shutil.copy(f["truncated"], d / "checkpoint.npz"),
        "run_empty_ckpt": lambda d: shutil.copy(f["empty"], d / "checkpoint.npz"),
        "run_pickled": lambda d: _pickled_ckpt(d / "checkpoint.npz", "dr", marker),
        "run_other_agent": lambda d: shutil.copy(f["policy"], d / "checkpoint.npz"),
        "run_sb3": lambda d: (
            _edit_json(d / "run.json", agent="ppo", overrides={"n_steps": 16, "batch_size": 16}),
            shutil.copy(f["sb3_zip"], d / "checkpoint.npz"),
        ),
        "run_history": lambda d: (d / "history.json").write_text('{"epoch": 3}'),
        "run_state": lambda d: (d / "trainer_state.json").write_text('{"epoch": "x"}'),
        "run_state_list": lambda d: (d / "trainer_state.json").write_text("[]"),
    }
    for name, edit in run_edits.items():
        f[name] = root / name
        shutil.copytree(f["run"], f[name])
        edit(f[name])
    round3_files(root, f)
    return {k: str(v) for k, v in f.items()}


VICTIMS = "victims"
"""Files outside every destination that symlinks in the inputs point to: none may change."""


def round3_files(root: Path, f: dict[str, Path]) -> None:
    """Issue 26's inputs: image folders (a decompression bomb, one class, an undecodable file),
    run folders whose files are symlinks out of the folder, checkpoints of the wrong shape."""
    import struct
    import zlib

    from PIL import Image

    from agents.base import read_state, write_state

    def folder(name: str, counts: dict[str, int]) -> Path:
        for cls, n in counts.items():
            (root / name / cls).mkdir(parents=True)
            for i in range(n):
                img = np.full((8, 8, 3), 30 * i, np.uint8)
                Image.fromarray(img).save(root / name / cls / f"{i}.png")
        f[name] = root / name
        return root / name

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    bomb = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", 40000, 40000, 1, 0, 0, 0, 0)
    )
    bomb += chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    (folder("img_bomb", {"a": 3, "b": 3}) / "a" / "big.png").write_bytes(bomb)
    folder("img_one_class", {"only": 6})
    (folder("img_broken", {"a": 3, "b": 3}) / "b" / "bad.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    folder("img_one_image", {"a": 1, "b": 1})
    victims = root / VICTIMS
    victims.mkdir()
    for name in ("history.json", "checkpoint.npz", "trainer_state.json", "run.json"):
        victim = victims / name
        shutil.copy(f["run"] / name, victim)
        f[f"run_link_{name.split('.')[0]}"] = link = root / f"run_link_{name.split('.')[0]}"
        shutil.copytree(f["run"], link)
        (link / name).unlink()
        (link / name).symlink_to(victim)
    meta, arrays = read_state(f["run"] / "checkpoint.npz", "dr")
    for key in ("mem_obs", "mem_sums", "mem_counts"):
        f[f"run_shape_{key}"] = run = root / f"run_shape_{key}"
        shutil.copytree(f["run"], run)
        write_state(run / "checkpoint.npz", meta, {**arrays, key: arrays[key][:, :10]})
    meta, arrays = read_state(f["policy"], "ucb1")
    f["policy_shape"] = root / "policy_shape.npz"
    write_state(f["policy_shape"], meta, {**arrays, "mem_counts": np.zeros((3, 7), np.int64)})


def sb3_zip_with_payload(marker: str) -> bytes:
    """A real SB3 model zip whose ``policy_class`` holds a cloudpickle payload (SB3's own
    ``load`` runs it)."""
    import base64
    import zipfile

    from agents import make_agent
    from agents.toy import TOY_SPACE, toy_env

    agent = make_agent("ppo", 0, space=TOY_SPACE, overrides=dict(n_steps=16, batch_size=16))
    agent.train_batch(toy_env(), ["a0"] * 16, 0)
    buf = io.BytesIO()
    agent.model.save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "data":
                d = json.loads(data)
                payload = base64.b64encode(pickle.dumps(Payload(marker))).decode()
                d["policy_class"][":serialized:"] = payload
                data = json.dumps(d).encode()
            dst.writestr(name, data)
    return out.getvalue()


def _edit_json(path: Path, **changes) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def _pickled_ckpt(path: Path, agent: str, marker: str) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, __meta__=np.array(json.dumps({"name": agent, "seed": 0})),
                 payload=np.array([Payload(marker)], dtype=object))  # fmt: skip


# -- the command lines ---------------------------------------------------------------------------
CLI_CASES: list[tuple[str, list[str]]] = [
    ("top", []), ("top", ["bogus"]), ("top", ["--bogus"]), ("info", ["info", "extra"]),
    ("train", ["train"]), ("train", ["train", "bogus"]),
    ("train", ["train", "ucb1", "--checkpoint-every", "0"]),
    ("train", ["train", "ucb1", "--checkpoint-every", "-3"]),
    ("train", ["train", "ucb1", "--epochs", "0"]), ("train", ["train", "ucb1", "--epochs", "x"]),
    ("train", ["train", "ucb1", "--seed", "-1"]), ("train", ["train", "ucb1", "--seed", "1.5"]),
    ("train", ["train", "task2sim", "--set", "lr=abc"]),
    ("train", ["train", "task2sim", "--set", "lr=[1]"]),
    ("train", ["train", "task2sim", "--set", "hidden=2.5"]),
    ("train", ["train", "task2sim", "--set", "hidden=True"]),
    ("train", ["train", "task2sim", "--set", "hidden=-4"]),
    ("train", ["train", "task2sim", "--set", "nope=1"]),
    ("train", ["train", "task2sim", "--set", "lr"]), ("train", ["train", "task2sim", "--set", "=1"]),
    ("train", ["train", "ppo", "--set", "net_arch=abc"]),
    ("train", ["train", "ppo", "--set", "n_steps=1"]),
    ("train", ["train", "ppo", "--set", "algo=dqn"]),
    ("train", ["train", "dr", "--set", "x=1"]), ("train", ["train", "ucb1", "--env", "Nope-v0"]),
    ("train", ["train", "ucb1", "--env", "CartPole-v1"]),
    ("train", ["train", "ucb1", "--logdir", "{text}"]),
    ("train", ["train", "ucb1", "--logdir", "{under_file}"]),
    ("train", ["train", "ucb1", "--logdir", "/proc/t2s"]),
    ("train", ["train", "--resume", "{missing}"]), ("train", ["train", "--resume", "{text}"]),
    ("train", ["train", "--resume", "{folder}"]),
    *[("train", ["train", "--resume", "{" + n + "}"]) for n in (
        "run_list", "run_badjson", "run_env", "run_agent", "run_seed", "run_epochs",
        "run_overrides", "run_truncated", "run_empty_ckpt", "run_pickled", "run_other_agent",
        "run_sb3", "run_state", "run_state_list")],
    ("info", ["info", "--table", "cpu-v2"]), ("info", ["info", "--table", "Task2Sim-CPU-v1"]),
    ("evaluate", ["evaluate", "--table", "cpu-v1", "--agents", "dr", "--loto", "bogus"]),
    ("evaluate", ["evaluate", "--table", "cpu-v1", "--agents", "dr", "--scoring", "bogus"]),
    ("train", ["train", "ucb1", "--env", "Task2Sim-CPU-v1", "--epochs", "0"]),
    ("train", ["train", "ucb1", "--env", "Task2Sim-CPU-v2"]),
    ("evaluate", ["evaluate", "--agents", ","]), ("evaluate", ["evaluate", "--agents", ""]),
    ("evaluate", ["evaluate", "--agents", "nope"]), ("evaluate", ["evaluate", "--agents", "dr,dr"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--loto", "bogus"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--loto", ","]),
    ("evaluate", ["evaluate", "--agents", "dr", "--loto", "oracle"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--loto-seeds", "0"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--seeds", "0"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--seeds", "-2"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--epochs", "dr=x"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--epochs", "dr=0"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--epochs", "ucb1=5"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--epochs", "dr"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--out", "{folder}"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--out", "{under_file}"]),
    ("evaluate", ["evaluate", "--agents", "dr", "--out", "/proc/t2s/x"]),
    ("plot", ["plot"]), ("plot", ["plot", "{missing}"]), ("plot", ["plot", "{text}"]),
    ("plot", ["plot", "{folder}"]),
    *[("plot", ["plot", "{" + n + "}"]) for n in (
        "run_list", "run_badjson", "run_env", "run_agent", "run_history", "run_truncated",
        "run_pickled", "run_other_agent", "run_sb3")],
    ("plot", ["plot", "{run}", "--out", "{text}"]),
    ("plot", ["plot", "{run}", "--out", "{under_file}"]),
    ("render", ["render"]), ("render", ["render", "--grid", "{root}/g.png"]),
    ("render", ["render", "--config", "1_1", "--grid", "{root}/g.png"]),
    ("render", ["render", "--config", "9_9_9_9_9_9_9_9_9", "--grid", "{root}/g.png"]),
    ("render", ["render", "--config", DR]),
    ("render", ["render", "--config", DR, "--grid", "{folder}"]),
    ("render", ["render", "--config", DR, "--grid", "{under_file}"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g.xyz"]),
    ("render", ["render", "--config", DR, "--out", "{text}"]),
    ("render", ["render", "--config", DR, "--out", "{under_file}"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g.png", "--classes", "0"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g.png", "--classes", "999"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g.png", "--images-per-class", "0"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g.png", "--resolution", "0"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g.png", "--supersample", "0"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g.png", "--device", "bogus"]),
    ("render", ["render", "--config", DR, "--grid", "{root}/g.png", "--seed", "-1"]),
    ("sweep", ["sweep"]), ("sweep", ["sweep", "--tasks", "bogus"]),
    ("sweep", ["sweep", "--tasks", "folder:{missing}"]),
    ("sweep", ["sweep", "--tasks", "folder:{text}"]),
    ("sweep", ["sweep", "--tasks", "digits", "digits"]),
    ("sweep", ["sweep", "--tasks", "digits", "--configs", "1_2"]),
    ("sweep", ["sweep", "--tasks", "digits", "--configs", "all", DR]),
    ("sweep", ["sweep", "--tasks", "digits", "--recipe", "bogus"]),
    ("sweep", ["sweep", "--tasks", "digits", "--seeds", "-1"]),
    ("sweep", ["sweep", "--tasks", "digits", "--seeds", "x"]),
    ("sweep", ["sweep", "--tasks", "digits", "--workers", "0"]),
    ("sweep", ["sweep", "--tasks", "digits", "--cpus-per-task", "0", "--executor", "ray"]),
    ("sweep", ["sweep", "--tasks", "digits", "--gpus-per-task", "-1"]),
    ("sweep", ["sweep", "--tasks", "digits", "--max-retries", "-1"]),
    ("sweep", ["sweep", "--tasks", "digits", "--executor", "bogus"]),
    ("sweep", ["sweep", "--tasks", "digits", "--device", "bogus"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", "math:pi"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", "math:sqrt"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", "os:getcwd"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", "nosuch:X"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", "nosuch"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", ":"]),
    *[("sweep", ["sweep", "--tasks", "digits", "--simulator", TOY, "--store", "{" + n + "}"])
      for n in ("folder", "foreign_db", "foreign_eval_db", "text", "under_file", "emb",
                "truncated")],  # fmt: skip
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", TOY, "--export", "{root}/t.txt"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", TOY, "--export", "{npz_folder}"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", TOY, "--export", "{text}/t.npz"]),
    ("sweep", ["sweep", "--tasks", "digits", "--simulator", TOY, "--address", "x"]),
    ("embed", ["embed"]), ("embed", ["embed", "digits"]),
    ("embed", ["embed", "digits", "--out", "{root}/e"]),
    ("embed", ["embed", "digits", "--out", "{npz_folder}"]),
    ("embed", ["embed", "digits", "--out", "{text}/e.npz"]),
    ("embed", ["embed", "digits", "--out", "/proc/e.npz"]),
    ("embed", ["embed", "digits", "--out", "{root}/e.npz", "--n-images", "0"]),
    ("embed", ["embed", "digits", "--out", "{root}/e.npz", "--image-size", "1"]),
    ("embed", ["embed", "digits", "--out", "{root}/e.npz", "--batch-size", "0"]),
    ("embed", ["embed", "digits", "--out", "{root}/e.npz", "--device", "gpu9"]),
    ("embed", ["embed", "digits", "--out", "{root}/e.npz", "--nearest", "-1"]),
    ("embed", ["embed", "digits", "--out", "{root}/e.npz", "--split-seed", "-1"]),
    ("embed", ["embed", "nosuchset", "--out", "{root}/e.npz"]),
    ("embed", ["embed", "folder:{missing}", "--out", "{root}/e.npz"]),
    ("embed", ["embed", "folder:{text}", "--out", "{root}/e.npz"]),
    *[("embed", ["embed", "digits", "--out", "{root}/e.npz", "--probe", "{" + n + "}",
                 "--n-images", "20", "--head-epochs", "0", "--image-size", "32"])
      for n in ("probe_pickled", "probe_text", "missing", "folder", "policy")],  # fmt: skip
    *[("recommend", ["recommend", "digits", "--policy", "{" + n + "}"]) for n in (
        "missing", "folder", "text", "empty", "truncated", "bitflip", "table", "emb",
        "pickled_policy", "pickled_ppo", "pickled_meta", "sb3_zip")],
    *[("recommend", ["recommend", "digits", "--embedding", "{" + n + "}"]) for n in (
        "missing", "folder", "text", "policy", "table", "emb_zero", "emb_nan", "emb_small",
        "emb_pickled", "emb_truncated", "empty")],
    ("recommend", ["recommend", "digits", "--nearest", "-1"]),
    ("recommend", ["recommend", "digits", "--embedding", "{emb}", "--nearest", "50"]),
    ("recommend", ["recommend", "digits", "--embedding", "{emb}", "--metric", "bogus"]),
    ("recommend", ["recommend", "bogus", "--embedding", "{emb}"]),
    ("recommend", ["recommend", "digits", "--embedding", "{emb}", "--pretrain", "--simulator",
                   "math:pi"]),  # fmt: skip
    ("recommend", ["recommend", "digits", "--embedding", "{emb}", "--pretrain", "--recipe",
                   "bogus"]),  # fmt: skip
    ("recommend", ["recommend", "digits", "--embedding", "{emb}", "--pretrain", "--simulator",
                   TOY, "--out-dir", "{text}"]),  # fmt: skip
    ("recommend", ["recommend", "digits", "--embedding", "{emb}", "--pretrain-seed", "-1"]),
    # -- round 3 (issue 26): malformed lists and options without effect
    *[("evaluate", ["evaluate", *a]) for a in (
        ["--budgets", "1,,2"], ["--budgets", "1,2,"], ["--budgets", ",1"], ["--budgets", "2,2"],
        ["--budgets", "1;2"], ["--budgets", "999"], ["--budgets", "1", "--noise", "0,,0.1"],
        ["--budgets", "1", "--noise", "nan"], ["--budgets", "1", "--splits", "loto,"],
        ["--budgets", "1", "--splits", "loto,loto"], ["--budgets", "1", "--splits", "bogus"],
        ["--noise", "0.01"], ["--splits", "loto"], ["--splits", "seen-unseen"],
        ["--budgets", "1", "--loto", "none"], ["--budgets", "1", "--loto-seeds", "2"],
        ["--quick", "--seeds", "3"], ["--quick", "--loto", "all"], ["--loto", "none", "--loto-seeds", "2"],
        ["--agents", "dr,", "--quick"], ["--agents", ",dr", "--quick"])],
    *[("train", ["train", *a]) for a in (
        ["ucb1", "--recipe", "tiny"], ["ucb1", "--store", "{root}/s.sqlite"], ["ucb1", "--simulator", TOY],
        ["ucb1", "--pretrain-seed", "3"], ["ucb1", "--device", "cpu"], ["ucb1", "--task2vec-probe", "random"],
        ["ucb1", "--task2vec-images", "10"], ["ucb1", "--max-evaluations", "3"],
        ["--resume", "{run}", "--seed", "3"], ["dr", "--resume", "{run}"],
        ["--resume", "{run}", "--env", "Task2Sim-All-v0"], ["--resume", "{run}", "--set", "x=1"],
        ["--resume", "{run}", "--logdir", "{root}/elsewhere"], ["--resume", "{run}", "--max-evaluations", "2"],
        ["ucb1", "--env", "Task2Sim-Live-v0", "--tasks", "digits", "--pretrain-seed", "-1"],
        ["ucb1", "--env", "Task2Sim-Live-v0", "--tasks", "digits", "--task2vec-images", "0"],
        ["ucb1", "--env", "Task2Sim-Live-v0", "--tasks", "digits", "--device", "bogus"])],
    *[("recommend", ["recommend", "digits", *a]) for a in (
        ["--embedding", "{emb}", "--probe", "random"], ["--embedding", "{emb}", "--n-images", "5"],
        ["--embedding", "{emb}", "--download"], ["--recipe", "tiny"], ["--simulator", TOY],
        ["--out-dir", "{root}/r"], ["--pretrain-seed", "2"], ["--advisor", "gp"],
        ["--embedding", "{emb}", "--pretrain", "--advisor", "gp"])],
    ("sweep", ["sweep", "--tasks", "digits", "--address", "auto"]),
    ("sweep", ["sweep", "--tasks", "digits", "--max-retries", "2"]),
    ("sweep", ["sweep", "--tasks", "digits", "--executor", "ray", "--device", "cpu"]),
    ("embed", ["embed", "digits", "--out", "{root}/e.npz", "--nearest", "0", "--metric", "cosine"]),
    # -- round 3: images and the task rules, the same in every command
    *[(cmd, argv) for n in ("img_bomb", "img_one_class", "img_broken", "img_one_image") for cmd, argv in (
        ("embed", ["embed", "folder:{" + n + "}", "--out", "{root}/e.npz", "--probe", "random",
                   "--n-images", "8", "--image-size", "16", "--head-epochs", "0"]),
        ("sweep", ["sweep", "--tasks", "folder:{" + n + "}", "--configs", DR, "--recipe", "tiny",
                   "--simulator", TOY, "--store", "{root}/s.sqlite"]),
        ("recommend", ["recommend", "folder:{" + n + "}", "--probe", "random", "--n-images", "8",
                       "--image-size", "16", "--head-epochs", "0"]))],
    # -- round 3: run files linked out of the run folder, checkpoints of the wrong shape
    *[(cmd, [cmd, *pre, "{" + n + "}", *post]) for n in (
        "run_link_history", "run_link_checkpoint", "run_link_trainer_state", "run_link_run",
        "run_shape_mem_obs", "run_shape_mem_sums", "run_shape_mem_counts") for cmd, pre, post in (
        ("train", ["--resume"], ["--no-progress"]), ("plot", [], ["--out", "{root}/plots"]))],
    ("recommend", ["recommend", "digits", "--policy", "{policy_shape}", "--embedding", "{emb}"]),
    *[("recommend", ["recommend", "digits", "--policy", "{run_shape_" + k + "}/checkpoint.npz",
                     "--embedding", "{emb}"]) for k in ("mem_obs", "mem_sums", "mem_counts")],
]  # fmt: skip

PLUGIN_MODULES = {
    "plug_syntax": "def factory(seed:\n",
    "plug_raises": "raise RuntimeError('boom at import')\n",
    "plug_exit0": "import sys\nsys.exit(0)\n",
    "plug_exit3": "raise SystemExit(3)\n",
    "plug_missing_dep": "import nosuchpackage_t2s\n",
    "plug_factories": """
import numpy as np


class Agent:
    name = "plug"
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


class NoSave(Agent):
    save = None


class BadKind(Agent):
    kind = "psychic"


class NoName(Agent):
    name = 3


class ActFails(Agent):
    def act(self, obs, deterministic=False):
        return {}["missing"]


class BadAnswer(Agent):
    def act(self, obs, deterministic=False):
        return np.full((len(obs), 8), 99)


class Advisor:
    def fit(self, *a):
        pass

    def suggest(self, *a):
        raise ZeroDivisionError("advisor bug")

    def answer(self, *a):
        return "x"


def raises(seed):
    raise RuntimeError("factory boom")


def exits(seed):
    raise SystemExit(0)


def no_seed():
    return Agent(0)


def positional_only(s, /):
    return Agent(s)


def not_agent(seed):
    return object()


def no_save(seed):
    return NoSave(seed)


def bad_kind(seed):
    return BadKind(seed)


def no_name(seed):
    return NoName(seed)


def act_fails(seed):
    return ActFails(seed)


def bad_answer(seed):
    return BadAnswer(seed)


def advisor(seed):
    return Advisor()


def returns_none(seed):
    return None


value = 3
""",
}
"""Plug-in agents as a user (or an attacker) might write them (``--agents module:factory``)."""

PLUGIN_CASES = [
    "plug_syntax:factory", "plug_raises:factory", "plug_exit0:factory", "plug_exit3:factory",
    "plug_missing_dep:factory", "plug_factories:nope", "plug_factories:value",
    *[f"plug_factories:{n}" for n in (
        "raises", "exits", "no_seed", "positional_only", "not_agent", "no_save", "bad_kind",
        "no_name", "act_fails", "bad_answer", "advisor", "returns_none")],
    "os:system", "sys:exit", "builtins:dict", "subprocess:run", ":", "plug_factories:",
]  # fmt: skip
CLI_CASES += [("evaluate", ["evaluate", "--agents", p, "--quick", "--no-progress", "--out",
                            "{root}/e"]) for p in PLUGIN_CASES]  # fmt: skip
CLI_CASES += [("evaluate", ["evaluate", "--agents", p, "--budgets", "0,1", "--splits", "seen-unseen",
                            "--seeds", "1", "--no-progress", "--out", "{root}/e"])
              for p in ("plug_factories:advisor", "plug_factories:act_fails", "plug_exit0:f")]  # fmt: skip


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def classify_cli(rc: int | None, err: str, exc: BaseException | None) -> str:
    if exc is not None or "Traceback" in err:
        return "traceback"
    if rc == 0:
        return "wrong exit 0"
    lines = err.strip().splitlines()  # progress bars and notes may come before the error line
    if rc == 2 and lines and re.match(r"t2s( \w+)?: error: ", lines[-1]):
        return "clean error"
    return "traceback"  # an unclear failure counts against us


def run_cli(argv: list[str], subprocess_mode: bool, env: dict) -> tuple[int | None, str, object]:
    if subprocess_mode:
        p = subprocess.run([sys.executable, "-m", "agents.cli", *argv], capture_output=True,
                           text=True, cwd=ROOT, env=env, timeout=300)  # fmt: skip
        return p.returncode, p.stderr, None
    from agents.cli import main

    err, exc, rc = io.StringIO(), None, None
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse's own exit (what a process would return)
            rc = e.code if isinstance(e.code, int) else 1
        except BaseException as e:  # noqa: BLE001 (a traceback is what we count)
            exc = e
    return rc, err.getvalue(), exc


def kind_of(group: str, argv: list[str]) -> str:
    text = " ".join(argv)
    if any(p in argv for p in PLUGIN_CASES):
        return "plug-in agent"
    if "{img_" in text:
        return "image folder"
    if "{run_link" in text or "{run_shape" in text or "{policy_shape}" in text:
        return "run folder or checkpoint"
    if "{" not in text or group in ("render", "evaluate"):
        return "command line"
    return "damaged or crafted file"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def cli_cases(files: dict[str, str], subprocess_mode: bool) -> list[dict]:
    root, marker = Path(files["root"]), Path(files["root"]) / "MARKER"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{files['toy_dir']}", "OMP_NUM_THREADS": "1"}
    victims = snapshot(root / VICTIMS)
    rows = []
    for group, argv in CLI_CASES:
        args = [a.format(**files) for a in argv]
        before = tree(root)
        rc, err, exc = run_cli(args, subprocess_mode, env)
        verdict = classify_cli(rc, err, exc)
        if tree(root) != before and verdict == "clean error":
            verdict = "data lost"  # a partial output or an empty run folder left behind
        if snapshot(root / VICTIMS) != victims:
            verdict = "data lost"  # a file outside the destination was written (through a link)
            for name, blob in victims.items():
                (root / VICTIMS / name).write_bytes(blob)
        line = err.strip().splitlines()[-1] if err.strip() else repr(exc)
        line = line.replace(files["root"], "<inputs>")
        rows.append({"kind": kind_of(group, argv), "group": group,
                     "argv": argv, "verdict": verdict, "rc": rc, "message": line[:300],
                     "code_executed": marker.exists()})  # fmt: skip
        marker.unlink(missing_ok=True)
        for p in set(tree(root)) - set(before):  # keep the fixture folder as it was
            q = root / p
            shutil.rmtree(q, ignore_errors=True) if q.is_dir() else q.unlink(missing_ok=True)
    return rows


# -- stores and tables (the library's readers) ---------------------------------------------------
def store_cases(root: Path) -> list[dict]:
    from t2s_env.rewards.store import Evaluation, EvaluationKey, RewardStore, StoreError

    marker = root / "MARKER"
    rows = []

    def good(name: str) -> Path:
        path = root / f"{name}.sqlite"
        s = RewardStore(path)
        for i in range(40):
            s.put(Evaluation(EvaluationKey("t", str(i), "s", "1", "r", 0), 0.5,
                             details={"dataset": "digits", "pad": "x" * 300}))  # fmt: skip
        s.close()
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return path

    def sql(path: Path, *statements: tuple) -> Path:
        conn = sqlite3.connect(path)
        for st in statements:
            conn.execute(*st)
        conn.commit()
        conn.close()
        return path

    blob = pickle.dumps(Payload(str(marker)))
    makers = {
        "text file": lambda p: p.write_bytes(b"not a database\n" * 40),
        "foreign database": lambda p: sql(p, ("CREATE TABLE people (name TEXT)",)),
        "foreign database with evaluations": lambda p: sql(
            p, ("CREATE TABLE evaluations (task TEXT)",), ("INSERT INTO evaluations VALUES ('x')",)
        ),
        "foreign database with evaluations and meta": lambda p: sql(
            p, ("CREATE TABLE evaluations (task TEXT)",), ("CREATE TABLE meta (name TEXT)",)
        ),
        "truncated store": lambda p: p.write_bytes(good("g1").read_bytes()[:3000]),
        "zeroed pages": lambda p: p.write_bytes(
            (d := good("g2").read_bytes())[:100] + b"\0" * 4000 + d[4100:]
        ),
        "bit-flipped page size": lambda p: p.write_bytes(
            (d := good("g3").read_bytes())[:16] + bytes([d[16] ^ 0x5A]) + d[17:]
        ),
        "pickle in a JSON column": lambda p: sql(
            good("g4").rename(p) or p, ("UPDATE evaluations SET details = ?", (blob,))
        ),
        "pickle as an embedding": lambda p: (
            (s := RewardStore(p)).put_embedding("t", "m", np.zeros(3)),
            s.close(),
            sql(p, ("UPDATE embeddings SET vector = ?", (blob,))),
        ),
        "accuracy out of range": lambda p: sql(
            good("g5").rename(p) or p,
            ("PRAGMA ignore_check_constraints = 1",),
            ("UPDATE evaluations SET accuracy = 7",),
        ),
        "schema version 99": lambda p: sql(
            good("g6").rename(p) or p, ("UPDATE meta SET value = '99'",)
        ),
        "schema version not a number": lambda p: sql(
            good("g7").rename(p) or p, ("UPDATE meta SET value = 'one'",)
        ),
        "schema version empty": lambda p: sql(
            good("g8").rename(p) or p, ("UPDATE meta SET value = ''",)
        ),
        "a directory": lambda p: p.mkdir(),
        "a missing folder": lambda p: None,
    }
    for name, make in makers.items():
        path = root / ("nofolder/x.sqlite" if name == "a missing folder" else "case.sqlite")
        make(path)
        before = path.read_bytes() if path.is_file() else None
        verdict, message = "wrong exit 0", ""
        try:
            s = RewardStore(path)
            len(s)
            s.evaluations()
            s.get_embedding("t", "m")
            s.close()
        except StoreError as exc:
            verdict, message = "clean error", str(exc)
            if str(path) not in message and str(path.parent) not in message:
                verdict = "unnamed error"
        except Exception as exc:  # noqa: BLE001
            verdict, message = "traceback", f"{type(exc).__name__}: {exc}"
        if name.startswith(("foreign", "schema version")) or name in ("text file",):
            if path.read_bytes() != before:
                verdict = "data lost"  # a file the store must leave alone was modified
        elif verdict == "wrong exit 0" and name in ("pickle as an embedding",):
            verdict = "clean error"  # read as raw numbers, never unpickled: nothing to refuse
        message = message.replace(str(root), "<inputs>")
        rows.append({"kind": "damaged store", "group": "store", "argv": [name],
                     "verdict": verdict, "message": message[:300],
                     "code_executed": marker.exists()})  # fmt: skip
        marker.unlink(missing_ok=True)
        for p in root.glob("case.sqlite*"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    return rows


def verdict_of(
    call, clean: tuple[type[BaseException], ...], named: bool = False
) -> tuple[str, str]:
    """``(verdict, message)`` of calling ``call()``: an exception of a ``clean`` type is a clean
    error (its message, with the exception's type name when ``named``), any other a traceback,
    none a wrong exit 0."""
    try:
        call()
    except clean as exc:
        return "clean error", f"{type(exc).__name__}: {exc}" if named else str(exc)
    except Exception as exc:  # noqa: BLE001
        return "traceback", f"{type(exc).__name__}: {exc}"
    return "wrong exit 0", "accepted"


def table_cases(root: Path) -> list[dict]:
    from t2s_env.data import DataFileError, load_reward_table, read_reward_table

    marker = root / "MARKER"
    t = load_reward_table()
    tasks, keys, acc = np.array(t.tasks), np.array(t.keys), np.array(t.accuracy)
    obj = np.array([Payload(str(marker))], dtype=object)
    dup_tasks = tasks.copy()
    dup_tasks[3] = dup_tasks[0]
    dup_keys = keys.copy()
    dup_keys[9] = dup_keys[0]
    bad = {
        "duplicate task names": dict(tasks=dup_tasks, keys=keys, accuracy=acc),
        "duplicate keys": dict(tasks=tasks, keys=dup_keys, accuracy=acc),
        "NaN accuracy": dict(tasks=tasks, keys=keys, accuracy=np.where(acc > 50, np.nan, acc)),
        "accuracy above 100": dict(tasks=tasks, keys=keys, accuracy=acc * 10),
        "negative accuracy": dict(tasks=tasks, keys=keys, accuracy=-acc),
        "integer percentages": dict(tasks=tasks, keys=keys, accuracy=acc.astype(np.int64)),
        "fractions, not percent": dict(tasks=tasks, keys=keys, accuracy=acc / 100),
        "one task in fractions": dict(
            tasks=tasks, keys=keys, accuracy=np.where(np.arange(20)[:, None] == 3, acc / 100, acc)
        ),
        "empty task name": dict(
            tasks=np.where(tasks == tasks[2], "", tasks), keys=keys, accuracy=acc
        ),
        "wrong shape": dict(tasks=tasks, keys=keys, accuracy=acc[:, :10]),
        "transposed": dict(tasks=tasks, keys=keys, accuracy=acc.T),
        "1-D accuracy": dict(tasks=tasks, keys=keys, accuracy=acc.ravel()),
        "empty table": dict(tasks=tasks[:0], keys=keys[:0], accuracy=acc[:0, :0]),
        "missing accuracy": dict(tasks=tasks, keys=keys),
        "numeric task names": dict(tasks=np.arange(20), keys=keys, accuracy=acc),
        "pickled task names": dict(tasks=obj, keys=keys, accuracy=acc),
        "pickled accuracy": dict(tasks=tasks, keys=keys, accuracy=obj),
        "not a zip": None,
        "truncated": "truncated",
        "empty file": b"",
        "a directory": "dir",
    }
    rows = []
    for name, arrays in bad.items():
        path = root / "table_case.npz"
        if isinstance(arrays, dict):
            with open(path, "wb") as fh:
                np.savez(fh, **arrays)
        elif arrays is None:
            path.write_text("hello")
        elif arrays == "truncated":
            path.write_bytes(Path(root / "table.npz").read_bytes()[:5000])
        elif arrays == "dir":
            path.mkdir()
        else:
            path.write_bytes(arrays)
        verdict, message = verdict_of(partial(read_reward_table, path), (DataFileError,))
        message = message.replace(str(root), "<inputs>")
        rows.append({"kind": "malformed table", "group": "table", "argv": [name],
                     "verdict": verdict, "message": message[:300],
                     "code_executed": marker.exists()})  # fmt: skip
        marker.unlink(missing_ok=True)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return rows


def tampered_package_cases(root: Path) -> list[dict]:
    """The packaged data files tampered with in a copy of the package (``t2s_env.data`` reads
    the copy): ``t2s info`` (and ``--table cpu``) must stop with a named error. In-process."""
    import t2s_env.data as data

    folder = root / "package_data"
    shutil.copytree(Path(data.__file__).parent, folder)
    pristine = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    loaders = [data.load_reward_table, data.load_task2vec, data.load_cpu_table,
               data.load_task_split, data.load_knob_records, data.load_object_classes]  # fmt: skip

    def npz(name: str, **changes) -> None:
        with np.load(folder / name) as z:
            arrays = {k: z[k] for k in z.files}
        arrays.update(changes)
        arrays = {k: v for k, v in arrays.items() if v is not None}
        with open(folder / name, "wb") as fh:
            np.savez(fh, **arrays)

    def arr(name: str, key: str) -> np.ndarray:
        with np.load(folder / name) as z:
            return z[key]

    def js(name: str, value) -> None:
        (folder / name).write_text(json.dumps(value))

    cases = {
        "reward table as fractions": (["info"], lambda: npz(
            "reward_table.npz", accuracy=arr("reward_table.npz", "accuracy") / 100)),
        "reward table above 100": (["info"], lambda: npz(
            "reward_table.npz", accuracy=arr("reward_table.npz", "accuracy") * 2)),
        "reward table one row of fractions": (["info"], lambda: npz(
            "reward_table.npz", accuracy=np.vstack([arr("reward_table.npz", "accuracy")[:19],
                                                    arr("reward_table.npz", "accuracy")[19:] / 100]))),
        "task2vec cut to 10 numbers": (["info"], lambda: npz(
            "task2vec.npz", embedding=arr("task2vec.npz", "embedding")[:, :10])),
        "task2vec one row of zeros": (["info"], lambda: npz(
            "task2vec.npz", embedding=np.vstack([np.zeros((1, 9600), np.float32),
                                                 arr("task2vec.npz", "embedding")[1:]]))),
        "task2vec negative": (["info"], lambda: npz(
            "task2vec.npz", embedding=-arr("task2vec.npz", "embedding"))),
        "task2vec missing": (["info"], lambda: (folder / "task2vec.npz").unlink()),
        "cpu table without seeds": (["info", "--table", "cpu"], lambda: npz(
            "cpu_table.npz", seeds=arr("cpu_table.npz", "seeds")[:0],
            reward=arr("cpu_table.npz", "reward")[:, :0])),
        "cpu table without a seeds array": (["info", "--table", "cpu"], lambda: npz(
            "cpu_table.npz", seeds=None)),
        "cpu table in percent": (["info", "--table", "cpu"], lambda: npz(
            "cpu_table.npz", reward=arr("cpu_table.npz", "reward") * 100)),
        "cpu table duplicate seeds": (["info", "--table", "cpu"], lambda: npz(
            "cpu_table.npz", seeds=np.zeros_like(arr("cpu_table.npz", "seeds")))),
        "cpu table embedding cut": (["info", "--table", "cpu"], lambda: npz(
            "cpu_table.npz", embedding=arr("cpu_table.npz", "embedding")[:, :10])),
        "cpu table split not a list": (["info", "--table", "cpu"], lambda: js(
            "cpu_table.json", {"split": {"seen": "digits"}})),
        "task split names a task twice": (["info"], lambda: js(
            "tasks.json", {"seen": ["SVHN", "SVHN"], "unseen": ["CUB"]})),
        "task split of numbers": (["info"], lambda: js("tasks.json", {"seen": [1], "unseen": []})),
    }  # fmt: skip
    rows = []
    real_path = data.data_path
    data.data_path = lambda name: folder / name
    try:
        for name, (argv, tamper) in cases.items():
            for loader in loaders:
                loader.cache_clear()
            tamper()
            rc, err, exc = run_cli(argv, False, {})
            verdict = classify_cli(rc, err, exc)
            line = err.strip().splitlines()[-1] if err.strip() else repr(exc)
            rows.append({"kind": "tampered packaged data", "group": "data", "argv": [name],
                         "verdict": verdict, "message": line.replace(str(root), "<inputs>")[:300],
                         "code_executed": False})  # fmt: skip
            for p in folder.iterdir():
                p.unlink()
            for n, blob in pristine.items():
                (folder / n).write_bytes(blob)
    finally:
        data.data_path = real_path
        for loader in loaders:
            loader.cache_clear()
    return rows


def env_api_cases() -> list[dict]:
    """The env API misused: a named ``ValueError`` / ``KeyError`` (or gymnasium's own error)
    is a clean error; any other exception a traceback; no exception a wrong exit 0."""
    import gymnasium as gym

    from t2s_env.envs import Task2SimEnv
    from t2s_env.envs.vector import Task2SimVectorEnv

    def stepped(env, action):
        env.reset(seed=0)
        return env.step(action)

    cases = {
        "reset(options=['task'])": lambda: Task2SimEnv().reset(options=["task"]),
        "reset(options='SVHN')": lambda: Task2SimEnv().reset(options="SVHN"),
        "reset(options={'task': 3})": lambda: Task2SimEnv().reset(options={"task": 3}),
        "reset(options={'task': ['SVHN']})": lambda: Task2SimEnv().reset(options={"task": ["SVHN"]}),
        "reset(options={'bogus': 1})": lambda: Task2SimEnv().reset(options={"bogus": 1}),
        "reset(seed=-1)": lambda: Task2SimEnv().reset(seed=-1),
        "reset(seed='x')": lambda: Task2SimEnv().reset(seed="x"),
        "step before reset": lambda: Task2SimEnv().step(np.zeros(8, np.int64)),
        "step(out-of-range action)": lambda: stepped(Task2SimEnv(), np.full(8, 99)),
        "step(float action)": lambda: stepped(Task2SimEnv(), np.full(8, 0.5)),
        "step(short action)": lambda: stepped(Task2SimEnv(), np.zeros(3, np.int64)),
        "step('1_1')": lambda: stepped(Task2SimEnv(), "1_1"),
        "noise_std='0.1'": lambda: Task2SimEnv(noise_std="0.1"),
        "noise_std=-1": lambda: Task2SimEnv(noise_std=-1),
        "noise_std=nan": lambda: Task2SimEnv(noise_std=float("nan")),
        "discrete='no'": lambda: Task2SimEnv(discrete="no"),
        "tasks='bogus'": lambda: Task2SimEnv(tasks="bogus"),
        "tasks=[]": lambda: Task2SimEnv(tasks=[]),
        "render_mode='human'": lambda: Task2SimEnv(render_mode="human"),
        "vector num_envs=0": lambda: Task2SimVectorEnv(num_envs=0),
        "vector noise_std='x'": lambda: Task2SimVectorEnv(num_envs=2, noise_std="x"),
        "vector reset(options=['task'])": lambda: Task2SimVectorEnv(num_envs=2).reset(options=["task"]),
        "vector reset(seed=[1])": lambda: Task2SimVectorEnv(num_envs=2).reset(seed=[1]),
        "vector step(wrong batch)": lambda: stepped(Task2SimVectorEnv(num_envs=2), np.zeros((3, 8), np.int64)),
        "make(noise_std=-1)": lambda: gym.make("t2s_env:Task2Sim-Seen-v0", noise_std=-1),
    }  # fmt: skip
    rows = []
    for name, call in cases.items():
        clean = (ValueError, KeyError, RuntimeError, gym.error.Error)
        verdict, message = verdict_of(call, clean, named=True)
        rows.append({"kind": "env API", "group": "env", "argv": [name], "verdict": verdict,
                     "message": " ".join(message.split())[:300], "code_executed": False})  # fmt: skip
    return rows


def fidelity_cases(root: Path) -> list[dict]:
    """Learning-curve tables (issue 24) damaged, and fidelities misused: a named error is clean,
    any other exception a traceback, no exception a wrong exit 0."""
    import json

    import gymnasium as gym

    from t2s_env.data import DataFileError, read_replicate_table_file
    from t2s_env.envs.vector import Task2SimVectorEnv
    from t2s_env.rewards import ReplicateRewardSource
    from t2s_env.space import PAPER_SPACE

    rng = np.random.default_rng(0)
    keys = PAPER_SPACE.all_keys()
    tasks = ("fmnist-20shot", "digits-5to9")
    final = rng.uniform(0.3, 0.9, (2, 2, len(keys)))
    curves = np.stack([final * 0.6, final * 0.8, final], axis=-1)
    good = {"tasks": np.array(tasks), "keys": np.array(keys), "seeds": np.array([0, 1]),
            "reward": final, "embedding": rng.uniform(0.01, 1, (2, 9600)).astype(np.float32),
            "fidelities": np.array([0.5, 1.0, 2.0]), "curves": curves,
            "cost_seconds": rng.uniform(20, 40, (2, len(keys)))}  # fmt: skip

    def write(name: str, arrays: dict) -> Path:
        path = root / f"{name}.npz"
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
        meta = {"split": {"seen": [tasks[0]], "unseen": [tasks[1]]}, "provenance": {}}
        path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
        return path

    table = write("curves_ok", good)
    shifted = curves.copy()
    shifted[..., -1] += 0.01
    bad_tables = {
        "curves' last fidelity differs from reward": {**good, "curves": shifted},
        "fidelities descending": {**good, "fidelities": np.array([2.0, 1.0, 0.5])},
        "a zero fidelity": {**good, "fidelities": np.array([0.0, 1.0, 2.0])},
        "negative cost": {**good, "cost_seconds": -good["cost_seconds"]},
        "curves without fidelities": {k: v for k, v in good.items() if k != "fidelities"},
        "curves of the wrong shape": {**good, "curves": curves[:, :, :10]},
        "curves above 1": {**good, "curves": curves * 2, "reward": final * 2},
    }
    rows = []
    for name, arrays in bad_tables.items():
        path = write("curves_case", arrays)
        verdict, message = verdict_of(partial(read_replicate_table_file, path), (DataFileError,))
        rows.append({"kind": "learning-curve table", "group": "table", "argv": [name],
                     "verdict": verdict, "message": message.replace(str(root), "<inputs>")[:300],
                     "code_executed": False})  # fmt: skip

    def make(**kw):
        return gym.make("t2s_env:Task2Sim-CPU-v0", **kw)

    def stepped(env, options):
        env.reset(seed=0, options=options)
        return env.step(env.action_space.sample())

    cases = {
        "fidelity=1.0 on v0 (no curves)": lambda: make(fidelity=1.0),
        "reset(options={'fidelity': 2.0}) on v0": lambda: stepped(make(), {"fidelity": 2.0}),
        "fidelity='half'": lambda: make(table=str(table), fidelity="half"),
        "fidelity=0.7 (not the table's)": lambda: make(table=str(table), fidelity=0.7),
        "fidelity=nan": lambda: make(table=str(table), fidelity=float("nan")),
        "fidelity=-1": lambda: make(table=str(table), fidelity=-1),
        "fidelity=True": lambda: make(table=str(table), fidelity=True),
        "reset(options={'fidelity': 4.0})": lambda: stepped(make(table=str(table)), {"fidelity": 4.0}),
        "reset(options={'fidelity': [1.0]})": lambda: stepped(make(table=str(table)), {"fidelity": [1.0]}),
        "table='missing.npz'": lambda: make(table=str(root / "missing.npz")),
        "vector fidelities of the wrong length": lambda: Task2SimVectorEnv(
            num_envs=2, tasks="all", reward_source=ReplicateRewardSource.from_file(table)
        ).reset(seed=0, options={"fidelities": [1.0]}),
    }  # fmt: skip
    for name, call in cases.items():
        clean = (ValueError, KeyError, FileNotFoundError, DataFileError, gym.error.Error)
        verdict, message = verdict_of(call, clean, named=True)
        message = " ".join(message.replace(str(root), "<inputs>").split())
        rows.append({"kind": "env API", "group": "env", "argv": [name], "verdict": verdict,
                     "message": message[:300], "code_executed": False})  # fmt: skip
    return rows


# -- late write failures -------------------------------------------------------------------------
def late_failure_cases(root: Path) -> list[dict]:
    """The output location turns into a folder while the work runs: are the results kept?"""
    import agents.evaluation

    rows = []
    out = root / "late"
    real = agents.evaluation.evaluate

    def blocked(*a, **k):
        result = real(*a, **k)
        out.mkdir(exist_ok=True)
        (out / "eval.json").mkdir()
        return result

    agents.evaluation.evaluate = blocked
    try:
        rc, err, exc = run_cli(["evaluate", "--agents", "dr", "--quick", "--out",
                                str(out / "eval"), "--no-progress"], False, {})  # fmt: skip
    finally:
        agents.evaluation.evaluate = real
    verdict = classify_cli(rc, err, exc)
    saved = err.rsplit("saved to ", 1)[-1].strip() if "saved to " in err else ""
    if verdict == "clean error" and not (saved and Path(saved).is_file()):
        verdict = "data lost"
    rows.append(
        {
            "kind": "late write failure",
            "group": "evaluate",
            "argv": ["evaluate --out"],
            "verdict": verdict,
            "message": err.strip()[:300],
            "code_executed": False,
        }
    )

    import t2s_env.simulator.embedded as embedded

    grid = root / "late2" / "g.png"
    real_render = embedded.EmbeddedSimulator.render_batches

    def render_then_block(self, *a, **k):
        grid.parent.mkdir(exist_ok=True)
        grid.mkdir()
        return real_render(self, *a, **k)

    embedded.EmbeddedSimulator.render_batches = render_then_block
    try:
        rc, err, exc = run_cli(["render", "--config", DR, "--grid", str(grid), "--classes", "2",
                                "--resolution", "16", "--device", "cpu"], False, {})  # fmt: skip
    finally:
        embedded.EmbeddedSimulator.render_batches = real_render
    verdict = classify_cli(rc, err, exc)
    saved = err.rsplit("saved to ", 1)[-1].strip() if "saved to " in err else ""
    if verdict == "clean error" and not (saved and Path(saved).is_file()):
        verdict = "data lost"
    rows.append(
        {
            "kind": "late write failure",
            "group": "render",
            "argv": ["render --grid"],
            "verdict": verdict,
            "message": err.strip()[:300],
            "code_executed": False,
        }
    )
    return rows


# -- concurrent sweeps ---------------------------------------------------------------------------
SWEEP = """
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, {toy!r})
from hostile_toy import ToySimulator, fake
from t2s_env.datasets import DatasetSpec
from t2s_env.rewards.store import RewardStore
from t2s_env.sweep import plan_sweep, run_sweep

def counted(request, **kw):
    time.sleep({delay})
    with open({log!r}, "a") as f:
        f.write(f"{{os.getpid()}} {{request.config_key}}\\n")
    return fake(request)

requests = plan_sweep({{"t": DatasetSpec.parse("digits", seed={split})}}, "all", ToySimulator(),
                      "tiny")[:{cells}]
Path({ready!r} + str(os.getpid())).touch()
while not Path({go!r}).exists():
    time.sleep(0.01)
import inspect
params = inspect.signature(run_sweep).parameters  # (an older run_sweep has no leases)
kw = {{k: v for k, v in dict(poll_seconds=0.05, lease_seconds={lease}).items() if k in params}}
r = run_sweep(requests, RewardStore({store!r}), evaluate_fn=counted, progress=False, **kw)
print(json.dumps({{"computed": r.computed, "cached": r.cached,
                  "refused": len(getattr(r, "refused", []))}}))
sys.exit(0 if r.ok else 1)
"""


def concurrent_scenario(root: Path, toy_dir: str, name: str, splits: tuple[int, int],
                        kill_first: bool = False, cells: int = 48) -> dict:  # fmt: skip
    from t2s_env.rewards.store import RewardStore

    d = root / name
    d.mkdir()
    store, log, go = d / "r.sqlite", d / "log.txt", d / "go"
    RewardStore(store).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    procs = []
    for split in splits:
        script = SWEEP.format(toy=toy_dir, delay=0.05, log=str(log), split=split, cells=cells,
                              ready=str(d / "ready-"), go=str(go), store=str(store),
                              lease=2.0)  # fmt: skip
        procs.append(subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT,
                                      env=env, stdout=subprocess.PIPE, text=True))  # fmt: skip
    while len(list(d.glob("ready-*"))) < 2:
        time.sleep(0.05)
    go.touch()
    if kill_first:
        while not log.exists() or len(log.read_text().split()) < 10:
            time.sleep(0.02)
        procs[0].kill()  # kill -9 in the middle of its sweep
    outs = [p.communicate(timeout=600)[0] for p in procs]
    lines = log.read_text().split() if log.exists() else []
    computations = Counter(lines[1::2])
    s = RewardStore(store)
    stored = {e.key.config for e in s}
    datasets = s.datasets("t")
    reports = [json.loads(o.strip().splitlines()[-1]) if o.strip() else None for o in outs]
    twice = sum(1 for c in computations.values() if c > 1)
    # computed by a surviving process but not stored (the killed one's unfinished cells aside)
    lost = sum(1 for k in computations if k not in stored) if not kill_first else 0
    wrong_exit = sum(
        1 for p, r in zip(procs, reports, strict=True)
        if p.returncode == 0 and r is not None and r["refused"] > 0
    )  # fmt: skip
    return {
        "scenario": name, "cells": cells, "computations": sum(computations.values()),
        "computed twice": twice, "stored": len(stored), "datasets in store": len(datasets),
        "results lost": lost, "wrong exit 0": wrong_exit,
        "exit codes": [p.returncode for p in procs], "reports": reports,
    }  # fmt: skip


TOY_MODULE = '''
import numpy as np
from t2s_env.rewards.store import Evaluation
from t2s_env.simulator import ImageBatch
from t2s_env.space import PAPER_SPACE


class ToySimulator:
    """Enough of a simulator to plan sweeps and pass the CLI's checks (renders flat images)."""

    name = "toy"
    version = "1"
    space = PAPER_SPACE
    class_names = tuple(f"c{i}" for i in range(4))

    def render_batches(self, config, images_per_class, seed, resolution, batch_size=256,
                       classes=None):
        n = classes or len(self.class_names)
        labels = np.repeat(np.arange(n), images_per_class)
        yield ImageBatch(np.zeros((len(labels), resolution, resolution, 3), np.uint8), labels)

    def render(self, config, images_per_class, seed=0, resolution=64, classes=None):
        return ImageBatch.concatenate(self.render_batches(config, images_per_class, seed,
                                                          resolution, classes=classes))


def fake(request, device=None, progress=False):
    value = sum(int(v) for v in request.config_key.split("_")) + request.seed
    return Evaluation(request.key, (value % 10) / 10, {"total": 0.0})
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subprocess", action="store_true", help="each CLI case a real process")
    parser.add_argument("--out", default=str(RESULTS / "hostile_input"), help="PATH.{md,json}")
    args = parser.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "inputs"
        root.mkdir()
        toy_dir = Path(tmp) / "toy"
        toy_dir.mkdir()
        (toy_dir / "hostile_toy.py").write_text(TOY_MODULE)
        for name, source in PLUGIN_MODULES.items():
            (toy_dir / f"{name}.py").write_text(source)
        sys.path.insert(0, str(toy_dir))
        files = make_files(root)
        files["toy_dir"] = str(toy_dir)
        rows = cli_cases(files, args.subprocess)
        rows += store_cases(root)
        rows += table_cases(root)
        rows += tampered_package_cases(root)
        rows += env_api_cases()
        rows += fidelity_cases(root)
        rows += late_failure_cases(root)
        sweeps = [
            concurrent_scenario(Path(tmp), str(toy_dir), "identical sweeps", (0, 0)),
            concurrent_scenario(Path(tmp), str(toy_dir), "two datasets, one task name", (0, 1)),
            concurrent_scenario(
                Path(tmp), str(toy_dir), "one killed (-9), one finishing", (0, 0), kill_first=True
            ),  # fmt: skip
        ]
    write(rows, sweeps, Path(args.out), args.subprocess, time.perf_counter() - t0)


def write(rows: list[dict], sweeps: list[dict], out: Path, subprocess_mode: bool, secs: float):
    verdicts = ("clean error", "traceback", "wrong exit 0", "data lost")
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    lines = [
        "# Hostile input",
        "",
        f"`OMP_NUM_THREADS=1 python benchmarks/hostile_input.py{' --subprocess' if subprocess_mode else ''}`"
        f" ({'each CLI case a process' if subprocess_mode else 'CLI cases in-process through agents.cli.main'};"
        f" {secs:.0f} s). Target: 0 in the last four columns.",
        "",
        "| kind | tried | clean error | traceback | wrong exit 0 | data lost | code executions |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    total = Counter()
    for kind in [*kinds, "all"]:
        sel = [r for r in rows if kind in ("all", r["kind"])]
        c = Counter(r["verdict"] for r in sel)
        other = len(sel) - sum(c[v] for v in verdicts)
        ex = sum(r["code_executed"] for r in sel)
        lines.append(
            f"| {'**all**' if kind == 'all' else kind} | {len(sel)} | {c['clean error']} | "
            f"{c['traceback'] + other} | {c['wrong exit 0']} | {c['data lost']} | {ex} |"
        )
        if kind == "all":
            total = c
    lines += ["", "## Concurrent sweeps (two processes, one store)", "",
              "| scenario | cells | computations | computed twice | stored | datasets in store | "
              "results lost | wrong exit 0 | exit codes |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for s in sweeps:
        lines.append(
            f"| {s['scenario']} | {s['cells']} | {s['computations']} | {s['computed twice']} | "
            f"{s['stored']} | {s['datasets in store']} | {s['results lost']} | "
            f"{s['wrong exit 0']} | {s['exit codes']} |"
        )
    lines += ["", "Each sweep sleeps 0.05 s per cell (a stand-in evaluation). In the kill "
              "scenario a cell in flight at the kill may be computed again: its result was never "
              "stored."]  # fmt: skip
    bad = [r for r in rows if r["verdict"] != "clean error" or r["code_executed"]]
    lines += ["", "## Cases that missed the target", ""]
    lines += [f"- {r['kind']}: `{' '.join(r['argv'])}` -> {r['verdict']}: {r['message']}"
              for r in bad] or ["none"]  # fmt: skip
    lines += ["", "## Every error message", "", "| kind | case | message |", "|---|---|---|"]
    for r in rows:
        msg = r["message"].replace("|", "\\|")
        lines.append(f"| {r['kind']} | `{' '.join(r['argv'])}` | {msg} |")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    out.with_suffix(".json").write_text(json.dumps({"cases": rows, "sweeps": sweeps}, indent=1))
    print("\n".join(lines[: 8 + len(kinds) + 6 + len(sweeps)]))
    print(f"wrote {out.with_suffix('.md')}; {total['clean error']} of {len(rows)} clean")


if __name__ == "__main__":
    main()
