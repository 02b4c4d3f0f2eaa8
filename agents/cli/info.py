"""``t2s info``: the knob space, the packaged tasks and their table statistics
(``--table cpu`` / ``cpu-v1``: a measured CPU table, its tasks' families, seed noise, one
seed's reliability and provenance;
``--table PATH.npz``: the same for a replicate table file, with its learning curves' fidelities
and the cost of an evaluation when it has them)."""

from __future__ import annotations

import argparse

import numpy as np

from agents.cli.checks import add_table_option, table_source
from t2s_env.rewards.signal import held_out_rank


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show the knob space and the packaged tasks")
    add_table_option(p, paths=True)
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
    from t2s_env.rewards.signal import cross_seed_selection
    from t2s_env.space import DOMAIN_RANDOMIZATION_KEY

    source = table_source(args.table)
    replicates = getattr(source, "replicates", None)
    print(source.space.describe())
    dr = source.space.action_to_index(source.space.key_to_action(DOMAIN_RANDOMIZATION_KEY))
    what = "the packaged table"
    if replicates is not None:
        table = {"cpu": "the measured CPU table (Task2Sim-CPU-v0)",
                 "cpu-v1": "the measured CPU table v1 (Task2Sim-CPU-v1)"}.get(
            args.table, f"the table {args.table}")  # fmt: skip
        what = f"{table} (replicate means)"
    best_note = "best = the task's best configuration"
    held_out = untrained = None
    if replicates is not None:
        # the best as an agent could reach it: chosen on one seed, graded on the other(s)
        untrained = source.untrained
        sel = cross_seed_selection(np.stack(list(replicates.values())))
        held_out = 100 * np.nanmean(sel["per_task_best"], axis=1)
        best_note = (
            "best = the task's best configuration chosen on one seed and graded on the task's "
            "other seeds (cross-seed, each seed measured on every task in turn; not the maximum "
            "of the replicate means), untrained = "
            "the backbone never pre-trained (each seed's initialisation); seed SD = one seed's "
            "noise (pooled over the cells); best configuration = by the replicate means"
        )
    extra_head = family_head = ""
    families: dict[str, str] = {}
    if replicates is not None:
        from t2s_env.datasets import live_task_families

        extra_head = f" {'untrained':>9} {'seeds':>5} {'seed SD':>7} {'r1':>5}"
        families = live_task_families()
        fw = max(10, *(len(f) for f in families.values()))
        family_head = f" {'family':<{fw}}"
        best_note += (
            "; family = the live task's transformation family (- for other tasks); r1 = one "
            "seed's reliability (the share of a seed's variance across configurations that is "
            "the configurations', not the seed's)"
        )
    print(
        f"\nDownstream 5-NN accuracy (%) from {what}: random = mean over the "
        f"{source.space.size} configurations, DR = domain randomisation ({DOMAIN_RANDOMIZATION_KEY}), "
        + best_note
    )
    w = max(18, *(len(t) for t in source.tasks))
    print(
        f"{'task':<{w}} {'split':<7}{family_head} {'random %':>9} {'DR %':>7} {'best %':>7}"
        f"{extra_head}  best configuration"
    )
    for i, task in enumerate(source.tasks):
        row = source.rewards[i] * 100
        best = int(np.argmax(row))
        shown = row[best] if held_out is None else held_out[i]
        extra = family = ""
        if replicates is not None:
            family = f" {families.get(task, '-'):<{fw}}"
            reps = 100 * replicates[task]
            sig = seed_signal(reps)
            base = np.nan if untrained is None else 100 * untrained[i].mean()
            extra = (
                f" {base:9.2f} {int(np.isfinite(reps).any(axis=1).sum()):>5} "
                f"{sig['seed_sd']:7.2f} {sig['reliability']:5.2f}"
            )
        print(
            f"{task:<{w}} {source.split(task):<7}{family} {row.mean():9.2f} {row[dr]:7.2f} "
            f"{shown:7.2f}{extra}  {source.table.keys[best]}"
        )
    if replicates is not None:
        print_provenance(source.provenance)
        if source.fidelities is not None:
            print_fidelities(source)
    return 0


