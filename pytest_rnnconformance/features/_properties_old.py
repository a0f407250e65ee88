"""Running a feature: a hypothesis property over the feature's configurations, and its checks.

Most features check values (`Checker.check`). Two check something else: ``shape`` (exact shapes,
values aside) and ``continuation`` (two calls carrying the state equal one call; one sample alone
equals the same sample inside a batch; layers and directions run one at a time join into the
whole run), which are metamorphic: they hold for any correct implementation whatever the oracle
says, registered cells included.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, Phase, given, reject, settings

from .calling import Unsupported
from .compare import measure
from .gradients import as_leaves, candidate_gradients, gradcheck_candidate, has_custom_backward, oracle_gradients, \
    upstream_weights
from .check import Checker, counterexample
from .features import Feature, feature_case
from .inputs import RNNInputs, make_inputs, map_hidden
from .oracle import expected as compute_expected
from .outcomes import CandidateError, ConformanceFailure, OutOfRange
from .support import Support

#: After this many NotImplementedErrors and no supported example, the feature is unsupported.
UNSUPPORTED_AFTER = 5


class _StopAtOnce(pytest.skip.Exception):
    """Carries a fatal error (a hang, a dead worker) out of hypothesis without shrinking it:
    hypothesis re-raises skips at once, and `run_property` turns it back into the error."""

    def __init__(self, error: CandidateError) -> None:
        super().__init__("stopped at a fatal error")
        self.error = error


@dataclass
class Tally:
    checked: int = 0
    unsupported: int = 0
    last_unsupported: str = ""


def run_property(checker: Checker, feature: Feature, support: Support, mode: str, dtype: torch.dtype,
                 device: str, max_examples: int) -> Tally:
    """Run `feature`'s property; raise the (shrunk) failure, or skip if nothing was supported."""
    tally = Tally()
    body = CHECKS.get(feature.name, check_values)

    @settings(
        max_examples=max(3, round(max_examples * feature.example_share)),
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=feature_case(feature, support, mode))
    def prop(case: tuple) -> None:
        spec, recipe = case
        inputs = make_inputs(spec, recipe, dtype=dtype, device=device)
        try:
            body(checker, inputs)
        except CandidateError as error:
            if error.fatal:
                error.args = (error.args[0] + "\n  (not shrunk: each retry of a hang or a crash costs as much)",)
                raise _StopAtOnce(error) from None
            raise
        except OutOfRange:
            reject()  # this draw overflows the dtype whatever computes it: draw another
        except Unsupported as error:
            tally.unsupported += 1
            tally.last_unsupported = str(error)
            if tally.checked == 0 and tally.unsupported >= UNSUPPORTED_AFTER:
                pytest.skip(f"unsupported: the implementation raised NotImplementedError: {error}")
            reject()  # not an example: the budget is spent on configurations it claims to support
        tally.checked += 1

    try:
        prop()
    except _StopAtOnce as stop:
        raise stop.error from None
    except ConformanceFailure as failure:
        checker.explain(failure)  # once, on the shrunk example hypothesis re-raises
        raise
    if tally.checked == 0:
        pytest.skip(f"unsupported: the implementation raised NotImplementedError: {tally.last_unsupported}")
    return tally


# --------------------------------------------------------------------------- checks
def check_values(checker: Checker, inputs: RNNInputs) -> None:
    checker.check(inputs)


def check_shape(checker: Checker, inputs: RNNInputs) -> None:
    """Every result has exactly torch.nn's shape (values are judged by the other features)."""
    result = checker.run(inputs)
    if result.shape_mismatches:
        parts = [f"{name} has shape {got}; torch.nn's is {want}" for name, (got, want) in result.shape_mismatches.items()]
        raise ConformanceFailure(
            checker.headline(inputs) + "; ".join(parts) + " (the values are right: only the shape is off)",
            details={"shapes": {n: {"got": list(g), "expected": list(w)} for n, (g, w) in result.shape_mismatches.items()}},
            counterexample=counterexample(inputs),
            shape_only=True,
        )


def _time_slice(inputs: RNNInputs, start: int, stop: int, hx: Any) -> RNNInputs:
    dim = 0 if (inputs.recipe.batch is None or not inputs.spec.batch_first) else 1
    piece = inputs.input.narrow(dim, start, stop - start)
    recipe = replace(inputs.recipe, time=stop - start, hx_none=hx is None)
    return replace(inputs, input=piece, hx=hx, recipe=recipe)


