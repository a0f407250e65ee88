"""Running one row in one column: a hypothesis property, then one finished `Failure` or a pass.

`run_row` draws the row's cases (`draw.cases`), runs its check on each, and lets hypothesis shrink
a failure to a minimal counterexample. Then, once, on that counterexample:

* **blocked or not**: the same case with the row's own dimension set back to the base is checked
  as ``forward`` checks it; if the base fails there too, the defect is the base's, and the row is
  *blocked* by the row that owns the base of that column (``forward`` in the run's first dtype,
  ``float64`` and ``half`` in theirs), not failed again; a row whose cases include another row's
  dimension (``dropout`` needs layers) is blocked by that row when the case fails without its own;
  ``combined`` tries each dimension alone and names the row that owns its failure. Rows after a
  failing base are blocked without running at all (`RunContext.blocking`). A defect whose cause
  names its own row (`base.CAUSE_OWNERS`: a default-dtype buffer is ``dtype``'s) blocks the others by
  that row, and never that row itself: the row that owns a defect fails with it, so ``blocked``
  never forms a cycle and always points at a row that fails;
* **named or localised**: a values failure is run through the catalogue with a confirmation case
  (`judge.diagnose`), or localised when no known mistake reproduces it (`judge.localise`);
* the counterexample and the snippet that rebuilds it are attached.

A hang or a dead worker stops the row at once (no shrinking: every retry costs another timeout),
and after two hanging rows the rest are not run at all. A failure that does not happen again when
hypothesis replays its case (hypothesis's ``Flaky``) is one error of the row, saying so.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

import hypothesis
import pytest
import torch
from hypothesis import HealthCheck, Phase, Verbosity, example, given, reject, settings
from hypothesis.errors import Flaky, Unsatisfiable
from hypothesis.internal.reflection import function_digest

from ..bind.settle import HANGS_ALLOWED
from ..draw.cases import cases, edge_examples, far_corner, fixed_base, present_dimensions, project
from ..draw.inputs import DTYPES, make_inputs
from ..judge.diagnose import candidates, confirmation_inputs, explanations
from ..judge.failure import Failure, FailureRaised, OutOfRange
from ..judge.judge import allowed_and_failing, judge
from ..judge.localise import localise
from ..judge.status import Kind, Status
from ..judge.tolerance import Tolerance, tolerance_for
from ..run.call import Runner
from .base import Fatal, Feature, Refused, RowCheck, Unsupported, cause_owner

#: After this many refusals and no example checked, the row is unsupported.
UNSUPPORTED_AFTER = 5
BASE_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Column:
    """One column of the matrix: a mode on a device in a dtype."""

    mode: str
    device: str
    dtype: str

    @property
    def id(self) -> str:
        return f"{self.mode}-{self.device}-{self.dtype}"


@dataclass
class RunContext:
    """What every row of one run shares: the implementation's runner and the run's settings."""

    impl: str
    runner: Runner
    max_examples: int
    features: dict  # name -> Feature, in matrix order
    declared: dict = field(default_factory=dict)  # what the run declared: mode, bind, returns
    base_dtype: str = "float32"  # the dtype forward runs in: the run's first
    tolerance_hook: Optional[Callable] = None  # (feature, dtype, device) -> Tolerance or None
    verbose: bool = False  # hypothesis's own reports (falsifying examples, seeds) only with -v
    hangs: int = 0  # calls that ran out of time (or killed their worker), the probe's included
    hung_in: list = field(default_factory=list)  # where, said once each
    base_failures: dict = field(default_factory=dict)  # column id -> Optional[Failure]

    def used(self) -> dict:
        """The binding this run used, as ``rnn_check`` takes it: the mode, bind and returns as declared;
        for ``--rnn-bind auto`` and for a course's convention read whole, the line it guessed and the run
        proved; the returns proven where none were declared. A binding read from the names needs no
        line: ``rnn_check`` reads it the same."""
        summary, bind, returns = self.runner.summary, self.declared.get("bind"), self.declared.get("returns")
        if (bind and "auto" in bind.split(",")) or summary.reading:
            bind = summary.declaration or bind
        if not returns and summary.returns is not None:
            returns = str(summary.returns)
        return dict(self.declared, bind=bind, returns=returns)

    def column_owner(self, column: Column) -> str:
        """The row that owns the base of `column`: forward, or float64 / half in their dtypes."""
        if column.dtype == self.base_dtype:
            return "forward"
        return "half" if column.dtype in ("float16", "bfloat16") else "float64"

    def blocking(self, feature: Feature, column: Column) -> Optional[tuple]:
        """(owner, failure) when a failing base blocks `feature` in `column` before it runs."""
        first = Column(column.mode, column.device, self.base_dtype)
        for owner, base_column in (("forward", first), (self.column_owner(column), column)):
            if owner == feature.name:
                return None
            failure = self.base_failure(base_column)
            if failure is None or cause_owner(failure) == feature.name:
                continue  # this row owns the base's defect: it fails with it, not blocked by it
            if feature.judges_values or failure.status == Status.ERROR:
                return cause_owner(failure) or owner, failure
        return None

    def tolerance_of(self, feature: str, device: str) -> Callable[[torch.dtype], Tolerance]:
        def of(dtype: torch.dtype) -> Tolerance:
            override = self.tolerance_hook(feature, dtype, device) if self.tolerance_hook else None
            return override if override is not None else tolerance_for(dtype)

        return of

    def row_check(self, feature: str, device: str) -> RowCheck:
        return RowCheck(self.runner, feature, self.tolerance_of(feature, device))

    def base_failure(self, column: Column) -> Optional[Failure]:
        """``forward``'s verdict on a few fixed base cases of `column` (once per process)."""
        if column.id not in self.base_failures:
            self.base_failures[column.id] = None
            check = self.row_check("forward", column.device)
            for seed in BASE_SEEDS:
                spec, recipe = fixed_base(self.runner.summary.support, column.mode, seed)
                try:
                    self.features["forward"].check(check, make_inputs(spec, recipe, dtype=DTYPES[column.dtype],
                                                                      device=column.device))
                except FailureRaised as raised:
                    self.base_failures[column.id] = raised.failure
                    break
                except Fatal as fatal:
                    self.base_failures[column.id] = fatal.failure
                    break
                except (Refused, OutOfRange):
                    continue
        return self.base_failures[column.id]


