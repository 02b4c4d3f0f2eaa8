"""Task2Sim-Gym: Task2Sim (Mishra et al., CVPR 2022) as a contextual-bandit Gymnasium environment.

Importing the package registers the environments::

    import gymnasium as gym
    env = gym.make("t2s_env:Task2Sim-Seen-v0")   # or gym.register_envs(t2s_env)

| id                   | tasks                        |
|----------------------|------------------------------|
| `Task2Sim-Seen-v0`   | the paper's 12 seen tasks    |
| `Task2Sim-Unseen-v0` | the paper's 8 unseen tasks   |
| `Task2Sim-All-v0`    | all 20 tasks                 |
| `Task2Sim-Seen-Discrete-v0`, `-Unseen-`, `-All-` | the same, with `Discrete(256)` actions (DQN) |
| `Task2Sim-CPU-v0`    | the 8 live tasks (5 seen by default; `tasks="unseen"`, `"all"`), the packaged CPU table: each reward one measured seed replicate; `table="x.npz"`: another replicate table file, with `fidelity=` when it has learning curves |
| `Task2Sim-CPU-v1`    | the 26 live tasks of `V1_TASKS` (15 seen by default; `tasks="unseen"`: 11, `"all"`), the packaged `cpu2c` table: each reward one measured seed replicate, learning curves (`fidelity=0.5`, `1.0`, `2.0` epochs) and each pre-training's CPU seconds in `info` |
| `Task2Sim-Live-v0`   | your tasks, live reward (render, pre-train, 5-NN; `t2s_env.rewards.live`) |
"""

from gymnasium.envs.registration import register, registry

from t2s_env.envs import Task2SimEnv, Task2SimVectorEnv
from t2s_env.rewards import ReplicateRewardSource, RewardSource, TableRewardSource
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY, PAPER_SPACE, Knob, KnobSpace

__version__ = "0.1.0"
__all__ = [
    "DOMAIN_RANDOMIZATION_KEY",
    "PAPER_SPACE",
    "Knob",
    "KnobSpace",
    "ReplicateRewardSource",
    "RewardSource",
    "TableRewardSource",
    "Task2SimEnv",
    "Task2SimVectorEnv",
]

ENV_IDS = {"Task2Sim-Seen-v0": "seen", "Task2Sim-Unseen-v0": "unseen", "Task2Sim-All-v0": "all"}
DISCRETE_ENV_IDS = {
    "Task2Sim-Seen-Discrete-v0": "seen",
    "Task2Sim-Unseen-Discrete-v0": "unseen",
    "Task2Sim-All-Discrete-v0": "all",
}
"""The same task sets with ``Discrete(256)`` actions (``discrete=True``), for DQN and other
``Discrete``-only methods."""

for _env_id, _tasks in (ENV_IDS | DISCRETE_ENV_IDS).items():
    if _env_id not in registry:
        register(
            id=_env_id,
            entry_point="t2s_env.envs:Task2SimEnv",
            vector_entry_point="t2s_env.envs:Task2SimVectorEnv",
            kwargs={"tasks": _tasks, "discrete": _env_id in DISCRETE_ENV_IDS},
        )
CPU_ENV_ID = "Task2Sim-CPU-v0"
"""The packaged CPU table's env (:mod:`t2s_env.envs.cpu`): live tasks, measured replicates."""
if CPU_ENV_ID not in registry:
    register(
        id=CPU_ENV_ID,
        entry_point="t2s_env.envs.cpu:make_cpu_env",
        vector_entry_point="t2s_env.envs.cpu:make_cpu_vector_env",
    )
CPU_V1_ENV_ID = "Task2Sim-CPU-v1"
"""The v1 CPU table's env: 26 live tasks in transformation families, learning curves, costs.
Gymnasium now tells ``gym.make("Task2Sim-CPU-v0")`` callers that a v1 exists (a
``DeprecationWarning``); v0 and its files stay as they were, so old results reproduce."""
if CPU_V1_ENV_ID not in registry:
    register(
        id=CPU_V1_ENV_ID,
        entry_point="t2s_env.envs.cpu:make_cpu_env",
        vector_entry_point="t2s_env.envs.cpu:make_cpu_vector_env",
        kwargs={"table": "cpu-v1"},
    )
if "Task2Sim-Live-v0" not in registry:
    register(id="Task2Sim-Live-v0", entry_point="t2s_env.envs.live:make_live_env")
