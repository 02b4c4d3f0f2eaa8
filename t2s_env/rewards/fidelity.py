"""Fidelity (the epoch budget of a query) and what queries at several fidelities cost.

A table with learning curves (:class:`~t2s_env.rewards.ReplicateRewardSource` of a table with
``fidelities``) answers a query of a configuration at any of its fidelities. What the query
costs follows the rule of a pre-training that can be resumed (as YAHPO Gym, HPOBench and
LCBench charge a multi-fidelity query): the first query of a configuration at fidelity ``f``
costs ``cost * f / F_max``, a later one at ``f' > f`` only the remainder
``cost * (f' - f) / F_max``, and one at or below the highest fidelity already reached nothing;
``cost`` is the configuration's full pre-training in CPU seconds and ``F_max`` the full budget.
One pre-training serves every task, so the ledger is kept per configuration, not per task.

>>> ledger = CostLedger(full_fidelity=2.0)
>>> ledger.charge("a", 0.5, 40.0), ledger.charge("a", 2.0, 40.0), ledger.charge("a", 1.0, 40.0)
(10.0, 30.0, 0.0)
>>> ledger.spent, ledger.reached("a"), ledger.reached("b")
(40.0, 2.0, 0.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Sequence
from typing import Any


def fidelity_index(fidelity: Any, fidelities: Sequence[float] | None, what: str = "table") -> int:
    """The position of ``fidelity`` among ``fidelities`` (a table's, ascending), or a
    ``ValueError`` that names the problem: not a number, a ``what`` without learning curves
    (``fidelities`` ``None``), or not one of the allowed values.

    >>> fidelity_index(1, (0.5, 1.0, 2.0))
    1
    >>> fidelity_index(0.7, (0.5, 1.0, 2.0))
    Traceback (most recent call last):
    ...
    ValueError: fidelity 0.7 is not one of the table's fidelities [0.5, 1.0, 2.0] (epoch budgets)
    """
    real = isinstance(fidelity, numbers.Real) and not isinstance(fidelity, bool)
    if not real or not math.isfinite(float(fidelity)):
        raise ValueError(f"fidelity must be a number (an epoch budget), got {fidelity!r}")
    if fidelities is None:
        raise ValueError(
            f"fidelity {fidelity!r} asked of a {what} without learning curves: only a replicate "
            "table with 'fidelities', 'curves' and 'cost_seconds' answers at a fidelity"
        )
    for i, f in enumerate(fidelities):
        if math.isclose(float(fidelity), f, rel_tol=1e-9, abs_tol=0.0):
            return i
    raise ValueError(
        f"fidelity {fidelity!r} is not one of the {what}'s fidelities {list(fidelities)} "
        "(epoch budgets)"
    )


class CostLedger:
    """The CPU seconds one consumer (an env instance, an advisor's run on a task) has spent on
    queries, with the highest fidelity reached per configuration (the cost rule above).

    Args:
        full_fidelity: The full epoch budget ``F_max`` (a table's last fidelity).
    """

    def __init__(self, full_fidelity: float) -> None:
        if not (isinstance(full_fidelity, numbers.Real) and full_fidelity > 0):
            raise ValueError(f"full_fidelity must be a number > 0, got {full_fidelity!r}")
        self.full_fidelity = float(full_fidelity)
        self.spent = 0.0
        """CPU seconds charged so far."""
        self._reached: dict[Hashable, float] = {}

    def reached(self, config: Hashable) -> float:
        """The highest fidelity ``config`` was pre-trained to so far (0 when never)."""
        return self._reached.get(config, 0.0)

    def charge(self, config: Hashable, fidelity: float, full_cost: float) -> float:
        """Record a query of ``config`` at ``fidelity`` whose full pre-training costs
        ``full_cost`` CPU seconds; return what this query costs (and add it to :attr:`spent`)."""
        before = self.reached(config)
        if fidelity <= before:
            return 0.0
        self._reached[config] = float(fidelity)
        cost = float(full_cost) * (float(fidelity) - before) / self.full_fidelity
        self.spent += cost
        return cost
