"""Task2Vec: embed a new task the way the 20 shipped tasks were embedded.

A Monte-Carlo Fisher embedding with a ResNet-18 probe (:func:`embed_task`), the layout of its
9,600 entries (:func:`resnet18_layout`), distances between embeddings and the nearest shipped
tasks of a new one (:func:`nearest_tasks`), and whether a set of vectors knows a grouping of its
tasks (:func:`family_agreement`).

The 20 paper tasks keep their ImageNet-probe vectors (``t2s_env.data.load_task2vec``). The
named live tasks (``t2s_env.datasets.LIVE_TASKS``) must embed offline, so their packaged vectors
(``t2s_env.data.load_live_task2vec``), and a user's new task beside them, use the named probe
``"live"`` (:data:`LIVE_TASK2VEC`): a seeded random ResNet-18 probe at 32 px with 2,048 Fisher
draws, whose Fisher is turned into per-convolution z-scored logs (:func:`task_vector`,
``"conv-log-z"``). Measured by ``benchmarks/live_task2vec.py``
(``benchmarks/results/live_task2vec.md``): leaving each task out, its nearest other task by the
agents' cosine is of its transformation family for 23 of 24 tasks, against 16 of 24 for the
same probe's raw Fisher (another seed of draws: 24 against 10; another random probe: 21
against 10).

Names are imported from their modules on first use (PEP 562), so that reading the settings
(:class:`Task2VecConfig`, the ``*_MODES``) or the distances imports no torch: ``t2s --help``
starts at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2s_env.lazy import lazy_exports

_MODULES = {
    "config": (
        "BATCH_NORM_MODES", "LIVE_PROBE", "LIVE_TASK2VEC", "SAMPLING_MODES", "Task2VecConfig",
        "VECTOR_MODES", "config_record", "task2vec_options",
    ),
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
    "vector": ("task_vector",),
}  # fmt: skip

if TYPE_CHECKING:
    from t2s_env.task2vec.config import (
        BATCH_NORM_MODES,
        LIVE_PROBE,
        LIVE_TASK2VEC,
        SAMPLING_MODES,
        VECTOR_MODES,
        Task2VecConfig,
        config_record,
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
    from t2s_env.task2vec.vector import task_vector


__getattr__, __dir__ = lazy_exports(__name__, _MODULES)

__all__ = [
    "BATCH_NORM_MODES",
    "IMAGENET_URL",
    "LIVE_PROBE",
    "LIVE_TASK2VEC",
    "METRICS",
    "OFFLINE_ENV",
    "LayerSlice",
    "Probe",
    "ProbeWeightsError",
    "SAMPLING_MODES",
    "Task2VecConfig",
    "TaskEmbedding",
    "VECTOR_MODES",
    "build_probe",
    "class_balanced_draws",
    "config_record",
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
    "task_vector",
]
