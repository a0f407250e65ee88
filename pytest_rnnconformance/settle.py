"""Settling how to call an implementation, before the run: the step between binding and checking.

Where the signature does not say, a probe finds out by calling the implementation on distinct
sizes (time 3, batch 2, features 5, hidden 4: a wrong guess fails or returns the wrong shape):

* its layout (batch-first or not), including one it refuses with ``NotImplementedError`` (a
  signature that takes ``batch_first`` is probed in both: the one it refuses is not its own);
* whether a per-layer function takes its state with or without the layer dimension;
* whether it computes with numpy (it fails on tensors, or takes arrays and returns arrays: numpy
  code that also runs on tensors is called with arrays, as written, and is not differentiable);
* whether it takes batched input at all, or one unbatched sequence; and, for a signature of its own
  (a cell's, a module's whose parameters have names of its own), whether it also takes unbatched
  input: one that raises on it (or returns the wrong shapes, hx omitted too) does not;
* for a guessed ``--rnn-bind auto`` map, the storage conventions the names leave open.

Ways are tried in phases (tensors before arrays, batched before unbatched); the first phase in
which a way works is the implementation's convention, and within it the way that matches the
reference best wins, torch.nn's exact shapes first. `settle` only decides (a `Way`, the narrowed
support, notes); it calls through whatever runs the implementation, in this process or in the
isolated worker, so a probe that crashes or hangs costs one call, not the run. `prepare` is the
in-process chain, load to settled binding.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional

from .bind import BindingError, candidates
from .bind.binding import Binding, Summary
from .bind.load import load_target
from .draw.inputs import make_inputs
from .judge.compare import max_abs_diff
from .judge.oracles import reference_result
from .run.call import Problem
from .run.in_process import InProcessRunner
from .run.results import named
from .spec import RNNSpec

PROBE_SIZES = dict(time=3, batch=2, input_size=5, hidden_size=4)
EXACT = 1e-5  # a probe's error this small, with torch.nn's shapes, ends the probe at once


@dataclass(frozen=True)
class Way:
    """One way of calling: which candidate binding, and the conventions the signature left open."""

    candidate: int = 0
    state_layer_dim: bool = True
    arrays: bool = False
    batch_first: bool = False
    unbatched: bool = False


@dataclass(frozen=True)
class Settled:
    """What the probe decided: the way, and the summary with its support narrowed and notes added."""

    way: Way
    summary: Summary


def apply(binding: Binding, settled: Settled) -> Binding:
    """The binding a `Settled` decision describes."""
    return binding.replace(state_layer_dim=settled.way.state_layer_dim, arrays=settled.way.arrays,
                           support=settled.summary.support, notes=settled.summary.notes, modes=settled.summary.modes)


def prepare(impl: str, rootdir: str, mode: Optional[str] = None, declared: Optional[str] = None,
            returns: Optional[str] = None, *, timeout: Optional[float] = None, adapt=None) -> Binding:
    """Load, bind and settle `impl` in this process (``adapt(target)`` may replace the loaded object)."""
    return settled_here(bind_target(impl, rootdir, mode, declared, returns, adapt), timeout)


def settled_here(bindings: tuple, timeout: Optional[float] = None) -> Binding:
    """The settled binding, probing by calling the candidates in this process (guarded)."""
    def call(way: Way, inputs):
        chosen = bindings[way.candidate].replace(state_layer_dim=way.state_layer_dim, arrays=way.arrays)
        return InProcessRunner(chosen, timeout).call(inputs)

    decision = settle(tuple(b.summary() for b in bindings), call)
    return apply(bindings[decision.way.candidate], decision)


def bind_target(impl: str, rootdir: str, mode: Optional[str], declared: Optional[str], returns: Optional[str],
                adapt=None) -> tuple:
    """The candidate bindings of what `impl` names (see `bind.candidates`)."""
    target = load_target(impl, rootdir)
    adapted = adapt(target) if adapt is not None else None
    if adapted is None:
        return candidates(target, impl, mode, declared=declared, returns=returns)
    return tuple(b.replace(convention="adapter", notes=b.notes + ("adapted by a pytest_rnnconformance_adapt hook",))
                 for b in candidates(adapted, impl, mode))


def _probe_inputs(summary: Summary, way: Way, hx_none: bool = False):
    s = summary.support
    mode = summary.modes[0]
    if mode.endswith("_cell"):
        spec = RNNSpec(mode, PROBE_SIZES["input_size"], PROBE_SIZES["hidden_size"], bias=True in s.bias)
    else:
        spec = RNNSpec(mode, PROBE_SIZES["input_size"], PROBE_SIZES["hidden_size"], bias=True in s.bias,
                       batch_first=way.batch_first, bidirectional=1 not in s.directions,
                       proj_size=0 if False in s.proj else 2)
    return make_inputs(spec, time=1 if spec.single_step else PROBE_SIZES["time"],
                       batch=None if way.unbatched else PROBE_SIZES["batch"], seed=1234,
                       hx_none=hx_none or not s.state_given,
                       c0_zero=not s.cell_state_given)


def _phases(summaries: tuple) -> list:
    """Ways to call it, in phases tried in turn (see the module docstring), most likely first."""
    phases = []
    for arrays in (False, True):
        for unbatched in (False, True):
            ways = []
            for index, summary in enumerate(summaries):
                s = summary.support
                single = summary.modes[0].endswith("_cell")
                if not unbatched and not s.batched:
                    continue
                # both layouts where it takes both: one it refuses (NotImplementedError) is not its own
                layouts = [False, True] if len(s.layouts) == 2 and not single else [min(s.layouts)]
                forms = [summary.state_layer_dim]
                if s.state_given and s.max_layers == 1 and not single and (
                        summary.per_layer or summary.convention == "module"):
                    forms = [False, True]
                ways += [Way(index, form, arrays, layout, unbatched) for layout in layouts for form in forms]
            phases.append(ways)
    return phases


def _accepted_modes(summaries: tuple, call: Callable) -> tuple:
    """Modes an implementation refuses outright (``NotImplementedError`` for the plainest case of
    the mode) are not its modes: refusals teach what it computes, as they teach everything else."""
    kept = []
    for index, summary in enumerate(summaries):
        if len(summary.modes) < 2:
            kept.append(summary)
            continue
        accepted, refused = [], []
        for mode in summary.modes:
            alone = replace(summary, modes=(mode,))
            way = Way(index, summary.state_layer_dim, False, min(summary.support.layouts), not summary.support.batched)
            made = call(way, _probe_inputs(alone, way))
            (refused if made.problem is not None and made.problem.kind == "unsupported" else accepted).append(mode)
            if made.problem is not None and made.problem.kind == "unsupported":
                refusal = made.problem.message
        if accepted and refused:
            support = summary.support.without("modes", f"it refused {', '.join(refused)}: {refusal}",
                                              modes=frozenset(accepted))
            summary = replace(summary, modes=tuple(accepted), support=support,
                              notes=summary.notes + (f"refused {', '.join(refused)} ({refusal})",))
        kept.append(summary)
    return tuple(kept)


def settle(summaries: tuple, call: Callable) -> Settled:
    """Decide how to call (see the module docstring). `call(way, inputs)` returns a `run.call.Call`."""
    summaries = _accepted_modes(summaries, call)
    failed: list = []
    refusals: dict = {}
    for ways in _phases(summaries):
        working = []
        for way in ways:
            tried = _try(summaries[way.candidate], way, call)
            if isinstance(tried, Problem):
                if tried.kind == "unsupported":
                    refusals[way.batch_first] = tried.message
                if tried.fatal:
                    return _unsettled(summaries[0], tried.message, "stopped at")
                failed.append(tried.message)
                continue
            error, mismatches, returned_arrays = tried
            working.append((error, mismatches, way.state_layer_dim, way, returned_arrays))
            if error <= EXACT and not mismatches:
                break
        if working:  # it works this way: the later phases are not its convention
            error, mismatches, _, way, returned_arrays = min(working, key=lambda found: found[:3])
            if not way.arrays:  # numpy code takes tensors too, often: called with arrays, as written
                as_arrays = replace(way, arrays=True)
                tried = _try(summaries[way.candidate], as_arrays, call)
                if not isinstance(tried, Problem) and tried[2] and tried[:2] <= (max(error, EXACT), mismatches):
                    way = as_arrays
            summary = _narrowed(summaries[way.candidate], way, refusals, returned_arrays)
            return Settled(way, _unbatched_probe(summary, way, call))
    return _unsettled(summaries[0], failed[0] if failed else "nothing to try", "failed in every way, first with")


def _try(summary: Summary, way: Way, call: Callable, hx_none: bool = False):
    """One probe call: its `Problem`, or (error against the reference, shape mismatches, arrays returned)."""
    inputs = _probe_inputs(summary, way, hx_none)
    made = call(way, inputs)
    if made.problem is not None:
        return made.problem
    if made.result.misshapen:
        return Problem("error", f"results of the wrong shape ({', '.join(made.result.misshapen)})")
    reference = named(reference_result(inputs), inputs.spec)
    error = max((max_abs_diff(made.result.tensors[n], reference[n]) for n in made.result.tensors), default=0.0)
    return error, len(made.result.shape_mismatches), bool(made.result.arrays)


def _unbatched_probe(summary: Summary, way: Way, call: Callable) -> Summary:
    """A signature of its own (a cell's, a module's with parameters of its own) does not say whether it
    takes unbatched input: one call finds out. One that raises on it does not take it (unsupported,
    with what it raised); one that runs is checked there, right or wrong."""
    s = summary.support
    if not (summary.per_layer and s.unbatched and s.batched) or way.unbatched:
        return summary
    if not summary.modes[0].endswith("_cell") and summary.convention != "module":
        return summary
    unbatched = replace(way, unbatched=True)
    for hx_none in (False, True) if s.default_state and s.state_given else (False,):
        tried = _try(summary, unbatched, call, hx_none)
        if isinstance(tried, Problem):
            break
    else:
        return summary
    if tried.fatal:
        return summary
    what = "refused" if tried.kind == "unsupported" else "failed on"
    shape = "(features,)" if summary.modes[0].endswith("_cell") else "(time, features)"
    s = s.without("unbatched", f"it {what} unbatched {shape} input{' with hx omitted' if hx_none else ''} in the "
                  f"probe ({tried.message[:120]}): its own signature does not say it takes it", unbatched=False)
    return _described(replace(summary, support=s, notes=summary.notes + ("probe found it takes batched input only",)))


def _narrowed(summary: Summary, way: Way, refusals: dict, returned_arrays: bool = False) -> Summary:
    s = summary.support
    notes = list(summary.notes)
    refused = (not way.batch_first) in refusals
    if len(s.layouts) == 2 and not summary.modes[0].endswith("_cell") and ("layout" in s.reasons or refused):
        reason = s.reasons.get("layout", "")
        if refused:
            reason = f"it refused batch_first={not way.batch_first}: {refusals[not way.batch_first]}"
        s = s.without("layout", reason, layouts=frozenset({way.batch_first}))
        layout = "batch-first" if way.batch_first else "seq-first"
        notes.append(f"probe found {layout} layout" + (f" (it refused batch_first={not way.batch_first})"
                                                        if refused else ""))
    if way.unbatched and s.batched:
        s = s.without("batched", "it takes one unbatched sequence (found by a probe)", batched=False, unbatched=True,
                      packed=False)
        notes.append("probe found it takes one unbatched sequence")
    if way.arrays or returned_arrays:
        s = s.without("differentiable", "it computes with numpy", differentiable=False,
                      dtypes=frozenset({"float16", "float32", "float64"}), devices=frozenset({"cpu"}))
        notes.append("probe found it computes with numpy arrays" if way.arrays else
                     "probe found it returns numpy arrays for tensors")
    return _described(replace(summary, support=s, notes=tuple(notes), state_layer_dim=way.state_layer_dim,
                              arrays=way.arrays or returned_arrays))


def _unsettled(summary: Summary, what: str, how: str) -> Settled:
    """Nothing worked: keep the plainest way; ``forward`` will fail with the real error."""
    layouts = summary.support.layouts
    batch_first = False not in layouts
    s = summary.support.without("layout", "probe failed", layouts=frozenset({batch_first}))
    note = f"layout probe {how} {what[:160]}; assuming {'batch-first' if batch_first else 'seq-first'}"
    return Settled(Way(0, summary.state_layer_dim, False, batch_first, False),
                   _described(replace(summary, support=s, notes=summary.notes + (note,))))


def _described(summary: Summary) -> Summary:
    """The summary with its one-line description made again (it names the support and notes)."""
    from .bind.binding import describe

    return replace(summary, description=describe(summary))


__all__ = ["prepare", "settle", "settled_here", "apply", "Way", "Settled", "BindingError"]
