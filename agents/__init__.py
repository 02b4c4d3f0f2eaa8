"""Agents for the Task2Sim environments, and the ``t2s`` command line.

Every agent meets :class:`agents.base.Agent` (act on a batch of observations, learn from
(observation, action, reward), save / load, a name and a kind). :func:`make_agent` builds one by
name; :data:`AGENTS` lists the names.

>>> from agents import AGENTS, make_agent
>>> make_agent("task2sim", seed=0).name
'task2sim'
>>> "neighbour-transfer" in AGENTS
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from agents.bandits import (
    EpsilonGreedyAgent,
    FactorisedThompsonAgent,
    GaussianThompsonAgent,
    UCB1Agent,
)
from agents.base import Agent, EnvLearner
from agents.contextual import LinUCBAgent, TransferAgent, TransferConfig
from agents.paper import Task2SimAgent, Task2SimConfig
from agents.tabular import BestFixedAgent, DomainRandomizationAgent, OracleAgent, RandomAgent
from t2s_env.space import PAPER_SPACE, KnobSpace


def _nearest_task(config: Any = None, seed: int = 0, space: KnobSpace = PAPER_SPACE) -> Agent:
    cfg = config or TransferConfig(k=1, temperature=0.0, standardise=False, guided=False)
    agent = TransferAgent(cfg, seed, space)
    agent.name = "nearest-task"
    return agent


def _sb3(algo: str) -> Callable[..., Agent]:
    def build(config: Any = None, seed: int = 0, space: KnobSpace = PAPER_SPACE) -> Agent:
        from agents.sb3 import SB3Agent, SB3Config

        return SB3Agent(config or SB3Config(algo=algo), seed, space)

    return build


AGENTS: dict[str, Callable[..., Agent]] = {
    "task2sim": Task2SimAgent,
    "random": RandomAgent,
    "dr": DomainRandomizationAgent,
    "best-fixed": BestFixedAgent,
    "oracle": OracleAgent,
    "eps-greedy": EpsilonGreedyAgent,
    "ucb1": UCB1Agent,
    "thompson": GaussianThompsonAgent,
    "factorised-thompson": FactorisedThompsonAgent,
    "linucb": LinUCBAgent,
    "nearest-task": _nearest_task,
    "neighbour-transfer": TransferAgent,
    "ppo": _sb3("ppo"),
    "a2c": _sb3("a2c"),
}
"""Agent name -> factory ``(config=None, seed=0, space=PAPER_SPACE)``."""

DEFAULT_EPOCHS: dict[str, int] = {
    "task2sim": 1000,
    "random": 1,
    "dr": 1,
    "best-fixed": 256,
    "oracle": 1,
    "eps-greedy": 512,
    "ucb1": 512,
    "thompson": 512,
    "factorised-thompson": 256,
    "linucb": 512,
    "nearest-task": 256,
    "neighbour-transfer": 256,
    "ppo": 1000,
    "a2c": 1000,
}
"""Training epochs (one query per training task each, more for the paper's agent) per agent."""


def agent_config_type(name: str) -> type | None:
    """The hyperparameter dataclass of agent ``name`` (``None`` if it has none)."""
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; choose from {sorted(AGENTS)}")
    if name in ("ppo", "a2c"):
        from agents.sb3 import SB3Config

        return SB3Config
    if name == "nearest-task":
        return TransferConfig
    cfg = getattr(AGENTS[name], "Config", None)
    return Task2SimConfig if name == "task2sim" else cfg


def make_agent(
    name: str,
    seed: int = 0,
    space: KnobSpace = PAPER_SPACE,
    overrides: dict[str, Any] | None = None,
) -> Agent:
    """Build agent ``name`` with its default hyperparameters, some replaced by ``overrides``."""
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; choose from {sorted(AGENTS)}")
    config = None
    if overrides:
        cfg_type = agent_config_type(name)
        if cfg_type is None or not fields(cfg_type):
            raise ValueError(f"agent {name!r} has no hyperparameters to override")
        known = {f.name for f in fields(cfg_type)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(
                f"unknown hyperparameters {sorted(unknown)} for {name!r}: {sorted(known)}"
            )
        base = make_agent(name, seed, space).config  # type: ignore[attr-defined]
        config = replace(base, **overrides)
    if name == "oracle":
        return OracleAgent(config=config, seed=seed, space=None if space is PAPER_SPACE else space)
    return AGENTS[name](config, seed, space)


__all__ = ["AGENTS", "DEFAULT_EPOCHS", "Agent", "EnvLearner", "make_agent", "agent_config_type"]
