"""Convert the data released with the Task2Sim paper into the package's compact form.

Reads ``../shared/paper`` (or ``--src``) and writes into ``t2s_env/data/``:

- ``reward_table.npz``: ``tasks`` (str[20]), ``keys`` (str[256]), ``accuracy`` (float64[20, 256], %)
- ``task2vec.npz``: ``tasks`` (str[20]), ``embedding`` (float32[20, 9600] = hessian / scale)
- ``tasks.json``: the seen / unseen split (order as released)
- ``objects.json``: the 100 object classes (WordNet id -> ThreeDWorld model names)
- ``materials.txt``: the 140 ThreeDWorld material names

Run from the repository root: ``python scripts/convert_paper_data.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from t2s_env.space.knobs import PAPER_SPACE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--src", type=Path, default=Path(__file__).resolve().parents[2] / "shared/paper"
    )
    parser.add_argument(
        "--dst", type=Path, default=Path(__file__).resolve().parents[1] / "t2s_env/data"
    )
    args = parser.parse_args()
    src, dst = args.src, args.dst

    table = json.loads((src / "reward_db.json").read_text())
    seen = torch.load(src / "resnet18_imagenet_12_seen_tasks.pt", weights_only=True)
    unseen = torch.load(src / "resnet18_imagenet_8_unseen_tasks.pt", weights_only=True)
    tasks = list(seen) + list(unseen)
    if set(tasks) != set(table):
        raise SystemExit(f"task sets differ: embeddings {sorted(tasks)} vs table {sorted(table)}")

    keys = PAPER_SPACE.all_keys()
    for task in tasks:
        if set(table[task]) != set(keys):
            raise SystemExit(f"{task}: table keys are not the paper space's 256 keys")
    accuracy = np.array([[table[t][k] for k in keys] for t in tasks], dtype=np.float64)
    np.savez_compressed(
        dst / "reward_table.npz", tasks=np.array(tasks), keys=np.array(keys), accuracy=accuracy
    )

    both = {**seen, **unseen}
    emb = np.stack(
        [(both[t]["hessian"] / both[t]["scale"]).numpy().astype(np.float32) for t in tasks]
    )
    np.savez_compressed(dst / "task2vec.npz", tasks=np.array(tasks), embedding=emb)

    (dst / "tasks.json").write_text(
        json.dumps({"seen": list(seen), "unseen": list(unseen)}, indent=1) + "\n"
    )
    objects = json.loads((src / "tdw_simple_objs_100.json").read_text())
    (dst / "objects.json").write_text(json.dumps(objects, indent=1) + "\n")
    materials = [
        m.strip() for m in (src / "material_subset.txt").read_text().splitlines() if m.strip()
    ]
    (dst / "materials.txt").write_text("\n".join(materials) + "\n")
    print(
        f"wrote {dst}: {len(tasks)} tasks x {len(keys)} configurations, "
        f"embedding {emb.shape}, {len(objects)} classes, {len(materials)} materials"
    )


if __name__ == "__main__":
    main()
