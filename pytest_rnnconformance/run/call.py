"""What one call of the implementation gives back, whichever runner made it.

A `Runner` calls the implementation on one check's inputs and returns a `Call`: the result read
as named tensors, or the `Problem` that stopped it, and the `CallRecord` of what happened around
it (inputs it modified, global state it changed, torch kernels it reached, what it printed,
tampering). `InProcessRunner` (`in_process`) and `WorkerRunner` (`isolated`) are the two runners;
the features use only this interface, so every row behaves the same in both.
"""
from __future__ import annotations

import re
import traceback
import unittest
from dataclasses import dataclass
from typing import Optional, Protocol

from ..bind.binding import DeclarationFailed
from ..bind.notebooks import frame_location
from .guard import CallRecord, CallTimeout
from .results import Plain, Result

#: How pytest's outcome exceptions are raised, by their class name.
PYTEST_OUTCOME_NAMES = {"Skipped": "pytest.skip", "XFailed": "pytest.xfail", "Failed": "pytest.fail",
                        "Exit": "pytest.exit", "SkipTest": "unittest.SkipTest"}
#: torch's messages for an operation between two dtypes: a default-dtype buffer met float64 data.
DTYPE_MIXING = re.compile(r"same dtype|expected scalar type|expected .*dtype|found dtype|must have the same dtype"
                          r"|Expected object of scalar type|dtype .* does not match", re.IGNORECASE)


#: A problem's `brief` is its first clause, cut at a word before this many characters.
BRIEF = 120


@dataclass(frozen=True)
class Problem:
    """Why a call has no usable result: ``unsupported`` (it raised NotImplementedError) or ``error``.

    `fatal` marks a hang or a dead worker (retrying smaller inputs would cost as much again);
    `cause` is a catalogue id the runner can already name (a crash mixing dtypes).
    """

    kind: str
    message: str
    fatal: bool = False
    cause: str = ""
    timed_out: bool = False  # it ran past the time limit (a fact the probe and the hang count read)
    raised: str = ""  # the class name of what the implementation raised, "" when it raised nothing
    missing_key: str = ""  # a KeyError's key: it looked up a name of its own in a dict it was given
    location: str = ""  # ' (at my_lstm.py:12)': where in the implementation's own code it raised

    def brief(self) -> str:
        """'raised RuntimeError (at my_lstm.py:12)': the problem in a few words, for a list of them."""
        if self.raised:
            return f"raised {self.raised}{self.location}"
        first = self.message.split("; ")[0]
        if len(first) <= BRIEF:
            return first
        cut = first.rfind(" ", 0, BRIEF)
        return first[:cut if cut > 0 else BRIEF] + " ..."


@dataclass
class Call:
    result: Optional[Result]
    problem: Optional[Problem]
    record: CallRecord
    gradients: Optional[dict] = None  # "grad <tensor>" -> gradient, when the call was asked for them
    plain: Optional[Plain] = None  # the return value as plain data (what a worker sends back)


class Runner(Protocol):
    """Calls the implementation; never raises for anything the implementation does."""

    summary: object  # the bind.binding.Summary of what it calls

    def call(self, inputs, *, record_kernels: bool = False, upstream: Optional[dict] = None,
             grad: bool = False) -> Call:
        """One call on a private copy of `inputs`; with `upstream` (weights per result), also the
        gradients of ``sum(weight * result)`` with respect to every input tensor. Calls run under
        ``torch.no_grad()`` (faster) unless gradients are taken or `grad` asks for grad mode."""
        ...


def _outcome_exceptions() -> tuple:
    import _pytest.outcomes as outcomes

    return (outcomes.OutcomeException, unittest.SkipTest, KeyboardInterrupt, SystemExit, GeneratorExit)


def where(error: BaseException) -> str:
    """' (at my_lstm.py:12)': the deepest frame in the implementation's own code."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "pytest_rnnconformance" not in f.filename and "_pytest" not in f.filename
              and "/torch/" not in f.filename and "/numpy/" not in f.filename]
    if not frames:
        return ""
    return f" (at {frame_location(frames[-1].filename, frames[-1].lineno)})"


def problem_of(error: BaseException, input_dtype=None) -> Problem:
    """The `Problem` for what the implementation raised (NotImplementedError: unsupported)."""
    if isinstance(error, NotImplementedError):
        return Problem("unsupported", str(error) or "NotImplementedError")
    if isinstance(error, DeclarationFailed):  # its arguments could not be made: never the implementation's doing
        return Problem("error", str(error))
    if isinstance(error, CallTimeout):
        return Problem("error", f"timed out: {error}", fatal=True, timed_out=True)
    if isinstance(error, _outcome_exceptions()):
        kind = PYTEST_OUTCOME_NAMES.get(type(error).__name__, type(error).__name__)
        message = str(getattr(error, "msg", "") or error)
        return Problem("error", f"raised {kind}({message!r}) from inside the implementation{where(error)}: that is "
                                "a failure of this check, not a skip or a pass")
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    import torch

    cause = "default_dtype_buffer" if (DTYPE_MIXING.search(text) and input_dtype is not None
                                       and input_dtype != torch.get_default_dtype()) else ""
    key = error.args[0] if isinstance(error, KeyError) and error.args and isinstance(error.args[0], str) else ""
    location = where(error)
    return Problem("error", f"raised {type(error).__name__}{': ' + text if text else ''}{location}", cause=cause,
                   raised=type(error).__name__, missing_key=key, location=location)
