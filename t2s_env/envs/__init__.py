"""Gymnasium environments over the reward sources."""

from t2s_env.envs.task2sim import Task2SimEnv, resolve_tasks
from t2s_env.envs.vector import Task2SimVectorEnv

__all__ = ["Task2SimEnv", "Task2SimVectorEnv", "resolve_tasks"]
