"""edge_cases: sizes of 1, long sequences and saturating inputs."""
from ..draw.cases import Dimensions
from .base import Feature
from .forward import check

FEATURE = Feature(
    "edge_cases", 150,
    "The base at its edges: one time step, a batch of one, hidden size 1, input size 1, long sequences (24 to 48 "
    "steps) and weights large enough to saturate every gate. A squeeze() that drops a dimension of size 1 fails "
    "here and nowhere else.",
    check, Dimensions(edge="edge"), owns=("edge",), example_share=2.0)
