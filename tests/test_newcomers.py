"""No verdict on a guess: code nobody here wrote, each case written from issue 20's description.

Each file in ``tests/newcomers/`` says in its docstring what it is (right or wrong) and what the
suite used to do with it. Here each gets its true verdict, and the header says how every fact it
rests on was established.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from matrix import run_matrix
from pytest_rnnconformance.bind import BindingError, bind_target
from pytest_rnnconformance.bind.evidence import How
from pytest_rnnconformance.bind.expressions import parse_map
from pytest_rnnconformance.bind.settle import HANGS_ALLOWED, AmbiguousBinding, Outcome, Verdict, settle, unproven
from pytest_rnnconformance.judge.probe import settled_here, warmup_hangs
from pytest_rnnconformance.options import warmup_default

HERE = Path(__file__).resolve().parent / "newcomers"


def target(name: str) -> str:
    return str(HERE / name)


def facts(summary) -> dict:
    return {fact.name: fact for fact in summary.evidence}


def test_a_first_call_drawing_random_numbers_is_no_evidence_against_batched_input():
    matrix = run_matrix(target("lazy_rng_batch_mixing.py:forward"), mode="rnn", max_examples=4,
                        stop_at_first_failure=True)
    assert matrix.summary.support.batched, matrix.verdicts()
    assert matrix.statuses["forward"] == "fail", matrix.verdicts()
    assert "unbatched" not in facts(matrix.summary)


def test_an_lstm_without_c0_is_not_asked_what_its_signature_cannot_take():
    matrix = run_matrix(target("lstm_h0_only.py:lstm_forward"), max_examples=3)
    assert not matrix.failing(), matrix.verdicts()
    assert matrix.statuses["backward"] == "pass" and matrix.statuses["continuation"] == "pass", matrix.verdicts()
    assert facts(matrix.summary)["c0"].how is How.READ


def test_a_lone_bias_is_both_biases():
    matrix = run_matrix(target("module_lone_bias.py:OneBiasRNN"), max_examples=3)
    assert not matrix.failing(), matrix.verdicts()
    assert "bias_hh=bias_ih+bias_hh" in matrix.summary.description


def test_what_is_returned_is_proven_when_torch_nn_s_form_cannot_be_read():
    matrix = run_matrix(target("batch_first_outputs_only.py:my_rnn"), max_examples=3)
    assert not matrix.failing(), matrix.verdicts()
    found = facts(matrix.summary)
    assert (found["returns"].value, found["returns"].how) == ("output", How.PROVEN)
    assert (found["layout"].value, found["layout"].how) == ("batch-first", How.PROVEN)


def test_a_batch_first_only_function_without_a_state_argument_is_checked_as_it_is():
    matrix = run_matrix(target("batch_first_no_state.py:forward"), mode="rnn", max_examples=3)
    assert not matrix.failing(), matrix.verdicts()
    found = facts(matrix.summary)
    assert found["layout"].value == "batch-first only" and found["layout"].how is How.PROVEN
    assert found["hx"].value == "none"


def test_a_constructor_refusing_configurations_teaches_the_draws():
    matrix = run_matrix(target("constructor_refuses.py:BiGRU"), max_examples=3)
    assert not matrix.failing(), matrix.verdicts()
    found = facts(matrix.summary)
    assert found["directions"].value == "two only" and found["layout"].value == "batch-first only"


def test_a_dict_of_the_learners_own_keys_is_refused_with_the_reason():
    with pytest.raises(BindingError, match="names of its own") as refused:
        settled_here(bind_target(target("own_keys_gru.py:gru_cell"), ".", None, None, None))
    assert "'Wz'" in str(refused.value) and "--rnn-bind" in str(refused.value)
    line = str(refused.value).split('--rnn-bind "')[1].split('"')[0]
    assert [key for key, _ in parse_map(line)["weights"].items][:3] == ["Wz", "Uz", "bz"]
    assert str(refused.value).count("--rnn-bind \"weights={") == 2  # one line for each storage
    matrix = run_matrix(target("own_keys_gru.py:gru_cell"), bind="auto", max_examples=3, dtypes=("float64",),
                        rows=("forward", "unbatched"))
    assert not matrix.failing(), matrix.verdicts()  # auto: the experiment proves the storage


def test_a_dict_of_a_course_s_keys_is_never_torch_nn_s_its_reading_is_proven():
    """The course's keys (Wf, bf, ...) are read as the course's convention, whose layout is proven:
    never a KeyError in correct code, never torch.nn's named-parameter dict."""
    binding, _ = settled_here(bind_target(target("parameters_own_keys.py:lstm_cell_forward"), ".", None, None, None))
    found = facts(binding.summary())
    assert found["reading"].how is How.PROVEN and "column-major" in found["reading"].value
    assert "parameters={Wf:cat(weight_hh[f],weight_ih[f])," in binding.declaration