def seed_sd(reps: np.ndarray) -> float:
    """One seed's noise (pooled SD) in ``reps`` ``(seeds, configurations)``: over every
    configuration among the seeds that measured them all when two or more did (a third seed
    given to a few cells is left out), else over the configurations every seed measured."""
    return seed_signal(reps)["seed_sd"]


def seed_signal(reps: np.ndarray) -> dict[str, float]:
    """``seed_sd`` (see :func:`seed_sd`) and ``reliability``, one seed's reliability (the share
    of its variance across configurations that is the configurations', not the seed's:
    :func:`~t2s_env.rewards.signal.replicate_signal`), over the same configurations; NaN when
    fewer than 3 configurations are measured by 2 seeds."""
    from t2s_env.rewards.signal import replicate_signal

    complete = np.isfinite(reps).all(axis=1)
    if complete.sum() >= 2:
        reps = reps[complete]
    every = np.isfinite(reps).all(axis=0)
    if every.sum() < 3 or reps.shape[0] < 2:
        return {"seed_sd": np.nan, "reliability": np.nan}
    sig = replicate_signal(reps[:, every].T)
    return {"seed_sd": sig["seed_sd"], "reliability": sig["single_seed_reliability"]}


def print_provenance(p: dict) -> None:
    """How a replicate table was measured, from its provenance (``?`` for a missing field)."""
    get = {k: p.get(k, "?") for k in ("measured", "machine", "measurements", "backbones",
                                       "recipe", "simulator", "simulator_version", "commit")}  # fmt: skip
    print(
        f"\nMeasured {get['measured']} on {get['machine']}: {get['measurements']} measurements "
        f"from {get['backbones']} backbones; recipe {get['recipe']}, simulator "
        f"{get['simulator']} {get['simulator_version']}, commit {str(get['commit'])[:12]}"
    )
    if "simulator" in p and "simulator_version" in p:
        print(simulator_match(p["simulator"], str(p["simulator_version"])))


def print_fidelities(source) -> None:
    """A table's learning curves: per fidelity (epoch budget), the mean accuracy over its
    tasks and configurations and what a first evaluation there costs (:mod:`t2s_env.rewards.
    fidelity`: its share of a full pre-training)."""
    cost = source.cost_seconds[np.isfinite(source.cost_seconds)]
    full = source.fidelities[-1]
    print(
        f"\nLearning curves at {len(source.fidelities)} fidelities (epoch budgets). A full "
        f"pre-training took {cost.mean():.1f} CPU s on average ({cost.min():.1f} to "
        f"{cost.max():.1f}, {cost.size} pre-trainings; one serves every task); a first "
        "evaluation at a fidelity costs its share, a resumed one only the remainder."
    )
    per_seed = source.cost_seconds
    if per_seed.shape[0] > 1:  # CPU seconds depend on the machine, its load and the tasks scored
        means = [f"seed {s}: {np.nanmean(row):.1f} s ({int(np.isfinite(row).sum())})"
                 for s, row in zip(source.seeds, per_seed, strict=True) if np.isfinite(row).any()]  # fmt: skip
        print("By seed (CPU seconds are those of the machine and load that measured them): "
              + "; ".join(means))  # fmt: skip
    print(
        "mean acc % = over tasks and configurations; rank = Spearman over configurations between "
        "one seed's accuracy at the fidelity and the other seeds' at the full budget (each seed in "
        "turn, mean over tasks; at the full budget, the seed-to-seed agreement)"
    )
    print(f"{'fidelity':>8} {'share':>6} {'mean acc %':>10} {'cost s':>7} {'rank':>5}")
    for f, fid in enumerate(source.fidelities):
        acc = 100 * source.curve_means[..., f].mean()
        rank = held_out_rank(source.curves, f)
        print(f"{fid:8g} {fid / full:6.2f} {acc:10.2f} {cost.mean() * fid / full:7.1f} {rank:5.2f}")
