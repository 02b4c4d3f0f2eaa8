"""Pre-training: backbones, named recipes, and training a backbone on rendered images.

Names are imported from their modules on first use (:mod:`t2s_env.lazy`): the recipes and the
architecture names import no torch, so a command line can list them at once.

>>> from t2s_env.pretrain import RECIPES
>>> sorted(RECIPES)
['cpu', 'cpu2', 'cpu2c', 'paper', 'small', 'smoke', 'tiny']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2s_env.lazy import lazy_exports

_MODULES = {
    "architectures": ("BACKBONES", "NARROW_RESNETS"),
    "augment": ("IMAGENET_MEAN", "IMAGENET_STD", "normalise"),
    "backbones": ("NarrowResNet", "build_backbone", "feature_dim", "trunk"),
    "recipes": ("RECIPES", "Recipe", "get_recipe"),
    "train": ("TrainResult", "default_device", "render_dataset", "train_backbone"),
}

if TYPE_CHECKING:
    from t2s_env.pretrain.architectures import BACKBONES, NARROW_RESNETS
    from t2s_env.pretrain.augment import IMAGENET_MEAN, IMAGENET_STD, normalise
    from t2s_env.pretrain.backbones import NarrowResNet, build_backbone, feature_dim, trunk
    from t2s_env.pretrain.recipes import RECIPES, Recipe, get_recipe
    from t2s_env.pretrain.train import TrainResult, default_device, render_dataset, train_backbone

__getattr__, __dir__ = lazy_exports(__name__, _MODULES)

__all__ = [
    "BACKBONES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "NARROW_RESNETS",
    "NarrowResNet",
    "RECIPES",
    "Recipe",
    "TrainResult",
    "build_backbone",
    "default_device",
    "feature_dim",
    "get_recipe",
    "normalise",
    "render_dataset",
    "train_backbone",
    "trunk",
]