def test_a_slow_first_call_is_a_warm_up_not_a_hang(monkeypatch):
    monkeypatch.setenv("RNN_WARMUP_S", "2")
    sys.modules.pop("slow_first_call", None)
    binding, decision = settled_here(bind_target(target("slow_first_call.py:rnn_forward"), ".", None, None, None),
                                     timeout=1.0, warmup=warmup_default(1.0))
    assert decision.hangs == 0
    found = facts(binding.summary())
    assert found["state"].how is How.PROVEN  # both forms reproduce torch.nn here: "either form", the one passed said
    assert found["state"].value == "either form (passed without the layer dimension)"


def test_a_native_abort_in_one_layout_rules_out_that_layout_only(run_suite):
    run = run_suite(target("aborts_wrong_layout.py:rnn_forward"), "--rnn-isolate", "--rnn-max-examples", "2",
                    "--rnn-rows", "forward,shape")
    assert run.result.ret == 0, run.output
    assert "layout batch-first: proven" in run.output


def outcome(verdict: Verdict, detail: str = "") -> tuple:
    return (Outcome(verdict, detail or verdict.value),)


def test_two_different_bindings_reproducing_torch_nn_stop_the_run_with_a_line_each():
    summaries = settled_summaries()

    def experiment(summary, way, readings, warmup=False, hx_none=False):
        return outcome(Verdict.REPRODUCES)

    with pytest.raises(AmbiguousBinding) as stopped:
        settle(summaries, experiment)
    lines = [line.split('"')[1] for line in str(stopped.value).splitlines()[1:]]
    assert len(lines) == 2 and all(parse_map(line) for line in lines)


def test_a_failure_under_every_remaining_way_is_proven_and_the_binding_unproven():
    summaries = settled_summaries()[:1]

    def experiment(summary, way, readings, warmup=False, hx_none=False):
        return outcome(Verdict.DIFFERS, f"differs by {0.5 + way.batch_first}")

    settled = settle(summaries, experiment)
    found = facts(settled.summary)
    assert found["binding"].how is How.UNPROVEN and "differs by 0.5" in found["binding"].because


def test_a_warm_up_that_did_not_return_stands_for_its_way_and_is_not_repeated():
    summaries = settled_summaries()[:1]
    calls = []

    def experiment(summary, way, readings, warmup=False, hx_none=False):
        calls.append((way, warmup))
        if way == calls[0][0]:  # the first way hangs, however often it is called
            return (Outcome(Verdict.CRASHED, "timed out", hangs=1),)
        return outcome(Verdict.REPRODUCES)

    settled = settle(summaries, experiment)
    first = calls[0][0]
    assert calls[0][1] and [way for way, _ in calls].count(first) == 1  # the warm-up, never again
    assert len(calls) > 1 and settled.way != first  # the other ways were still tried, and one reads
    assert settled.hangs == 1 and settled.hung == "timed out"  # what a later "not run: hung in ..." names


