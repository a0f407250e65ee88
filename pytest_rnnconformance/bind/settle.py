"""Settling how to call an implementation: a small solver over what its signature leaves open.

The binder reads what the names and the signature say; what they leave open (the layout, whether a
per-layer state has its layer dimension, numpy arrays or tensors, one unbatched sequence or a
batch, what the result holds, which storage a guessed ``--rnn-bind auto`` map means) is settled
here, by experiments, under one rule: **no verdict on a guess**.

* **Candidates** come from the declaration, the names, the shapes and the signature's defaults
  (`ways`), each a `Way` of calling one candidate binding, and, where ``--rnn-returns`` is not
  declared and torch.nn's form cannot be read, each reading of the result (`RETURNS_TRIED`).
* **Experiments** (`Experiment`, run where the implementation runs) call one way on inputs whose
  sizes tell the candidates apart (time, batch, features and hidden sizes all distinct) on fresh
  state, and say what happened as an `Outcome`. The first call is a warm-up with a generous time
  limit of its own, whose result counts for nothing: a slow first call (a lazy build, a compile) is
  not a hang, and a one-time side effect is not evidence. A warm-up that runs past that limit
  stands for its way, which is not called again: the run's budget of hangs (`HANGS_ALLOWED`) is of
  time, and a warm-up limit of several calls' spends as many.
* **One decision**: a crash, a timeout or an unreadable result rules out one candidate, never the
  run; a refusal (``NotImplementedError``, or an exception raised for that configuration alone)
  proves that configuration unsupported. Among what remains, the candidate that reproduces
  torch.nn is proven; one remaining alone is proven by elimination; several remaining that all
  differ from torch.nn prove the failure, and the binding is reported unproven (a pass needs a
  proven one); several reproducing torch.nn that are different bindings stop the run
  (`AmbiguousBinding`, exit 4), listing each with a ready line.

Every fact decided is an `evidence.Fact` saying how; the summary carries them to the header and
the JSON report.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Callable, Optional

from .binding import Binding, BindingError, Summary, describe
from .evidence import Fact, How
from .expressions import Returns, parse_returns

#: What a result may hold when it is not torch.nn's form, tried in this order (fullest reading
#: first) and only when torch.nn's form cannot be read: a result that reads as torch.nn's is
#: judged as such, so an alternative reading can never hide a wrong state.
RETURNS_TRIED = {
    "sequence": ("output,h_n,_", "output,(h_n,c_n),_", "output,h_n,c_n,_", "output,_", "h_n,c_n", "output", "h_n"),
    "cell": ("h_1,_", "(h_1,c_1),_", "h_1,c_1,_", "h_1"),
}
#: Calls that may run out of time while settling: the run's own budget of hangs (a third costs as much again).
HANGS_ALLOWED = 2


class Verdict(Enum):
    """What one experiment showed."""

    REFUSED = "refused"  # NotImplementedError: this configuration is unsupported
    CRASHED = "crashed"  # raised, hung or died: this candidate is ruled out
    UNREADABLE = "unreadable"  # returned something that does not read this way
    MISSHAPEN = "misshapen"  # read this way, in shapes other than torch.nn's: a result, and a wrong one
    DIFFERS = "differs"  # read, and differs from torch.nn
    REPRODUCES = "reproduces"  # read, and equals torch.nn


@dataclass(frozen=True)
class Way:
    """One way of calling: which candidate binding, and the conventions the signature left open."""

    candidate: int = 0
    state_layer_dim: bool = True
    arrays: bool = False
    batch_first: bool = False
    unbatched: bool = False
    bidirectional: bool = False  # tried only where one direction was refused


@dataclass(frozen=True)
class Outcome:
    """One experiment's result under one reading of what was returned."""

    verdict: Verdict
    detail: str  # what it raised or returned, or how far from torch.nn
    returns: Optional[Returns] = None  # the reading (None: torch.nn's form)
    shape_mismatches: int = 0
    returned_arrays: bool = False
    hangs: int = 0  # the run's hangs its time spent: 1 past the per-call limit, more for a warm-up's longer one
    missing_key: str = ""  # it looked up a key of its own in a dict it was given

    @property
    def fits(self) -> bool:
        return self.verdict in (Verdict.DIFFERS, Verdict.REPRODUCES)

    @property
    def timed_out(self) -> bool:
        return self.hangs > 0


