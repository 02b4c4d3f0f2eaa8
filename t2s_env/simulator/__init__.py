"""Simulators that render labelled pre-training images for a configuration."""

from t2s_env.simulator.base import ImageBatch, Simulator

__all__ = ["ImageBatch", "Simulator"]
