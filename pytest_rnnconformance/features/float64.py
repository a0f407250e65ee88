"""float64: the base configuration in float64."""
from .base import SWITCH_SHARE, Feature
from .forward import check

FEATURE = Feature(
    "float64", 120,
    "The base configuration in float64, where the tolerance is tightest: an implementation that computes in "
    "float32 and casts back fails here (named low_precision), and every other row's float64 cells are blocked "
    "by it.",
    check, dtypes="float64", example_share=SWITCH_SHARE)
