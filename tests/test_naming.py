"""A mistake is named only when the name is right.

The catalogue names a failure only when one of its mistakes, applied to the reference, reproduces the
candidate's outputs on fresh inputs. A bug outside the catalogue must therefore get no name (the
localisation says where it goes wrong instead), and a catalogued bug must keep its one right name in
half precision, where the wider tolerance lets near neighbours of the true mistake also come close.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from matrix import run_matrix  # noqa: E402

from pytest_rnnconformance.report.render import NO_CAUSE, render  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: examples/wrong files whose bugs are in no catalogue: (target, mode, the row that fails)
OUTSIDE_THE_CATALOGUE = [
    ("layernorm_lstm.py:lstm_forward", "lstm", "forward"),
    ("clipped_cell_state.py:lstm_forward", "lstm", "forward"),
    ("hn_last_layer_only.py:forward", "gru", "multilayer"),
    ("squeezed_input.py:gru_forward", "gru", "edge_cases"),
]


@pytest.mark.parametrize("target, mode, row", OUTSIDE_THE_CATALOGUE, ids=[t.split(":")[0] for t, _, _ in
                                                                           OUTSIDE_THE_CATALOGUE])
def test_a_bug_outside_the_catalogue_fails_its_row_without_a_name(target, mode, row):
    matrix = run_matrix(str(EXAMPLES / "wrong" / target), mode=mode, max_examples=6)
    assert row in matrix.failing(), matrix.statuses
    failure = matrix.failures[row]
    assert failure.diagnosis == [], failure.diagnosis
    assert "likely cause [" not in render(failure), render(failure)


@pytest.mark.parametrize("target, mode", [("layernorm_lstm.py:lstm_forward", "lstm"),
                                          ("clipped_cell_state.py:lstm_forward", "lstm")])
def test_an_unnamed_value_failure_is_localised_instead(target, mode):
    matrix = run_matrix(str(EXAMPLES / "wrong" / target), mode=mode, rows=("forward",), max_examples=6)
    failure = matrix.failures["forward"]
    assert failure.localisation, failure
    assert NO_CAUSE in render(failure) and failure.localisation[0] in render(failure), render(failure)


@pytest.mark.parametrize("mutant, dtype", [("gate_substituted", "float16"), ("gate_substituted", "bfloat16"),
                                           ("wrong_gate_activation", "float16")])
def test_half_precision_keeps_the_one_right_name(mutant, dtype):
    matrix = run_matrix(str(EXAMPLES / "mutants" / f"{mutant}.py") + ":lstm_forward", mode="lstm",
                        dtypes=(dtype,), rows=("forward",), max_examples=4)
    assert matrix.failing() == {"forward"}, matrix.statuses
    assert matrix.failures["forward"].diagnosis == [mutant], matrix.failures["forward"].diagnosis
