"""Simulators that render labelled pre-training images for a configuration.

The default is :class:`EmbeddedSimulator`, a procedural 3D renderer in pure PyTorch (CPU, or a
GPU when present); the ThreeDWorld backend lives in :mod:`t2s_env.simulator.tdw` (extra ``tdw``).
"""

from t2s_env.simulator.base import ImageBatch, Simulator
from t2s_env.simulator.embedded import EmbeddedSimulator
from t2s_env.simulator.knobs import EMBEDDED_SPACE, resolve_config

__all__ = ["EMBEDDED_SPACE", "EmbeddedSimulator", "ImageBatch", "Simulator", "resolve_config"]
