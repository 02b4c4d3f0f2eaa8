"""Sweeps: evaluate many (task, configuration, seed) cells into a reward store, locally or on Ray.

>>> from t2s_env.sweep import make_executor
>>> make_executor("local", workers=2).workers
2
"""

from t2s_env.sweep.executors import Executor, LocalExecutor, RayExecutor, make_executor
from t2s_env.sweep.plan import plan_sweep, resolve_configs
from t2s_env.sweep.run import SweepReport, run_sweep

__all__ = [
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "SweepReport",
    "make_executor",
    "plan_sweep",
    "resolve_configs",
    "run_sweep",
]
