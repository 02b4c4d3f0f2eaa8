"""How the command line prints a live measurement: beside the untrained backbone and the size of
the test split, with a warning when the split cannot tell configurations apart.

A 5-NN accuracy on ``n`` test images is a binomial proportion: its standard error is
``sqrt(p (1 - p) / n)``, computed here with ``p = (correct + 1) / (n + 2)`` (the Laplace
estimate, so that a perfect score on a small split does not claim zero error). When it exceeds
:data:`MAX_STANDARD_ERROR` (2 points), two configurations need to differ by more than about
5.5 points (two standard errors of a difference) before the split tells them apart, larger
than most gaps between configurations on the CPU recipe (README, live-rewards section), so the
split is called too small. When the untrained backbone already scores :data:`CEILING` or more,
no pre-training can show that it helps.

>>> round(100 * standard_error(0.95, 40), 1), round(100 * standard_error(0.6, 2000), 1)
(4.1, 1.1)
>>> warnings_for(0.95, 1.0, 40)[0][:44]
'the test split (40 images) is too small to t'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MAX_STANDARD_ERROR = 0.02
"""A test split whose accuracy has a larger binomial standard error (2 points) is too small."""
CEILING = 0.99
"""An untrained backbone at or above this accuracy leaves pre-training nothing to show."""


def standard_error(accuracy: float, n_test: int) -> float:
    """Binomial standard error of an accuracy on ``n_test`` images (Laplace-smoothed ``p``)."""
    if n_test < 1:
        raise ValueError(f"a test split has at least one image, got {n_test}")
    p = (round(accuracy * n_test) + 1) / (n_test + 2)
    return math.sqrt(p * (1 - p) / n_test)


def warnings_for(accuracy: float, untrained: float | None, n_test: int) -> list[str]:
    """What makes this measurement unable to rank configurations (empty when nothing does)."""
    out = []
    se = standard_error(accuracy, n_test)
    if se > MAX_STANDARD_ERROR:
        out.append(
            f"the test split ({n_test} images) is too small to tell configurations apart: the "
            f"accuracy's standard error is {100 * se:.1f} points (over "
            f"{100 * MAX_STANDARD_ERROR:.0f})"
        )
    if untrained is not None and untrained >= CEILING:
        out.append(
            f"the untrained backbone already scores {100 * untrained:.2f}% (at the ceiling): "
            "pre-training cannot show a gain on this task"
        )
    return out


def measurement_text(accuracy: float, untrained: float | None, n_test: int) -> str:
    """``"95.00% (untrained backbone 100.00%; 40 test images, SE 4.1 points)"``."""
    base = (
        "untrained not measured"
        if untrained is None
        else f"untrained backbone {100 * untrained:.2f}%"
    )
    se = 100 * standard_error(accuracy, n_test)
    return f"{100 * accuracy:.2f}% ({base}; {n_test} test images, SE {se:.1f} points)"


def print_warnings(
    accuracy: float, untrained: float | None, n_test: int, indent: str = "  "
) -> None:
    for w in warnings_for(accuracy, untrained, n_test):
        print(f"{indent}WARNING: {w}")


def measurements_table(rows: Sequence[dict]) -> str:
    """A table of live measurements: each row has ``task``, ``config``, ``seed``, ``accuracy``,
    ``untrained`` (fractions or ``None``) and ``test_images``."""
    head = (
        f"{'task':<18} {'configuration':<19} {'seed':>4} {'accuracy %':>10} {'untrained %':>11} "
        f"{'test images':>11}"
    )
    lines = [head]
    for r in rows:
        acc = "-" if r["accuracy"] is None else f"{100 * r['accuracy']:.2f}"
        base = "-" if r["untrained"] is None else f"{100 * r['untrained']:.2f}"
        n = "-" if r["test_images"] is None else str(r["test_images"])
        lines.append(
            f"{r['task']:<18} {r['config']:<19} {r['seed']:>4} {acc:>10} {base:>11} {n:>11}"
        )
    return "\n".join(lines)


def untrained_accuracy(spec, recipe, simulator, seed: int, device=None) -> tuple[float, int]:
    """The 5-NN accuracy of the backbone a pre-training of ``seed`` starts from, never trained,
    on the task of ``spec``, and its number of test images (the yardstick of every live
    measurement of that task and seed)."""
    import torch

    from t2s_env.pipeline import prepare_task, score_model
    from t2s_env.pipeline.stages import untrained_backbone
    from t2s_env.pretrain import default_device

    dev = torch.device(device) if device else default_device()
    task = prepare_task(spec, recipe)
    model = untrained_backbone(recipe, simulator, seed)
    accuracy, _ = score_model(model, task, recipe, dev, progress=False)
    return accuracy, len(task.test_labels)
