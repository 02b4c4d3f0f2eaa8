"""Task2Vec: embed a new task the way the 20 shipped tasks were embedded.

A Monte-Carlo Fisher embedding with a ResNet-18 probe (:func:`embed_task`), the layout of its
9,600 entries (:func:`resnet18_layout`), distances between embeddings and the nearest shipped
tasks of a new one (:func:`nearest_tasks`), and whether a set of vectors knows a grouping of its
tasks (:func:`family_agreement`).

The 20 paper tasks keep their ImageNet-probe vectors (``t2s_env.data.load_task2vec``). The
named live tasks (``t2s_env.datasets.LIVE_TASKS``) must embed offline, so their packaged vectors
(``t2s_env.data.load_live_task2vec``) use a seeded random ResNet-18 probe, the probe of the
``Task2Sim-CPU-v0`` table, at 32 px with 2,048 Fisher draws. Measured by
``benchmarks/live_task2vec.py`` (``benchmarks/results/live_task2vec.md``): leaving each task
out, its nearest other task by the agents' cosine is of its transformation family for 16 of 24
tasks (9 of 24 at 256 draws, 13 at 1,024); running batch-norm statistics (8 of 24 at 256), one
pass over the memory images (2 of 24) and a ResNet-18 trained on 5,000 renders (9 of 24 at 256
draws) did no better. Issue 23's 80 % is not reached.

Names are imported from their modules on first use (PEP 562), so that reading the settings
(:class:`Task2VecConfig`, the ``*_MODES``) or the distances imports no torch: ``t2s --help``
starts at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2s_env.lazy import lazy_exports

_MODULES = {
    "config": ("BATCH_NORM_MODES", "SAMPLING_MODES", "Task2VecConfig", "task2vec_options"),
    "distance": (
        "METRICS", "cosine_distance", "distance_matrix", "family_agreement", "nearest_other",
        "nearest_tasks", "task2vec_distance",
    ),
    "fisher": (
        "TaskEmbedding", "class_balanced_draws", "embed_task", "estimate_cpu_seconds",
        "fisher_diagonal", "preprocess",
    ),
    "layout": (
        "LayerSlice", "embedding_dim", "embedding_modules", "probe_layout", "resnet18_layout",
    ),
    "probe": (
        "IMAGENET_URL", "OFFLINE_ENV", "Probe", "ProbeWeightsError", "build_probe",
        "imagenet_cache_file",
    ),
}  # fmt: skip

if TYPE_CHECKING:
    from t2s_env.task2vec.config import (
        BATCH_NORM_MODES,
        SAMPLING_MODES,
        Task2VecConfig,
        task2vec_options,
    )
    from t2s_env.task2vec.distance import (
        METRICS,
        cosine_distance,
        distance_matrix,
        family_agreement,
        nearest_other,
        nearest_tasks,
        task2vec_distance,
    )
    from t2s_env.task2vec.fisher import (
        TaskEmbedding,
        class_balanced_draws,
        embed_task,
        estimate_cpu_seconds,
        fisher_diagonal,
        preprocess,
    )
    from t2s_env.task2vec.layout import (
        LayerSlice,
        embedding_dim,
        embedding_modules,
        probe_layout,
        resnet18_layout,
    )
    from t2s_env.task2vec.probe import (
        IMAGENET_URL,
        OFFLINE_ENV,
        Probe,
        ProbeWeightsError,
        build_probe,
        imagenet_cache_file,
    )


__getattr__, __dir__ = lazy_exports(__name__, _MODULES)

__all__ = [
    "BATCH_NORM_MODES",
    "IMAGENET_URL",
    "METRICS",
    "OFFLINE_ENV",
    "LayerSlice",
    "Probe",
    "ProbeWeightsError",
    "SAMPLING_MODES",
    "Task2VecConfig",
    "TaskEmbedding",
    "build_probe",
    "class_balanced_draws",
    "cosine_distance",
    "distance_matrix",
    "embed_task",
    "embedding_dim",
    "embedding_modules",
    "estimate_cpu_seconds",
    "family_agreement",
    "nearest_other",
    "fisher_diagonal",
    "imagenet_cache_file",
    "nearest_tasks",
    "preprocess",
    "probe_layout",
    "resnet18_layout",
    "task2vec_distance",
    "task2vec_options",
]
