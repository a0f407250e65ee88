"""no_bias: bias=False."""
from ..draw.cases import Dimensions
from .base import SWITCH_SHARE, Feature, needs
from .forward import check

FEATURE = Feature(
    "no_bias", 50, "bias=False: no bias_ih and bias_hh at all.",
    check, Dimensions(bias=False), example_share=SWITCH_SHARE, owns=("bias",),
    requires=needs(lambda s: False in s.bias, "no_bias", "biases are required"))