def test_a_warm_up_whose_worker_died_is_not_evidence_the_way_is_called_again():
    """A one-time crash on the first call (a lazy build that segfaulted once) is no proof: the way is
    called again and, reproducing torch.nn, settles as it would have without the crash."""
    summaries = settled_summaries()[:1]
    calls = []

    def experiment(summary, way, readings, warmup=False, hx_none=False):
        calls.append(way)
        if warmup:
            return (Outcome(Verdict.CRASHED, "the worker process died during the call (SIGSEGV)"),)
        return outcome(Verdict.REPRODUCES)

    settled = settle(summaries, experiment)
    assert calls.count(calls[0]) >= 2 and settled.hangs == 0 and not unproven(settled.summary)


def test_a_warm_up_that_hung_stands_only_for_its_own_mode():
    """An implementation of several modes is asked each one (a refusal drops it): a warm-up that hung in
    the first mode does not answer for the others, which are still called and refused."""
    summaries = tuple(b.summary() for b in bind_target(str(HERE.parents[1] / "examples" / "canonical_forward.py") + ":forward",
                                                       ".", None, None, None))
    assert len(summaries[0].modes) > 1

    def experiment(summary, way, readings, warmup=False, hx_none=False):
        if warmup:
            return (Outcome(Verdict.CRASHED, "timed out", hangs=1),)
        if summary.modes == ("lstm",):
            return (Outcome(Verdict.REFUSED, "NotImplementedError: lstm"),)
        return (Outcome(Verdict.REPRODUCES, "reproduces", returns=readings[0]),)

    settled = settle(summaries, experiment)
    assert "lstm" not in settled.summary.modes


@pytest.mark.parametrize("timeout, warmup, spent", [(10, 30, 2), (1, 2, 2), (2, 3, 2), (5, 5, 1), (None, 30, 1)])
def test_a_warm_up_past_its_limit_spends_as_many_hangs_as_its_limit_holds_calls(timeout, warmup, spent):
    assert warmup_hangs(timeout, warmup) == spent


def test_a_warm_up_hang_that_spends_the_budget_leaves_every_other_way_untried():
    summaries = settled_summaries()[:1]
    calls = []

    def experiment(summary, way, readings, warmup=False, hx_none=False):
        calls.append(way)
        return (Outcome(Verdict.CRASHED, "timed out: the first call took longer than its warm-up limit", hangs=2),)

    settled = settle(summaries, experiment)
    assert len(calls) == 1 and settled.hangs == HANGS_ALLOWED
    assert "it ran out of time: timed out: the first call took longer" in facts(settled.summary)["binding"].because


def settled_summaries() -> tuple:
    """Two candidate bindings of one guessed map (weights (out, in) or (in, out))."""
    path = HERE.parent / "data" / "guessed_weights.py"
    bindings = bind_target(f"{path}:rnn_forward", ".", None, "auto", None)
    assert len(bindings) >= 2
    return tuple(b.summary() for b in bindings)


@pytest.mark.parametrize("signature, expected", [
    ("embedded, h_prev, Wxh, Whh, bh, output_size", "embedded=input"),
    ("X, H_prev, C_old, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o, n_units", "C_old=c0"),
])
def test_ready_lines_are_built_from_each_names_role_and_parse_as_printed(tmp_path, signature, expected):
    source = tmp_path / "learner.py"
    name = "lstm_step" if "C_old" in signature else "rnn_step"
    source.write_text(f"def {name}({signature}):\n    raise NotImplementedError\n")
    with pytest.raises(BindingError) as refused:
        bind_target(f"{source}:{name}", ".", None, None, None)
    line = str(refused.value).split('--rnn-bind "')[-1].split('"')[0]
    assert expected in line and parse_map(line)


def test_an_unknown_gate_in_a_declaration_is_a_usage_error(tmp_path):
    source = tmp_path / "learner.py"
    source.write_text("def lstm_forward(x, h0, c0, Wq, w_hh, b_ih, b_hh):\n    pass\n")
    with pytest.raises(BindingError, match=r"\[q\] is not a gate of lstm"):
        bind_target(f"{source}:lstm_forward", ".", None, "Wq=weight_ih[q]", None)


