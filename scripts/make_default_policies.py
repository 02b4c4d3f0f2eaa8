"""Train the policies ``t2s recommend`` ships, and record how they generalise.

Trains, on the paper's 12 seen tasks of the packaged table (seed 0, each agent's default
epochs): the paper's agent (``task2sim``) and this project's ``neighbour-transfer`` agent.
Writes ``agents/checkpoints/{task2sim,neighbour-transfer}.npz`` and
``agents/checkpoints/policies.json`` with each one's accuracy (%) of its deterministic answer
on the seen and the 8 unseen tasks, and which one is the default (the better on unseen tasks:
a new user's task is an unseen task).

Run: ``python scripts/make_default_policies.py`` (about a minute).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from agents import DEFAULT_EPOCHS, make_agent
from agents.evaluation import answer_accuracy
from agents.training import train
from t2s_env.data import load_task_split
from t2s_env.envs import Task2SimEnv
from t2s_env.rewards import TableRewardSource

OUT = Path(__file__).resolve().parents[1] / "agents" / "checkpoints"
AGENTS = ("task2sim", "neighbour-transfer")


def main() -> None:
    source = TableRewardSource()
    split = load_task_split()
    seen, unseen = split["seen"], split["unseen"]
    OUT.mkdir(parents=True, exist_ok=True)
    record = {}
    for name in AGENTS:
        agent = make_agent(name, seed=0)
        env = Task2SimEnv(tasks="seen", reward_source=source)
        train(agent, env, epochs=DEFAULT_EPOCHS[name], seed=0, progress=False)
        agent.save(OUT / f"{name}.npz")
        record[name] = {
            "file": f"{name}.npz",
            "trained_on": "the 12 seen tasks of the packaged table",
            "epochs": DEFAULT_EPOCHS[name],
            "seed": 0,
            "seen_accuracy": round(float(np.mean(answer_accuracy(agent, source, seen))), 2),
            "unseen_accuracy": round(float(np.mean(answer_accuracy(agent, source, unseen))), 2),
        }
        print(name, record[name])
    default = max(AGENTS, key=lambda n: record[n]["unseen_accuracy"])
    meta = {
        "default": default,
        "why": "the better mean accuracy of its answer on the 8 unseen tasks (a user's new task "
        "is an unseen task)",
        "policies": record,
        "made_by": "scripts/make_default_policies.py",
    }
    (OUT / "policies.json").write_text(json.dumps(meta, indent=2) + "\n")
    print("default:", default)


if __name__ == "__main__":
    main()