class _StopAtOnce(pytest.skip.Exception):
    """Carries a fatal failure or an unsupported verdict out of hypothesis without shrinking:
    hypothesis re-raises skips at once, and `run_row` turns it back into what it carries."""

    def __init__(self, carried: BaseException) -> None:
        super().__init__("stopped")
        self.carried = carried


@dataclass
class _Tally:
    checked: int = 0
    refused: int = 0
    last_refusal: str = ""
    last_inputs: object = None


def run_row(context: RunContext, feature: Feature, column: Column) -> None:
    """Run `feature` in `column`: return on a pass; raise `FailureRaised` (fail, error, blocked) or
    skip (unsupported)."""
    summary = context.runner.summary
    reason = feature.requires(summary, column.mode)
    if reason is not None:
        raise Unsupported(reason)
    if context.hangs >= HANGS_ALLOWED:  # the run's budget, as the probe's: then the rest are not run
        raise FailureRaised(_placed(Failure(Status.ERROR, Kind.CRASH, "not run: the implementation hung in "
                                           + " and ".join(context.hung_in)), feature, column))
    blocked = context.blocking(feature, column)
    if blocked is not None:
        raise FailureRaised(_blocked(blocked[1], blocked[0], feature, column))
    tally = _Tally()
    check = context.row_check(feature.name, column.device)
    dtype = DTYPES[column.dtype]

    @settings(max_examples=max(3, round(context.max_examples * feature.example_share)), deadline=None,
              database=None, report_multiple_bugs=False, suppress_health_check=list(HealthCheck),
              verbosity=Verbosity.normal if context.verbose else Verbosity.quiet,
              phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])
    @given(case=cases(summary.support, column.mode, feature.dimensions))
    def prop(case: tuple) -> None:
        inputs = make_inputs(*case, dtype=dtype, device=column.device)
        tally.last_inputs = inputs
        try:
            feature.check(check, inputs)
        except Fatal as fatal:
            raise _StopAtOnce(fatal) from None
        except OutOfRange:
            reject()  # this draw overflows the dtype whatever computes it: draw another
        except Refused as refusal:
            tally.refused += 1
            tally.last_refusal = str(refusal)
            if tally.checked == 0 and tally.refused >= UNSUPPORTED_AFTER:
                raise _StopAtOnce(refusal) from None
            reject()  # not an example: the budget goes to configurations it accepts
        tally.checked += 1

    if context.column_owner(column) == feature.name:  # the base cases other rows' dependence is judged on
        for seed in BASE_SEEDS:
            prop = example(case=fixed_base(summary.support, column.mode, seed))(prop)
    if feature.name == "combined":  # every dimension at once, first: where they meet is not left to a draw
        prop = example(case=far_corner(summary.support, column.mode, BASE_SEEDS[0]))(prop)
    if feature.dimensions.edge == "edge":  # saturation, special values, a long sequence: first, in every column
        for case in edge_examples(summary.support, column.mode, BASE_SEEDS[0]):
            prop = example(case=case)(prop)
    # The key hypothesis would otherwise make by reading and tokenizing this function's source, once
    # for every row and column (0.15 s of a run); the row and column name the property better.
    prop._hypothesis_internal_database_key = f"rnnconformance:{feature.name}[{column.id}]".encode()
    if settings.default.derandomize:
        prop = hypothesis.seed(_derandomized_seed(prop.hypothesis.inner_test))(prop)
    try:
        prop()
    except _StopAtOnce as stop:
        if isinstance(stop.carried, Refused):
            _unsupported(feature, column, _refusal(str(stop.carried)))
        context.hangs += 1  # a Fatal: it hung, or its worker died
        context.hung_in.append(feature.name)
        failure = stop.carried.failure.replace(notes=("not shrunk: each retry of a hang or a crash costs as much",))
        raise FailureRaised(_finished(failure, tally.last_inputs, context, feature, column)) from None
    except FailureRaised as raised:
        raise FailureRaised(finish(raised.failure, tally.last_inputs, context, feature, column)) from None
    except Flaky as flaky:
        raise FailureRaised(_finished(_flaky(flaky), tally.last_inputs, context, feature, column)) from None
    except Unsatisfiable:  # every case drawn was refused or overflows the dtype: none was judged
        pass
    if tally.checked == 0:
        _unsupported(feature, column, _refusal(tally.last_refusal) if tally.last_refusal else
                     f"every case drawn overflows {column.dtype} whatever computes it: nothing to judge")