#: ``experiment(summary, way, readings, warmup=False)``: the outcome of calling `way` under each
#: reading in `readings` (one outcome when it refused or crashed).
Experiment = Callable[..., tuple]


@dataclass(frozen=True)
class Settled:
    """What the solver decided: the way, the summary (support narrowed, facts added), and the probe
    calls that ran out of time when none settled it (they count towards the run's hangs)."""

    way: Way
    summary: Summary
    hangs: int = 0  # at most HANGS_ALLOWED: the run's whole budget when the probe spent it
    hung: str = ""  # what the first of them said


class AmbiguousBinding(BindingError):
    """Several different bindings reproduce torch.nn: the user says which (exit 4)."""


def apply(binding: Binding, settled: Settled) -> Binding:
    """The binding a `Settled` decision describes."""
    s = settled.summary
    return binding.replace(state_layer_dim=s.state_layer_dim, arrays=settled.way.arrays, support=s.support, notes=s.notes,
                           modes=s.modes, evidence=s.evidence, returns=s.returns)


def readings(summary: Summary) -> tuple:
    """The readings of the result to try: the declared one alone, else torch.nn's form, then the
    alternatives (each only where the ones before it cannot be read). A course's reading returns its
    course's result form, or the first items of it (fullest first: a state it returns is judged)."""
    if summary.returns is not None and summary.reading and "returns" not in summary.support.declared:
        items = summary.returns.items
        return (summary.returns,) + tuple(Returns(items=items[:count]) for count in range(len(items) - 1, 1, -1)) \
            + ((items[0],) if len(items) > 1 else ())
    if summary.returns is not None:
        return (summary.returns,)
    single = summary.modes[0].endswith("_cell")
    return (None,) + tuple(parse_returns(text) for text in RETURNS_TRIED["cell" if single else "sequence"])


def layout_is_configuration(summary: Summary) -> bool:
    """Whether the signature takes the layout as a setting (then both are configurations to check,
    not candidates to choose from)."""
    s = summary.support
    return len(s.layouts) == 2 and "layout" not in s.reasons


def ways(summaries: tuple, arrays: bool, unbatched: bool, bidirectional: bool = False) -> list:
    """Every way of calling in one group (tensors or arrays; batched or not; one direction or two),
    most likely first."""
    found = []
    for index, summary in enumerate(summaries):
        s = summary.support
        single = summary.modes[0].endswith("_cell")
        if (not unbatched and not s.batched) or (bidirectional and (single or 2 not in s.directions)):
            continue
        layouts = [False, True] if len(s.layouts) == 2 and not single else [min(s.layouts)]
        forms = [summary.state_layer_dim]
        if (s.state_given and s.max_layers == 1 and not single and summary.state_form_open
                and (summary.per_layer or summary.convention == "module")):
            forms = [False, True]
        found += [Way(index, form, arrays, layout, unbatched, bidirectional) for layout in layouts for form in forms]
    return found


def settle(summaries: tuple, experiment: Experiment) -> Settled:
    """Decide how to call (see the module docstring)."""
    first = next(iter(ways(summaries, False, False) or ways(summaries, False, True)), Way())
    warmup = experiment(summaries[first.candidate], first, readings(summaries[first.candidate]), warmup=True)
    experiment = _within_hang_budget(experiment, sum(o.hangs for o in warmup[:1]))
    if warmup[:1] and warmup[0].timed_out:
        experiment = _standing(experiment, first, summaries[first.candidate].modes[0], warmup)
    summaries = _accepted_modes(summaries, experiment)
    tried: list = []  # (way, outcome) of every experiment, for the evidence
    unproven = False  # a course's readings ran, none reproduced torch.nn, and not every one ran
    for unbatched, arrays in ((False, False), (False, True), (True, False), (True, True)):  # a batch, in either kind,
        # before one unbatched sequence: "unbatched only" needs every batched way ruled out
        if unproven and unbatched:  # a reading ran on a batch: batched input is not ruled out
            break
        for bidirectional in (False, True):  # two directions only where every way of one was refused
            group = [(way, outcome) for way in ways(summaries, arrays, unbatched, bidirectional)
                     for outcome in _read(summaries[way.candidate], way, experiment)]
            tried += group
            _refuse_own_keys(group, summaries)
            if _unproven_reading(summaries, group):
                unproven = True
                break  # another kind of input may yet make one reproduce torch.nn
            if any(outcome.fits for _, outcome in group):
                return _decide(summaries, group, tried, experiment)
            if any(outcome.verdict is Verdict.MISSHAPEN for _, outcome in group):  # no refusal: a result, wrong in
                return _decide(summaries, group, tried, experiment, misshapen=True)  # shape, is a proven failure
            if not group or not all(outcome.verdict is Verdict.REFUSED for _, outcome in group):
                break
    if unproven:
        raise _unproven_readings(summaries, tried)
    return _unsettled(summaries, tried)


