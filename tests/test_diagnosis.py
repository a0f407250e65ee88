"""Saying why: every hand-written mutant is killed and named; correct code is never blamed."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from pytest_rnnconformance import RNNSpec, make_inputs
from pytest_rnnconformance.api import binding_for
from pytest_rnnconformance.check import Checker
from pytest_rnnconformance.features import FEATURES, REGISTRY, unsupported_reason
from pytest_rnnconformance.outcomes import ConformanceFailure, OracleDisagreement
from pytest_rnnconformance.properties import run_property

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "examples" / "reordered"))
from mutants import EXPECTED  # noqa: E402  (the benchmark's table: file -> catalogue id)

DTYPES = (torch.float64, torch.float32)


def first_failure(target: str, max_examples: int = 25, dtypes: tuple = DTYPES):
    """Run the suite's features in order, in-process, until one fails (like ``pytest -x``)."""
    binding = binding_for(target)
    for feature_name in FEATURES:
        feature = REGISTRY[feature_name]
        for mode in binding.modes:
            if not feature.applies_to(mode) or unsupported_reason(feature, binding.support, mode):
                continue
            for dtype in dtypes if feature.only_dtypes is None else (torch.float64,):
                if feature.only_dtypes == ("float16", "bfloat16"):
                    continue
                checker = Checker(binding, target, feature_name)
                try:
                    run_property(checker, feature, binding.support, mode, dtype, "cpu", max_examples)
                except ConformanceFailure as failure:
                    return feature_name, failure
                except pytest.skip.Exception:
                    continue
    return None, None


@pytest.mark.parametrize("mutant", sorted(EXPECTED))
def test_every_mutant_is_killed_and_named(mutant):
    feature, failure = first_failure(str(REPO / "examples" / "mutants" / mutant.split(":")[0]) + ":" + mutant.split(":")[1])
    assert failure is not None, f"{mutant} survived the whole suite"
    assert failure.diagnosis and failure.diagnosis[0] == EXPECTED[mutant], (feature, failure.diagnosis, str(failure))
    assert f"likely cause [{EXPECTED[mutant]}]" in str(failure)


@pytest.mark.parametrize("name", ["fused_gates", "separate_gates", "wide_accumulation", "einsum_order"])
def test_correct_code_in_another_order_is_never_blamed(name):
    feature, failure = first_failure(str(REPO / "examples" / "reordered" / f"{name}.py") + ":forward", max_examples=8,
                                     dtypes=(torch.float32,))
    assert failure is None, f"{name} blamed on {feature}: {failure}"


def _check(target: str, spec: RNNSpec, **recipe):
    checker = Checker(binding_for(target), target, "forward")
    with pytest.raises(ConformanceFailure) as raised:
        checker.check(make_inputs(spec, dtype=torch.float64, **recipe))
    checker.explain(raised.value)
    return raised.value


def mutant(name: str) -> str:
    return str(REPO / "examples" / "mutants" / name)


def test_localisation_names_tensor_direction_and_step():
    failure = _check(mutant("reverse_hn_last_step.py:bidirectional_rnn_forward"),
                     RNNSpec("rnn", 2, 3, bidirectional=True), time=4, batch=2, seed=3)
    [divergence] = failure.details["divergence"]
    assert (divergence["tensor"], divergence["direction"], divergence["all_rows"]) == ("h_n", "reverse", True)
    assert "output[0, :, H:]" in str(failure)


def test_a_recurrence_bug_grows_along_time_and_a_bias_bug_starts_at_step_zero():
    carried = _check(mutant("state_not_carried.py:lstm_forward"), RNNSpec("lstm", 2, 3), time=6, batch=2, seed=1)
    assert carried.details["divergence"][0]["step"] == 1  # step 0 starts from h0 either way
    bias = _check(mutant("missing_bias_hh.py:forward"), RNNSpec("gru", 2, 3), time=6, batch=2, seed=1)
    first = bias.details["divergence"][0]
    assert first["step"] == 0 and first["all_rows"]


def test_several_bugs_say_which_tensor_each_explains():
    """Output one step late AND reverse h_n from the last step: each explanation names its tensor."""
    from pytest_rnnconformance.diagnose import diagnose
    from pytest_rnnconformance.results import named_tensors
    from pytest_rnnconformance.variants import Switches, variant_forward

    inputs = make_inputs(RNNSpec("rnn", 2, 3, bidirectional=True), time=4, batch=2, seed=5, dtype=torch.float64)
    late = named_tensors(variant_forward(inputs, Switches(time_shift=True)), inputs.spec)
    last = named_tensors(variant_forward(inputs, Switches(reverse_hn_last_step=True)), inputs.spec)
    candidate = {"output": late["output"], "h_n": last["h_n"]}
    explanations = {e.id: e for e in diagnose(inputs, candidate, {"output": 1e-9, "h_n": 1e-9}, ["output", "h_n"])}
    assert explanations["time_shift"].tensors == ["output"] and not explanations["time_shift"].full
    assert explanations["reverse_hn_last_step"].tensors == ["h_n"]


def test_no_known_mistake_says_so_honestly(tmp_path):
    (tmp_path / "odd.py").write_text(
        "import torch\n"
        "def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):\n"
        "    h, out = h0, []\n"
        "    for step in x:\n"
        "        h = torch.tanh(step @ w_ih.T + b_ih + h @ w_hh.T + b_hh) * 0.9\n"
        "        out.append(h)\n"
        "    return torch.stack(out), h\n")
    failure = _check(f"{tmp_path / 'odd.py'}:rnn_forward", RNNSpec("rnn", 2, 3), time=3, batch=2, seed=0)
    assert failure.diagnosis == []
    assert "none of the known mistakes reproduces this result" in str(failure)


def test_oracle_disagreement_is_not_blamed_on_the_candidate(monkeypatch):
    from pytest_rnnconformance import oracle

    real = oracle.reference_forward
    monkeypatch.setattr(oracle, "reference_forward", lambda *a, **k: tuple(
        t + 1 if isinstance(t, torch.Tensor) else tuple(x + 1 for x in t) for t in real(*a, **k)))
    checker = Checker(binding_for("reference"), "reference", "forward")
    with pytest.raises(OracleDisagreement, match="torch.nn and the float64 reference disagree"):
        checker.check(make_inputs(RNNSpec("gru", 2, 3), time=2, batch=2, seed=0, dtype=torch.float64))


def test_a_chaotic_input_is_judged_not_set_aside_as_an_oracle_disagreement():
    """27 saturated steps: torch.nn in float32 lands 0.2 from the float64 reference, and so does any
    correct float32 code; the input's own rounding sensitivity (0.25) says why. Not a disagreement."""
    spec = RNNSpec("lstm", 1, 5, bias=False, proj_size=4)
    inputs = make_inputs(spec, time=27, batch=3, seed=12809, scale=4.0, dtype=torch.float32)
    Checker(binding_for(str(REPO / "examples" / "reordered" / "separate_gates.py") + ":forward"), "separate",
            "edge_cases").check(inputs)


def test_batch_first_states_are_diagnosed_from_their_shape():
    checker = Checker(binding_for(mutant("hn_batch_first.py:forward")), "hn", "layout")
    inputs = make_inputs(RNNSpec("rnn", 2, 3, num_layers=2, batch_first=True), time=2, batch=3, seed=0,
                         dtype=torch.float64)
    with pytest.raises(ConformanceFailure) as raised:
        checker.check(inputs)
    assert raised.value.diagnosis == ["hn_batch_first"]
    assert "(2, 3, 3)" in str(raised.value)
