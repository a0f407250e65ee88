"""forward: the base configuration, judged against torch.nn and the float64 reference."""
from .base import Feature


def check(row, inputs) -> None:
    row.values(inputs)


FEATURE = Feature(
    "forward", 10,
    "The base configuration: one layer, one direction, the implementation's own layout and state "
    "convention, hx given, sizes at least 2 and all distinct, in the run's first dtype. Every other row "
    "varies one thing away from it, so when forward fails the others are blocked by it, not failed again. "
    "Never unsupported: an implementation that refuses its own base fails here.",
    check, dtypes="first")
