"""Saying why: every hand-written mutant is killed and named; correct code is never blamed."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from pytest_rnnconformance import RNNSpec, make_inputs
from pytest_rnnconformance.api import runner_for
from pytest_rnnconformance.features.base import RowCheck
from pytest_rnnconformance.features.engine import explain
from pytest_rnnconformance.judge.failure import FailureRaised
from pytest_rnnconformance.judge.tolerance import tolerance_for
from pytest_rnnconformance.options import DEFAULT_MAX_EXAMPLES
from pytest_rnnconformance.report.render import render

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "examples" / "reordered"))
sys.path.insert(0, str(REPO / "tests"))
from matrix import run_matrix  # noqa: E402
from mutants import EXPECTED  # noqa: E402  (the benchmark's table: file -> catalogue id)

DTYPES = ("float32", "float64")


def first_failure(target: str, max_examples: int = DEFAULT_MAX_EXAMPLES, dtypes: tuple = DTYPES):
    """The first row that fails on its own, and its failure (like ``pytest -x``), with as many
    examples a row as a user's run has by default."""
    return run_matrix(target, dtypes=dtypes, max_examples=max_examples, stop_at_first_failure=True).first_failure()


@pytest.mark.parametrize("mutant", sorted(EXPECTED))
def test_every_mutant_is_killed_and_named(mutant):
    """The first row that fails names the mutant's mistake. One exception, which must name nothing:
    the exp-written tanh of ``unstable_activation`` also loses precision in its second derivatives at
    ordinary sizes (``double_backward`` fails about one draw in fifteen), which no catalogue entry
    tells apart from rounding; that mutant is named by ``edge_cases``, where its formula overflows."""
    target = str(REPO / "examples" / "mutants" / mutant.split(":")[0]) + ":" + mutant.split(":")[1]
    matrix = run_matrix(target, dtypes=DTYPES, max_examples=DEFAULT_MAX_EXAMPLES, stop_at_first_failure=True,
                        named=True)
    feature, failure = matrix.first_failure(named=True)
    assert failure is not None, f"{mutant} survived the whole suite, or no failing row named it:\n{matrix.verdicts()}"
    unnamed_before = {row for row, f in matrix.failures.items() if f.status != "blocked" and not f.diagnosis}
    assert unnamed_before <= ({"double_backward"} if EXPECTED[mutant] == "unstable_activation" else set()), \
        matrix.verdicts()
    assert failure.diagnosis[0] == EXPECTED[mutant], (feature, failure.diagnosis, render(failure))
    assert f"likely cause [{EXPECTED[mutant]}]" in render(failure)


@pytest.mark.parametrize("name", ["fused_gates", "separate_gates", "wide_accumulation", "einsum_order"])
def test_correct_code_in_another_order_is_never_blamed(name):
    feature, failure = first_failure(str(REPO / "examples" / "reordered" / f"{name}.py") + ":forward",
                                     dtypes=("float32",))
    assert failure is None, f"{name} blamed on {feature}: {failure and render(failure)}"


def _check(target: str, spec: RNNSpec, **recipe):
    """The forward check of `target` on one input, failed and explained as the suite does."""
    check = RowCheck(runner_for(target, spec.mode), "forward", tolerance_for)
    inputs = make_inputs(spec, dtype=torch.float64, **recipe)
    with pytest.raises(FailureRaised) as raised:
        check.values(inputs)
    return explain(raised.value.failure, inputs, check)


def mutant(name: str) -> str:
    return str(REPO / "examples" / "mutants" / name)


def test_localisation_names_tensor_direction_and_step():
    failure = _check(mutant("reverse_hn_last_step.py:bidirectional_rnn_forward"),
                     RNNSpec("rnn", 2, 3, bidirectional=True), time=4, batch=2, seed=3)
    [divergence] = failure.divergences
    assert (divergence.tensor, divergence.direction, divergence.all_rows) == ("h_n", "reverse", True)
    assert "output[0, :, H:]" in render(failure)


