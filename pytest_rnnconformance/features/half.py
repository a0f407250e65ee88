"""half: the base configuration in float16 and bfloat16."""
from .base import Feature
from .forward import check

FEATURE = Feature(
    "half", 130,
    "The base configuration in float16 and bfloat16, judged against torch.nn's own error in the same dtype "
    "(docs/tolerance.md). Runs even when --rnn-dtype is not given; every other row runs in half precision too "
    "when --rnn-dtype names it.",
    check, dtypes="half")
