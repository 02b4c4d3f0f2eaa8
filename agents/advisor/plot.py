"""Figures of the few-shot protocol: the fraction of best kept against the budget (one panel per
split and noise level, the anchors dashed), and a live budget run's accuracy against runs spent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from t2s_env.files import write_atomic


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def read_budget_results(path: str | Path) -> dict[str, Any]:
    """A few-shot result JSON (written by ``t2s evaluate --budgets``), checked by its schema."""
    from agents.evaluation import BUDGET_SCHEMA

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no result file at {path}")
    try:
        results = json.loads(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(results, dict) or results.get("schema") != BUDGET_SCHEMA:
        raise ValueError(f"{path} is not a few-shot result ({BUDGET_SCHEMA})")
    return results


def plot_budget_curves(results: dict[str, Any], out: str | Path) -> Path:
    """Write the budget curves of ``results`` (:func:`agents.evaluation.budget_curves`) to the
    PNG ``out``; returns its path."""
    plt = _pyplot()
    p = results["protocol"]
    budgets = p["budgets"]
    panels = [(s, n) for s in p["splits"] for n in p["noise_stds"]]
    replicates = p.get("table", {}).get("measurement") == "one seed replicate"
    held_out = p.get("scoring") == "held-out seed"
    anchor_label = "anchor, noise-free means" if replicates else "anchor"
    noise_label = "one seed replicate + noise" if replicates else "noise"
    best = "the task's best"
    if held_out:
        anchor_label, noise_label = "anchor", "held-out seed, noise"
        best = "the task's cross-seed best"
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    x = list(range(len(budgets)))  # budgets are roughly geometric: equal spacing reads best
    for ax, (split, noise) in zip(axes[0], panels, strict=True):
        for name, entry in results["entries"].items():
            ax.plot(x, entry["curves"][split][str(noise)]["mean"], marker="o", label=name)
        if noise == 0:
            for (name, values), ls in zip(
                results["anchors"][split].items(), ("--", ":", "-."), strict=False
            ):
                ax.plot(x, values, ls=ls, color="grey", alpha=0.8, label=f"{name} ({anchor_label})")
        ax.set_xticks(x, [str(b) for b in budgets])
        ax.set_xlabel("budget k (distinct evaluations on the held-out task)")
        ax.set_ylabel(f"fraction of {best} kept")
        ax.set_title(f"{split}, {noise_label} {noise}")
        ax.grid(alpha=0.3)
    handles, labels = axes[0][-1].get_legend_handles_labels()
    rows = -(-len(labels) // 3)
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.035 * rows + 0.02, 1, 1))
    out = write_atomic(out, lambda p: fig.savefig(p, dpi=120))
    plt.close(fig)
    return out


def plot_budget_run(accuracies: Sequence[float], out: str | Path, title: str = "") -> Path:
    """Accuracy (%) of each run and the best so far against runs spent, to the PNG ``out``."""
    plt = _pyplot()
    runs = list(range(1, len(accuracies) + 1))
    best = [max(accuracies[: i + 1]) for i in range(len(accuracies))]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(runs, accuracies, "o", label="each run")
    ax.step(runs, best, where="post", label="best so far")
    ax.set_xlabel("pre-training runs spent")
    ax.set_ylabel("5-NN accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = write_atomic(out, lambda p: fig.savefig(p, dpi=120))
    plt.close(fig)
    return out