#: The seed of each derandomized property's code, read once a process (see `_derandomized_seed`).
_SEEDS: dict = {}


def _derandomized_seed(test) -> int:
    """The seed hypothesis derives for a derandomized `test` (the CI profile's): the digest of its
    source, which it would otherwise read and tokenize again for every row, though every row's
    property is the same function (0.03 s of a run). Read once a process, the same seed."""
    code = test.__code__
    if code not in _SEEDS:
        _SEEDS[code] = int.from_bytes(function_digest(test), "big")
    return _SEEDS[code]


def _flaky(flaky: Flaky) -> Failure:
    """One error for a failure hypothesis saw once and not again on the same case."""
    first = next((e.failure for e in getattr(flaky, "exceptions", ()) if isinstance(e, FailureRaised)), None)
    what = first.summary if first is not None else str(flaky).strip().splitlines()[0]
    return Failure(Status.ERROR, Kind.FLAKY, f"flaky: {what}, but not when the same case was run again: the result "
                   "depends on more than the inputs (a random draw, state kept between calls, timing)",
                   explanations=first.explanations if first is not None else (),
                   cause=first.cause if first is not None else "")


def _refusal(message: str) -> str:
    return f"the implementation raised NotImplementedError: {message}"


def _unsupported(feature: Feature, column: Column, reason: str) -> None:
    """Skip the row as unsupported, saying why; forward never is: nothing checked there fails."""
    if feature.name == "forward":
        raise FailureRaised(_placed(Failure(Status.FAIL, Kind.REFUSED, "forward could not check the implementation's "
                                            f"own base configuration, which it must: {reason}"), feature, column))
    raise Unsupported(reason)


