"""A reward store's measurements as a packaged replicate table's arrays, learning curves and
costs included (the export ``benchmarks/cpu_table.py`` writes and packages).

Rows are the export's CSV rows (strings, as :class:`csv.DictReader` gives them): ``task``,
``config``, ``seed``, ``accuracy`` (a fraction written by ``repr``) and, for a table with
curves, ``curve`` (JSON ``[[epochs, accuracy], ...]``) and ``cpu_seconds`` (the CPU seconds of
the row's pre-training job, ``""`` if not recorded).

>>> rows = [{"task": "a", "config": "k", "seed": "0", "accuracy": "0.5",
...          "curve": "[[1.0, 0.25], [2.0, 0.5]]", "cpu_seconds": "40.0"}]
>>> arrays = replicate_arrays(rows, ["a"], ["k"], curves=True)
>>> arrays["fidelities"].tolist(), arrays["curves"].tolist(), arrays["cost_seconds"].tolist()
([1.0, 2.0], [[[[0.25, 0.5]]]], [[40.0]])
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np


def replicate_arrays(
    rows: Sequence[Mapping[str, str]],
    tasks: Sequence[str],
    keys: Sequence[str],
    curves: bool = False,
) -> dict[str, np.ndarray]:
    """``tasks`` (T,), ``keys`` (C,), ``seeds`` (S,: those the rows name, ascending) and
    ``reward[t, s, c]`` (NaN where not measured); with ``curves`` also ``fidelities`` (F,: the
    rows' one grid of epochs), ``curves[t, s, c, f]`` (``curves[..., -1] == reward``) and
    ``cost_seconds[s, c]`` (a cell's rows share their job's cost; the largest is kept should
    they differ). A :class:`ValueError` names a row that breaks these rules."""
    seeds = sorted({int(r["seed"]) for r in rows})
    reward = np.full((len(tasks), len(seeds), len(keys)), np.nan)
    t_of, s_of, c_of = ({n: i for i, n in enumerate(x)} for x in (tasks, seeds, keys))
    for r in rows:
        reward[t_of[r["task"]], s_of[int(r["seed"])], c_of[r["config"]]] = float(r["accuracy"])
    arrays = {"tasks": np.array(tasks), "keys": np.array(keys), "seeds": np.array(seeds),
              "reward": reward}  # fmt: skip
    if not curves:
        return arrays
    parsed = [json.loads(r.get("curve") or "[]") for r in rows]
    grids = {tuple(float(x) for x, _ in c) for c in parsed}
    if len(grids) != 1 or not next(iter(grids)):
        raise ValueError(f"every row needs a curve on one grid of epochs, got {sorted(grids)}")
    fidelities = np.array(next(iter(grids)), dtype=np.float64)
    curve = np.full((*reward.shape, len(fidelities)), np.nan)
    cost = np.full((len(seeds), len(keys)), np.nan)
    for r, c in zip(rows, parsed, strict=True):
        t, s, k = t_of[r["task"]], s_of[int(r["seed"])], c_of[r["config"]]
        curve[t, s, k] = [float(a) for _, a in c]
        if curve[t, s, k, -1] != reward[t, s, k]:
            raise ValueError(f"row {r['task']} {r['config']} seed {r['seed']}: the curve's last "
                             f"accuracy {curve[t, s, k, -1]} is not its accuracy")  # fmt: skip
        if r.get("cpu_seconds"):
            cost[s, k] = np.fmax(cost[s, k], float(r["cpu_seconds"]))
    measured = np.isfinite(reward).any(axis=0)
    if np.isnan(cost[measured]).any():
        raise ValueError("a measured cell has no cpu_seconds")
    return {**arrays, "fidelities": fidelities, "curves": curve, "cost_seconds": cost}


__all__ = ["replicate_arrays"]