def _unproven_reading(summaries: tuple, group: list) -> bool:
    """Whether a group of a course's readings (`courses`) leaves the binding unproven: some ran, none
    reproduces torch.nn, and some did not run. A reading that ran is then no more likely than one that
    raised (code written the other way, with a mistake, raises too), so none is used: only one that
    reproduces torch.nn is proven, and only a failure under every reading is proven without one."""
    if not group or not all(summaries[way.candidate].reading for way, _ in group):
        return False
    if any(outcome.verdict is Verdict.REPRODUCES for _, outcome in group):
        return False
    ran = {way.candidate for way, outcome in group if outcome.fits or outcome.verdict is Verdict.MISSHAPEN}
    return bool(ran) and ran != {way.candidate for way, _ in group}


def _within_hang_budget(experiment: Experiment, hangs: int) -> Experiment:
    """The experiment, until calls have spent `HANGS_ALLOWED` hangs (the warm-up's included, which
    its longer limit may spend alone): then every further way is left untried, as the run leaves
    its rows once its hangs are spent."""
    count = [hangs]

    def limited(summary: Summary, way: Way, readings: tuple, **options) -> tuple:
        if count[0] >= HANGS_ALLOWED:
            return (Outcome(Verdict.CRASHED, "not tried: the implementation had already run out of time",
                            hangs=1),)
        found = experiment(summary, way, readings, **options)
        count[0] += max((o.hangs for o in found), default=0)
        return found

    return limited


def _standing(experiment: Experiment, first: Way, mode: str, warmup: tuple) -> Experiment:
    """The experiment, with the warm-up's outcome standing for its own way (in its own mode) when the
    warm-up ran out of time: calling that way again would repeat it, in a restarted worker (or after
    an interrupted call) and with less time, and could only hang again. (A worker that died is
    called again: a one-time crash is not evidence.)"""
    def standing(summary: Summary, way: Way, readings: tuple, **options) -> tuple:
        if way == first and summary.modes[0] == mode and not options:
            return warmup
        return experiment(summary, way, readings, **options)

    return standing


def _read(summary: Summary, way: Way, experiment: Experiment) -> list:
    """The outcomes of one way: torch.nn's reading, then the alternatives while none reads."""
    outcomes = experiment(summary, way, readings(summary))
    readable = [o for o in outcomes if o.fits] or [o for o in outcomes if o.verdict is Verdict.MISSHAPEN]
    return readable[:1] if readable else list(outcomes[:1])


def _refuse_own_keys(group: list, summaries: tuple) -> None:
    """A dict of the learner's own keys is never silently torch.nn's: when every way of calling
    looked up a key torch.nn's named-parameter dict does not have, the binding is refused."""
    if not group or not all(outcome.missing_key for _, outcome in group):
        return
    key = group[0][1].missing_key
    name = summaries[group[0][0].candidate].name
    raise BindingError(f"{name}: it looked up {key!r} in the parameter dict it was given, and torch.nn's dict has no "
                       f"such key: its dict holds names of its own. Say what each key holds with --rnn-bind, e.g. "
                       f"--rnn-bind \"parameters={{{key}: weight_ih, ...}}\" (see the README, 'Your code as you "
                       "wrote it')")


