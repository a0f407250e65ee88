"""`rnn_check`: the suite's check on one input, for users' own tests and for reproducing a counterexample.

    rnn_check("my_lstm.py:lstm_forward", spec, inputs)     # or rnn_check(impl, inputs), rnn_check(impl, spec)
    IMPL = rnn_implementation("hw.py:rnn_forward", bind="...", returns="...")   # code that needs a declaration
    rnn_check(IMPL, spec, inputs)

`rnn_implementation` names one implementation with what ``--rnn-bind``, ``--rnn-returns`` and
``--rnn-mode`` would declare; it is also what the ``rnn_impl`` fixture returns, and what
``specs(supported_by=...)``, ``inputs(..., supported_by=...)`` and `rnn_check` take (a target string or
the object itself is an implementation with nothing declared).

It binds and settles the implementation once per process, runs the check of the row named by
`feature` (``forward`` by default: the values against torch.nn and the float64 reference) and
raises `ConformanceFailure` (wrong results) or `CandidateError` (a crash, a hang, something
unusable returned) with the suite's message; it returns None when the implementation conforms.
Inside a hypothesis test, a configuration the implementation does not support (it raised
``NotImplementedError``, or its signature cannot take it: two directions for a one-direction
function) is an unmet assumption (hypothesis's ``reject``), not a failure; outside one, a skip.
``specs(supported_by=impl)`` draws only what it supports in the first place.

The first call binds, settles and warms torch up (a second or so): hypothesis's default deadline of
200 ms per example would fail on it, so give such tests ``@settings(deadline=None)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional, Union

_RUNNERS: dict = {}


@dataclass(frozen=True)
class RNNImplementation:
    """An implementation and its declarations, bound and settled on first use (once per process).

    `prepared` is a runner made already: the ``rnn_impl`` fixture's is the run's own, in process or
    in the isolated worker as the run is."""

    target: Any  # "hw.py:f", "hw.ipynb:f", "package.module:f", or the function, class or module itself
    bind: Optional[str] = None
    returns: Optional[str] = None
    mode: Optional[str] = None
    prepared: Any = field(default=None, compare=False, repr=False)

    @property
    def runner(self):
        """The runner that calls it (`run.call.Runner`)."""
        if self.prepared is not None:
            return self.prepared
        return runner_for(self.target, self.mode, bind=self.bind, returns=self.returns)

    @property
    def summary(self):
        """What the binder concluded: its modes, what it supports, how it is called."""
        return self.runner.summary

    def call(self, inputs):
        """One call on `inputs`, as the suite makes it (`run.call.Call`: the result read, or the problem)."""
        return self.runner.call(inputs)

    def __str__(self) -> str:
        declared = [f"{name}={value!r}" for name, value in (("bind", self.bind), ("returns", self.returns),
                                                             ("mode", self.mode)) if value]
        name = self.target if isinstance(self.target, str) else getattr(self.target, "__qualname__", repr(self.target))
        return f"rnn_implementation({', '.join([repr(name)] + declared)})"


def rnn_implementation(target: Any, *, bind: Optional[str] = None, returns: Optional[str] = None,
                       mode: Optional[str] = None) -> RNNImplementation:
    """One implementation for your own tests: `target` as ``--rnn-impl`` names it (or the object),
    `bind`, `returns` and `mode` as ``--rnn-bind``, ``--rnn-returns`` and ``--rnn-mode`` say them."""
    return RNNImplementation(target, bind, returns, mode)


def implementation_of(impl: Any, mode: Optional[str] = None, bind: Optional[str] = None,
                      returns: Optional[str] = None) -> RNNImplementation:
    """`impl` as an `RNNImplementation`: one already (its own declarations kept, `mode` filling a
    mode it leaves open), a runner (taken as it is), or a target string or object with the
    declarations given here."""
    if isinstance(impl, RNNImplementation):
        return impl if impl.mode or not mode or impl.prepared is not None else replace(impl, mode=mode)
    if hasattr(impl, "summary") and hasattr(impl, "call") and not callable(impl):
        return RNNImplementation(getattr(impl.summary, "name", repr(impl)), prepared=impl)
    return RNNImplementation(impl, bind, returns, mode)


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
    from .judge.probe import settled_here

    target = load_target(impl) if isinstance(impl, str) else impl  # a file changed since is loaded anew
    key = (id(target), mode, tuple(sorted(declared.items())))  # the runner keeps the target: its id stays its own
    if key not in _RUNNERS:
        label = impl if isinstance(impl, str) else getattr(impl, "__qualname__", repr(impl))
        bindings = candidates(target, label, mode, declared=declared.get("bind"), returns=declared.get("returns"))
        _RUNNERS[key] = InProcessRunner(settled_here(bindings)[0])
    return _RUNNERS[key]


def rnn_check(impl: Any, spec: Union[Any, None] = None, inputs: Optional[Any] = None, *, mode: Optional[str] = None,
              feature: str = "forward", bind: Optional[str] = None, returns: Optional[str] = None) -> None:
    """Check `impl` (an `RNNImplementation`, the ``rnn_impl`` fixture, a target string or the object
    itself) on one input as the suite's row `feature` does (see the module docstring)."""
    __tracebackhide__ = True  # a failure starts with its message, not with the plugin's frames
    from .draw.inputs import RNNInputs, make_inputs
    from .draw.strategies import outside
    from .features import registry
    from .features.base import Fatal, Refused, RowCheck
    from .judge.failure import FailureRaised, OutOfRange
    from .judge.tolerance import tolerance_for
    from .report.render import render

    if isinstance(spec, RNNInputs):
        inputs, spec = spec, spec.spec
    if spec is None and inputs is not None:
        spec = inputs.spec
    runner = implementation_of(impl, mode or spec.mode, bind, returns).runner
    support = runner.summary.support
    if inputs is None:
        inputs = make_inputs(spec, time=1 if spec.single_step else 3, batch=2 if support.batched else None, seed=0,
                             hx_none=not support.state_given, c0_zero=not support.cell_state_given)
    reason = outside(support, inputs.spec, inputs.recipe, inputs.dtype, inputs.device, runner.summary.modes)
    if reason is not None:
        _unmet(f"{runner.summary.name} does not support this configuration: {reason}")
    check = RowCheck(runner, feature, tolerance_for)
    try:
        registry()[feature].check(check, inputs)
    except (Refused, OutOfRange) as refused:
        _unmet(f"{feature} cannot be checked on this configuration: {refused}")
    except Fatal as fatal:
        raise CandidateError(render(fatal.failure), fatal.failure) from None
    except FailureRaised as raised:
        failure = raised.failure
        if failure.kind == "values" and not failure.explanations and _reported():
            from .features.engine import explain

            failure = explain(failure, inputs, check)  # named, or localised, as the suite does
        kind = CandidateError if failure.status == "error" else ConformanceFailure
        raise kind(render(failure), failure) from None


def _reported() -> bool:
    """Whether a failure here is the one reported: outside hypothesis, or in its final replay of the
    minimal example (naming a mistake costs a few calls: not on every example while it shrinks)."""
    from hypothesis.control import current_build_context, currently_in_test_context

    return not currently_in_test_context() or current_build_context().is_final


def _unmet(reason: str) -> None:
    """Inside a hypothesis test: an unmet assumption (the example is not counted, as with
    ``hypothesis.assume``); elsewhere: skip the test, saying why."""
    __tracebackhide__ = True
    from hypothesis import reject
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():
        reject()
    import pytest

    pytest.skip(reason)
