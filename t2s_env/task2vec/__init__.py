"""Task2Vec: embed a new task the way the 20 shipped tasks were embedded.

A Monte-Carlo Fisher embedding with a ResNet-18 probe (:func:`embed_task`), the layout of its
9,600 entries (:func:`resnet18_layout`), distances between embeddings and the nearest shipped
tasks of a new one (:func:`nearest_tasks`).
"""

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
    BATCH_NORM_MODES,
    SAMPLING_MODES,
    Task2VecConfig,
    TaskEmbedding,
    class_balanced_draws,
    embed_task,
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
    "family_agreement",
    "nearest_other",
    "fisher_diagonal",
    "imagenet_cache_file",
    "nearest_tasks",
    "preprocess",
    "probe_layout",
    "resnet18_layout",
    "task2vec_distance",
]
