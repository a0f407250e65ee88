"""`rnn_check`: the suite's check on one input, for users' own tests and for reproducing a counterexample.

    rnn_check("my_lstm.py:lstm_forward", spec, inputs)     # or rnn_check(impl, inputs), rnn_check(impl, spec)

It binds and settles the implementation once per process, runs the check of the row named by
`feature` (``forward`` by default: the values against torch.nn and the float64 reference) and
raises `ConformanceFailure` (wrong results) or `CandidateError` (a crash, a hang, something
unusable returned) with the suite's message; it returns None when the implementation conforms.
Inside a hypothesis test, a configuration the implementation does not support (it raised
``NotImplementedError``, or its signature cannot take it) is an unmet assumption, not a failure.
"""
from __future__ import annotations

from typing import Any, Optional, Union

_RUNNERS: dict = {}


class ConformanceFailure(AssertionError):
    """The implementation returned something other than torch.nn's result; `.failure` says what."""

    def __init__(self, message: str, failure=None) -> None:
        super().__init__(message)
        self.failure = failure


class CandidateError(Exception):
    """The implementation crashed, hung or returned something unusable; `.failure` says what."""

    def __init__(self, message: str, failure=None) -> None:
        super().__init__(message)
        self.failure = failure


def runner_for(impl: Any, mode: Optional[str] = None, **declared: Optional[str]):
    """Load, bind and settle an implementation (a target string or the object itself), once."""
    from .bind import candidates
    from .bind.load import load_target
    from .run.in_process import InProcessRunner
    from .settle import settled_here

    key = (impl if isinstance(impl, str) else id(impl), mode, tuple(sorted(declared.items())))
    if key not in _RUNNERS:
        target = load_target(impl) if isinstance(impl, str) else impl
        label = impl if isinstance(impl, str) else getattr(impl, "__qualname__", repr(impl))
        bindings = candidates(target, label, mode, declared=declared.get("bind"), returns=declared.get("returns"))
        _RUNNERS[key] = InProcessRunner(settled_here(bindings))
    return _RUNNERS[key]


def rnn_check(impl: Any, spec: Union[Any, None] = None, inputs: Optional[Any] = None, *, mode: Optional[str] = None,
              feature: str = "forward", bind: Optional[str] = None, returns: Optional[str] = None) -> None:
    """Check `impl` on one input as the suite's row `feature` does (see the module docstring)."""
    from .draw.inputs import RNNInputs, make_inputs
    from .features import registry
    from .features.base import Fatal, Refused, RowCheck
    from .judge.failure import FailureRaised, OutOfRange
    from .judge.tolerance import tolerance_for
    from .report.render import render

    if isinstance(spec, RNNInputs):
        inputs, spec = spec, spec.spec
    if inputs is None:
        inputs = make_inputs(spec, time=1 if spec.single_step else 3, batch=2, seed=0)
    runner = runner_for(impl, mode or inputs.spec.mode, bind=bind, returns=returns)
    try:
        registry()[feature].check(RowCheck(runner, feature, tolerance_for), inputs)
    except (Refused, OutOfRange) as refused:
        _unmet(f"{feature} cannot be checked on this configuration: {refused}")
    except Fatal as fatal:
        raise CandidateError(render(fatal.failure), fatal.failure) from None
    except FailureRaised as raised:
        failure = raised.failure
        kind = CandidateError if failure.status == "error" else ConformanceFailure
        raise kind(render(failure), failure) from None


def _unmet(reason: str) -> None:
    """Inside a hypothesis test: reject the example; elsewhere: skip the test."""
    from hypothesis import reject
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():
        reject()
    import pytest

    pytest.skip(reason)