def _decide(summaries: tuple, group: list, tried: list, experiment: Experiment, misshapen: bool = False) -> Settled:
    """Choose among the ways of one group that read (see the module docstring); with `misshapen`,
    among those that returned results in the wrong shapes (no way reads, and none refused: the
    failure is proven, and the run reports it)."""
    fitting = [(way, outcome) for way, outcome in group
               if (outcome.verdict is Verdict.MISSHAPEN if misshapen else outcome.fits)]
    reproducing = [(way, outcome) for way, outcome in fitting if outcome.verdict is Verdict.REPRODUCES]
    configuration = layout_is_configuration(summaries[fitting[0][0].candidate])

    def preference(found):  # fewest shape mismatches, then seq-first, then torch.nn's own state form
        way, outcome = found
        return (outcome.shape_mismatches, way.batch_first if configuration else 0, way.candidate,
                not way.state_layer_dim)

    if reproducing:
        best = min(reproducing, key=preference)
        rivals = sorted({way.candidate for way, outcome in reproducing
                         if outcome.shape_mismatches == best[1].shape_mismatches})
        if len(rivals) > 1:
            raise _ambiguous(summaries, {way.candidate: outcome for way, outcome in reproducing
                                         if way.candidate in rivals})
        remaining = [best]
    else:
        best = min(fitting, key=preference)
        remaining = fitting
    way, outcome = best
    called = _as_written(summaries, way, outcome, experiment)  # the evidence is of the way tried
    summary = _narrowed(summaries[way.candidate], way, outcome, tried, remaining, configuration, called.arrays,
                        tuple(s.reading for s in summaries))
    summary = _unbatched_support(summary, called, outcome, experiment)
    return Settled(called, _described(summary), *_hangs(tried))


def _versus(way: Way, tried: list, dimension: str, readings: tuple = ()) -> str:
    """The chosen way's outcome against each way that differs from it in `dimension` alone
    ('batch-first: raised RuntimeError (at my_rnn.py:9)'), the evidence a fact rests on; candidates
    are named by their `readings` where they have words."""
    def same_but(other: Way) -> bool:
        return other != way and all(getattr(other, f) == getattr(way, f) for f in
                                    ("candidate", "arrays", "unbatched", "bidirectional", "state_layer_dim",
                                     "batch_first") if f != dimension)

    words = {"batch_first": lambda w: "batch-first" if w.batch_first else "seq-first",
             "state_layer_dim": lambda w: "with the layer dimension" if w.state_layer_dim else "without it",
             "candidate": lambda w: (readings[w.candidate] if w.candidate < len(readings) else "")
             or f"reading {w.candidate + 1}"}[dimension]
    chosen = next((o for w, o in tried if w == way), None)
    others = {}
    for other, outcome in tried:
        if same_but(other):
            others.setdefault(words(other), outcome)
    said = [f"it {chosen.detail}" if chosen is not None and chosen.verdict is Verdict.REPRODUCES else
            f"the only one that reads ({chosen.detail})" if chosen is not None else ""]
    said += [f"{name}: {o.detail}" for name, o in others.items()]
    return "; ".join(part for part in said if part)


def _way_words(way: Way) -> str:
    return ("one unbatched sequence, " if way.unbatched else "") + ("batch-first" if way.batch_first else "seq-first") \
        + (", arrays" if way.arrays else "") + ("" if way.state_layer_dim else ", state without the layer dimension")


def _as_written(summaries: tuple, way: Way, outcome: Outcome, experiment: Experiment) -> Way:
    """Numpy code often takes tensors too: it is called with arrays, as written, where arrays work
    at least as well and come back as arrays."""
    if way.arrays:
        return way
    as_arrays = replace(way, arrays=True)
    rank = {Verdict.REPRODUCES: 0, Verdict.DIFFERS: 1}
    read = [o for o in experiment(summaries[way.candidate], as_arrays, (outcome.returns,)) if o.fits]
    if read and read[0].returned_arrays and (rank[read[0].verdict], read[0].shape_mismatches) <= (
            rank[outcome.verdict], outcome.shape_mismatches):
        return as_arrays
    return way


