"""The simulator configuration space: knobs as data and the conversions between forms."""

from t2s_env.space.knobs import (
    DOMAIN_RANDOMIZATION_KEY,
    PAPER_SPACE,
    Knob,
    KnobSpace,
    knobs_from_records,
)

__all__ = ["DOMAIN_RANDOMIZATION_KEY", "PAPER_SPACE", "Knob", "KnobSpace", "knobs_from_records"]
