"""forward: the base configuration, judged against torch.nn and the float64 reference."""
from ..bind.settle import unproven
from ..judge.status import Kind
from .base import Feature


def check(row, inputs) -> None:
    row.values(inputs)
    if unproven(row.summary):  # a pass needs one proven binding
        binding = next(fact for fact in row.summary.evidence if fact.name == "binding")
        row.fail(Kind.VALUES, f"these inputs agree with torch.nn, but the binding is unproven: {binding.because}")


FEATURE = Feature(
    "forward", 10,
    "The base configuration: one layer, one direction, the implementation's own layout and state "
    "convention, hx given, sizes at least 2 and all distinct, in the run's first dtype. Every other row "
    "varies one thing away from it, so when forward fails the others are blocked by it, not failed again. "
    "Never unsupported: an implementation that refuses its own base fails here. Never a pass on an unproven "
    "binding: where the probe left several ways of calling it, each differing from torch.nn, forward fails.",
    check, dtypes="first")