def _accepted_modes(summaries: tuple, experiment: Experiment) -> tuple:
    """Modes an implementation refuses outright (``NotImplementedError`` for the plainest case of
    the mode) are not its modes: refusals teach what it computes, as they teach everything else."""
    kept = []
    for index, summary in enumerate(summaries):
        if len(summary.modes) < 2:
            kept.append(summary)
            continue
        accepted, refused, refusal = [], [], ""
        for mode in summary.modes:
            alone = replace(summary, modes=(mode,))
            way = Way(index, summary.state_layer_dim, False, min(summary.support.layouts), not summary.support.batched)
            outcome = experiment(alone, way, readings(alone))[0]
            if outcome.verdict is Verdict.REFUSED:
                refused.append(mode)
                refusal = outcome.detail
            else:
                accepted.append(mode)
        if accepted and refused:
            support = summary.support.without("modes", f"it refused {', '.join(refused)}: {refusal}",
                                              modes=frozenset(accepted))
            fact = Fact("modes", ", ".join(accepted), How.PROVEN, f"it refused {', '.join(refused)}: {refusal}")
            summary = replace(summary, modes=tuple(accepted), support=support, evidence=summary.evidence + (fact,))
        kept.append(summary)
    return tuple(kept)


def _narrowed(summary: Summary, way: Way, outcome: Outcome, tried: list, remaining: list,
              configuration: bool, called_with_arrays: bool, readings: tuple = ()) -> Summary:
    """The summary with the decided facts: support narrowed, each fact with how it was found (a
    fact on which the `remaining` ways disagree is unproven); `readings` names each candidate that
    is a course's reading."""
    def how(field: str) -> How:
        return How.PROVEN if len({getattr(w, field) for w, _ in remaining}) == 1 else How.UNPROVEN

    s = summary.support
    facts = list(summary.evidence)
    single = summary.modes[0].endswith("_cell")
    layout = "batch-first" if way.batch_first else "seq-first"
    if not single and len(s.layouts) == 2:
        other = [o for w, o in tried if w.batch_first != way.batch_first and w.candidate == way.candidate
                 and w.arrays == way.arrays and w.unbatched == way.unbatched]
        refused = [o for o in other if o.verdict in (Verdict.REFUSED, Verdict.CRASHED) and not o.timed_out]
        if configuration:
            if other and len(refused) == len(other):
                reason = f"it refused batch_first={not way.batch_first}: {refused[0].detail}"
                s = s.without("layout", reason, layouts=frozenset({way.batch_first}))
                facts.append(Fact("layout", layout + " only", How.PROVEN, reason))
            else:
                facts.append(Fact("layout", "either", How.READ, "the signature takes batch_first"))
        else:
            s = s.without("layout", s.reasons.get("layout", ""), layouts=frozenset({way.batch_first}))
            facts.append(Fact("layout", layout, how("batch_first"), _versus(way, tried, "batch_first")))
    elif not single:  # a course's reading fixes its layout: as proven as the reading
        fixed = How.DECLARED if "layout" in s.declared else how("candidate") if summary.reading else How.READ
        facts.append(Fact("layout", layout, fixed, s.reasons.get("layout", "the only layout it takes")))
    if way.bidirectional and 1 in s.directions:
        refusal = next(o.detail for w, o in tried if not w.bidirectional and o.verdict is Verdict.REFUSED)
        s = s.without("unidirectional", f"it refused one direction: {refusal}", directions=frozenset({2}))
        facts.append(Fact("directions", "two only", How.PROVEN, f"one direction was refused: {refusal}"))
    if way.unbatched and s.batched:
        batched = [o for w, o in tried if not w.unbatched]
        refusals = [o for o in batched if o.verdict is Verdict.REFUSED]
        reason = (f"batched input was refused: {refusals[0].detail}" if refusals else
                  f"batched input raised under every way: {batched[0].detail}" if batched else "its signature")
        s = s.without("batched", f"it takes one unbatched sequence ({reason})", batched=False, unbatched=True,
                      packed=False)
        facts.append(Fact("input", "one unbatched sequence", How.PROVEN, reason))
    for key in sorted(s.declared - {"layout", "modes", "returns"}):  # what @implements or a pinned setting says
        facts.append(Fact(key, "as declared", How.DECLARED, s.reasons.get(key, "declared")))
    if summary.reading:
        facts.append(Fact("reading", summary.reading, how("candidate"), _versus(way, tried, "candidate", readings)))
    elif summary.declaration and len({w.candidate for w, _ in tried}) > 1:
        facts.append(Fact("weights", summary.declaration, how("candidate"), _versus(way, tried, "candidate")))
    if summary.per_layer and s.state_given and not single and summary.state_form_open:
        form = "with" if way.state_layer_dim else "without"
        versus = _versus(way, tried, "state_layer_dim")
        both = any(o.verdict is Verdict.REPRODUCES for w, o in tried if w == replace(
            way, state_layer_dim=not way.state_layer_dim)) and outcome.verdict is Verdict.REPRODUCES
        facts.append(Fact("state", f"either form (passed {form} the layer dimension)" if both else
                          f"{form} the layer dimension", how("state_layer_dim"),
                          versus or "the only form its signature allows"))
    if not s.state_given:
        facts.append(Fact("hx", "none", How.READ, s.reasons.get("default_state", "no state argument")))
    elif not s.cell_state_given:
        facts.append(Fact("c0", "none", How.READ, s.reasons.get("cell_state", "the signature takes h0 only")))
    arrays = called_with_arrays or outcome.returned_arrays
    if arrays:
        s = s.without("differentiable", "it computes with numpy", differentiable=False,
                      dtypes=frozenset({"float16", "float32", "float64"}), devices=frozenset({"cpu"}))
        crashed = [o for w, o in tried if not w.arrays and o.verdict is Verdict.CRASHED]
        reason = ("tensor input raised: " + crashed[0].detail) if way.arrays and crashed else \
            "it takes arrays and returns them, as written" if called_with_arrays else "it returns numpy arrays"
        facts.append(Fact("arrays", "numpy", How.PROVEN, reason))
    if summary.returns is None and outcome.returns is not None:
        facts.append(Fact("returns", str(outcome.returns), How.PROVEN,
                          f"torch.nn's form does not read; this reading {outcome.verdict.value}"))
    elif summary.returns is not None and summary.reading and "returns" not in s.declared:
        facts.append(Fact("returns", returns_text(outcome.returns or summary.returns), how("candidate"),
                          "the result form of that reading" + (", its first items" if outcome.returns != summary.returns
                                                                else "")))
    elif summary.returns is not None:
        facts.append(Fact("returns", str(summary.returns), How.DECLARED, "--rnn-returns"))
    if len(remaining) > 1:
        facts.append(Fact("binding", "not settled", How.UNPROVEN, "it differs from torch.nn under every way that "
                          "remains, so the failure holds whichever is yours: " + "; ".join(
                              f"{_way_words(w)}: {o.detail}" for w, o in remaining[:4])))
    return replace(summary, support=s, evidence=tuple(facts), state_layer_dim=way.state_layer_dim, arrays=arrays,
                   returns=outcome.returns if outcome.returns is not None else summary.returns)


