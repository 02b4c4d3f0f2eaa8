"""PNG figures of training runs: learning curves, cumulative and simple regret against reward
queries and against distinct evaluations, and a task x knob heat-map of the learned policy.

A run folder (written by ``t2s train``) holds ``history.json``, ``run.json`` and
``checkpoint.npz``; :func:`plot_runs` reads any number of them and writes the figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(run info, history)`` of a run folder."""
    run_dir = Path(run_dir)
    for name in ("run.json", "history.json"):
        if not (run_dir / name).is_file():
            raise FileNotFoundError(f"{run_dir} is not a t2s run folder (no {name})")
    return json.loads((run_dir / "run.json").read_text()), json.loads(
        (run_dir / "history.json").read_text()
    )


def knob_probabilities(agent: Any, obs: np.ndarray, space: Any) -> np.ndarray:
    """``(tasks, knobs)``: probability of each knob's last option (its 'on' option for the
    paper's binary knobs); 0/1 from the deterministic answer for agents without a policy."""
    fn = getattr(agent, "probabilities", None)
    if callable(fn):
        return np.stack([p[:, -1] for p in fn(obs)], axis=1)
    actions = agent.act(obs, deterministic=True)
    return (actions == (space.nvec - 1)).astype(float)


def plot_runs(run_dirs: Sequence[str | Path], out_dir: str | Path) -> list[Path]:
    """Write the figures for ``run_dirs`` into ``out_dir``; returns the files written."""
    from agents import make_agent
    from agents.base import load_checkpoint
    from t2s_env.rewards import TableRewardSource

    plt = _pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [(Path(d), *load_run(d)) for d in run_dirs]
    if not runs:
        raise ValueError("give at least one run folder")
    written = []

    def label(info: dict[str, Any]) -> str:
        return f"{info['agent']} (seed {info['seed']})"

    fig, ax = plt.subplots(figsize=(6, 4))
    for _, info, h in runs:
        ax.plot(h["epoch"], 100 * np.asarray(h["greedy_reward"]), label=label(info))
    ax.set(
        xlabel="epoch",
        ylabel="accuracy of the answer (%)",
        title="Learning curves (training tasks)",
    )
    ax.legend(fontsize=7)
    written.append(out_dir / "learning_curves.png")
    fig.tight_layout()
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    for x_key, x_label in (
        ("reward_queries", "reward queries"),
        ("distinct_evaluations", "distinct evaluations"),
    ):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for _, info, h in runs:
            axes[0].plot(h[x_key], 100 * np.asarray(h["cumulative_regret"]), label=label(info))
            axes[1].plot(h[x_key], 100 * np.asarray(h["simple_regret"]), label=label(info))
        axes[0].set(xlabel=x_label, ylabel="cumulative regret (accuracy points)", xscale="log")
        axes[1].set(xlabel=x_label, ylabel="simple regret of the answer (points)", xscale="log")
        axes[0].legend(fontsize=7)
        fig.suptitle(f"Regret against {x_label}")
        written.append(out_dir / f"regret_vs_{x_key}.png")
        fig.tight_layout()
        fig.savefig(written[-1], dpi=120)
        plt.close(fig)

    source = TableRewardSource()
    emb = source.embeddings.astype(np.float32)
    obs = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float64)
    for run_dir, info, _ in runs:
        agent = make_agent(
            info["agent"], seed=info["seed"], overrides=info.get("overrides") or None
        )
        load_checkpoint(agent, run_dir / "checkpoint.npz")
        probs = knob_probabilities(agent, obs, source.space)
        fig, ax = plt.subplots(figsize=(6, 7))
        im = ax.imshow(probs, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set_xticks(
            range(len(source.space.varying)),
            [k.name for k in source.space.varying],
            rotation=60,
            ha="right",
        )
        ax.set_yticks(
            range(len(source.tasks)), [f"{t} ({source.split(t)})" for t in source.tasks], fontsize=7
        )
        ax.set_title(f"{label(info)}: P(knob on) per task")
        fig.colorbar(im, ax=ax)
        written.append(out_dir / f"policy_heatmap_{info['agent']}_{info['seed']}.png")
        fig.tight_layout()
        fig.savefig(written[-1], dpi=120)
        plt.close(fig)
    return written