def test_the_header_says_how_each_fact_was_established(run_suite):
    run = run_suite("examples/lstm_forward.py:lstm_forward", "--rnn-rows", "forward", "--rnn-max-examples", "2")
    assert run.result.ret == 0, run.output
    assert "layout seq-first: proven (it reproduces torch.nn" in run.output
    assert os.linesep + "  evidence:" in run.output or "\n  evidence:" in run.output


def test_a_torchscript_module_gets_its_weights_by_name():
    matrix = run_matrix(target("torchscript_module.py:ScriptedRNN"), max_examples=2,
                        rows=("forward", "packed", "backward", "continuation"))
    assert matrix.statuses["forward"] == "pass" and not matrix.failing(), matrix.verdicts()
    assert "annotated torch.Tensor" in matrix.reasons["packed"]
    assert "TorchScript" in matrix.reasons["backward"]


def test_parameter_list_weights_are_read_and_the_ready_lines_parse():
    matrix = run_matrix(target("parameter_list_module.py:ListRNN"), max_examples=2, rows=("forward", "shape"))
    assert matrix.statuses == {"forward": "pass", "shape": "pass"}, matrix.verdicts()
    assert "W_x.0=weight_ih.T" in matrix.summary.description


def test_settings_pinned_by_a_declaration_are_declared_facts_and_torch_names_stay_torch_names():
    matrix = run_matrix(target("constructor_refuses.py:BiGRU"), bind="batch_first=True,bidirectional=True",
                        max_examples=2, rows=("forward", "bidirectional", "layout"))
    assert matrix.statuses["forward"] == "pass" and not matrix.failing(), matrix.verdicts()
    found = facts(matrix.summary)
    assert found["layout"].how is How.DECLARED and "names of its own" not in matrix.summary.description


def test_what_implements_declares_is_shown_as_declared_under_the_keys_the_rows_read(tmp_path):
    source = tmp_path / "declared.py"
    source.write_text(
        "import torch\nfrom pytest_rnnconformance import implements\n\n\n"
        "@implements(modes=['rnn'], batch_first=[True], layers=1, bias=[True])\n"
        "def forward(input, hx, params, spec):\n    raise NotImplementedError\n")
    binding = bind_target(f"{source}:forward", ".", None, None, None)[0]
    support = binding.support
    assert {"layout", "multilayer", "no_bias"} <= support.declared
    assert support.reason("no_bias", "") == support.reason("multilayer", "") == "declared by @implements"


def test_chos_notation_is_read_with_auto():
    matrix = run_matrix(target("cho_gru.py:gru_cell"), bind="auto", max_examples=2, rows=("forward", "no_bias"))
    assert matrix.statuses["forward"] == "pass", matrix.verdicts()
    assert "W=weight_ih[n],U=weight_hh[n]" in matrix.summary.description


def test_per_gate_layers_named_as_torch_documents_them_are_read():
    matrix = run_matrix(target("torch_docs_gates.py:DocsLSTMCell"), max_examples=2, rows=("forward", "backward"))
    assert matrix.statuses == {"forward": "pass", "backward": "pass"}, matrix.verdicts()
    assert "W_if.weight=weight_ih[f]" in matrix.summary.description


def test_sizes_named_n_in_n_hidden_and_a_module_method_as_entry():
    matrix = run_matrix(target("sizes_and_method.py:TinyRNN.run_sequence"), max_examples=2,
                        rows=("forward", "backward", "packed"))
    assert matrix.statuses["forward"] == "pass" and matrix.statuses["backward"] == "pass", matrix.verdicts()
    assert "annotated torch.Tensor" in matrix.reasons["packed"]


def test_a_mode_string_of_its_own_is_refused_with_a_line_that_binds_it(tmp_path):
    source = tmp_path / "learner.py"
    source.write_text("def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, mode='tanh'):\n    pass\n")
    with pytest.raises(BindingError, match="mode string of its own") as refused:
        bind_target(f"{source}:rnn_forward", ".", None, None, None)
    line = str(refused.value).split('--rnn-bind "')[1].split('"')[0]
    assert bind_target(f"{source}:rnn_forward", ".", None, line, None)


