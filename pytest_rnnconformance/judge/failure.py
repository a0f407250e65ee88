"""`Failure`: one structured verdict that is not a pass, made once and never edited.

Every check of every row ends in nothing (a pass) or in one `Failure`, built by the judge (wrong
values, wrong shapes), by a row's own check (purity, delegation, a metamorphic relation, missing
gradients) or from a `Problem` of the call (a crash, a hang, an unusable result). It holds what was
found as data: the tensors that differ with their errors and allowances, where they first depart,
the named mistakes or the localisation, the counterexample and the snippet that rebuilds it. The
terminal, the JSON report, junitxml and grading feedback each render it in one place
(``report.render``); nothing splices its text.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional

from .compare import Divergence, TensorError
from .status import Kind, Status


@dataclass(frozen=True)
class Explanation:
    """A catalogue mistake that reproduces the failure (on the tensors it names)."""

    id: str
    sentence: str
    tensors: tuple
    full: bool  # it reproduces every tensor that differs


@dataclass(frozen=True)
class Failure:
    """What went wrong in one check (see the module docstring)."""

    status: Status  # FAIL (wrong), ERROR (crashed, hung, unusable), BLOCKED (another row's defect)
    kind: Kind
    summary: str  # one line: "output, h_n differ from torch.nn"
    row: str = ""
    column: str = ""  # mode-device-dtype
    configuration: str = ""  # "LSTM 2->3, 1 layer, ...; time=3, batch=2, seed=7"
    context: str = ""  # how the check was made, when it is not one plain call
    details: tuple = ()  # lines of their own (violations, kernels, shapes, gradient errors)
    tensors: tuple = ()  # compare.TensorError, one per result compared
    divergences: tuple = ()  # compare.Divergence, where each failing tensor first departs
    explanations: tuple = ()  # Explanation, best first
    localisation: tuple = ()  # lines, when no known mistake reproduces it
    counterexample: Optional[dict] = None
    reproduce: str = ""
    notes: tuple = ()
    blocked_by: str = ""  # the row whose defect this is
    compared_with: str = "torch.nn"
    cause: str = ""  # a catalogue id known without the catalogue (a crash mixing dtypes)

    @property
    def diagnosis(self) -> list:
        ids = [e.id for e in self.explanations]
        if self.cause and self.cause not in ids:
            ids.insert(0, self.cause)
        return ids

    def replace(self, **changes: Any) -> Failure:
        return dataclasses.replace(self, **changes)

    def defect(self) -> tuple:
        """What makes two failures the same defect, whatever the mode, dtype or sizes: the row, the
        kind, and the diagnosis, or unnamed, where the results first depart (which result, layer,
        direction, first step or not); for a crash, what it raised."""
        if self.diagnosis:
            return (self.row, self.kind, tuple(self.diagnosis))
        if self.divergences:
            first = self.divergences[0]
            return (self.row, self.kind, first.tensor, first.layer, first.direction,
                    None if first.step is None else min(first.step, 1))
        return (self.row, self.kind, self.summary.split(" (at ")[0])

    def as_dict(self) -> dict:
        """The JSON report's view (report_schema.json)."""
        data = {"status": str(self.status), "kind": str(self.kind), "summary": self.summary, "row": self.row,
                "column": self.column, "configuration": self.configuration, "diagnosis": self.diagnosis,
                "explanations": [dataclasses.asdict(e) for e in self.explanations],
                "tensors": {e.name: e.as_dict() for e in self.tensors},
                "divergence": [d.as_dict() for d in self.divergences],
                "localisation": list(self.localisation), "details": list(self.details), "notes": list(self.notes),
                "compared_with": self.compared_with}
        if self.context:
            data["context"] = self.context
        if self.counterexample:
            data["counterexample"] = self.counterexample
        if self.reproduce:
            data["reproduce"] = self.reproduce
        if self.blocked_by:
            data["blocked_by"] = self.blocked_by
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Failure:
        """The failure `as_dict` wrote, read back from a report (grading's feedback renders it again).
        A diagnosed id that no explanation carries is the `cause`."""
        explanations = tuple(Explanation(e["id"], e["sentence"], tuple(e.get("tensors", ())), bool(e.get("full")))
                             for e in data.get("explanations") or ())
        named = {e.id for e in explanations}
        cause = next((ident for ident in data.get("diagnosis") or () if ident not in named), "")
        return cls(
            status=Status(data["status"]), kind=Kind(data["kind"]), summary=data["summary"],
            row=data.get("row", ""), column=data.get("column", ""), configuration=data.get("configuration", ""),
            context=data.get("context", ""), details=tuple(data.get("details") or ()),
            tensors=tuple(TensorError.from_dict(name, error) for name, error in (data.get("tensors") or {}).items()),
            divergences=tuple(Divergence(**d) for d in data.get("divergence") or ()), explanations=explanations,
            localisation=tuple(data.get("localisation") or ()), counterexample=data.get("counterexample"),
            reproduce=data.get("reproduce", ""), notes=tuple(data.get("notes") or ()),
            blocked_by=data.get("blocked_by", ""), compared_with=data.get("compared_with", "torch.nn"), cause=cause)


class FailureRaised(AssertionError):
    """Carries a `Failure` out of a check (and out of hypothesis, which shrinks on it)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.summary)
        self.failure = failure


class OutOfRange(Exception):
    """The exact result does not fit the dtype (a relu RNN overflowing float16): nothing to judge."""