def finish(failure: Failure, inputs, context: RunContext, feature: Feature, column: Column) -> Failure:
    """Blocked or not, named or localised, and placed (see the module docstring)."""
    owner = _owner(failure, inputs, context, feature, column) \
        if failure.status == Status.FAIL or failure.kind == Kind.CRASH else None
    if owner is not None:
        return _blocked(owner[1], owner[0], feature, column, inputs)
    if failure.kind == Kind.VALUES and not failure.explanations:
        failure = explain(failure, inputs, context.row_check(feature.name, column.device))
    return _finished(failure, inputs, context, feature, column)


def _owner(failure: Failure, inputs, context: RunContext, feature: Feature, column: Column) -> Optional[tuple]:
    """(row, its failure) when another row owns this failure: the owner of the base when the case's
    base fails (`RunContext.column_owner`), a row this one builds on when the case fails with only
    that row's dimension, or, for ``combined``, the row whose dimension alone reproduces it; a shape
    ``combined`` finds is ``shape``'s when that row, from the base, finds it with one dimension changed
    (h_n batch-first is (batch, 2, hidden) at two layers, and (batch, 1, hidden) at one)."""
    if inputs is None or feature.name == "forward":
        return None
    support = context.runner.summary.support
    spec, recipe = inputs.spec, inputs.recipe
    check = context.row_check(feature.name, column.device)
    base = project(spec, recipe, support)
    trials = []
    if column.dtype != context.base_dtype:
        trials.append(("forward", context.features["forward"], base, DTYPES[context.base_dtype]))
    owner = context.column_owner(column)
    if owner != feature.name:
        trials.append((owner, context.features["forward"], base, inputs.dtype))
    present = present_dimensions(spec, recipe, support)
    if feature.name != "dtype" and "default_dtype_buffer" in _diagnosis_of(inputs, context, check):
        trials.append(("dtype", context.features["dtype"], base, inputs.dtype))
    others = [context.features[name] for name in feature.builds_on if name in context.features]
    if feature.name == "combined":
        others = [other for other in context.features.values() if other.owns and other.name != feature.name]
    trials += [(other.name, feature if feature.name == "combined" else other,
                project(spec, recipe, support, keep=other.owns), inputs.dtype)
               for other in others if set(other.owns) & present]
    if feature.name == "combined" and failure.kind == Kind.SHAPE and "shape" in context.features:
        trials.append(("shape", context.features["shape"], base, inputs.dtype))
    for name, checked_as, (owner_spec, owner_recipe), dtype in trials:
        try:
            checked_as.check(check, make_inputs(owner_spec, owner_recipe, dtype=dtype, device=inputs.device))
        except FailureRaised as raised:
            if name in ("forward", "float64", "half") and not feature.judges_values \
                    and raised.failure.status != Status.ERROR:
                continue
            # a defect the base shows belongs to its cause's row (a default-dtype buffer: dtype's); one that
            # only a row's own dimension shows (that buffer made where hx is omitted) is that row's
            owner = (cause_owner(raised.failure) or name) if name in ("forward", "float64", "half") else name
            if owner == feature.name:
                continue  # this row owns the defect its trial found: it fails with it
            return owner, raised.failure
        except (Refused, OutOfRange, Fatal):
            continue
    return None


def _diagnosis_of(inputs, context: RunContext, check: RowCheck) -> list:
    """The cause a plain call of this case already names (a crash mixing dtypes), if any."""
    call = check.call(inputs)
    return [call.problem.cause] if call.problem is not None and call.problem.cause else []