def _unbatched_support(summary: Summary, way: Way, outcome: Outcome, experiment: Experiment) -> Summary:
    """A signature of its own (a cell's, a module's with parameters of its own) does not say whether
    it takes unbatched input: one experiment finds out. Only a refusal makes it unsupported:
    ``NotImplementedError``, or an exception raised for unbatched input alone (the batched base
    runs). Wrong values are not a refusal: the ``unbatched`` row judges them."""
    s = summary.support
    if not (summary.per_layer and s.unbatched and s.batched) or way.unbatched:
        return summary
    if not summary.modes[0].endswith("_cell") and summary.convention != "module":
        return summary
    unbatched = replace(way, unbatched=True)
    for hx_none in (False, True) if s.default_state and s.state_given else (False,):
        tried = experiment(summary, unbatched, (outcome.returns,), hx_none=hx_none)[0]
        if tried.verdict in (Verdict.REFUSED, Verdict.CRASHED) and not tried.timed_out:
            shape = "(features,)" if summary.modes[0].endswith("_cell") else "(time, features)"
            reason = (f"it refused unbatched {shape} input{' with hx omitted' if hx_none else ''} "
                      f"({tried.detail[:120]}) while batched input runs")
            s = s.without("unbatched", reason, unbatched=False)
            fact = Fact("unbatched", "unsupported", How.PROVEN, reason)
            return replace(summary, support=s, evidence=summary.evidence + (fact,))
    return summary


def _ambiguous(summaries: tuple, rivals: dict) -> AmbiguousBinding:
    """Several candidate bindings reproduce torch.nn on inputs that tell them apart (`rivals`: each
    one's outcome, the result form it was read in): ask."""
    lines = "\n".join(f"  {ready_line(summaries[i], outcome)}"
                      + (f"   # {summaries[i].reading}" if summaries[i].reading else "")
                      for i, outcome in sorted(rivals.items()))
    return AmbiguousBinding(f"{summaries[0].name}: more than one binding reproduces torch.nn, so the evidence does not "
                            f"say which is yours; rerun with the line that says what your parameters hold:\n{lines}")


