"""Rendering speed in a CPU recipe's own setting: ``render_dataset`` as the pipeline calls it.

The throughput benchmark (``render_throughput.py``) warms up first; a recipe's evaluation does
not. Three cases, CPU seconds on one torch thread:

- ``first``: the first render of a process (every object instance it shows is built: sampled
  into points, then kept in the process-wide geometry cache);
- ``another configuration``: a second configuration in the same process, same simulator;
- ``unpickled copy``: a simulator unpickled from the first (what a pool's job receives).

It also prints a SHA-256 of each render's pixels: the cache must not change an image (the
hashes before the process-wide cache, measured on this machine: backgrounds
``cf7fded646074f04``, domain randomisation ``728be6691fa09c72``, ``cpu`` recipe, seed 0).

    OMP_NUM_THREADS=1 python benchmarks/recipe_render_speed.py --recipe cpu
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import time
from pathlib import Path

import torch

from t2s_env.pretrain import get_recipe, render_dataset
from t2s_env.rewards.live import default_simulator, default_space

RESULTS = Path(__file__).parent / "results"


def timed(simulator, key: str, recipe) -> dict:
    config = default_space(simulator).key_to_dict(key)
    t0 = time.process_time()
    images, labels = render_dataset(simulator, config, recipe, 0, progress=False)
    seconds = time.process_time() - t0
    return {
        "config": key,
        "images": len(labels),
        "cpu_seconds": round(seconds, 3),
        "images_per_cpu_second": round(len(labels) / seconds),
        "sha256": hashlib.sha256(images.tobytes()).hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="cpu")
    parser.add_argument("--out", default=str(RESULTS / "recipe_render_speed.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    recipe = get_recipe(args.recipe)
    simulator = default_simulator()
    rows = {"first": timed(simulator, "1_0_0_0_0_1_0_0_0", recipe)}
    rows["another configuration"] = timed(simulator, "1_1_1_1_1_3_0_1_1", recipe)
    copy = pickle.loads(pickle.dumps(simulator))
    rows["unpickled copy"] = timed(copy, "1_0_0_0_0_1_0_0_0", recipe)
    out = {"recipe": recipe.id, "torch_threads": 1, "cases": rows}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
