"""Each calling convention runs unchanged: correct examples pass, wrong ones fail on the right feature."""
from __future__ import annotations

import pytest

FAST = ("--rnn-max-examples", "6", "--rnn-dtype", "float64")

CORRECT = {
    "examples/rnn_forward.py:rnn_forward": ("by-name", {"forward", "float64", "edge_cases", "continuation", "shape"}),
    "examples/bidirectional_rnn.py:bidirectional_rnn_forward": ("by-name", {"forward", "bidirectional", "shape"}),
    "examples/lstm_forward.py:lstm_forward": ("by-name", {"forward", "proj", "shape"}),
    "examples/functional_lstm.py:lstm": ("functional", {"forward", "multilayer", "bidirectional", "layout", "no_bias", "proj"}),
    "examples/module_gru.py:MyGRU": ("module", {"forward", "unbatched", "default_state", "multilayer", "bidirectional"}),
    "examples/canonical_forward.py:forward": ("canonical", {"forward", "relu", "proj", "multilayer", "unbatched"}),
}


@pytest.mark.parametrize("target", sorted(CORRECT))
def test_correct_implementation_conforms(run_suite, target):
    convention, must_pass = CORRECT[target]
    run = run_suite(target, *FAST)
    assert run.result.ret == 0, run.output
    assert run.report["convention"] == convention
    statuses = run.statuses()
    assert {f for f in must_pass if statuses[f] == "pass"} == must_pass, statuses
    assert set(statuses.values()) <= {"pass", "unsupported"}


def test_by_name_support_comes_from_the_signature(run_suite):
    run = run_suite("examples/rnn_forward.py:rnn_forward", *FAST)
    statuses = run.statuses()
    for feature in ("multilayer", "bidirectional", "no_bias", "default_state", "unbatched", "relu", "layout"):
        assert statuses[feature] == "unsupported", feature
    assert "batch-first" in run.report["binding"]
    assert "one layer" in run.report["binding"]
    assert "unsupported: the signature takes only one layer's weights" in run.report["features"]["multilayer"]["message"]


def test_wrong_gate_order_fails_forward(run_suite):
    run = run_suite("examples/wrong/lstm_gate_order.py:lstm_forward", *FAST)
    assert run.result.ret == 1
    assert run.status("forward") == "fail"
    assert run.status("shape") == "pass"
    message = run.report["features"]["forward"]["message"]
    assert "first divergence" in message and "reproduce" in message


def test_reverse_hn_from_last_step_fails_the_base_of_a_bidirectional_only_function(run_suite):
    """Its _reverse weights are required, so its base is bidirectional: forward owns the defect and
    bidirectional is blocked by it (one defect, one failing row)."""
    run = run_suite("examples/wrong/bidirectional_hn_last.py:bidirectional_rnn_forward", *FAST)
    assert run.status("forward") == "fail"
    assert run.status("bidirectional") == "blocked"
    assert run.report["features"]["bidirectional"]["blocked_by"] == "forward"
    failure = run.report["features"]["forward"]["cells"]["rnn-cpu-float64"]["failure"]
    assert [d["tensor"] for d in failure["divergence"]] == ["h_n"]  # the output is right, only h_n is wrong
    assert failure["divergence"][0]["direction"] == "reverse"
    assert failure["diagnosis"] == ["reverse_hn_last_step"]


def test_right_values_in_the_wrong_shape_fail_shape_only(run_suite):
    run = run_suite("examples/wrong/module_shape_hn.py:SqueezedRNN", *FAST)
    assert run.status("shape") == "fail"
    assert run.status("forward") == "pass"  # the values are right: not counted as wrong values
    assert "(1, " in run.report["features"]["shape"]["message"]
