"""Images per second of the embedded renderer for the paper's domain-randomisation config.

    python benchmarks/render_throughput.py [--quick]

Measures 32, 64 and 128 pixels with one thread and with all cores (and on CUDA when present),
after a warm-up that samples and caches the object geometry. Reports wall-clock throughput and,
for one thread, CPU-time throughput (what an unloaded core would give: the machine the figures
were taken on is shared). Writes ``benchmarks/results/render_throughput.{json,md}``.
Target: >= 1,000 images/s at 64x64 on one CPU thread.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch

from t2s_env.simulator import EmbeddedSimulator
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY

RESULTS = Path(__file__).resolve().parent / "results"


def measure(sim: EmbeddedSimulator, res: int, n_images: int, classes: int) -> dict:
    per_class = max(1, n_images // classes)
    sim.render(DOMAIN_RANDOMIZATION_KEY, per_class, 1000, res, classes=classes)  # warm-up
    if sim.device.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter(), time.process_time()
    sim.render(DOMAIN_RANDOMIZATION_KEY, per_class, 0, res, classes=classes)
    if sim.device.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = per_class * classes
    return {
        "images": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "images_per_s": n / wall,
        "images_per_cpu_s": n / cpu,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer images (a smoke run)")
    args = ap.parse_args()
    scale = 4 if args.quick else 1
    sizes = {32: 2048 // scale, 64: 1024 // scale, 128: 256 // scale}
    classes = 8
    rows = []
    settings = [("cpu", 1), ("cpu", os.cpu_count() or 1)]
    if torch.cuda.is_available():
        settings.append(("cuda", 1))
    for device, threads in settings:
        torch.set_num_threads(threads)
        sim = EmbeddedSimulator(device=device)
        for res, n in sizes.items():
            r = measure(sim, res, n, classes)
            r.update(device=device, threads=threads, resolution=res)
            rows.append(r)
            print(
                f"{device} threads={threads} {res}px: {r['images_per_s']:.0f} img/s "
                f"({r['images_per_cpu_s']:.0f} per CPU-second)"
            )
    meta = {
        "config": DOMAIN_RANDOMIZATION_KEY,
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "quick": args.quick,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "render_throughput.json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=1)
    )
    lines = [
        "# Embedded renderer throughput (domain randomisation `1_1_1_1_1_3_0_1_1`)",
        "",
        f"torch {meta['torch']}, {meta['cpu_count']} CPUs, load average at the end "
        f"{', '.join(f'{x:.1f}' for x in meta['load_average'])} (a shared machine: wall-clock "
        "figures are pessimistic; images per CPU-second is what one unloaded core gives).",
        "",
        "| device | threads | resolution | images | images/s (wall) | images per CPU-second |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['device']} | {r['threads']} | {r['resolution']} | {r['images']} | "
            f"{r['images_per_s']:.0f} | {r['images_per_cpu_s']:.0f} |"
        )
    if meta["load_average"][0] > (meta["cpu_count"] or 1):
        lines += [
            "",
            f"Warning: the load average exceeded the {meta['cpu_count']} CPUs during the run; "
            "multi-thread figures then mostly measure contention (threads wait on cores "
            "that other processes hold), not the renderer.",
        ]
    lines += ["", "Target: >= 1,000 images/s at 64x64 on one CPU thread.", ""]
    (RESULTS / "render_throughput.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
