"""packed: PackedSequence input with variable lengths, sorted and unsorted."""
from ..draw.cases import Dimensions
from .base import Feature, needs
from .forward import check

FEATURE = Feature(
    "packed", 100,
    "A PackedSequence of sequences of different lengths, sorted (enforce_sorted=True) or not: each sequence "
    "stops at its own length (its h_n is its last real step, a reverse pass starts there), and the output is "
    "packed the same way.",
    check, Dimensions(packed=True), owns=("packed",), sequences_only=True,
    requires=needs(lambda s: s.packed, "packed", "no packed sequences"))
