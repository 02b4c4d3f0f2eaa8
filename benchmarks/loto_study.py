"""How much of the per-task best can a zero-query answer reach on a held-out task? A study of
leave-one-task-out (LOTO) over the paper's 20 tasks, for the transfer rules an agent trained on
the other 19 tasks could use. Writes ``benchmarks/results/loto_study.{md,json}``.

Every rule sees the full reward table of the 19 training tasks (more than any agent measures)
and the Task2Vec vector of the held-out task, never its rewards; the score is the mean over the
20 tasks of accuracy / per-task best, as in ``t2s evaluate``. Families:

- context-free: the configuration best on average over the 19 tasks (raw, as a fraction of
  each task's best, or z-scored per task), and the one configuration best in hindsight over all
  20 tasks (the most a rule answering the same configuration for every task can reach);
- nearest tasks: the mean profile of the ``k`` most similar tasks (cosine of the normalised
  Task2Vec vectors, whole vector or per ResNet-18 stage);
- layer profile: the same, with tasks compared by their share of Fisher energy per layer;
- kernel: profiles weighted by ``exp(cos / T)``, optionally mixed with the uniform weights;
- bilinear ridge: a task's profile regressed on the top principal components of the vectors;
- honest selection: the rule chosen by an inner leave-one-out on the 19 training tasks
  (nested cross-validation), which is what an agent picking its own rule would achieve;
- the information ceiling: the best of the 19 training tasks' own best configurations, i.e.
  what a rule that knew *which* training task to copy would reach.

    python benchmarks/loto_study.py
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from t2s_env.data import load_reward_table, load_task2vec
from t2s_env.task2vec.layout import resnet18_layout

RESULTS = Path(__file__).parent / "results"
Rule = Callable[[int, np.ndarray], np.ndarray]  # (held-out row, training rows) -> config scores


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)


def profiles(acc: np.ndarray, kind: str) -> np.ndarray:
    """Per-task reward profiles: raw accuracy, fraction of the task's best, or z-scores."""
    if kind == "raw":
        return acc
    if kind == "frac":
        return acc / acc.max(axis=1, keepdims=True)
    return (acc - acc.mean(axis=1, keepdims=True)) / acc.std(axis=1, keepdims=True)


def similarities(emb: np.ndarray) -> dict[str, np.ndarray]:
    """Cosine similarity of the normalised vectors, whole and per ResNet-18 stage."""
    out = {"all": unit(emb) @ unit(emb).T}
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        cols = [i for s in resnet18_layout() if s.name.startswith(stage) for i in range(s.start, s.stop)]  # fmt: skip
        out[stage] = unit(emb[:, cols]) @ unit(emb[:, cols]).T
    return out


def layer_profiles(emb: np.ndarray) -> dict[str, np.ndarray]:
    """Distances between the tasks' layer profiles: each task's share of Fisher energy per
    layer of the probe (40 layers; plain or log), each layer z-scored across tasks. Unlike the
    cosine of whole vectors, this says which layers a task's loss is sensitive to."""
    energy = np.stack([(emb[:, s.start : s.stop] ** 2).sum(axis=1) for s in resnet18_layout()], 1)
    share = energy / energy.sum(axis=1, keepdims=True)
    out = {}
    for name, f in (("share", share), ("log-share", np.log(share))):
        z = (f - f.mean(axis=0)) / (f.std(axis=0) + 1e-12)
        out[name] = np.linalg.norm(z[:, None] - z[None], axis=2)
    return out


