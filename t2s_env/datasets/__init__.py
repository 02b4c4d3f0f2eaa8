"""Downstream tasks as data: an image folder, a torchvision dataset, scikit-learn's digits,
Fashion-MNIST, their few-shot variants, class subsets and transformations, and the named live
tasks.

A spec string (``digits``, ``fashion-mnist?shots=20&test=2000``, ``folder:/path``,
``torchvision:SVHN:/root``, ``fmnist-tops``) or a
:class:`DatasetSpec` resolves to a :class:`DownstreamTask` with ``train`` and ``test``
:class:`ImageSet` splits that yield ``(uint8 (H, W, 3) image, int label)`` and share the class
names. Errors (:class:`DatasetError`) name the problem: an unknown name (with the known ones),
an unreadable or empty folder, a torchvision dataset whose files are missing (with what to put
where). Nothing is downloaded unless ``download=True``.

>>> task = load_dataset("digits")
>>> image, label = task.test[0]
>>> image.shape, label in range(len(task.classes))
((8, 8, 3), True)
"""

from t2s_env.datasets.base import (
    DatasetError,
    DownstreamTask,
    ImageSet,
    balanced_indices,
    per_class_indices,
    stratified_split,
)
from t2s_env.datasets.digits import load_digits_task
from t2s_env.datasets.fashion_mnist import (
    DEBIAN_PACKAGE,
    find_fashion_mnist_root,
    load_fashion_mnist_task,
    read_idx,
)
from t2s_env.datasets.folder import IMAGE_EXTENSIONS, load_folder_task
from t2s_env.datasets.live_tasks import (
    LIVE_TASKS,
    V0_TASKS,
    V1_TASKS,
    live_task_families,
    live_task_split,
)
from t2s_env.datasets.spec import DatasetSpec, known_datasets, load_dataset
from t2s_env.datasets.torchvision_tasks import (
    TORCHVISION_TASKS,
    TorchvisionTask,
    known_torchvision_tasks,
    load_torchvision_task,
)
from t2s_env.datasets.transforms import TRANSFORMS
from t2s_env.datasets.validate import MAX_IMAGE_PIXELS, check_task, open_image

__all__ = [
    "DEBIAN_PACKAGE",
    "IMAGE_EXTENSIONS",
    "LIVE_TASKS",
    "MAX_IMAGE_PIXELS",
    "TORCHVISION_TASKS",
    "TRANSFORMS",
    "V0_TASKS",
    "V1_TASKS",
    "DatasetError",
    "DatasetSpec",
    "DownstreamTask",
    "ImageSet",
    "TorchvisionTask",
    "balanced_indices",
    "check_task",
    "find_fashion_mnist_root",
    "live_task_families",
    "live_task_split",
    "load_fashion_mnist_task",
    "per_class_indices",
    "read_idx",
    "known_datasets",
    "known_torchvision_tasks",
    "load_dataset",
    "load_digits_task",
    "load_folder_task",
    "load_torchvision_task",
    "open_image",
    "stratified_split",
]
