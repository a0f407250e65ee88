"""unbatched: 2-D input (time, features), or (features,) for a cell, with states to match."""
from ..draw.cases import Dimensions
from .base import SWITCH_SHARE, Feature, needs
from .forward import check

FEATURE = Feature(
    "unbatched", 30,
    "Unbatched input: (time, features) with states (layers * directions, hidden), or (features,) and (hidden,) "
    "for a cell, as torch.nn accepts it.",
    check, Dimensions(unbatched=True), example_share=SWITCH_SHARE, owns=("unbatched",),
    requires=needs(lambda s: s.unbatched, "unbatched", "no unbatched input"))
