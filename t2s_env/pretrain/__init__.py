"""Pre-training: backbones, named recipes, and training a backbone on rendered images.

>>> from t2s_env.pretrain import RECIPES
>>> sorted(RECIPES)
['cpu', 'cpu2', 'paper', 'small', 'smoke', 'tiny']
"""

from t2s_env.pretrain.augment import IMAGENET_MEAN, IMAGENET_STD, normalise
from t2s_env.pretrain.backbones import (
    BACKBONES,
    NARROW_RESNETS,
    NarrowResNet,
    build_backbone,
    feature_dim,
    trunk,
)
from t2s_env.pretrain.recipes import RECIPES, Recipe, get_recipe
from t2s_env.pretrain.train import TrainResult, default_device, render_dataset, train_backbone

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
