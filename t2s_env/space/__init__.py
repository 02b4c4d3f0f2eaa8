"""The simulator configuration space (knobs as data and the conversions between forms) and the
observation (:func:`task_observation`)."""

from t2s_env.space.knobs import (
    DOMAIN_RANDOMIZATION_KEY,
    PAPER_SPACE,
    Knob,
    KnobSpace,
    knobs_from_records,
)
from t2s_env.space.observation import task_observation

__all__ = [
    "DOMAIN_RANDOMIZATION_KEY",
    "PAPER_SPACE",
    "Knob",
    "KnobSpace",
    "knobs_from_records",
    "task_observation",
]
