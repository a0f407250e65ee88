"""`Feature`: one row of the capability matrix, whole in one place.

A feature module (``features/multilayer.py``...) defines one ``FEATURE``: its name and order in the
matrix, its one-paragraph doc (the docs, the README's list and grading's rubric are made from it),
which recurrences and signatures it has a question for, the dimension it draws away from the base
(`draw.cases.Dimensions`), and its check. `RowCheck` is what a check works with: calls through
the run's `Runner`, judged with one `judge`, failures raised as one `Failure`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import pytest
import torch

from .. import modes as mode_registry
from ..draw.cases import Dimensions
from ..judge.failure import Failure, FailureRaised, OutOfRange
from ..judge.judge import coarser, failure_of, judge
from ..judge.status import Kind, Status
from ..judge.tolerance import Tolerance
from ..run.call import Call, Runner
from ..run.results import Result


class Refused(Exception):
    """The implementation cannot be asked this case (NotImplementedError, or a result it does not
    return): the example is not counted, and a row that gets only refusals is unsupported."""


class Unsupported(pytest.skip.Exception):
    """The row is not asked of this implementation in this column: a skip saying why. A type, so
    that what handles it (``--rnn-require``) never reads the words of its message."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"unsupported: {reason}")
        self.reason = reason


class Fatal(Exception):
    """A hang or a dead worker: the row stops at once, without shrinking (each retry costs as much)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.summary)
        self.failure = failure


#: The share of --rnn-max-examples for a row whose own dimension is one fixed switch (bias off, hx
#: omitted, relu, one unbatched sequence, float64): its one question holds or not on any sizes, and
#: forward has drawn the sizes already (six of the default ten; every mutant is still caught there).
SWITCH_SHARE = 0.6
#: The row that owns a cause a failure can name without the catalogue (a crash mixing dtypes): a
#: failure naming it is that row's defect, wherever it shows (see `features.engine`).
CAUSE_OWNERS = {"default_dtype_buffer": "dtype"}


def cause_owner(failure: Failure) -> str:
    """The row that owns `failure`'s named cause, or "" (see `CAUSE_OWNERS`)."""
    return next((CAUSE_OWNERS[cause] for cause in failure.diagnosis if cause in CAUSE_OWNERS), "")


@dataclass(frozen=True)
class Feature:
    """One row of the matrix (see the module docstring)."""

    name: str
    order: int
    doc: str
    check: Callable  # (RowCheck, RNNInputs) -> None; raises FailureRaised or Refused
    dimensions: Dimensions = Dimensions()
    owns: tuple = ()  # the dimensions it owns (what `combined` and blocking project away)
    requires: Callable = lambda summary, mode: None  # -> why it cannot be asked, or None
    families: Optional[tuple] = None  # recurrence families it has a question for (None: all)
    sequences_only: bool = False  # no question for a single-step cell
    dtypes: str = "base"  # "base", "float64", "half", "all": which columns it has
    judges_values: bool = True  # blocked when the base's values are wrong (else only when the base crashes)
    example_share: float = 1.0  # share of --rnn-max-examples it draws (at least 3)
    builds_on: tuple = ()  # rows whose dimension its cases include (dropout needs multilayer's layers)

    def applies_to(self, mode: str) -> bool:
        """Whether the row has a question for `mode` at all (``relu`` has none for an LSTM)."""
        recurrence = mode_registry.get(mode)
        if self.sequences_only and recurrence.single_step:
            return False
        return self.families is None or recurrence.family in self.families


def needs(condition: Callable, key: str, default: str) -> Callable:
    """A `Feature.requires` that holds when `condition(support)`; else the support's reason."""
    def requirement(summary, mode: str) -> Optional[str]:
        return None if condition(summary.support) else summary.support.reason(key, default)

    return requirement


@dataclass
class RowCheck:
    """What a feature's check works with: the runner, the judge, and the row it is checking."""

    runner: Runner
    row: str
    tolerance_of: Callable[[torch.dtype], Tolerance]
    notes: list = field(default_factory=list)  # said once, with the row's verdict

    @property
    def summary(self):
        return self.runner.summary

    def call(self, inputs, **options) -> Call:
        return self.runner.call(inputs, **options)

    def result(self, inputs, **options) -> Result:
        """The implementation's result, or raise: `Refused`, `Fatal`, or `FailureRaised` (a crash)."""
        return self.settled(self.call(inputs, **options))

    @staticmethod
    def settled(call: Call) -> Result:
        """`call`'s result, or raise what its problem is (see `result`)."""
        if call.problem is not None:
            if call.problem.kind == Status.UNSUPPORTED:
                raise Refused(call.problem.message)
            failure = failure_of(call.problem)
            raise Fatal(failure) if call.problem.fatal else FailureRaised(failure)
        return call.result

    def values(self, inputs, context: str = "") -> Result:
        """Call and judge: raise on a failure; return the result when it conforms."""
        result = self.result(inputs)
        self.judge(inputs, result, context)
        return result

    def judge(self, inputs, result: Result, context: str = "") -> None:
        try:
            failure = judge(inputs, result, self.tolerance_of)
        except OutOfRange as error:
            raise Refused(str(error)) from None
        if failure is not None:
            raise FailureRaised(failure.replace(context=context) if context else failure)

    def fail(self, kind: Kind, summary: str, **fields) -> None:
        raise FailureRaised(Failure(Status.FAIL, kind, summary, **fields))

    def relation(self, inputs, computed: torch.Tensor, whole: torch.Tensor, broken: str, details: str,
                 slack: float = 1.0) -> None:
        """Fail as a broken relation when `computed` (pieced together from the implementation's own
        results) and `whole` (its result in one call) differ by more than rounding allows at the
        precision it returned (`slack` times, for a relation with that many roundings in a row).
        No oracle takes part: the implementation is held to agreeing with itself."""
        difference = float((computed.double() - whole.double()).abs().max())
        tolerance = self.tolerance_of(coarser(inputs.dtype, whole.dtype))
        allowed = tolerance.allowed(0.0, float(whole.abs().max())) * slack
        if difference > allowed:
            self.fail(Kind.RELATION, f"{broken} (max difference {difference:.3g}, allowed {allowed:.3g})",
                      details=(details,))
