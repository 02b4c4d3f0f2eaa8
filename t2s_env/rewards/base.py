"""The reward-source interface: what an environment asks of whatever measures a configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np

from t2s_env.space import KnobSpace


@runtime_checkable
class RewardSource(Protocol):
    """Anything that scores a (task, configuration) pair with a downstream accuracy.

    Rewards are fractions in ``[0, 1]``. A source also says what it can about itself, so that an
    environment can build its spaces and ``info`` without knowing which source it holds.
    """

    @property
    def name(self) -> str:
        """Short identifier (``"table"``, ``"live"``...)."""
        ...

    @property
    def space(self) -> KnobSpace:
        """The knob space whose configurations this source scores."""
        ...

    @property
    def tasks(self) -> tuple[str, ...]:
        """Every task this source can score."""
        ...

    def split(self, task: str) -> str:
        """``"seen"``, ``"unseen"`` or ``"user"`` for a task."""
        ...

    def embedding(self, task: str) -> np.ndarray:
        """The task's Task2Vec vector (float32, not normalised)."""
        ...

    def reward(self, task: str, config: Mapping[str, object]) -> float:
        """Downstream accuracy in ``[0, 1]`` of pre-training with ``config``, for ``task``."""
        ...

    def best_reward(self, task: str) -> float | None:
        """Best achievable reward on ``task`` if known (the table knows it), else ``None``."""
        ...


class UnknownTaskError(KeyError):
    """A task name the reward source does not know."""

    def __init__(self, task: str, known: tuple[str, ...]) -> None:
        super().__init__(task)
        self.task, self.known = task, known

    def __str__(self) -> str:
        return f"unknown task {self.task!r}; known tasks: {list(self.known)}"
