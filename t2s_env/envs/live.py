"""The ``Task2Sim-Live-v0`` entry point: the Task2Sim env over the live reward source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from t2s_env.datasets import DatasetSpec
from t2s_env.envs.task2sim import Task2SimEnv
from t2s_env.rewards.live import LiveRewardSource


def make_live_env(
    tasks: Sequence[str | DatasetSpec] | Mapping[str, str | DatasetSpec] = ("digits",),
    noise_std: float = 0.0,
    discrete: bool = False,
    render_mode: str | None = None,
    **source_kwargs: Any,
) -> Task2SimEnv:
    """A :class:`Task2SimEnv` playing every task of a new :class:`LiveRewardSource`.

    Every keyword but ``noise_std``, ``discrete`` and ``render_mode`` (as for
    :class:`Task2SimEnv`) goes to :class:`LiveRewardSource` (recipe, store, simulator,
    seed, and the Task2Vec options of ``t2s train``: ``task2vec_probe="live"`` runs offline with
    the packaged live tasks' setting (:data:`~t2s_env.task2vec.LIVE_TASK2VEC`),
    ``task2vec_probe="random"`` too with any ``task2vec_image_size``, ``task2vec_images``...). The live source knows no best reward, so ``info`` has no ``best_reward`` and no
    ``regret`` key.
    """
    source = LiveRewardSource(tasks, **source_kwargs)
    return Task2SimEnv(
        tasks="all",
        reward_source=source,
        noise_std=noise_std,
        discrete=discrete,
        render_mode=render_mode,
    )