def test_a_recurrence_bug_starts_after_a_step_that_agrees_and_a_bias_bug_at_step_zero():
    carried = _check(mutant("state_not_carried.py:lstm_forward"), RNNSpec("lstm", 2, 3), time=6, batch=2, seed=1)
    assert carried.divergences[0].step == 1  # step 0 starts from h0 either way
    assert carried.divergences[0].growth.startswith("starts after a step that agrees (a bug in what is carried")
    bias = _check(mutant("missing_bias_hh.py:forward"), RNNSpec("gru", 2, 3), time=6, batch=2, seed=1)
    first = bias.divergences[0]
    assert first.step == 0 and first.all_rows


def test_two_bugs_at_once_are_not_named_after_either(tmp_path):
    """Output one step late AND reverse h_n from the last step: no single known mistake reproduces
    every tensor that differs, so none is named; the failure localises instead."""
    (tmp_path / "two_bugs.py").write_text(
        "import torch\n"
        "from pytest_rnnconformance.reference import forward as reference\n"
        "def forward(input, hx, params, spec):\n"
        "    output, h_n = reference(input, hx, params, spec)\n"
        "    late = torch.cat([hx[:1].expand(1, *output.shape[1:2], -1).repeat(1, 1, 2), output[:-1]])\n"
        "    half = output.shape[-1] // 2\n"
        "    h_n = torch.stack([h_n[0], output[-1, :, half:]])\n"
        "    return late, h_n\n")
    failure = _check(f"{tmp_path / 'two_bugs.py'}:forward", RNNSpec("rnn", 2, 3, bidirectional=True), time=4,
                     batch=2, seed=5)
    assert failure.diagnosis == []
    assert "none of the known mistakes" in render(failure)
    assert {d.tensor for d in failure.divergences} == {"output", "h_n"}  # localised instead


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
    assert "none of the known mistakes reproduces this result" in render(failure)


def test_oracle_disagreement_is_not_blamed_on_the_candidate(monkeypatch):
    from pytest_rnnconformance.judge import oracles

    real = oracles.reference
    monkeypatch.setattr(oracles, "reference", lambda *a, **k: tuple(
        t + 1 if isinstance(t, torch.Tensor) else tuple(x + 1 for x in t) for t in real(*a, **k)))
    check = RowCheck(runner_for("reference", "gru"), "forward", tolerance_for)
    with pytest.raises(FailureRaised, match="torch.nn and the float64 reference disagree") as raised:
        check.values(make_inputs(RNNSpec("gru", 2, 3), time=2, batch=2, seed=0, dtype=torch.float64))
    assert raised.value.failure.status == "error" and raised.value.failure.diagnosis == []


def test_a_chaotic_input_is_judged_not_set_aside_as_an_oracle_disagreement():
    """27 saturated steps: torch.nn in float32 lands 0.2 from the float64 reference, and so does any
    correct float32 code; the input's own rounding sensitivity (0.25) says why. Not a disagreement."""
    spec = RNNSpec("lstm", 1, 5, bias=False, proj_size=4)
    inputs = make_inputs(spec, time=27, batch=3, seed=12809, scale=4.0, dtype=torch.float32)
    target = str(REPO / "examples" / "reordered" / "separate_gates.py") + ":forward"
    RowCheck(runner_for(target, "lstm"), "edge_cases", tolerance_for).values(inputs)


def test_batch_first_states_are_diagnosed_from_their_shape():
    check = RowCheck(runner_for(mutant("hn_batch_first.py:forward"), "rnn"), "layout", tolerance_for)
    inputs = make_inputs(RNNSpec("rnn", 2, 3, num_layers=2, batch_first=True), time=2, batch=3, seed=0,
                         dtype=torch.float64)
    with pytest.raises(FailureRaised) as raised:
        check.values(inputs)
    assert raised.value.failure.diagnosis == ["hn_batch_first"]
    assert "(2, 3, 3)" in render(raised.value.failure)
