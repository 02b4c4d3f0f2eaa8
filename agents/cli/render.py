"""``t2s render``: a picture of a configuration (a grid of rendered images), or a dataset.

t2s render --config 1_1_1_1_1_3_0_1_1 --grid out.png
t2s render --config 0_0_0_0_0_1_0_0_0 --out data/ --images-per-class 10
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agents.cli import UsageError
from agents.cli.checks import at_least, output_dir, output_file, torch_device, write_output


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render images of a simulator configuration")
    p.add_argument("--config", required=True, help="configuration key, e.g. 1_1_1_1_1_3_0_1_1")
    p.add_argument("--grid", help="write a grid picture (PNG) to this path")
    p.add_argument("--out", help="write an image-folder dataset (one folder per class) here")
    p.add_argument("--classes", type=at_least(1), default=16, help="number of classes (default 16)")
    p.add_argument(
        "--images-per-class", type=at_least(1), default=1, help="images of each class (default 1)"
    )
    p.add_argument("--resolution", type=at_least(8), default=64, help="image size in pixels (64)")
    p.add_argument(
        "--seed", type=at_least(0), default=0, help="seed of the per-image draws (default 0)"
    )
    p.add_argument(
        "--supersample", type=int, choices=(1, 2, 3, 4), default=1, help="anti-aliasing factor"
    )
    p.add_argument(
        "--device", type=torch_device, default=None, help="cpu / cuda (default: cuda if available)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image
    from tqdm import tqdm

    from t2s_env.envs.rendering import image_grid
    from t2s_env.simulator import EmbeddedSimulator
    from t2s_env.simulator.folder import write_image_folder

    if not args.grid and not args.out:
        raise UsageError("give --grid PATH and/or --out DIR")
    if args.grid:
        output_file(args.grid, "--grid")
        if args.grid.rsplit(".", 1)[-1].lower() not in (
            "png",
            "jpg",
            "jpeg",
            "bmp",
            "tif",
            "tiff",
            "webp",
        ):
            raise UsageError(f"--grid {args.grid} must end in .png (or .jpg, .bmp, .tif, .webp)")
    if args.out:
        output_dir(args.out, "--out")
    sim = EmbeddedSimulator(device=args.device, supersample=args.supersample)
    if args.classes > len(sim.class_names):
        raise UsageError(
            f"--classes {args.classes}: the simulator has {len(sim.class_names)} object classes"
        )
    sim.space.key_to_action(args.config)  # a bad --config fails before any rendering
    batches = sim.render_batches(
        args.config, args.images_per_class, args.seed, args.resolution, 256, args.classes
    )
    total = args.classes * args.images_per_class
    parts = list(tqdm(batches, total=-(-total // 256), desc="render", unit="batch"))
    if args.out:
        n = write_image_folder(parts, args.out, sim.class_names[: args.classes])
        print(f"wrote {n} images to {args.out}")
    if args.grid:
        images = np.concatenate([b.images for b in parts])
        cols = int(np.ceil(np.sqrt(len(images))))
        rows = -(-len(images) // cols)
        grid = image_grid(images, cols)
        write_output(Path(args.grid), "--grid", lambda p: Image.fromarray(grid).save(p))
        print(f"wrote {args.grid} ({rows}x{cols} images)")
    return 0
