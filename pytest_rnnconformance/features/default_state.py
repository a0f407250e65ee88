"""default_state: hx omitted, so the initial state is zeros."""
from ..draw.cases import Dimensions
from .base import SWITCH_SHARE, Feature, needs
from .forward import check

FEATURE = Feature(
    "default_state", 40,
    "hx omitted: the initial state must be zeros of the input's dtype and device. A crash that comes from "
    "zeros made in the default dtype is reported here, named default_dtype_buffer.",
    check, Dimensions(hx_none=True), example_share=SWITCH_SHARE, owns=("hx_none",),
    requires=needs(lambda s: s.default_state, "default_state", "hx is required"))
