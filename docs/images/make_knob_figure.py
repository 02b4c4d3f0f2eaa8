"""Make ``docs/images/knobs.png``: for each knob, the same objects with the knob off and on.

python docs/images/make_knob_figure.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from t2s_env.simulator import EmbeddedSimulator
from t2s_env.space import PAPER_SPACE

BASE = "0_0_0_0_0_1_0_0_0"
CLASSES = (0, 4, 9, 25, 29, 46)  # bucket, trumpet, hair dryer, table lamp, banana, mug
RES = 96
KNOBS = [
    ("backgr", 1),
    ("blur", 1),
    ("lighting_color", 1),
    ("lighting_dir", 1),
    ("lighting_intensity", 1),
    ("materials", 3),
    ("pose_cam", 1),
    ("pose_rot", 1),
    ("pose_scale", 1),
]


def row(sim: EmbeddedSimulator, config: dict, seed: int) -> np.ndarray:
    index = np.arange(len(CLASSES)) * 7 + seed
    images = sim.render_images(config, index, np.array(CLASSES), seed, RES)
    return np.concatenate(list(images), axis=1)


def main() -> None:
    sim = EmbeddedSimulator(device="cpu", points_per_pixel=1.5, supersample=2)
    label_w = 150
    rows, labels = [], []
    for knob, on in KNOBS:
        cfg = PAPER_SPACE.key_to_dict(BASE)
        for value, tag in ((cfg[knob], "off"), (on, "on")):
            c = dict(cfg)
            c[knob] = value
            rows.append(row(sim, c, seed=1))
            labels.append(f"{knob} {tag}")
    grid = np.concatenate(rows, axis=0)
    canvas = Image.new("RGB", (grid.shape[1] + label_w, grid.shape[0]), "white")
    canvas.paste(Image.fromarray(grid), (label_w, 0))
    draw = ImageDraw.Draw(canvas)
    for i, text in enumerate(labels):
        draw.text((6, i * RES + RES // 2 - 6), text, fill="black")
    out = Path(__file__).resolve().parent / "knobs.png"
    canvas.save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