def ready_line(summary: Summary, outcome: Optional[Outcome] = None) -> str:
    """The options that declare one candidate whole: its ``--rnn-bind`` line and, where it has one
    (its own, or the reading an experiment found), its ``--rnn-returns``."""
    returns = outcome.returns if outcome is not None and outcome.returns is not None else summary.returns
    return f"--rnn-bind \"{summary.declaration}\"" + (f" --rnn-returns \"{returns_text(returns)}\"" if returns else "")


def returns_text(returns: Returns) -> str:
    """A result form as ``--rnn-returns`` takes it: ``output,_`` (a group without its parentheses)."""
    if returns.is_leaf:
        return str(returns)
    return ",".join(map(str, returns.items)) + ("," if len(returns.items) == 1 else "")


#: How far an experiment got, furthest first: the order a refusal lists the readings in.
PROGRESS = (Verdict.REPRODUCES, Verdict.DIFFERS, Verdict.MISSHAPEN, Verdict.UNREADABLE, Verdict.CRASHED, Verdict.REFUSED)


def _unproven_readings(summaries: tuple, tried: list) -> AmbiguousBinding:
    """No reading of a course's convention reproduces torch.nn, and not every one ran: which is
    the code's is not proven, so the run stops (exit 4) with each reading as a complete line, the
    furthest first, and what it did. Run with the line the code means, it gets its verdict."""
    best: dict = {}
    for way, outcome in tried:
        if way.candidate not in best or PROGRESS.index(outcome.verdict) < PROGRESS.index(best[way.candidate].verdict):
            best[way.candidate] = outcome
    order = sorted(best, key=lambda i: (PROGRESS.index(best[i].verdict), i))
    lines = "\n".join(f"  {ready_line(summaries[i], best[i])}   # {summaries[i].reading}: {best[i].detail[:160]}"
                      for i in order)
    return AmbiguousBinding(f"{summaries[0].name}: its dict's keys are a course's, and no reading of them reproduces "
                            "torch.nn, so which one your code follows is not proven (one that ran and differs is no "
                            "likelier than one that raised). Each line below declares one reading whole; rerun with the "
                            f"one your code means, and it gets its verdict:\n{lines}")


def _unsettled(summaries: tuple, tried: list) -> Settled:
    """No way of calling it reads: the failure is proven (it raised, or returned something
    unreadable, under every candidate) and the binding is unproven. The plainest way is kept, so
    that ``forward`` reports what it did."""
    first = next((w for w, o in tried if o.verdict is not Verdict.REFUSED), tried[0][0] if tried else Way())
    summary = summaries[first.candidate]
    details = [o.detail for _, o in tried if o.verdict is not Verdict.REFUSED] or [o.detail for _, o in tried]
    hangs, hung = _hangs(tried)
    if not details:
        because = "nothing to try"
    elif all(o.verdict is Verdict.REFUSED for _, o in tried):
        because = f"it refused every way of calling it (first: {details[0][:160]})"
    elif hung:
        because = f"it ran out of time: {hung}"
    else:
        because = f"no way of calling it runs: {len(tried)} tried, first {details[0][:200]}"
    fact = Fact("binding", "not settled", How.UNPROVEN, because)
    s = summary.support
    if not summary.modes[0].endswith("_cell"):
        s = s.without("layout", "no way of calling it runs", layouts=frozenset({first.batch_first}))
    return Settled(first, _described(replace(summary, support=s, evidence=summary.evidence + (fact,))), hangs, hung)


def _hangs(tried: list) -> tuple:
    """(the run's hangs the experiments spent, at most its budget; what the first of them said)."""
    return (min(HANGS_ALLOWED, sum(o.hangs for _, o in tried)),
            next((o.detail for _, o in tried if o.timed_out), ""))


def _described(summary: Summary) -> Summary:
    """The summary with its one-line description made again (it names the support and facts)."""
    return replace(summary, description=describe(summary))


def unproven(summary: Summary) -> bool:
    """Whether the binding rests on an unproven fact (then no run may pass)."""
    return any(fact.how is How.UNPROVEN for fact in summary.evidence)