def loto(rule: Rule, frac: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Per-task fraction of the best reached by ``rule`` (over ``rows``, all tasks by default)."""
    rows = np.arange(len(frac)) if rows is None else rows
    out = []
    for t in rows:
        train = rows[rows != t]
        out.append(frac[t, int(np.argmax(rule(t, train)))])
    return np.array(out)


def make_rules(acc: np.ndarray, sims: dict[str, np.ndarray], emb: np.ndarray) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for kind in ("raw", "frac", "z"):

        def fixed(t, train, kind=kind):
            return profiles(acc[train], kind).mean(axis=0)

        rules[f"best-fixed/{kind}"] = fixed
    for (sim_name, sim), kind, k in itertools.product(sims.items(), ("frac", "z"), (1, 3, 5)):

        def nearest(t, train, sim=sim, kind=kind, k=k):
            near = train[np.argsort(-sim[t, train], kind="stable")[:k]]
            return profiles(acc[near], kind).mean(axis=0)

        rules[f"nearest/{sim_name}/{kind}/k={k}"] = nearest
    for (sim_name, sim), kind, temp, mix in itertools.product(
        sims.items(), ("frac", "z"), (0.01, 0.03, 0.1), (0.0, 0.5)
    ):

        def kernel(t, train, sim=sim, kind=kind, temp=temp, mix=mix):
            s = sim[t, train]
            w = np.exp((s - s.max()) / temp)
            w = (1 - mix) * w / w.sum() + mix / len(train)
            return w @ profiles(acc[train], kind)

        rules[f"kernel/{sim_name}/{kind}/T={temp}/mix={mix}"] = kernel
    for (prof_name, dist), kind, k in itertools.product(
        layer_profiles(emb).items(), ("frac", "z"), (1, 3, 5)
    ):

        def profile_nearest(t, train, dist=dist, kind=kind, k=k):
            near = train[np.argsort(dist[t, train], kind="stable")[:k]]
            return profiles(acc[near], kind).mean(axis=0)

        rules[f"layer-profile/{prof_name}/{kind}/k={k}"] = profile_nearest
    u = unit(emb.astype(np.float64))
    for kind, p, lam in itertools.product(("frac", "z"), (1, 2, 4), (0.1, 1.0, 10.0)):

        def ridge(t, train, kind=kind, p=p, lam=lam):
            mu = u[train].mean(axis=0)
            _, s, vt = np.linalg.svd(u[train] - mu, full_matrices=False)
            scale = s[:p] / np.sqrt(len(train))

            def feats(x):
                return np.hstack([np.ones((len(x), 1)), (x - mu) @ vt[:p].T / scale])

            f = feats(u[train])
            reg = lam * np.eye(p + 1)
            reg[0, 0] = 0
            w = np.linalg.solve(f.T @ f + reg, f.T @ profiles(acc[train], kind))
            return (feats(u[[t]]) @ w)[0]

        rules[f"ridge/{kind}/pcs={p}/lambda={lam}"] = ridge
    return rules


def plot_per_task(tasks, per_task: dict[str, np.ndarray], path: Path) -> None:
    """Grouped bars: each rule's fraction of the best on each held-out task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 5))
    width = 0.8 / len(per_task)
    x = np.arange(len(tasks))
    for i, (label, v) in enumerate(per_task.items()):
        ax.bar(
            x + (i - (len(per_task) - 1) / 2) * width, v, width, label=f"{label}: {v.mean():.3f}"
        )
    ax.axhline(0.93, color="k", lw=0.8, ls="--", label="target 0.93 (mean over tasks)")
    ax.set_xticks(x, tasks, rotation=45, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy / per-task best")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.3), ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    table, t2v = load_reward_table(), load_task2vec()
    acc, tasks = table.accuracy, table.tasks
    emb = t2v.embedding.astype(np.float64)
    frac = acc / acc.max(axis=1, keepdims=True)
    sims = similarities(emb)
    rules = make_rules(acc, sims, emb)
    scores = {name: float(loto(rule, frac).mean()) for name, rule in rules.items()}

    # nested selection: for each held-out task, pick the rule by an inner LOTO on the other 19
    everyone = np.arange(len(tasks))
    nested, chosen = [], []
    for t in everyone:
        train = everyone[everyone != t]
        inner = {name: loto(rule, frac, train).mean() for name, rule in rules.items()}
        pick = max(inner, key=inner.get)
        chosen.append(pick)
        nested.append(frac[t, int(np.argmax(rules[pick](t, train)))])

    hindsight = float(frac.mean(axis=0).max())  # one configuration for all 20, chosen knowing all
    ceiling = [max(frac[t, int(np.argmax(acc[o]))] for o in everyone if o != t) for t in everyone]
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    per_task = {
        "best-fixed (raw mean)": loto(rules["best-fixed/raw"], frac),
        f"best rule in hindsight ({ranked[0][0]})": loto(rules[ranked[0][0]], frac),
        "nested selection": np.array(nested),
        "copy the right training task": np.array(ceiling),
    }
    plot_per_task(tasks, per_task, RESULTS / "loto_study.png")
    families = {}
    for name, v in scores.items():
        fam = name.split("/")[0]
        families.setdefault(fam, []).append(v)
    res = {
        "tasks": list(tasks),
        "rules": scores,
        "families": {
            f: {"best": max(v), "median": float(np.median(v)), "rules": len(v)}
            for f, v in families.items()
        },
        "context_free_hindsight_ceiling": hindsight,
        "nested_selection": float(np.mean(nested)),
        "nested_selection_per_task": dict(zip(tasks, map(float, nested), strict=True)),
        "nested_choices": dict(zip(tasks, chosen, strict=True)),
        "copy_the_right_task_ceiling": float(np.mean(ceiling)),
        "per_task": {k: dict(zip(tasks, map(float, v), strict=True)) for k, v in per_task.items()},
    }
    md = [
        "# Leave-one-task-out: what a zero-query answer can reach",
        "",
        "`python benchmarks/loto_study.py`. Mean over the 20 tasks of accuracy / per-task best; "
        f"{len(rules)} transfer rules, each given the 19 other tasks' full reward table.",
        "",
        "| rule family | rules | median | best (selected in hindsight) |",
        "|---|---|---|---|",
    ]
    for fam, v in res["families"].items():
        md.append(f"| {fam} | {v['rules']} | {v['median']:.3f} | {v['best']:.3f} |")
    md += [
        "",
        f"- Rule chosen by nested leave-one-out on the 19 training tasks (an honest estimate of "
        f"the best of these rules): **{res['nested_selection']:.3f}**.",
        f"- The one configuration best for all 20 tasks, chosen in hindsight (the most a rule "
        f"that answers the same configuration for every task can reach): {hindsight:.3f}.",
        f"- Copying the best configuration of the right training task (if a rule knew which): "
        f"{res['copy_the_right_task_ceiling']:.3f}.",
        "",
        "Top rules (their scores are optimistic: the best of many tries on 20 tasks):",
        "",
    ]
    md += [f"- `{name}`: {v:.3f}" for name, v in ranked[:8]]
    md += ["", "Per task (`loto_study.png`):", "", "![per task](loto_study.png)"]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "loto_study.md").write_text("\n".join(md) + "\n")
    (RESULTS / "loto_study.json").write_text(json.dumps(res, indent=2))
    print("\n".join(md))


if __name__ == "__main__":
    main()
