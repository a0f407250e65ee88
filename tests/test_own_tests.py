"""The library in people's own tests: the README's "In your own tests" snippet runs as written.

The snippet is taken from the README's section, word for word, and run here as a user runs it:
next to the bundled one-layer ``lstm_forward`` (copied as ``my_lstm.py``, the name the snippet
uses) and run with pytest in a process of its own. Then the pieces it rests on, one by one:
``specs(supported_by=...)`` draws only what an implementation supports, ``inputs(...,
supported_by=...)`` keeps to the inputs it takes, and ``rnn_check`` treats a
configuration outside its support as an unmet assumption (hypothesis's ``reject``; a skip outside
hypothesis), never as a failure, while a wrong implementation still fails with the suite's message.
"""
from __future__ import annotations

import shutil

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_rnnconformance import ConformanceFailure, RNNSpec, make_inputs, rnn_check
from pytest_rnnconformance.api import runner_for
from pytest_rnnconformance.draw.strategies import outside
from pytest_rnnconformance.strategies import inputs, specs

from conftest import EXAMPLES, REPO, readme_blocks

LSTM = f"{EXAMPLES / 'lstm_forward.py'}:lstm_forward"  # one layer, one direction, seq-first, optional w_hr
WRONG_LSTM = f"{EXAMPLES / 'wrong' / 'lstm_gate_order.py'}:lstm_forward"
RNN_CELL = f"{REPO / 'tests' / 'learners' / 'torch_rnn_cell.py'}:rnn_cell"
FEW = settings(max_examples=15, deadline=None, database=None)


def own_tests_snippet() -> str:
    [snippet] = readme_blocks("In your own tests", "python")
    return snippet


def test_the_readme_snippet_runs_as_written(pytester, run_pytest):
    shutil.copy(EXAMPLES / "lstm_forward.py", pytester.path / "my_lstm.py")
    (pytester.path / "test_my_lstm.py").write_text(own_tests_snippet())
    result = run_pytest("-p", "no:cacheprovider", "-q", "test_my_lstm.py", timeout=240)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_the_readme_snippet_fails_a_wrong_implementation_with_the_suites_message(pytester, run_pytest):
    shutil.copy(EXAMPLES / "wrong" / "lstm_gate_order.py", pytester.path / "my_lstm.py")
    (pytester.path / "test_my_lstm.py").write_text(own_tests_snippet())
    result = run_pytest("-p", "no:cacheprovider", "-q", "test_my_lstm.py", timeout=240)
    assert result.ret == 1
    output = result.stdout.str()
    assert "ConformanceFailure" in output and "first divergence" in output and "gate_order" in output, output


@FEW
@given(data=st.data())
def test_specs_supported_by_draws_only_what_the_implementation_takes(data):
    runner = runner_for(LSTM)
    spec = data.draw(specs(supported_by=LSTM))
    case = data.draw(inputs(spec, dtype=torch.float64, supported_by=LSTM))
    assert spec.mode == "lstm" and spec.num_layers == 1 and not spec.bidirectional and not spec.batch_first
    assert case.recipe.batch is not None and not case.recipe.hx_none
    assert outside(runner.summary.support, spec, case.recipe, case.dtype, case.device, runner.summary.modes) is None


@FEW
@given(data=st.data())
def test_supported_by_takes_the_fixture_runner_and_cells(data):
    """``rnn_impl`` (a runner) works as well as a target string; a cell's specs are one step."""
    spec = data.draw(specs(supported_by=runner_for(RNN_CELL)))
    case = data.draw(inputs(spec, dtype=torch.float64, supported_by=RNN_CELL))
    assert spec.mode == "rnn_cell" and case.recipe.time == 1
    rnn_check(RNN_CELL, spec, case)


def test_asking_specs_for_what_it_cannot_take_is_a_clear_error():
    with pytest.raises(ValueError, match="bidirectional=True.*_reverse"):
        specs(supported_by=LSTM, bidirectional=True)


def test_an_unsupported_configuration_is_rejected_not_failed():
    """Two directions for a one-direction function: inside hypothesis every such example is
    rejected (so the test is not failed by it); outside hypothesis the test is skipped."""
    two_directions = RNNSpec("lstm", 3, 4, bidirectional=True)
    calls = []

    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=inputs(two_directions, dtype=torch.float64))
    def property_test(case):
        calls.append(case)
        rnn_check(LSTM, two_directions, case)
        raise AssertionError("rnn_check returned on a configuration it cannot check")

    with pytest.raises(Exception) as raised:  # every example rejected: hypothesis says it found none
        property_test()
    assert "Unsatisfiable" in type(raised.value).__name__ or "rnn_check returned" not in str(raised.value)
    assert calls
    with pytest.raises(pytest.skip.Exception, match="does not support this configuration.*_reverse"):
        rnn_check(LSTM, two_directions)


def test_a_wrong_implementation_still_fails():
    spec = RNNSpec("lstm", 3, 4)
    with pytest.raises(ConformanceFailure, match="first divergence") as raised:
        rnn_check(WRONG_LSTM, spec, make_inputs(spec, time=3, batch=2, seed=0, dtype=torch.float64))
    assert raised.value.failure.diagnosis[:1] == ["gate_order"]
