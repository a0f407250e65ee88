"""bench/public_code.py judges the plugin's runs on public code: its two judgements must be the ones it claims.

The measurement itself needs a cache of other people's code and minutes per entry, so it is a bench, not a
test; what is tested here is how a run is read: the ready line taken exactly as a refusal prints it, and a
verdict counted right only for the right reason.
"""
from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import public_code  # noqa: E402


def run_with(exit_code: int | None, rows: dict[str, str], output: str = "") -> public_code.Run:
    features = {name: {"status": status, "cells": {}} for name, status in rows.items()}
    return public_code.Run([], exit_code, 1.0, output, {"features": features})


def test_ready_line_inside_a_refusal_sentence_is_taken_as_printed():
    output = ("ERROR: m.py:LSTMCell holds weights under names of its own, and the binder cannot tell which of "
              "torch.nn's weights x [4, 3] hold; edit this guess and declare it: --rnn-bind \"x.weight=weight_ih\"")
    assert public_code.printed_ready_line(output) == ["--rnn-bind", "x.weight=weight_ih"]


def test_ready_line_on_its_own_line_keeps_every_option_and_drops_the_comment():
    output = "refused:\n  --rnn-bind \"Wx=weight_ih.T,b=bias_ih+bias_hh\" --rnn-returns 'output,_'   # (in, out)\n"
    assert public_code.printed_ready_line(output) == [
        "--rnn-bind", "Wx=weight_ih.T,b=bias_ih+bias_hh", "--rnn-returns", "output,_"]


def test_no_ready_line_when_the_refusal_prints_none():
    assert public_code.printed_ready_line("ERROR: cannot bind parameter 'device'; known names: ...") is None


def test_wrong_entry_failing_a_row_that_does_not_own_its_defect_is_not_a_right_verdict():
    impl = {"truth": "wrong", "defect": "unstable_activation"}
    elsewhere = run_with(1, {"forward": "error", "edge_cases": "pass"})
    owner = run_with(1, {"forward": "pass", "edge_cases": "fail"})
    assert not public_code.gives_true_verdict(impl, elsewhere, frozenset())
    assert public_code.gives_true_verdict(impl, owner, frozenset())
    assert public_code.describe_failure(impl, elsewhere) == "fails, but not the row owning its defect"


def test_an_owner_row_that_errs_because_no_binding_settled_is_not_a_right_verdict():
    impl = {"truth": "wrong", "defect": "gru_reset_before_matmul"}
    unsettled = run_with(1, {"forward": "error"}, output="evidence: binding not settled: unproven (no way runs)")
    assert not public_code.gives_true_verdict(impl, unsettled, frozenset())
    assert public_code.gives_true_verdict({"truth": "wrong", "defect": "crash"}, unsettled, frozenset())


def test_right_entry_may_fail_only_the_rows_its_truth_allows():
    impl = {"truth": "right"}
    dtype_only = run_with(1, {"forward": "pass", "dtype": "fail"})
    assert public_code.gives_true_verdict(impl, dtype_only, frozenset({"dtype"}))
    assert not public_code.gives_true_verdict(impl, dtype_only, frozenset())
    assert public_code.describe_failure(impl, dtype_only) == "false failure"


def test_a_pass_is_never_right_for_code_that_is_not_torch_nn():
    for truth in ("wrong", "different", "not_checkable"):
        passed = run_with(0, {"forward": "pass"})
        assert not public_code.gives_true_verdict({"truth": truth, "defect": "crash"}, passed, frozenset())


def test_a_timeout_or_an_internal_error_is_never_a_verdict():
    impl = {"truth": "wrong", "defect": "crash"}
    assert not public_code.gives_true_verdict(impl, run_with(None, {}), frozenset())
    crashed = run_with(1, {"forward": "error"}, output="INTERNALERROR> Traceback")
    assert not public_code.gives_true_verdict(impl, crashed, frozenset())
    assert public_code.describe_failure(impl, crashed) == "crash (INTERNALERROR)"