def explain(failure: Failure, inputs, check: RowCheck) -> Failure:
    """Name the mistake (confirmed at larger sizes), or localise the failure."""
    result = _values_of(check, inputs)
    if result is None:
        return failure
    plain_failure = judge(inputs, result, check.tolerance_of)
    if plain_failure is None or plain_failure.kind != Kind.VALUES:
        return failure  # this row's check is not a plain call: its failure stands as it is
    allowed, failing, agreeing = allowed_and_failing(plain_failure)
    found = candidates(inputs, result.tensors, allowed, failing)
    confirm = confirmation_inputs(inputs) if found else None
    confirmed = []
    if found:
        confirm_result = _values_of(check, confirm)
        confirm_failure = judge(confirm, confirm_result, check.tolerance_of) if confirm_result is not None else None
        if confirm_failure is not None and confirm_failure.kind == Kind.VALUES:
            c_allowed, c_failing, _ = allowed_and_failing(confirm_failure)
            confirmed = candidates(confirm, confirm_result.tensors, c_allowed, c_failing)
    named = explanations(found, confirmed, inputs.spec, failing)
    if named:
        return failure.replace(explanations=named)
    return failure.replace(localisation=localise(inputs, result.tensors, allowed, failing, agreeing))


def _values_of(check: RowCheck, inputs):
    call = check.call(inputs)
    return call.result if call.problem is None else None


def _blocked(owner_failure: Failure, owner: str, feature: Feature, column: Column, inputs=None) -> Failure:
    what = owner_failure.summary if owner_failure.status != Status.BLOCKED else "its own defect"
    failure = Failure(Status.BLOCKED, owner_failure.kind, f"blocked by {owner}: {what}", blocked_by=owner,
                      details=owner_failure.details, divergences=owner_failure.divergences,
                      explanations=owner_failure.explanations, cause=owner_failure.cause)  # the owner's finding
    return _placed(failure, feature, column, inputs)


def _finished(failure: Failure, inputs, context: RunContext, feature: Feature, column: Column) -> Failure:
    placed = _placed(failure, feature, column, inputs)
    if inputs is None:
        return placed
    return placed.replace(reproduce=reproduction(context.impl, inputs, feature.name, context.runner.summary.modes,
                                                 context.used()))


def _placed(failure: Failure, feature: Feature, column: Column, inputs=None) -> Failure:
    fields = dict(row=feature.name, column=column.id)
    if inputs is not None:
        fields.update(configuration=f"{inputs.spec.describe()}; {inputs.recipe.describe()}",
                      counterexample=counterexample(inputs))
    return failure.replace(**fields)


def counterexample(inputs) -> dict:
    """The JSON-able recipe that rebuilds `inputs` exactly (see `make_inputs`)."""
    return {"spec": asdict(inputs.spec), "recipe": asdict(inputs.recipe), "seed": inputs.recipe.seed,
            "dtype": str(inputs.dtype).replace("torch.", ""), "device": str(inputs.device)}


def reproduction(impl: str, inputs, row: str, modes: tuple = (), declared: Optional[dict] = None) -> str:
    """A copy-paste snippet that rebuilds the inputs and re-runs the check, binding the implementation
    as the run did: its declared ``--rnn-mode``, ``--rnn-bind`` and ``--rnn-returns`` are passed on."""
    declared = {name: value for name, value in (declared or {}).items() if value}
    if "mode" not in declared and len(modes) != 1:
        declared["mode"] = inputs.spec.mode
    keywords = "".join(f", {name}={declared[name]!r}" for name in ("mode", "bind", "returns") if name in declared)
    return ("import torch\n"
            "from pytest_rnnconformance import InputRecipe, RNNSpec, make_inputs, rnn_check\n"
            f"inputs = make_inputs({inputs.spec!r},\n"
            f"                     {inputs.recipe!r},\n"
            f"                     dtype=torch.{str(inputs.dtype).replace('torch.', '')}, device={str(inputs.device)!r})\n"
            f"rnn_check({impl!r}, inputs{keywords}, feature={row!r})")
