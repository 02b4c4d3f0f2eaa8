"""``t2s info``: the knob space, the packaged tasks and their table statistics
(``--table cpu``: the measured CPU table, its seed noise and its provenance)."""

from __future__ import annotations

import argparse

import numpy as np

from agents.cli.checks import add_table_option, table_source


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show the knob space and the packaged tasks")
    add_table_option(p)
    p.set_defaults(func=run)


def simulator_match(simulator: str, version: str) -> str:
    """Whether the current ``simulator`` renders the images of ``version`` (a table's)."""
    from t2s_env.simulator import EmbeddedSimulator
    from t2s_env.simulator.fingerprint import image_version_of, same_images

    if simulator != EmbeddedSimulator.name:
        return f"Simulator {simulator!r} is not this package's; its images cannot be checked here."
    current, old = EmbeddedSimulator.version, image_version_of(simulator, version)
    if old == current:
        return (
            f"The current simulator renders the same images (image version {current}, "
            f"t2s_env/data/simulator_versions.json): new measurements extend this table."
        )
    if same_images(simulator, version, current):
        return (
            f"The current simulator renders other images ({current}, not {old}), a change "
            "recorded as keeping the table's measurements valid (simulator_versions.json)."
        )
    return (
        f"WARNING: the current simulator renders other images (image version {current}, not "
        f"{old}): new measurements cannot extend or re-measure this table."
    )


def run(args: argparse.Namespace) -> int:
    from t2s_env.rewards.signal import cross_seed_selection, replicate_signal
    from t2s_env.space import DOMAIN_RANDOMIZATION_KEY

    source = table_source(args.table)
    replicates = getattr(source, "replicates", None)
    print(source.space.describe())
    dr = source.space.action_to_index(source.space.key_to_action(DOMAIN_RANDOMIZATION_KEY))
    what = (
        "the packaged table" if replicates is None else "the measured CPU table (replicate means)"
    )
    best_note = "best = the task's best configuration"
    held_out = untrained = None
    if replicates is not None:
        # the best as an agent could reach it: chosen on one seed, graded on the other(s)
        untrained = source.untrained
        sel = cross_seed_selection(np.stack(list(replicates.values())))
        held_out = 100 * np.nanmean(sel["per_task_best"], axis=1)
        best_note = (
            "best = the task's best configuration chosen on one seed and graded on the other "
            "(cross-seed, both ways round; not the maximum of the replicate means), untrained = "
            "the backbone never pre-trained (each seed's initialisation); seed SD = one seed's "
            "noise (pooled over the cells); best configuration = by the replicate means"
        )
    print(
        f"\nDownstream 5-NN accuracy (%) from {what}: random = mean over the "
        f"{source.space.size} configurations, DR = domain randomisation ({DOMAIN_RANDOMIZATION_KEY}), "
        + best_note
    )
    extra_head = ""
    if replicates is not None:
        extra_head = f" {'untrained':>9} {'seeds':>5} {'seed SD':>7}"
    print(
        f"{'task':<18} {'split':<7} {'random %':>9} {'DR %':>7} {'best %':>7}{extra_head}  "
        "best configuration"
    )
    for i, task in enumerate(source.tasks):
        row = source.rewards[i] * 100
        best = int(np.argmax(row))
        shown = row[best] if held_out is None else held_out[i]
        extra = ""
        if replicates is not None:
            reps = 100 * replicates[task]
            every = np.isfinite(reps).all(axis=0)  # the configurations every seed measured
            sd = replicate_signal(reps[:, every].T)["seed_sd"] if every.sum() >= 3 else np.nan
            base = np.nan if untrained is None else 100 * untrained[i].mean()
            extra = f" {base:9.2f} {reps.shape[0]:>5} {sd:7.2f}"
        print(
            f"{task:<18} {source.split(task):<7} {row.mean():9.2f} {row[dr]:7.2f} "
            f"{shown:7.2f}{extra}  {source.table.keys[best]}"
        )
    if replicates is not None:
        p = source.provenance
        print(
            f"\nMeasured {p['measured']} on {p['machine']}: {p['measurements']} measurements from "
            f"{p['backbones']} backbones; recipe {p['recipe']}, simulator {p['simulator']} "
            f"{p['simulator_version']}, commit {str(p['commit'])[:12]}"
        )
        print(simulator_match(p["simulator"], str(p["simulator_version"])))
    return 0
