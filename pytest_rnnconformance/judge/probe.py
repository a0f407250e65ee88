"""The solver's experiments: one call of one way of calling, judged against the reference.

`bind.settle` decides; this module runs what it asks, through whichever runner runs the
implementation (in this process, or in the isolated worker, where a crash costs one call), and
says what happened as an `Outcome`. The inputs tell the candidates apart: time, batch, input and
hidden sizes are all distinct, so a wrong layout or a wrong state form cannot read as right.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable, Optional

from ..bind.binding import Summary
from ..bind.settle import HANGS_ALLOWED, Outcome, Settled, Verdict, Way, apply, settle
from ..draw.inputs import make_inputs
from ..run import in_process
from ..run.call import Call, Problem
from ..run.in_process import InProcessRunner
from ..run.results import Unreadable, named, read
from ..spec import RNNSpec
from .compare import max_abs_diff
from .oracles import reference_result

PROBE_SIZES = dict(time=3, batch=2, input_size=5, hidden_size=4)
#: An error this small against the reference, in float32 on the probe's sizes, reproduces torch.nn
#: (a right implementation's is about 1e-7; any mistake the catalogue knows is above 1e-2).
REPRODUCES = 1e-4

#: ``call(way, inputs, timeout)``: one call of the implementation in `way`, as a `run.call.Call`.
Caller = Callable[[Way, object, Optional[float]], Call]


def probe_inputs(summary: Summary, way: Way, hx_none: bool = False):
    """Inputs for one experiment, in the configuration the way and the support ask for."""
    s = summary.support
    mode = summary.modes[0]
    shared = dict(bias=True in s.bias)
    if mode.startswith("rnn"):
        shared["nonlinearity"] = "tanh" if "tanh" in s.nonlinearities else "relu"
    if mode.endswith("_cell"):
        spec = RNNSpec(mode, PROBE_SIZES["input_size"], PROBE_SIZES["hidden_size"], **shared)
    else:
        spec = RNNSpec(mode, PROBE_SIZES["input_size"], PROBE_SIZES["hidden_size"], batch_first=way.batch_first,
                       bidirectional=way.bidirectional or 1 not in s.directions, proj_size=0 if False in s.proj else 2,
                       **shared)
    return make_inputs(spec, time=1 if spec.single_step else PROBE_SIZES["time"],
                       batch=None if way.unbatched else PROBE_SIZES["batch"], seed=1234,
                       hx_none=hx_none or not s.state_given, c0_zero=not s.cell_state_given)


def experiment_with(call: Caller, timeout: Optional[float], warmup_limit: Optional[float]):
    """The `bind.settle.Experiment` that calls through `call` with the per-call `timeout`, the first
    call (the warm-up) with its generous `warmup_limit`."""
    def experiment(summary: Summary, way: Way, readings: tuple, warmup: bool = False,
                   hx_none: bool = False) -> tuple:
        inputs = probe_inputs(summary, way, hx_none)
        if not warmup:
            return outcomes(call(way, inputs, timeout), inputs, summary, readings)
        made = call(way, inputs, warmup_limit)
        if made.problem is not None and made.problem.timed_out:  # its own limit, named as the learner sets it
            made = replace(made, problem=replace(made.problem, message=(
                f"timed out: the first call ({inputs.spec.describe()}, {inputs.recipe.describe()}) took longer than "
                f"its warm-up limit of {warmup_limit:g} s (--rnn-warmup-timeout)")))
        return outcomes(made, inputs, summary, readings, warmup_hangs(timeout, warmup_limit))

    return experiment


def warmup_hangs(timeout: Optional[float], warmup_limit: Optional[float]) -> int:
    """The run's hangs a warm-up past its limit spends: as many per-call limits as that limit holds
    (3 at the default, more than the run's whole budget), at least one."""
    if not timeout or not warmup_limit:
        return 1
    return max(1, min(HANGS_ALLOWED, math.ceil(warmup_limit / timeout - 1e-9)))


def outcomes(made: Call, inputs, summary: Summary, readings: tuple, hangs: int = 1) -> tuple:
    """What one call showed, under each reading in turn until one reads (`hangs`: what running out of
    time spends of the run's budget)."""
    problem = made.problem
    if problem is not None and made.plain is None:
        verdict = Verdict.REFUSED if problem.kind == "unsupported" else Verdict.CRASHED
        detail = problem.message if verdict is Verdict.REFUSED or problem.timed_out else problem.brief()
        return (Outcome(verdict, detail, hangs=hangs if problem.timed_out else 0, missing_key=problem.missing_key),)
    found: list = []
    reference = named(reference_result(inputs), inputs.spec)
    for reading in readings:
        outcome = _judged(made, inputs, summary, reading, reference)
        found.append(outcome)
        if outcome.fits:
            break
    return tuple(found)


def _judged(made: Call, inputs, summary: Summary, reading, reference: dict) -> Outcome:
    try:
        result = made.result if made.result is not None and reading == summary.returns else \
            read(made.plain.value, inputs, per_layer=summary.per_layer, returns=reading, found=made.plain)
    except Unreadable as error:
        return Outcome(Verdict.UNREADABLE, str(error), reading)
    if result.misshapen:
        shapes = ", ".join(f"{name} {got} (torch.nn's: {want})" for name, (got, want) in result.misshapen.items())
        return Outcome(Verdict.MISSHAPEN, f"returned {shapes}", reading, returned_arrays=result.arrays)
    if not result.tensors:
        return Outcome(Verdict.UNREADABLE, "returned nothing this reading names", reading)
    error = max(max_abs_diff(result.tensors[name], reference[name]) for name in result.tensors)
    verdict = Verdict.REPRODUCES if error <= REPRODUCES else Verdict.DIFFERS
    detail = "reproduces torch.nn" if verdict is Verdict.REPRODUCES else f"differs from torch.nn by {error:.3g}"
    return Outcome(verdict, detail, reading, len(result.shape_mismatches), bool(result.arrays))


def settled_here(bindings: tuple, timeout: Optional[float] = None, warmup: Optional[float] = None) -> tuple:
    """The settled binding, its experiments run in this process (guarded), and whether one of
    them ran out of time (it counts towards the run's hangs)."""
    def call(way: Way, inputs, limit: Optional[float]) -> Call:
        chosen = bindings[way.candidate].replace(state_layer_dim=way.state_layer_dim, arrays=way.arrays)
        made = InProcessRunner(chosen, limit).call(inputs)
        watch = in_process.TAMPER_WATCH  # the experiment is judged here next: by the plugin's own code, as it was
        tampered = watch.check_and_restore() if watch is not None else []
        if tampered:
            return Call(None, Problem("error", f"tampering: the implementation replaced {', '.join(tampered)} (put "
                                               "back now)"), made.record)
        return made

    decision: Settled = settle(tuple(b.summary() for b in bindings), experiment_with(call, timeout, warmup))
    return apply(bindings[decision.way.candidate], decision), decision
