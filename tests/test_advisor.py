"""Few-shot advisors and the budgeted protocol: the issue's anchors reproduced, the adaptive
advisor above them, nested selection that never sees the held-out task, clear errors, outside
agents and advisors through ``agents.evaluation.evaluate`` and ``t2s evaluate``, ``t2s suggest``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from agents.advisor import ADVISORS, make_advisor
from agents.advisor.loop import loto_curve, run_budgets
from agents.cli import main
from agents.evaluation import (
    BUDGET_SCHEMA,
    budget_anchors,
    budget_curves,
    evaluate,
    to_markdown,
)
from t2s_env.rewards import TableRewardSource

SOURCE = TableRewardSource()
KEYS = SOURCE.space.all_keys()
BUDGETS = (0, 1, 2, 4, 8, 16, 32)


# -- an outside agent, ~20 lines: what the README shows ------------------------------------------
class TryTheTableBest:
    """Learns each configuration's mean reward over the training tasks; on a new task it tries
    the untried configurations best first and keeps the best it measured on that task."""

    name, kind, epochs = "try-the-table-best", "context-free", 32  # training epochs

    def __init__(self, seed: int = 0) -> None:
        self.sums, self.counts, self.task, self.seen = np.zeros(256), np.zeros(256), None, {}

    def act(self, obs, deterministic=False):
        order = np.argsort(-self.sums / np.maximum(self.counts, 1), kind="stable")
        picks = []
        for o in np.asarray(obs, np.float32):
            mine = self.seen.get(o.tobytes(), {})
            if deterministic and mine:
                picks.append(max(mine, key=mine.get))
            else:
                picks.append(next((int(i) for i in order if int(i) not in mine), int(order[0])))
        return SOURCE.space.index_to_action(np.array(picks))

    def learn(self, obs, actions, rewards):
        for o, a, r in zip(
            obs, SOURCE.space.action_to_index(actions).reshape(-1), rewards, strict=True
        ):
            self.sums[a] += r
            self.counts[a] += 1
            self.seen.setdefault(np.asarray(o, np.float32).tobytes(), {})[int(a)] = float(r)
        return {}

    def save(self, path): ...
    def load(self, path): ...


def try_the_table_best(seed: int = 0) -> TryTheTableBest:
    return TryTheTableBest(seed)


class SpyAdvisor:
    """An outside advisor that records the embeddings it was fitted on."""

    name = "spy"
    fitted: list[np.ndarray] = []

    def __init__(self, seed: int = 0) -> None:
        self.inner = make_advisor("static", seed)

    def fit(self, embeddings, rewards, keys):
        SpyAdvisor.fitted.append(np.array(embeddings))
        self.inner.fit(embeddings, rewards, keys)
        return self

    def suggest(self, embedding, observed):
        return self.inner.suggest(embedding, observed)

    def answer(self, embedding, observed):
        return self.inner.answer(embedding, observed)


# -- the anchors ---------------------------------------------------------------------------------
def test_anchors_reproduce_the_issue():
    anchors = budget_anchors(SOURCE, "loto", BUDGETS)
    rand = anchors["random distinct configurations (expected)"]
    static = anchors["static top-k of mean fraction-of-best"]
    assert np.round(rand[1:], 3).tolist() == [0.756, 0.817, 0.867, 0.906, 0.936, 0.959]
    assert np.round(static[1:], 3).tolist() == [0.868, 0.897, 0.932, 0.948, 0.964, 0.969]


def test_static_advisor_is_the_static_anchor_and_static_z_the_best_fixed_answer():
    curve = loto_curve(lambda: make_advisor("static"), SOURCE.embeddings, SOURCE.rewards, KEYS)
    anchors = budget_anchors(SOURCE, "loto", BUDGETS)
    np.testing.assert_allclose(curve.mean(axis=1), anchors["static top-k of mean fraction-of-best"])
    z = loto_curve(lambda: make_advisor("static-z"), SOURCE.embeddings, SOURCE.rewards, KEYS, (0,))
    assert round(float(z.mean()), 3) == 0.903  # the issue's best-fixed (z-scored rows) at k = 0


def test_random_advisor_averages_to_the_random_anchor():
    curves = [
        loto_curve(lambda s=s: make_advisor("random-distinct", s), SOURCE.embeddings,
                   SOURCE.rewards, KEYS, (1, 4, 16)).mean(axis=1)
        for s in range(8)
    ]  # fmt: skip
    expected = budget_anchors(SOURCE, "loto", (1, 4, 16))[
        "random distinct configurations (expected)"
    ]
    np.testing.assert_allclose(np.mean(curves, axis=0), expected, atol=0.03)


# -- the adaptive advisor ------------------------------------------------------------------------
def test_gp_fixed_beats_both_anchors_at_every_budget():
    curve = loto_curve(lambda: make_advisor("gp-fixed"), SOURCE.embeddings, SOURCE.rewards, KEYS)
    mean = curve.mean(axis=1)
    anchors = budget_anchors(SOURCE, "loto", BUDGETS)
    for values in anchors.values():
        assert (mean > np.asarray(values)).all(), (mean, values)
    assert mean[BUDGETS.index(4)] >= 0.95 and mean[BUDGETS.index(8)] >= 0.975


@pytest.mark.slow
def test_gp_with_nested_selection_beats_the_anchors_and_meets_the_k4_k8_targets():
    res = budget_curves(["gp"], splits=["loto"], noise_stds=[0.0])
    mean = np.array(res["entries"]["gp"]["curves"]["loto"]["0.0"]["mean"])
    for values in res["anchors"]["loto"].values():
        assert (mean > np.asarray(values)).all(), (mean, values)
    assert mean[BUDGETS.index(4)] >= 0.95 and mean[BUDGETS.index(8)] >= 0.975


def test_nested_selection_sees_only_the_training_tasks():
    adv = make_advisor("gp")
    adv.fit(SOURCE.embeddings[:6], SOURCE.rewards[:6], KEYS)
    sel = adv.selection()
    assert len(sel["scores"]) == len(adv.configs) and sel["selected"] in [
        s["config"] for s in sel["scores"]
    ]
    # The protocol fits each fold on the other tasks only.
    SpyAdvisor.fitted.clear()
    budget_curves([SpyAdvisor], budgets=(0, 1), splits=["loto", "seen-unseen"])
    unit = SOURCE.embeddings / np.linalg.norm(SOURCE.embeddings, axis=1, keepdims=True)
    folds = [(t, [u for u in SOURCE.tasks if u != t]) for t in SOURCE.tasks]
    seen = [t for t in SOURCE.tasks if SOURCE.split(t) == "seen"]
    folds += [(t, seen) for t in SOURCE.tasks if SOURCE.split(t) == "unseen"]
    assert len(SpyAdvisor.fitted) == len(folds)
    for fitted, (held_out, train) in zip(SpyAdvisor.fitted, folds, strict=True):
        assert held_out not in train
        fitted = fitted / np.linalg.norm(fitted, axis=1, keepdims=True)
        np.testing.assert_allclose(fitted, unit[[SOURCE.task_index(t) for t in train]], atol=1e-6)


def test_advisors_are_deterministic_for_a_seed_and_suggest_new_keys():
    e, row = SOURCE.embeddings[3], SOURCE.rewards[3]
    train = [i for i in range(20) if i != 3]
    for name in ADVISORS:
        runs = []
        for _ in range(2):
            adv = make_advisor(name, seed=1).fit(
                SOURCE.embeddings[train], SOURCE.rewards[train], KEYS
            )
            kept, measured = run_budgets(adv, e, row, KEYS, (0, 4, 8))
            assert len(set(measured)) == 8
            runs.append((kept, measured))
        assert runs[0] == runs[1], name
    a = make_advisor("random-distinct", 0).fit(
        SOURCE.embeddings[train], SOURCE.rewards[train], KEYS
    )
    b = make_advisor("random-distinct", 1).fit(
        SOURCE.embeddings[train], SOURCE.rewards[train], KEYS
    )
    assert run_budgets(a, e, row, KEYS, (8,))[1] != run_budgets(b, e, row, KEYS, (8,))[1]


def test_gp_answer_is_the_best_measured_once_it_has_measured_the_best():
    train = list(range(1, 20))
    adv = make_advisor("gp-fixed").fit(SOURCE.embeddings[train], SOURCE.rewards[train], KEYS)
    best = KEYS[int(np.argmax(SOURCE.rewards[0]))]
    observed = {k: float(SOURCE.rewards[0, KEYS.index(k)]) for k in KEYS[:40]}
    observed[best] = float(SOURCE.rewards[0].max())
    assert adv.answer(SOURCE.embeddings[0], observed) == best


def test_advisor_errors_are_clear():
    adv = make_advisor("gp-fixed")
    with pytest.raises(ValueError, match="rows"):
        adv.fit(SOURCE.embeddings[:5], SOURCE.rewards[:4], KEYS)
    with pytest.raises(ValueError, match="columns"):
        adv.fit(SOURCE.embeddings[:5], SOURCE.rewards[:5], KEYS[:10])
    bad = SOURCE.rewards[:5].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        adv.fit(SOURCE.embeddings[:5], bad, KEYS)
    adv.fit(SOURCE.embeddings[:5], SOURCE.rewards[:5], KEYS)
    e = SOURCE.embeddings[7]
    with pytest.raises(ValueError, match="not among"):
        adv.suggest(e, {"9_9_9": 0.5})
    with pytest.raises(ValueError, match="not finite"):
        adv.answer(e, {KEYS[0]: float("inf")})
    with pytest.raises(ValueError, match="9600"):
        adv.suggest(e[:10], {})
    with pytest.raises(ValueError, match="nothing left"):
        adv.suggest(e, dict.fromkeys(KEYS, 0.5))
    with pytest.raises(ValueError, match="unknown advisor"):
        make_advisor("nope")
    with pytest.raises(ValueError, match="unknown hyperparameters"):
        make_advisor("gp-fixed", tau_typo=1)
    with pytest.raises(ValueError, match="tau"):
        make_advisor("gp-fixed", tau=-1.0)


# -- the protocol with outside contenders --------------------------------------------------------
def test_outside_agent_against_the_papers_through_evaluate():
    res = evaluate(
        [try_the_table_best, "task2sim"], seeds=[0], budgets=(0, 1, 4), splits=["seen-unseen"],
        epochs={"task2sim": 10, "try-the-table-best": 256}, progress=False,
    )  # fmt: skip
    assert res["schema"] == BUDGET_SCHEMA
    mine = res["entries"]["try-the-table-best"]
    assert mine["kind"] == "agent" and mine["source"].endswith("try_the_table_best")
    curve = mine["curves"]["seen-unseen"]["0.0"]["mean"]
    # It keeps the best it measured, so more runs never hurt; its list beats random picks.
    assert curve[0] <= curve[1] <= curve[2]
    rand = res["anchors"]["seen-unseen"]["random distinct configurations (expected)"]
    assert (np.asarray(curve[1:]) > np.asarray(rand[1:])).all()
    paper = res["entries"]["task2sim"]["curves"]["seen-unseen"]["0.0"]["mean"]
    assert len(paper) == 3 and all(0 < v <= 1 for v in paper)
    assert "try-the-table-best" in to_markdown(res)


def test_t2s_evaluate_budgets_with_an_import_path(tmp_path, capsys):
    out = tmp_path / "fewshot"
    rc = main([
        "evaluate", "--agents", "tests.test_advisor:try_the_table_best,task2sim,static,gp-fixed",
        "--budgets", "0,1,2,4", "--noise", "0,0.01", "--seeds", "2", "--out", str(out),
        "--splits", "seen-unseen", "--epochs", "task2sim=10", "--no-progress",
    ])  # fmt: skip
    assert rc == 0
    res = json.loads(out.with_suffix(".json").read_text())
    assert res["schema"] == BUDGET_SCHEMA and res["schema_version"] == 1
    assert res["package_version"] and res["protocol"]["budgets"] == [0, 1, 2, 4]
    assert res["protocol"]["noise_stds"] == [0.0, 0.01] and res["protocol"]["seeds"] == [0, 1]
    assert list(res["protocol"]["splits"]) == ["seen-unseen"]
    assert len(res["protocol"]["splits"]["seen-unseen"]) == 8
    assert set(res["entries"]) == {"try-the-table-best", "task2sim", "static", "gp-fixed"}
    assert res["protocol"]["agent_epochs"] == {"try-the-table-best": 32, "task2sim": 10}
    for e in res["entries"].values():
        assert set(e["curves"]["seen-unseen"]) == {"0.0", "0.01"}
        assert len(e["curves"]["seen-unseen"]["0.01"]["per_seed"]) == 2
    md = out.with_suffix(".md").read_text()
    assert "| gp-fixed | advisor |" in md and "noise 0.01" in md
    assert main(["plot", str(out.with_suffix(".json")), "--out", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "fewshot_budget_curves.png").stat().st_size > 0


def test_t2s_evaluate_budget_errors(tmp_path, capsys):
    out = str(tmp_path / "x")
    assert main(["evaluate", "--agents", "nope", "--budgets", "0,1", "--out", out]) == 2
    assert "unknown agents" in capsys.readouterr().err
    assert main(["evaluate", "--agents", "nomodule_xyz:f", "--budgets", "1", "--out", out]) == 2
    assert "cannot import" in capsys.readouterr().err
    assert main(["evaluate", "--agents", "static", "--budgets", "1,x", "--out", out]) == 2
    assert "integers" in capsys.readouterr().err
    assert main(["evaluate", "--agents", "static", "--budgets", "300", "--out", out]) == 2
    assert "exceeds" in capsys.readouterr().err
    assert main(["evaluate", "--agents", "gp", "--out", out]) == 2  # an advisor needs budgets
    assert "unknown agents" in capsys.readouterr().err


# -- t2s suggest ---------------------------------------------------------------------------------
@pytest.fixture
def cub_embedding(tmp_path):
    from t2s_env.task2vec import TaskEmbedding

    v = SOURCE.embedding("CUB").astype(np.float64)
    path = tmp_path / "cub.npz"
    TaskEmbedding(v, np.ones_like(v), {"dataset": "CUB"}).save(path)
    return path


def test_t2s_suggest_asks_and_tells(tmp_path, capsys, cub_embedding):
    assert main(["suggest", "--embedding", str(cub_embedding), "--advisor", "gp-fixed"]) == 0
    text = capsys.readouterr().out
    first = text.split("next configuration to pre-train: ")[1].split()[0]
    assert first in KEYS and "predicted, not measured" in text
    runs = tmp_path / "runs.csv"
    acc = 100 * SOURCE.rewards[SOURCE.task_index("CUB"), KEYS.index(first)]
    runs.write_text(f"key,accuracy\n{first},{acc:.4f}\n")
    args = ["suggest", "--embedding", str(cub_embedding), "--observed", str(runs)]
    assert main([*args, "--advisor", "gp-fixed"]) == 0
    text = capsys.readouterr().out
    second = text.split("next configuration to pre-train: ")[1].split()[0]
    assert second != first and "runs so far: 1" in text
    # The same answer as the advisor gives in Python.
    adv = make_advisor("gp-fixed").fit(SOURCE.embeddings, SOURCE.rewards, KEYS)
    assert second == adv.suggest(SOURCE.embedding("CUB"), {first: acc / 100})


def test_t2s_suggest_reads_runs_with_or_without_a_header(tmp_path, capsys, cub_embedding):
    """``key,accuracy`` rows without a header row read as accuracies in %, as with the header
    ``key,accuracy``; a header may instead name ``reward`` (fractions) in any column order."""
    accs = {k: 100 * SOURCE.rewards[SOURCE.task_index("CUB"), KEYS.index(k)] for k in KEYS[:3]}
    rows = "".join(f"{k},{a:.4f}\n" for k, a in accs.items())
    fractions = "".join(f"{a / 100:.6f},{k}\n" for k, a in accs.items())
    answers = []
    for name, text in (("bare", rows), ("header", "key,accuracy\n" + rows),
                       ("reward", "reward,key\n" + fractions)):  # fmt: skip
        runs = tmp_path / f"{name}.csv"
        runs.write_text(text)
        rc = main(["suggest", "--embedding", str(cub_embedding), "--observed", str(runs),
                   "--advisor", "gp-fixed"])  # fmt: skip
        out, err = capsys.readouterr()
        assert rc == 0 and "runs so far: 3" in out and "note:" not in err, (name, err)
        answers.append(out)
    assert answers[0] == answers[1] == answers[2]
    # Fractions without a header are read as (tiny) percentages, and the user is told so.
    runs = tmp_path / "fractions.csv"
    runs.write_text("".join(f"{k},{a / 100:.6f}\n" for k, a in accs.items()))
    assert main(["suggest", "--embedding", str(cub_embedding), "--observed", str(runs),
                 "--advisor", "static"]) == 0  # fmt: skip
    assert "start the file with the row key,reward" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("key,accuracy\n9_9,50\n", "not among"),
        ("key,accuracy\n0_0_0_0_0_1_0_0_0,nan\n", "not finite"),
        ("key,accuracy\n0_0_0_0_0_1_0_0_0,abc\n", "not a number"),
        ("key,accuracy\n0_0_0_0_0_1_0_0_0,150\n", "outside"),
        ("config,acc\n0_0_0_0_0_1_0_0_0,50\n", "name the columns"),
        ("key,reward\n0_0_0_0_0_1_0_0_0,0.5\n0_0_0_0_0_1_0_0_0,0.4\n", "twice"),
    ],
)
def test_t2s_suggest_errors_name_the_problem(tmp_path, capsys, cub_embedding, csv, message):
    runs = tmp_path / "runs.csv"
    runs.write_text(csv)
    rc = main(["suggest", "--embedding", str(cub_embedding), "--observed", str(runs),
               "--advisor", "static"])  # fmt: skip
    assert rc == 2
    assert message in capsys.readouterr().err


# -- t2s recommend --budget ----------------------------------------------------------------------
@pytest.mark.slow
def test_recommend_budget_loop_measures_stores_resumes_and_saves_the_best(
    tmp_path, capsys, cub_embedding
):
    out = tmp_path / "run"
    args = ["recommend", "digits", "--embedding", str(cub_embedding), "--pretrain", "--budget",
            "3", "--advisor", "static", "--recipe", "tiny", "--simulator",
            "tests.live_toy:ToySimulator", "--out-dir", str(out)]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    record = json.loads((out / "budget_runs.json").read_text())
    runs = record["runs"]
    assert len(runs) == 3 and len({r["key"] for r in runs}) == 3
    assert not any(r["from_store"] for r in runs) and "(measured)" in text
    # The static advisor measures its list in order and keeps the best measured.
    adv = make_advisor("static").fit(SOURCE.embeddings, SOURCE.rewards, KEYS)
    order = [KEYS[i] for i in adv.order[:3]]
    assert [r["key"] for r in runs] == order
    best = max(runs, key=lambda r: r["accuracy"])
    assert record["keep"] == best["key"] and f"kept configuration: {best['key']}" in text
    assert (out / "budget_runs.png").stat().st_size > 0
    report = json.loads((out / "report.json").read_text())
    assert report["configuration_key"] == best["key"] and (out / "rewards.sqlite").is_file()
    # Run again: every measurement comes from the store, with the same results.
    assert main(args) == 0
    again = json.loads((out / "budget_runs.json").read_text())["runs"]
    assert all(r["from_store"] for r in again)
    assert [r["accuracy"] for r in again] == [r["accuracy"] for r in runs]


def test_recommend_budget_needs_pretrain(capsys, cub_embedding):
    rc = main(["recommend", "digits", "--embedding", str(cub_embedding), "--budget", "2"])
    assert rc == 2 and "add --pretrain" in capsys.readouterr().err
