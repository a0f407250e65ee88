"""shape: the results have exactly torch.nn's shapes."""
from ..draw.cases import EVERYTHING
from ..judge.diagnose import explain_shape
from .base import Feature


def check(row, inputs) -> None:
    result = row.result(inputs)
    if not result.shape_mismatches:
        return
    lines, explanations = [], []
    for name, (got, want) in result.shape_mismatches.items():
        lines.append(f"{name} has shape {got}; torch.nn's is {want}")
        explanation = explain_shape(name, tuple(got), tuple(want), inputs.spec)
        if explanation is not None:
            explanations.append(explanation)
    row.fail("shape", f"returned {', '.join(result.shape_mismatches)} with torch.nn's numbers in another shape",
             details=tuple(lines) + ("the other rows judged the values after reshaping; only this row fails it",),
             explanations=tuple(explanations))


FEATURE = Feature(
    "shape", 170,
    "The results have exactly torch.nn's shapes, in every configuration the implementation takes. A result right "
    "in its numbers but off in a dimension of size 1 (h_n as (batch, hidden) for one layer) fails here only: the "
    "other rows judge its values. A shape that is wrong in its numbers fails the row whose configuration it is.",
    check, EVERYTHING, judges_values=False, example_share=0.4)