def test_a_cell_object_passed_in_is_said_to_be_unbindable(tmp_path):
    source = tmp_path / "learner.py"
    source.write_text("def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, rnn_cell):\n    pass\n")
    with pytest.raises(BindingError, match="rnn_cell looks like an object passed in"):
        bind_target(f"{source}:rnn_forward", ".", None, None, None)


def test_a_mode_the_signature_contradicts_is_a_usage_error():
    with pytest.raises(BindingError, match="--rnn-mode gru contradicts"):
        bind_target(str(HERE.parent.parent / "examples" / "lstm_forward.py") + ":lstm_forward", ".", "gru", None, None)


def test_a_module_declaration_keeps_the_matches_made_by_name(tmp_path):
    matrix = run_matrix(target("module_lone_bias.py:OneBiasRNN"), bind="bias_hh=bias_ih+bias_hh", max_examples=2,
                        rows=("forward",))
    assert matrix.statuses == {"forward": "pass"}, matrix.verdicts()
    assert "weight_ih=weight_ih" in matrix.summary.description


def test_a_slow_first_call_is_a_warm_up_isolated_too(run_suite):
    run = run_suite(target("slow_first_call.py:rnn_forward"), "--rnn-isolate", "--rnn-timeout", "1",
                    "--rnn-max-examples", "2", "--rnn-rows", "forward,shape")
    assert run.result.ret == 0, run.output
    assert "not run" not in run.output


def test_an_lstm_without_c0_is_not_asked_second_derivatives_along_c0():
    matrix = run_matrix(target("lstm_h0_only.py:lstm_forward"), max_examples=2, rows=("forward", "backward",
                                                                                      "double_backward"))
    assert matrix.statuses == {"forward": "pass", "backward": "pass", "double_backward": "pass"}, matrix.verdicts()


# ------------------------------------------------------------------ found on public code (bench/public_code.py)
def refusal_lines(target_name: str, bind=None) -> list:
    """The ready --rnn-bind lines of a refusal, in the order printed."""
    with pytest.raises(BindingError) as refused:
        bind_target(target(target_name), ".", None, bind, None)
    return [part.split('"')[0] for part in str(refused.value).split('--rnn-bind "')[1:]]


def test_a_course_s_gate_order_is_offered_block_by_block_first_and_never_assumed():
    lines = refusal_lines("course_gate_order_lstm.py:lstm_forward")
    assert "Wx=cat(weight_ih[i].T,weight_ih[f].T,weight_ih[o].T,weight_ih[g].T)" in lines[0]
    assert all(parse_map(line) for line in lines) and "Wx=weight_ih.T," in lines[1]
    declared = run_matrix(target("course_gate_order_lstm.py:lstm_forward"), bind=lines[0], max_examples=2,
                          rows=("forward", "continuation"))
    assert declared.statuses == {"forward": "pass", "continuation": "pass"}, declared.verdicts()
    guessed = run_matrix(target("course_gate_order_lstm.py:lstm_forward"), bind="auto", max_examples=2,
                         rows=("forward",))
    assert guessed.statuses["forward"] == "fail", guessed.verdicts()  # auto reads torch.nn's order, never the course's


@pytest.mark.parametrize("item", ["Wx=cat(weight_ih[i].T,weight_hh[f])", "Wx=weight_ih.T[o]"])
def test_a_declared_item_that_raises_when_evaluated_is_a_usage_error_naming_it(item):
    with pytest.raises(BindingError) as refused:
        bind_target(target("course_gate_order_lstm.py:lstm_forward"), ".", None,
                    f"{item},Wh=weight_hh.T,b=bias_ih+bias_hh", None)
    message = str(refused.value)
    assert message.startswith(f"--rnn-bind item {item}: evaluating it on torch.nn's tensors raised ")
    assert "\n" not in message


