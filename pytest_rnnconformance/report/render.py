"""A `Failure` as text: the one place a failure is put into words.

The terminal (through the item's ``repr_failure``, honouring ``--tb``), the JSON report's
``message``, junitxml and grading feedback all print what `render` makes. Styles follow pytest's
``--tb``: ``long``/``auto`` the whole block with the reproduction snippet, ``short`` without the
snippet and the error table, ``line`` one line, ``no`` nothing.
"""
from __future__ import annotations

from ..judge.catalogue import SENTENCES
from ..judge.failure import Failure
from ..judge.status import WRONG_RESULTS, Kind, Status

NO_CAUSE = "likely cause: none of the known mistakes reproduces this result; start from the first divergence"


def headline(failure: Failure) -> str:
    """``forward [lstm-cpu-float32]: LSTM 4->5, ...; time=3, batch=2, seed=0``"""
    where = f"{failure.row} [{failure.column}]" if failure.row else ""
    return ": ".join(part for part in (where, failure.configuration) if part)


def one_line(failure: Failure) -> str:
    ids = f" [{', '.join(failure.diagnosis)}]" if failure.diagnosis else ""
    where = f"{failure.row} [{failure.column}]: " if failure.row else ""
    return f"{where}{failure.summary}{ids}"


def likely_causes(failure: Failure) -> list:
    """[(mistake id, sentence)] that `render` prints, best first: the catalogue's explanations (worded
    for the failing case), then a cause known without the catalogue, its sentence looked up by id.
    Feedback and the class summary take their sentences from here, so they say what the terminal says."""
    found = [(e.id, e.sentence) for e in failure.explanations[:2]]
    wrong_results = failure.status == Status.FAIL and failure.kind in WRONG_RESULTS
    if failure.cause and failure.cause not in [e.id for e in failure.explanations] and not wrong_results:
        found.append((failure.cause, SENTENCES.get(failure.cause, failure.cause)))
    return found


def render(failure: Failure, style: str = "long", verbose: bool = False) -> str:
    """The failure in pytest's `style` (see the module docstring)."""
    if style == "no":
        return ""
    if style == "line":
        return one_line(failure)
    lines = [headline(failure)] if headline(failure) else []
    lines.append(f"  {failure.summary}")
    if failure.context:
        lines.append(f"  ({failure.context})")
    lines += [f"  {line}" for line in failure.details]
    for divergence in failure.divergences:
        lines.append(f"  first divergence: {divergence.describe()}")
        lines.append(f"    expected {divergence.expected}")
        lines.append(f"    got      {divergence.actual}")
    lines += [f"  likely cause [{ident}]: {sentence}" for ident, sentence in likely_causes(failure)]
    if failure.status == Status.FAIL and failure.kind == Kind.VALUES and not failure.explanations:
        lines.append(f"  {NO_CAUSE}")
        lines += [f"    {line}" for line in failure.localisation]
    if style != "short" and failure.tensors:
        lines.append(f"  errors (max abs) against the float64 reference / against {failure.compared_with}:")
        for e in failure.tensors:
            lines.append(f"    {e.name:6} {e.error:.3g} (rel {e.relative:.3g}) / {e.vs_torch:.3g}; allowed "
                         f"{e.allowed:.3g} ({failure.compared_with}'s own error {e.torch_error:.3g}) "
                         f"{'ok' if e.ok else 'FAIL'}")
    lines += [f"  note: {note}" for note in failure.notes]
    if style != "short" and failure.reproduce:
        lines.append("  reproduce:")
        lines += ["    " + line for line in failure.reproduce.splitlines()]
    return "\n".join(lines)
