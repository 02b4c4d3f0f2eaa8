"""An early look at a partial Task2Sim-CPU-v1 export (held-out seed, beside the untrained
backbone): over the configurations both seeds measured, best fixed (chosen on the seen tasks)
minus untrained, the unseen per-task best minus best fixed, and how one seed's curve points rank
the configurations against the final accuracy (same seed and other seed).

    python benchmarks/cpu_v1_preview.py [measurements.csv]

The README's early look is this script on the export of commit 7b62250 (394 pre-trainings):
    git show 7b62250:benchmarks/results/cpu_table_v1/measurements.csv > /tmp/m.csv
    python benchmarks/cpu_v1_preview.py /tmp/m.csv
"""

import csv
import json
import sys

import numpy as np
from scipy import stats

from t2s_env.data import data_path, read_untrained_reference
from t2s_env.datasets import LIVE_TASKS, live_task_split
from t2s_env.datasets.live_tasks import V1_TASKS
from t2s_env.rewards.signal import cross_seed_selection

rows = list(
    csv.DictReader(
        open(
            sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/cpu_table_v1/measurements.csv"
        )
    )
)
cfgs = sorted({r["config"] for r in rows})
T = list(V1_TASKS)
acc = np.full((26, 2, len(cfgs)), np.nan)
cur = np.full((26, 2, len(cfgs), 3), np.nan)
for r in rows:
    i = (T.index(r["task"]), int(r["seed"]), cfgs.index(r["config"]))
    acc[i] = float(r["accuracy"])
    cur[i] = [a for _, a in json.loads(r["curve"])]
keep = np.isfinite(acc).all(axis=(0, 1))
acc = acc[:, :, keep]
cur = cur[:, :, keep]
print("configurations with both seeds", acc.shape[2])
un = read_untrained_reference(data_path("cpu_table_v1_untrained.json")).accuracy[:, :2]
split = live_task_split({t: LIVE_TASKS[t] for t in T})
seen = np.array([t in split["seen"] for t in T])
sel = cross_seed_selection(acc, untrained=un, fixed_from=seen)
ptb, bf, u = sel["per_task_best"], sel["best_fixed"], sel["untrained"]


def ms(x):
    x = x.ravel()
    return f"{100 * x.mean():+.2f} ± {100 * x.std(ddof=1) / np.sqrt(x.size):.2f}"


print("best fixed (chosen on seen) - untrained, all 26:", ms(bf - u))
print(
    "median config beats untrained:",
    int((np.median(acc.mean(1), axis=1) > un.mean(1)).sum()),
    "of 26",
)
print("unseen per-task best - best fixed (chosen on seen):", ms((ptb - bf)[~seen]))
sel2 = cross_seed_selection(acc, untrained=un, fixed_from=~seen)
print(
    "unseen per-task best - best fixed (chosen on unseen):",
    ms((sel2["per_task_best"] - sel2["best_fixed"])[~seen]),
)
for f, e in enumerate((0.5, 1.0, 2.0)):
    same = []
    other = []
    for t in range(26):
        for s in (0, 1):
            if f < 2:
                same.append(stats.spearmanr(cur[t, s, :, f], acc[t, s]).statistic)
            other.append(stats.spearmanr(cur[t, s, :, f], acc[t, 1 - s]).statistic)
    print(
        f"{e} epochs: vs same seed final {np.mean(same) if same else 1:.2f}, vs other seed final {np.mean(other):.2f}"
    )