def check_continuation(checker: Checker, inputs: RNNInputs) -> None:
    """Split the sequence in two calls carrying the returned state; one batch row alone; layers
    run one at a time; directions run one at a time.

    The split only holds for one direction (a reverse pass starts at the end of the whole
    sequence), so bidirectional configurations check the other three.
    """
    if not inputs.spec.bidirectional:
        check_split(checker, inputs)
    check_row_alone(checker, inputs)
    check_layers_stack(checker, inputs)
    check_directions_join(checker, inputs)


def check_split(checker: Checker, inputs: RNNInputs) -> None:
    expected = compute_expected(inputs)
    split = inputs.recipe.time // 2
    first = checker.run(_time_slice(inputs, 0, split, inputs.hx)).tensors
    carried = (first["h_n"], first["c_n"]) if inputs.spec.num_states == 2 else first["h_n"]
    second = checker.run(_time_slice(inputs, split, inputs.recipe.time, carried)).tensors
    time_dim = 1 if inputs.spec.batch_first else 0
    joined = dict(second)
    joined["output"] = torch.cat([first["output"], second["output"]], dim=time_dim)
    try:
        checker.judge(inputs, joined, expected)
    except ConformanceFailure as failure:
        failure.args = (f"(two calls, split at step {split}, the second starting from the first's returned state)\n"
                        + failure.args[0],)
        raise


def check_row_alone(checker: Checker, inputs: RNNInputs) -> None:
    row = inputs.recipe.batch - 1
    alone = inputs.batch_row(row)
    expected_alone = compute_expected(alone)
    try:
        checker.judge(alone, checker.run(alone).tensors, expected_alone)
    except ConformanceFailure as failure:
        failure.args = (f"(batch row {row} run alone, as a batch of one)\n" + failure.args[0],)
        raise


def check_layers_stack(checker: Checker, inputs: RNNInputs) -> None:
    """Metamorphic, no oracle needed: a multi-layer run equals one-layer runs stacked by hand,
    each layer reading the previous layer's output and starting from its own slice of h0."""
    spec = inputs.spec
    support = checker.binding.support
    if spec.num_layers < 2 or inputs.recipe.lengths is not None or inputs.recipe.batch is None:
        return
    whole = checker.run(inputs).tensors
    layer_input, directions = inputs.input, spec.num_directions
    for layer in range(spec.num_layers):
        one = spec.replace(num_layers=1, input_size=layer_input.shape[-1])
        rows = slice(layer * directions, (layer + 1) * directions)
        hx = map_hidden(lambda t: t[rows], inputs.hx)
        params = {name.replace(f"_l{layer}", "_l0"): value for name, value in inputs.params.items()
                  if f"_l{layer}" in name and name.split("_l")[-1].split("_")[0] == str(layer)}
        piece = replace(inputs, spec=one, input=layer_input, hx=hx, params=params)
        layer_input = checker.run(piece).tensors["output"]
    tolerance = checker.tolerance(inputs.dtype, inputs.device.type)
    difference = float((layer_input.double() - whole["output"].double()).abs().max())
    allowed = tolerance.allowed(0.0, float(whole["output"].abs().max())) * spec.num_layers
    if difference > allowed and support.max_layers != 1:
        raise ConformanceFailure(
            checker.headline(inputs) + f"one call with {spec.num_layers} layers differs from the same layers run one "
            f"at a time (max difference {difference:.3g}, allowed {allowed:.3g}): the layers do not stack "
            "(each layer must read the previous layer's whole output, both directions, and start from its own "
            "rows of h0)", counterexample=counterexample(inputs), details={"stacked_difference": difference})


def check_directions_join(checker: Checker, inputs: RNNInputs) -> None:
    """Metamorphic, no oracle needed: a bidirectional layer equals a forward run joined with a run
    over the time-reversed input (flipped back), each with its own weights and rows of h0."""
    spec = inputs.spec
    if not spec.bidirectional or spec.num_layers != 1 or inputs.recipe.lengths is not None:
        return
    if 1 not in checker.binding.support.directions:
        return  # it cannot run one direction alone: nothing to join
    whole = checker.run(inputs).tensors
    one = spec.replace(bidirectional=False)
    time_dim = 1 if spec.batch_first and inputs.recipe.batch is not None else 0
    runs = []
    for direction, suffix in enumerate(("", "_reverse")):
        params = {name.replace("_reverse", ""): value for name, value in inputs.params.items()
                  if name.endswith("_l0" + suffix)}
        hx = map_hidden(lambda t: t[direction:direction + 1], inputs.hx)
        x = inputs.input.flip(time_dim) if direction else inputs.input
        result = checker.run(replace(inputs, spec=one, input=x, hx=hx, params=params)).tensors
        if direction:
            result = dict(result, output=result["output"].flip(time_dim))
        runs.append(result)
    joined = {name: torch.cat([runs[0][name], runs[1][name]], dim=-1 if name == "output" else 0) for name in whole}
    tolerance = checker.tolerance(inputs.dtype, inputs.device.type)
    for name, tensor in whole.items():
        difference = float((joined[name].double() - tensor.double()).abs().max())
        allowed = tolerance.allowed(0.0, float(tensor.abs().max()))
        if difference > allowed:
            raise ConformanceFailure(
                checker.headline(inputs) + f"the bidirectional {name} differs from a forward run joined with a run "
                f"over the reversed sequence (max difference {difference:.3g}, allowed {allowed:.3g}): the reverse "
                "direction must read the input from its last step to its first, with the _reverse weights and "
                "rows of h0, and its output must be flipped back to input order",
                counterexample=counterexample(inputs), details={"joined_difference": difference, "tensor": name})


