"""A small synthetic replicate table with learning curves and costs (seeded), written as an
export writes one: ``<name>.npz`` with ``<name>.json`` beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from t2s_env.space import PAPER_SPACE

TASKS = ("fmnist-20shot", "digits-5to9", "my-task")
"""Two live tasks (their families are known) and one user task."""
FIDELITIES = (0.5, 1.0, 2.0)


def curve_arrays(seed: int = 0, third_seed_configs: int = 8) -> dict[str, np.ndarray]:
    """The arrays of a table of :data:`TASKS` x seeds (0, 1, 2) x the paper's 256
    configurations x :data:`FIDELITIES`; seed 2 pre-trained only the first
    ``third_seed_configs`` configurations (NaN elsewhere, as a third seed given to some cells)."""
    rng = np.random.default_rng(seed)
    keys = PAPER_SPACE.all_keys()
    n_t, n_s, n_c = len(TASKS), 3, len(keys)
    final = rng.uniform(0.3, 0.9, (n_t, n_s, n_c))
    share = np.asarray(FIDELITIES) / FIDELITIES[-1]
    curves = final[..., None] * (0.5 + 0.5 * share) ** rng.uniform(0.5, 2.0, (n_t, n_s, n_c, 1))
    curves[..., -1] = final  # the last fidelity is the reward, exactly
    cost = rng.uniform(20.0, 40.0, (n_s, n_c))
    final[:, 2, third_seed_configs:] = np.nan
    curves[:, 2, third_seed_configs:] = np.nan
    cost[2, third_seed_configs:] = np.nan
    return {
        "tasks": np.array(TASKS),
        "keys": np.array(keys),
        "seeds": np.array([0, 1, 2]),
        "reward": final,
        "embedding": rng.uniform(0.01, 1.0, (n_t, 9600)).astype(np.float32),
        "fidelities": np.array(FIDELITIES),
        "curves": curves,
        "cost_seconds": cost,
    }


def write_table(
    directory: Path, arrays: dict[str, np.ndarray], name: str = "table", **provenance: Any
) -> Path:
    """Write ``arrays`` as ``directory/<name>.npz`` with its JSON (split: the first two tasks
    seen, the rest unseen) and return the .npz path."""
    path = Path(directory) / f"{name}.npz"
    np.savez_compressed(path, **arrays)
    tasks = [str(t) for t in arrays["tasks"]]
    meta = {
        "split": {"seen": tasks[:2], "unseen": tasks[2:]},
        "provenance": {"recipe": "toy@0", "measured": "synthetic", **provenance},
    }
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    return path


def write_curve_table(directory: Path, seed: int = 0, name: str = "table") -> Path:
    """:func:`curve_arrays` written by :func:`write_table`."""
    return write_table(directory, curve_arrays(seed), name)


V1_LIKE_TASKS = (
    "digits-10shot", "digits-0to4", "digits-clutter",
    "digits-5to9", "digits-zoom-5shot", "digits-tint-5shot",
)  # fmt: skip
"""Six live tasks of ``V1_TASKS`` that load offline (the bundled digits): the first three
seen, the others unseen."""


def write_v1_like_table(
    directory: Path,
    seed: int = 0,
    name: str = "v1like",
    recipe: str = "tiny",
    third_seed_configs: int = 8,
) -> Path:
    """A small stand-in for ``Task2Sim-CPU-v1``, written as the packaging writes one: the
    :data:`V1_LIKE_TASKS` (3 seen / 3 unseen) x seeds 0, 1 and a ragged 2 (its first
    ``third_seed_configs`` configurations only; 256 for a complete third seed) x the 256
    configurations, with learning curves and costs, provenance naming ``recipe``'s id, and an
    untrained backbone beside it (``<name>_untrained.json``, every seed). Returns the .npz."""
    from t2s_env.pretrain import get_recipe

    rng = np.random.default_rng(seed)
    keys = PAPER_SPACE.all_keys()
    n_t, n_s, n_c = len(V1_LIKE_TASKS), 3, len(keys)
    # a task-dependent truth (so selection matters) plus seed noise of about a third of it
    truth = rng.uniform(0.55, 0.75, (n_t, 1, 1)) + rng.normal(0, 0.04, (n_t, 1, n_c))
    final = np.clip(truth + rng.normal(0, 0.015, (n_t, n_s, n_c)), 0.01, 0.99)
    share = np.asarray(FIDELITIES) / FIDELITIES[-1]
    curves = final[..., None] * (0.5 + 0.5 * share) ** rng.uniform(0.5, 2.0, (n_t, n_s, n_c, 1))
    curves[..., -1] = final
    cost = rng.uniform(20.0, 40.0, (n_s, n_c))
    final[:, 2, third_seed_configs:] = np.nan
    curves[:, 2, third_seed_configs:] = np.nan
    cost[2, third_seed_configs:] = np.nan
    arrays = {
        "tasks": np.array(V1_LIKE_TASKS),
        "keys": np.array(keys),
        "seeds": np.array([0, 1, 2]),
        "reward": final,
        "embedding": rng.uniform(0.01, 1.0, (n_t, 9600)).astype(np.float32),
        "fidelities": np.array(FIDELITIES),
        "curves": curves,
        "cost_seconds": cost,
    }
    path = Path(directory) / f"{name}.npz"
    np.savez_compressed(path, **arrays)
    recipe_id = get_recipe(recipe).id
    meta = {
        "split": {"seen": list(V1_LIKE_TASKS[:3]), "unseen": list(V1_LIKE_TASKS[3:])},
        "provenance": {"recipe": recipe_id, "measured": "synthetic", "measurements": 4000,
                       "backbones": 520},
    }  # fmt: skip
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    untrained = {
        "tasks": list(V1_LIKE_TASKS),
        "seeds": [0, 1, 2],
        "accuracy": rng.uniform(0.5, 0.6, (n_t, 3)).tolist(),
        "provenance": {"recipe": recipe_id},
    }
    path.with_name(f"{name}_untrained.json").write_text(json.dumps(untrained), encoding="utf-8")
    return path
