"""Agents for the Task2Sim environments, and the ``t2s`` command line.

Every agent meets :class:`agents.base.Agent` (act on a batch of observations, learn from
(observation, action, reward), save / load, a name and a kind). :func:`make_agent` builds one by
name from its :class:`AgentSpec` (factory, config type, default budget, kind; :data:`AGENTS`
holds them by name) and :func:`load_agent` rebuilds a saved one from its file.

>>> from agents import AGENTS, make_agent
>>> make_agent("task2sim", seed=0).name
'task2sim'
>>> "neighbour-transfer" in AGENTS
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from agents.bandits import (
    EpsilonGreedyAgent,
    FactorisedThompsonAgent,
    GaussianThompsonAgent,
    UCB1Agent,
)
from agents.base import Agent, AgentKind, CheckpointError, EnvLearner, load_checkpoint
from agents.contextual import LinUCBAgent, LinUCBConfig, TransferAgent, TransferConfig
from agents.paper import Task2SimAgent, Task2SimConfig
from agents.tabular import (
    BestFixedAgent,
    DomainRandomizationAgent,
    NoConfig,
    OracleAgent,
    RandomAgent,
)
from t2s_env.space import PAPER_SPACE, KnobSpace

Factory = Callable[[Any, int, KnobSpace], Agent]
"""``(config, seed, space) -> agent``."""


@dataclass(frozen=True)
class AgentSpec:
    """Everything the package knows about one agent, in one place (as Gymnasium's ``EnvSpec``).

    Attributes:
        name: The agent's name (``agent.name`` of what :attr:`factory` builds).
        factory: Builds the agent from a full config, a seed and a knob space.
        defaults: The default hyperparameters (a frozen dataclass; :attr:`config_type` is its
            type); a callable, so that optional back ends are imported only when used.
        epochs: The default training budget (epochs of one query per training task).
        kind: ``"context-free"``, ``"contextual"`` or ``"oracle"``.
    """

    name: str
    factory: Factory
    defaults: Callable[[], Any]
    epochs: int
    kind: AgentKind

    @property
    def config_type(self) -> type:
        """The hyperparameter dataclass."""
        return type(self.defaults())

    def make(
        self,
        seed: int = 0,
        space: KnobSpace = PAPER_SPACE,
        overrides: Mapping[str, Any] | None = None,
    ) -> Agent:
        """The agent with its default hyperparameters, some replaced by ``overrides``."""
        config = self.defaults()
        if overrides:
            known = {f.name for f in fields(config)}
            if not known:
                raise ValueError(f"agent {self.name!r} has no hyperparameters to override")
            unknown = set(overrides) - known
            if unknown:
                raise ValueError(
                    f"unknown hyperparameters {sorted(unknown)} for {self.name!r}: {sorted(known)}"
                )
            config = replace(config, **overrides)
        return self.factory(config, seed, space)


def _named(name: str, cls: Callable[..., Agent]) -> Factory:
    def build(config: Any, seed: int, space: KnobSpace) -> Agent:
        agent = cls(config, seed, space)
        agent.name = name
        return agent

    return build


def _oracle(config: Any, seed: int, space: KnobSpace) -> Agent:
    # the oracle reads the packaged table, whose space it takes unless told another
    return OracleAgent(config=config, seed=seed, space=None if space is PAPER_SPACE else space)


def _sb3(config: Any, seed: int, space: KnobSpace) -> Agent:
    from agents.sb3 import SB3Agent

    return SB3Agent(config, seed, space)


def _sb3_defaults(algo: str) -> Callable[[], Any]:
    def defaults() -> Any:
        from agents.sb3 import SB3Config

        return SB3Config(algo=algo)

    return defaults


_SPECS = (
    AgentSpec("task2sim", Task2SimAgent, Task2SimConfig, 1000, "contextual"),
    AgentSpec("random", RandomAgent, NoConfig, 1, "context-free"),
    AgentSpec("dr", DomainRandomizationAgent, NoConfig, 1, "context-free"),
    AgentSpec("best-fixed", BestFixedAgent, NoConfig, 256, "context-free"),
    AgentSpec("oracle", _oracle, NoConfig, 1, "oracle"),
    AgentSpec("eps-greedy", EpsilonGreedyAgent, EpsilonGreedyAgent.Config, 512, "context-free"),
    AgentSpec("ucb1", UCB1Agent, UCB1Agent.Config, 512, "context-free"),
    AgentSpec("thompson", GaussianThompsonAgent, GaussianThompsonAgent.Config, 512, "context-free"),
    AgentSpec(
        "factorised-thompson",
        FactorisedThompsonAgent,
        FactorisedThompsonAgent.Config,
        256,
        "context-free",
    ),
    AgentSpec("linucb", LinUCBAgent, LinUCBConfig, 512, "contextual"),
    AgentSpec(
        "nearest-task",
        _named("nearest-task", TransferAgent),
        lambda: TransferConfig(k=1, temperature=0.0, standardise=False, guided=False),
        256,
        "contextual",
    ),
    AgentSpec("neighbour-transfer", TransferAgent, TransferConfig, 256, "contextual"),
    AgentSpec("ppo", _sb3, _sb3_defaults("ppo"), 1000, "contextual"),
    AgentSpec("a2c", _sb3, _sb3_defaults("a2c"), 1000, "contextual"),
)

AGENTS: Mapping[str, AgentSpec] = MappingProxyType({s.name: s for s in _SPECS})
"""Agent name -> :class:`AgentSpec`."""

DEFAULT_EPOCHS: Mapping[str, int] = MappingProxyType({s.name: s.epochs for s in _SPECS})
"""Training epochs per agent name: a view of :attr:`AgentSpec.epochs`."""


def agent_spec(name: str) -> AgentSpec:
    """The spec of agent ``name``; raises ``ValueError`` listing the names."""
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; choose from {sorted(AGENTS)}")
    return AGENTS[name]


def agent_config_type(name: str) -> type:
    """The hyperparameter dataclass of agent ``name`` (``NoConfig`` if it has none)."""
    return agent_spec(name).config_type


def make_agent(
    name: str,
    seed: int = 0,
    space: KnobSpace = PAPER_SPACE,
    overrides: dict[str, Any] | None = None,
) -> Agent:
    """Build agent ``name`` with its default hyperparameters, some replaced by ``overrides``."""
    return agent_spec(name).make(seed, space, overrides)


def load_agent(
    path: str | Path, space: KnobSpace = PAPER_SPACE, obs_dim: int | None = None
) -> Agent:
    """The agent saved at ``path`` (by ``agent.save``), built from the name in its file.

    As SB3's ``BaseAlgorithm.load``: the checkpoint names the agent, its spec builds it and the
    agent restores its hyperparameters, statistics and RNG from the file. A file that is not
    such a checkpoint (damaged, crafted, another kind of npz, an unknown agent) raises
    :class:`~agents.base.CheckpointError` naming it; a missing one ``FileNotFoundError``.
    With ``obs_dim`` the loaded agent is tried on an observation of that size
    (:func:`~agents.base.load_checkpoint`).
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["__meta__"]))
        name, seed = meta["name"], int(meta.get("seed", 0))
    except FileNotFoundError:
        raise
    except Exception as exc:  # np.load raises many kinds on a file that is not an npz
        raise CheckpointError(f"{path} is not an agent checkpoint: {exc}") from exc
    if not isinstance(name, str) or name not in AGENTS:
        raise CheckpointError(f"{path} holds an agent named {name!r}; known: {sorted(AGENTS)}")
    agent = AGENTS[name].make(seed=seed, space=space)
    load_checkpoint(agent, path, obs_dim)
    return agent


__all__ = [
    "AGENTS",
    "DEFAULT_EPOCHS",
    "Agent",
    "AgentSpec",
    "EnvLearner",
    "agent_config_type",
    "agent_spec",
    "load_agent",
    "make_agent",
]
