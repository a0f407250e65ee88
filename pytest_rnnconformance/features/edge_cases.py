"""edge_cases: sizes of 1, long sequences, saturation and special values."""
from ..draw.cases import Dimensions
from .base import Feature
from .forward import check

FEATURE = Feature(
    "edge_cases", 150,
    "The base at its edges: one time step, a batch of one, hidden size 1, input size 1, long sequences (24 to 48 "
    "steps), pre-activations pushed to about ±1e3 by biases of random sign (far into saturation, where an "
    "exp-based tanh or sigmoid overflows: named unstable_activation), and special values in the input (a step of exact "
    "zeros, +inf, -inf and NaN, one per batch row), whose NaN and ±1 must propagate exactly as in torch.nn. In "
    "every dtype of the run, float16 and bfloat16 included. A squeeze() that drops a dimension of size 1 fails "
    "here and nowhere else.",
    check, Dimensions(edge="edge"), owns=("edge",), dtypes="all", example_share=2.0)