def check_purity(checker: Checker, inputs: RNNInputs) -> None:
    """No input or weight modified, no global torch state changed, the same result twice."""
    first = checker.run(inputs)
    record = checker.last_record
    problems = list(record.mutated) + [f"changed the global torch state: {change}" for change in record.state_changes]
    if problems:
        raise ConformanceFailure(
            checker.headline(inputs) + "; ".join(problems) + " (the plugin restored its own copies and state)",
            details={"violations": problems}, counterexample=counterexample(inputs))
    second = checker.run(inputs)
    for name, tensor in first.tensors.items():
        other = second.tensors[name]
        if not torch.equal(torch.nan_to_num(tensor), torch.nan_to_num(other)):
            difference = float((tensor.double() - other.double()).abs().max())
            raise ConformanceFailure(
                checker.headline(inputs) + f"gave a different {name} when called twice on the same input "
                f"(max difference {difference:.3g}): the result must not depend on anything but the inputs",
                details={"violations": [f"nondeterministic {name}"]}, counterexample=counterexample(inputs))


def check_no_delegation(checker: Checker, inputs: RNNInputs) -> None:
    """The implementation computes the recurrence itself: no torch RNN kernel is reached."""
    checker.run(inputs, record_calls=True)
    kernels = checker.last_record.kernels
    if kernels:
        raise ConformanceFailure(
            checker.headline(inputs) + f"calls torch's own recurrent kernel{'s' if len(kernels) > 1 else ''} "
            f"{', '.join(kernels)}: the recurrence must be computed by the implementation itself "
            "(--rnn-allow-builtin turns this check off for code that wraps torch on purpose)",
            diagnosis=["delegation"], details={"kernels": kernels}, counterexample=counterexample(inputs))


def check_backward(checker: Checker, inputs: RNNInputs) -> None:
    """Gradients of a randomly weighted loss on every output match torch.nn's and the reference's."""
    if getattr(checker.binding, "remote", False):
        raise Unsupported("gradients are not checked with --rnn-isolate (they would have to cross the wire)")
    weights = upstream_weights(expected_shapes_of(inputs), inputs.recipe.seed)
    result = checker.run(as_leaves(inputs), keep_graph=True)
    candidate = candidate_gradients(checker.binding, result.tensors, checker.last_record.inputs, weights)
    oracles = oracle_gradients(inputs, weights)
    errors = measure(candidate, oracles, checker.tolerance(inputs.dtype, inputs.device.type))
    failing = [e for e in errors if not e.ok]
    if failing:
        lines = [checker.headline(inputs) + f"{', '.join(e.name for e in failing)} differ from torch.nn's autograd"]
        lines += [f"    {e.name:20} {e.error:.3g} (rel {e.relative:.3g}) / {e.vs_torch:.3g}; allowed {e.allowed:.3g} "
                  f"{'ok' if e.ok else 'FAIL'}" for e in errors]
        raise ConformanceFailure("\n".join(lines), details={"gradients": {e.name: e.error for e in errors}},
                                 counterexample=counterexample(inputs))
    if inputs.dtype == torch.float64 and has_custom_backward(result.tensors.values()):
        try:
            gradcheck_candidate(checker.binding, inputs)
        except torch.autograd.gradcheck.GradcheckError as error:
            raise ConformanceFailure(checker.headline(inputs) + "torch.autograd.gradcheck of the custom backward "
                                     f"failed: {str(error).splitlines()[0]}", counterexample=counterexample(inputs))


def expected_shapes_of(inputs: RNNInputs) -> dict:
    from .results import expected_shapes

    return {name: torch.empty(shape) for name, shape in expected_shapes(inputs).items()}


CHECKS = {"backward": check_backward, "shape": check_shape, "continuation": check_continuation, "purity": check_purity,
          "no_delegation": check_no_delegation}
