"""One check: run the candidate on one input, compare with both oracles, explain any failure."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch

from .binding import Binding
from .calling import Unsupported, call_candidate
from .compare import locate, measure
from .inputs import RNNInputs, dtype_name
from .oracle import Expected
from .oracle import expected as compute_expected
from .diagnose import Explanation, describe, diagnose
from .guard import CallRecord
from .outcomes import CandidateError, ConformanceFailure, OracleDisagreement, OutOfRange
from .results import CandidateResult, interpret_candidate
from .tolerance import Tolerance, tolerance_for


#: torch.nn's own error beyond this many floors (and this many times the input's rounding sensitivity)
#: means the two oracles disagree: not rounding, whatever the input.
ORACLE_DISAGREEMENT = 1000


@dataclass
class Checker:
    """Everything a check needs besides the inputs: whom to call and how to judge."""

    binding: Binding
    impl_label: str
    feature: str = "forward"
    tolerance_override: Optional[Callable[[str, torch.dtype, str], Optional[Tolerance]]] = None
    timeout: Optional[float] = None
    inflight_path: Optional[Path] = None  # where the repro of a CUDA call is written before it runs
    last_record: Optional[CallRecord] = field(default=None, repr=False)

    def tolerance(self, dtype: torch.dtype, device: str) -> Tolerance:
        if self.tolerance_override is not None:
            override = self.tolerance_override(self.feature, dtype, device)
            if override is not None:
                return override
        return tolerance_for(dtype)

    @property
    def per_layer(self) -> bool:
        return self.binding.convention == "by-name"

    def run(self, inputs: RNNInputs, record_calls: bool = False, keep_graph: bool = False) -> CandidateResult:
        """Call the candidate on a copy of `inputs` and read its result (no judgement yet)."""
        if self.inflight_path is not None and inputs.device.type == "cuda":
            # A device-side assert can take the whole process down: write the repro first.
            self.inflight_path.write_text(json.dumps({"feature": self.feature, **counterexample(inputs),
                                                      "reproduce": reproduction(self.impl_label, inputs)}))
        try:
            raw, self.last_record = call_candidate(self.binding, inputs, timeout=self.timeout,
                                                   record_calls=record_calls)
            return interpret_candidate(raw, inputs, self.per_layer, keep_graph)
        except (CandidateError, ConformanceFailure) as problem:
            problem.counterexample = counterexample(inputs)
            problem.args = (self.headline(inputs) + str(problem),)
            raise

    def check(self, inputs: RNNInputs) -> CandidateResult:
        """The whole check: oracles, candidate, comparison; raises `ConformanceFailure` on a mismatch."""
        expected = compute_expected(inputs)
        result = self.run(inputs)
        self.judge(inputs, result.tensors, expected)
        return result

    def judge(self, inputs: RNNInputs, candidate: dict, expected: Expected) -> None:
        largest = max(float(t.abs().max()) if t.numel() else 0.0 for t in expected.reference.values())
        if largest > torch.finfo(inputs.dtype).max / 2:
            raise OutOfRange(f"the exact result reaches {largest:.3g}, beyond what {inputs.dtype} can hold")
        tolerance = self.tolerance(inputs.dtype, inputs.device.type)
        errors = measure(candidate, expected, tolerance)
        reference = expected.reference
        floor = tolerance_for(inputs.dtype).floor  # the default policy's, whatever a hook chose
        # Far beyond rounding *and* beyond what this input's own sensitivity explains: a chaotic input
        # (long, saturated) amplifies any rounding, torch.nn's included, and is judged, not set aside.
        disagreeing = [e for e in errors
                       if e.torch_error > ORACLE_DISAGREEMENT * max(floor * max(1.0, e.magnitude), e.sensitivity)]
        if disagreeing:
            worst = max(disagreeing, key=lambda e: e.torch_error)
            raise OracleDisagreement(
                f"{self.headline(inputs)}torch.nn and the float64 reference disagree on {worst.name} by "
                f"{worst.torch_error:.3g}, far beyond rounding: the candidate is not judged on this input "
                f"(its error against the reference is {worst.error:.3g}, against torch.nn {worst.vs_torch:.3g})\n"
                + "\n".join("    " + line for line in reproduction(self.impl_label, inputs, self.binding.modes).splitlines()))
        failing = [e for e in errors if not e.ok]
        if failing:
            failure = self.failure(inputs, candidate, reference, errors, failing)
            failure.evidence = (inputs, candidate, {e.name: e.allowed for e in errors}, [e.name for e in failing])
            raise failure

    def explain(self, failure: ConformanceFailure) -> None:
        """Name the likely mistake of a (shrunk) failure: run the catalogue on its input."""
        evidence = getattr(failure, "evidence", None)
        if evidence is None or failure.diagnosis:
            return
        inputs, candidate, allowed, failing = evidence
        explanations = diagnose(inputs, candidate, allowed, failing)
        if not any(e.full for e in explanations) and self._mixes_batch_rows(inputs):
            explanations.insert(0, Explanation("batch_mixing", (
                "each batch row is right when run alone but wrong inside the batch: rows influence each other "
                "(look for a reshape/view where a transpose belongs, or a sum or mean over the batch)"),
                list(failing), True, 0.0))
        failure.diagnosis = [e.id for e in explanations]
        failure.details["explanations"] = [{"id": e.id, "sentence": e.sentence, "tensors": e.tensors,
                                            "full": e.full} for e in explanations]
        lines = str(failure).split("\n")
        at = next((i for i, line in enumerate(lines) if line.startswith("  errors (max abs)")), len(lines))
        failure.args = ("\n".join(lines[:at] + describe(explanations, failing) + lines[at:]),)

    def _mixes_batch_rows(self, inputs: RNNInputs) -> bool:
        """True if every batch row alone conforms although the batch as a whole did not."""
        if inputs.recipe.batch is None or inputs.recipe.batch < 2 or inputs.recipe.lengths is not None:
            return False
        try:
            for row in range(inputs.recipe.batch):
                alone = inputs.batch_row(row)
                expected = compute_expected(alone)
                self.judge(alone, self.run(alone).tensors, expected)
        except (ConformanceFailure, CandidateError, OracleDisagreement, Unsupported):
            return False
        return True

    # ------------------------------------------------------------------ explaining
    def headline(self, inputs: RNNInputs) -> str:
        return (f"{self.feature} [{inputs.spec.mode}-{inputs.device.type}-{dtype_name(inputs.dtype)}]: "
                f"{inputs.spec.describe()}; {inputs.recipe.describe()}\n  ")

    def failure(self, inputs: RNNInputs, candidate: dict, reference: dict, errors: list, failing: list) -> ConformanceFailure:
        spec, recipe = inputs.spec, inputs.recipe
        batched = recipe.batch is not None or recipe.lengths is not None
        batch_first = spec.batch_first and recipe.lengths is None
        divergences = []
        for e in failing:
            found = locate(e.name, candidate[e.name], reference[e.name], spec, e.allowed,
                           batched=batched, batch_first=batch_first)
            if found is not None:
                divergences.append(found)
        names = ", ".join(e.name for e in failing)
        # A registered cell has no torch.nn module: its reference in the same dtype stands in (see celltypes).
        torch_nn = "torch.nn" if spec.has_torch_module else f"the reference in {dtype_name(inputs.dtype)}"
        lines = [f"{self.headline(inputs)}{names} differ{'s' if len(failing) == 1 else ''} from {torch_nn}"]
        for d in divergences:
            lines.append(f"  first divergence: {d.describe()}")
            lines.append(f"    expected {d.expected}")
            lines.append(f"    got      {d.actual}")
        lines.append(f"  errors (max abs) against the float64 reference / against {torch_nn}:")
        for e in errors:
            verdict = "ok" if e.ok else "FAIL"
            lines.append(
                f"    {e.name:6} {e.error:.3g} (rel {e.relative:.3g}) / {e.vs_torch:.3g}; allowed {e.allowed:.3g} "
                f"({torch_nn}'s own error {e.torch_error:.3g}, rounding sensitivity {e.sensitivity:.3g}) {verdict}"
            )
        lines.append("  reproduce:")
        lines.extend("    " + line for line in reproduction(self.impl_label, inputs, self.binding.modes).splitlines())
        return ConformanceFailure(
            "\n".join(lines),
            details={
                "tensors": {e.name: {"error": e.error, "relative": e.relative, "torch_error": e.torch_error,
                                     "sensitivity": e.sensitivity,
                                     "vs_torch": e.vs_torch, "allowed": e.allowed, "ok": e.ok} for e in errors},
                "divergence": [d.as_dict() for d in divergences],
            },
            counterexample=counterexample(inputs),
        )


def counterexample(inputs: RNNInputs) -> dict:
    """The JSON-able recipe that rebuilds `inputs` exactly (see `make_inputs`)."""
    from dataclasses import asdict

    return {
        "spec": asdict(inputs.spec),
        "recipe": asdict(inputs.recipe),
        "seed": inputs.recipe.seed,
        "dtype": dtype_name(inputs.dtype),
        "device": str(inputs.device),
    }


def reproduction(impl_label: str, inputs: RNNInputs, modes: tuple = ()) -> str:
    """A copy-paste snippet that rebuilds the inputs and re-runs the check."""
    mode = f", mode={inputs.spec.mode!r}" if len(modes) != 1 else ""
    return (
        "import torch\n"
        "from pytest_rnnconformance import InputRecipe, RNNSpec, make_inputs, rnn_check\n"
        f"inputs = make_inputs({inputs.spec!r},\n"
        f"                     {inputs.recipe!r},\n"
        f"                     dtype=torch.{dtype_name(inputs.dtype)}, device={str(inputs.device)!r})\n"
        f"rnn_check({impl_label!r}, inputs{mode})"
    )
