"""The exceptions a check ends with, one per verdict that is not a pass.

They are what the report reads a verdict from: `ConformanceFailure` is a ``fail`` (wrong values
or shapes), `CandidateError` an ``error`` (the implementation crashed, hung, or returned something
unusable). `NotImplementedError` from the implementation is the only way to say *unsupported*.
"""
from __future__ import annotations

from typing import Optional


class ConformanceFailure(AssertionError):
    """The implementation ran and returned tensors, but not torch.nn's."""

    def __init__(self, message: str, *, diagnosis: Optional[list] = None, details: Optional[dict] = None,
                 counterexample: Optional[dict] = None, shape_only: bool = False) -> None:
        super().__init__(message)
        self.diagnosis = list(diagnosis or [])
        self.details = dict(details or {})
        self.counterexample = counterexample
        self.shape_only = shape_only


class CandidateError(Exception):
    """The implementation raised, hung, crashed or returned something that is not a result."""

    def __init__(self, message: str, *, counterexample: Optional[dict] = None, fatal: bool = False) -> None:
        super().__init__(message)
        self.counterexample = counterexample
        #: A hang or a dead worker: retrying smaller inputs (shrinking) would cost a timeout each.
        self.fatal = fatal


class OracleDisagreement(Exception):
    """torch.nn and the float64 reference disagree beyond rounding: nothing can be judged."""


class OutOfRange(Exception):
    """The exact result does not fit the dtype (a relu RNN overflowing float16): nothing to judge."""