def test_a_declaration_that_raises_exits_4_with_one_line(run_suite):
    run = run_suite(target("course_gate_order_lstm.py:lstm_forward"), "--rnn-bind",
                    "Wx=cat(weight_ih[i].T,weight_hh[f]),Wh=weight_hh.T,b=bias_ih+bias_hh")
    assert run.result.ret == 4, run.output
    assert "ERROR: --rnn-bind item Wx=cat(weight_ih[i].T,weight_hh[f]): evaluating it" in run.output
    assert "FAILED" not in run.output and "course_gate_order_lstm.py:" not in run.output.split("evaluating it")[1]


def test_a_declaration_raising_in_a_later_check_is_not_the_implementation_s_error():
    from pytest_rnnconformance.bind.binding import DeclarationFailed
    from pytest_rnnconformance.run.call import problem_of

    problem = problem_of(DeclarationFailed("--rnn-bind item b=bias_ih+weight_ih: evaluating it raised RuntimeError"))
    assert problem.kind == "error" and problem.raised == "" and problem.location == ""
    assert problem.message.startswith("--rnn-bind item b=")


def test_methods_after_a_transpose_are_read():
    assert str(parse_map("x=input.T.permute(1,0)")["x"]) == "input.T.permute(1,0)"


def test_a_misspelt_constructor_is_named_as_written_and_fails_whatever_is_declared():
    """Its parameters are read from the method Python never calls; the refusal says so beside its
    lines, and a run with any of them is a failure (the class cannot be built), never a usage error."""
    with pytest.raises(BindingError, match=r"defines __init \(not __init__\), which Python never calls"):
        bind_target(target("misspelt_constructor.py:StepLSTM"), ".", None, None, None)
    for line in refusal_lines("misspelt_constructor.py:StepLSTM"):
        matrix = run_matrix(target("misspelt_constructor.py:StepLSTM"), bind=line, max_examples=2, rows=("forward",))
        assert matrix.statuses == {"forward": "error"}, matrix.verdicts()
        assert "TypeError" in matrix.failures["forward"].summary
        assert "__init (not __init__)" in str(matrix.summary.evidence)


def test_a_lone_bias_among_a_module_s_own_names_is_declared_as_both():
    lines = refusal_lines("one_bias_linears.py:OneBiasLSTMCell")
    assert "hidden_weight.bias=bias_ih+bias_hh" in lines[0]
    matrix = run_matrix(target("one_bias_linears.py:OneBiasLSTMCell"), bind=lines[0], max_examples=2,
                        rows=("forward", "backward"))
    assert matrix.statuses == {"forward": "pass", "backward": "pass"}, matrix.verdicts()


def test_a_class_with_a_size_of_its_own_and_weights_as_attributes_gets_one_line_for_both():
    lines = refusal_lines("sized_attribute_lstm.py:GateLSTM")
    assert len(lines) == 1 and lines[0].startswith("n_output=hidden_size,")
    assert "bi=(bias_ih[i]+bias_hh[i]).reshape(-1,1)" in lines[0]  # gate i's, beside bf, bc, bo; a column
    matrix = run_matrix(target("sized_attribute_lstm.py:GateLSTM"), bind=lines[0], max_examples=2,
                        rows=("forward", "unbatched", "continuation"))
    assert set(matrix.statuses.values()) == {"pass"}, matrix.verdicts()


def test_a_dict_of_a_course_s_keys_is_read_with_every_key_its_code_looks_up():
    binding, _ = settled_here(bind_target(target("course_dict_rnn.py:rnn_forward"), ".", None, None, None))
    entries = parse_map(binding.declaration)["parameters"].items
    assert {key for key, _ in entries} == {"Wax", "Waa", "ba", "Wya", "by"}  # the helper's keys too
    assert dict((key, str(value)) for key, value in entries)["Wya"] == "eye"
    assert facts(binding.summary())["reading"].how is How.PROVEN


def test_the_relevance_gate_is_the_reset_gate():
    from pytest_rnnconformance.bind.guess import guess_all

    found = guess_all(["W_relevance_gate", "W_update_gate"], "gru")
    assert found["W_relevance_gate"].gate == "r" and found["W_update_gate"].gate == "z"
