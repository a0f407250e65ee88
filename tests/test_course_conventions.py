"""Course conventions, declared in the binding language (``bind/expressions.py``).

examples/courses holds each convention written in its course's style, a right and a wrong version:
the sequence-models course's ``rnn_forward``, ``rnn_cell_forward`` and ``lstm_cell_forward`` (a
``parameters`` dict of the course's keys, column-major data, time last, results with a prediction
and a cache), the minimal character RNN's column vectors with states in a dict by time step, and a
list of per-step outputs. Ground truth comes from ``examples/courses/_verify_courses.py``, which
compares each file with torch.nn by hand, without the plugin; here the plugin must agree: every
right one passes with its declaration (``--rnn-bind`` and ``--rnn-returns``), every wrong one
fails ``forward`` (named where the catalogue knows the mistake). Then the same conventions with no
declaration (``tests/course_style/``, written here in the course's style): the course's keys are
recognised, each complete reading of them is a candidate, and only one that reproduces torch.nn is
used. Then the language's pieces on their own: dict literals, reshape and permute with size symbols,
a shape that does not fit (unsupported, as declared), results turned back into torch.nn's, and clear
errors.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import torch

from pytest_rnnconformance.bind import _split_auto, bind_target
from pytest_rnnconformance.bind.evidence import How
from pytest_rnnconformance.bind.settle import AmbiguousBinding, Outcome, Verdict, settle
from pytest_rnnconformance.bind.courses import course_of, readings
from pytest_rnnconformance.bind.expressions import (DeclarationError, Dict, DoesNotFit, Name, Permute, Reshape,
                                                    evaluate, parse_expression, parse_map, parse_returns, undo)

from conftest import EXAMPLES

COURSES = EXAMPLES / "courses"
PARAMETERS = "parameters={Wax:weight_ih,Waa:weight_hh,ba:(bias_ih+bias_hh).reshape(H,1),Wya:eye,by:zeros.reshape(H,1)}"
LSTM_PARAMETERS = "parameters={" + ",".join(
    f"W{name}:cat(weight_hh[{gate}],weight_ih[{gate}]),b{name}:(bias_ih[{gate}]+bias_hh[{gate}]).reshape(H,1)"
    for name, gate in (("f", "f"), ("i", "i"), ("c", "g"), ("o", "o"))) + ",Wy:eye,by:zeros.reshape(H,1)}"
#: convention -> (file stem, entry, --rnn-bind, --rnn-returns, extra options, the wrong one's diagnosis or None)
CONVENTIONS = {
    "coursera rnn_forward": ("coursera_rnn", "rnn_forward", f"x=input.permute(2,1,0),a0=hx.reshape(B,H).T,{PARAMETERS}",
                             "output.permute(2,1,0),y_pred,caches", (), "state_not_carried"),
    "coursera rnn_cell_forward": ("coursera_rnn", "rnn_cell_forward",
                                  f"xt=input.reshape(B,I).T,a_prev=hx.T,{PARAMETERS}", "h_1.T,yt_pred,cache", (), None),
    "coursera lstm_cell_forward": ("coursera_lstm_cell", "lstm_cell_forward",
                                   f"xt=input.reshape(B,I).T,a_prev=h0.T,c_prev=c0.T,{LSTM_PARAMETERS}",
                                   "h_1.T,c_1.T,yt_pred,cache", (), None),
    "karpathy column vectors": ("karpathy_min_char", "forward",
                                "xs=input.reshape(T,I,1),hprev=hx.reshape(H,1),Wxh=weight_ih,Whh=weight_hh,"
                                "bh=(bias_ih+bias_hh).reshape(H,1)", "output_list,h_n.reshape(H,1)",
                                ("--rnn-mode", "rnn"), "state_not_carried"),
    "list of per-step outputs": ("step_list", "rnn_unrolled",
                                 "inputs=input,h=h0,W_xh=weight_ih.T,W_hh=weight_hh.T,b_h=bias_ih+bias_hh",
                                 "output_list,h_n", (), "time_shift"),
}
ROWS = ("--rnn-rows", "forward,shape", "--rnn-max-examples", "3", "--rnn-dtype", "float64")


def test_the_examples_ground_truth_holds(capsys):
    """The verifier compares every file with torch.nn by hand; without it the verdicts below prove nothing."""
    spec = importlib.util.spec_from_file_location("_verify_courses", COURSES / "_verify_courses.py")
    verifier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verifier)
    assert verifier.main() == 0, capsys.readouterr().out
    assert capsys.readouterr().out.count("ok ") == len(verifier.TABLE) == 2 * len(CONVENTIONS)


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("right", [True, False], ids=["right", "wrong"])
def test_each_convention_gets_its_true_verdict(run_suite, convention, right):
    stem, entry, bind, returns, extra, diagnosis = CONVENTIONS[convention]
    target = f"{COURSES / (stem if right else stem + '_wrong')}.py:{entry}"
    run = run_suite(target, "--rnn-bind", bind, "--rnn-returns", returns, *extra, *ROWS)
    if right:
        assert run.result.ret == 0, run.output
        assert run.status("forward") == "pass" and run.status("shape") == "pass", run.output
    else:
        assert run.result.ret == 1, run.output
        assert run.status("forward") == "fail", run.output
        if diagnosis is not None:
            assert run.report["features"]["forward"]["diagnosis"][:1] == [diagnosis], run.output


# ------------------------------------------------------------------------- recognised without a declaration
STYLE = Path(__file__).resolve().parent / "course_style"
READING = "reading the sequence-models course's column-major"
READY = re.compile(r'--rnn-(bind|returns) "([^"]*)"')


def evidence(run) -> dict:
    return {fact["fact"]: fact for fact in run.report["evidence"]}


@pytest.mark.parametrize("entry", ["rnn_cell_forward", "rnn_forward", "lstm_cell_forward", "lstm_forward"])
def test_a_course_s_keys_are_read_whole_and_its_layout_proven_with_no_declaration(run_suite, entry):
    run = run_suite(f"{STYLE / 'step_by_step.py'}:{entry}", "--rnn-rows", "forward,shape,continuation",
                    "--rnn-max-examples", "3")
    assert run.result.ret == 0, run.output
    assert READING in run.output and "proven (it reproduces torch.nn; " in run.output, run.output
    assert "torch.nn's row-major layout (weights (out, in)" in run.output.split(READING)[1]
    reading = evidence(run)["reading"]
    assert reading["how"] == "proven" and "raised" in reading["because"], reading
    assert evidence(run)["returns"]["how"] == "proven"
    assert run.report["convention"] == "course"


def test_a_mistake_the_probe_does_not_see_fails_its_own_row_on_the_proven_reading(run_suite):
    run = run_suite(f"{STYLE / 'step_by_step_unstable.py'}:rnn_forward", "--rnn-rows", "forward,edge_cases",
                    "--rnn-max-examples", "3", "--rnn-dtype", "float32")
    assert run.result.ret == 1, run.output
    assert run.status("forward") == "pass" and run.status("edge_cases") == "fail", run.output
    assert run.report["features"]["edge_cases"]["diagnosis"][:1] == ["unstable_activation"], run.output
    assert evidence(run)["reading"]["how"] == "proven"


def test_no_reading_reproducing_torch_nn_stops_with_each_reading_as_a_line_that_runs(run_suite):
    """The course's reading runs and differs, the row-major ones raise: no reading is proven, so none is
    used. Each printed line parses, and the course's, run as printed, gets the true verdict."""
    target = f"{STYLE / 'step_by_step_wrong.py'}:rnn_forward"
    run = run_suite(target, "--rnn-rows", "forward")
    assert run.result.ret == 4, run.output
    lines = [READY.findall(line) for line in run.output.splitlines() if '--rnn-bind "' in line]
    assert len(lines) == 3 and "column-major" in run.output.split(lines[0][0][1])[1].splitlines()[0]
    for options in lines:
        parse_map(dict(options)["bind"])
        if "returns" in dict(options):
            parse_returns(dict(options)["returns"])
    declared = run_suite(target, *[part for option, value in lines[0] for part in (f"--rnn-{option}", value)],
                         "--rnn-rows", "forward", "--rnn-max-examples", "3")
    assert declared.result.ret == 1, declared.output
    assert declared.report["features"]["forward"]["diagnosis"][:1] == ["state_not_carried"], declared.output
    assert "binding not settled" not in declared.output  # hx.reshape(B,H): one form, nothing left open


def test_two_readings_reproducing_torch_nn_stop_with_a_line_each(run_suite):
    run = run_suite(f"{STYLE / 'either_layout.py'}:rnn_cell_forward", "--rnn-rows", "forward")
    assert run.result.ret == 4 and "more than one binding reproduces torch.nn" in run.output, run.output
    lines = [dict(READY.findall(line)) for line in run.output.splitlines() if '--rnn-bind "' in line]
    assert len(lines) == 2 and all(parse_map(line["bind"]) for line in lines)
    assert lines[0]["returns"] == "h_1.T"  # the result form it was read in: the course's, its first item


def course_summaries() -> tuple:
    """The readings of step_by_step.py's rnn_forward: the course's column-major one, then two row-major."""
    found = tuple(b.summary() for b in bind_target(f"{STYLE / 'step_by_step.py'}:rnn_forward", ".", None, None, None))
    assert [bool(s.reading) for s in found] == [True, True, True] and "column-major" in found[0].reading
    return found


@pytest.mark.parametrize("verdicts, decided", [
    ((Verdict.REPRODUCES, Verdict.CRASHED, Verdict.CRASHED), "proven"),
    ((Verdict.CRASHED, Verdict.REPRODUCES, Verdict.DIFFERS), "proven"),
    ((Verdict.DIFFERS, Verdict.CRASHED, Verdict.CRASHED), "exit 4"),  # never the one that ran, unproven
    ((Verdict.DIFFERS, Verdict.DIFFERS, Verdict.MISSHAPEN), "failure"),  # differs under every reading
    ((Verdict.REPRODUCES, Verdict.REPRODUCES, Verdict.CRASHED), "exit 4"),
])
def test_the_solver_uses_a_reading_only_where_it_reproduces_torch_nn(verdicts, decided):
    summaries = course_summaries()

    def experiment(summary, way, readings, warmup=False, hx_none=False):
        verdict = verdicts[summaries.index(summary)] if summary in summaries else Verdict.CRASHED
        return (Outcome(verdict, verdict.value, returns=readings[0] if verdict.value != "crashed" else None),)

    if decided == "exit 4":
        with pytest.raises(AmbiguousBinding):
            settle(summaries, experiment)
        return
    settled = settle(summaries, experiment)
    facts = {fact.name: fact for fact in settled.summary.evidence}
    assert settled.way.candidate == min(i for i, v in enumerate(verdicts) if v is not Verdict.CRASHED)
    assert facts["reading"].how is (How.PROVEN if decided == "proven" else How.UNPROVEN)
    assert ("binding" in facts) == (decided == "failure")


@pytest.mark.parametrize("keys, family, course", [
    (["Wax", "Waa", "ba", "Wya", "by"], "rnn", True),
    (["Wax", "Waa", "Wya", "by"], "rnn", True),  # ba left out is a mistake, not another convention
    (["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"], "lstm", True),
    (["Wax", "Waa", "ba"], "lstm", False),  # the course's keys of another recurrence
    (["Wax", "Waa", "ba", "Wq"], "rnn", False),  # a key no course has
    (["Wya", "by"], "rnn", False),  # the output layer alone
])
def test_a_course_is_recognised_by_its_keys_alone(keys, family, course):
    assert (course_of(keys, family) is not None) == course


def test_a_key_the_code_leaves_out_is_in_every_reading_s_dict():
    course = course_of(["Wax", "Waa", "Wya", "by"], "rnn")
    found = readings(course, ["Wax", "Waa", "Wya", "by"], "parameters", (), "rnn_cell")
    assert all([key for key, _ in reading.mapping["parameters"].items][-1] == "ba" for reading in found)
    assert [reading.returns for reading in found] == ["h_1.T,yt_pred,cache", None, None]


# ---------------------------------------------------------------------------------------------- the language
class Sizes:
    """What ``H, I, B, T`` are in one check: hidden 5, input 4, batch 3 (None unbatched), time 6."""

    def __init__(self, batch=3) -> None:
        self.values = {"H": 5, "I": 4, "B": batch, "T": 6}

    def __call__(self, symbol):
        return self.values.get(symbol)


def environment(batch=3):
    from pytest_rnnconformance.bind.expressions import Environment

    tensors = {"input": torch.randn(6, batch, 4) if batch else torch.randn(6, 4), "hx": torch.randn(1, batch or 1, 5),
               "bias_ih": torch.randn(5), "bias_hh": torch.randn(5), "weight_ih": torch.randn(5, 4),
               "weight_hh": torch.randn(5, 5)}
    return tensors, Environment(lambda base, layer, reverse: tensors[base], lambda name: None, lambda name: None,
                                lambda name: torch.eye(5) if name == "eye" else torch.zeros(5), "rnn", Sizes(batch))


def test_a_dict_literal_keeps_the_learners_keys_and_reads_names_in_its_values():
    mapping = parse_map(PARAMETERS)
    assert isinstance(mapping["parameters"], Dict)
    tensors, env = environment()
    value = evaluate(mapping["parameters"], env)
    assert list(value) == ["Wax", "Waa", "ba", "Wya", "by"]
    assert value["ba"].shape == (5, 1) and torch.equal(value["ba"][:, 0], tensors["bias_ih"] + tensors["bias_hh"])
    assert parse_map(str(mapping["parameters"]).join(("parameters=", ""))) == mapping  # prints as it parses


def test_permute_and_reshape_take_integers_and_size_symbols():
    tensors, env = environment()
    assert torch.equal(evaluate(parse_expression("input.permute(2,1,0)"), env), tensors["input"].permute(2, 1, 0))
    assert evaluate(parse_expression("hx.reshape(B,H).T"), env).shape == (5, 3)
    assert evaluate(parse_expression("input.reshape(T,-1)"), env).shape == (6, 12)


@pytest.mark.parametrize("text, batch, message", [
    ("input.reshape(B,I)", None, "has no batch .B.: an unbatched input"),
    ("input.permute(2,1,0)", None, r"has shape \(6, 4\) here, which permute\(2,1,0\) does not fit"),
    ("input.reshape(T,I,1)", 3, r"cannot be reshaped to \(6,4,1\)"),
])
def test_a_shape_that_does_not_fit_the_configuration_is_declared_unsupported(text, batch, message):
    _, env = environment(batch)
    with pytest.raises(DoesNotFit, match=message):
        evaluate(parse_expression(text), env)


def test_a_declared_result_is_turned_back_into_torch_nns():
    output = torch.randn(6, 3, 5)  # (T, B, H)
    pattern = parse_returns("output.permute(2,1,0),y_pred,caches")
    assert pattern.names() == {"output"} and [item.ignored for item in pattern.items] == [False, True, True]
    declared = pattern.items[0].declared
    assert declared == Permute(Name("output"), (2, 1, 0))
    assert torch.equal(undo(declared, output.permute(2, 1, 0), (6, 3, 5), Sizes()), output)
    column = parse_returns("h_n.reshape(H,1)").declared
    assert isinstance(column, Reshape) and undo(column, torch.ones(5, 1), (1, 5), Sizes()).shape == (1, 5)
    with pytest.raises(DoesNotFit, match=r"shape \(3, 5\) where --rnn-returns declares h_n.reshape\(H,1\)"):
        undo(column, torch.ones(3, 5), (1, 5), Sizes())


@pytest.mark.parametrize("text, message", [
    ("p={Wax:weight_ih,Wax:weight_hh}", "the key Wax is given twice"),
    ("x=input.reshape(N,1)", "sizes are integers and H, I, B, T"),
    ("x=input.permute(H,0)", "sizes are integers"),
    ("p={Wax:nonsense}", "unknown name 'nonsense'"),
])
def test_a_malformed_declaration_says_what_is_wrong(text, message):
    with pytest.raises(DeclarationError, match=message):
        parse_map(text)


def test_results_not_judged_have_no_shape_to_declare():
    with pytest.raises(DeclarationError, match="y_pred.T: y_pred has no shape to declare"):
        parse_returns("output,y_pred.T")


def test_auto_and_a_dict_literal_split_at_the_top_level_only():
    mapping, auto = _split_auto(f"auto,{PARAMETERS}")
    assert auto and list(mapping) == ["parameters"]


MODE_STRING = '''import torch


def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity_name):
    act = {"tanh": torch.tanh, "relu": torch.relu}[nonlinearity_name]
    h, outputs = h0[0], []
    for step in x:
        h = act(step @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outputs.append(h)
    return torch.stack(outputs), h.unsqueeze(0)
'''


def test_a_mode_string_is_refused_unless_declared_and_then_passed_as_written(tmp_path):
    from pytest_rnnconformance import RNNSpec, rnn_check, rnn_implementation
    from pytest_rnnconformance.bind import BindingError
    from pytest_rnnconformance.bind.expressions import Literal

    assert parse_map("nonlinearity_name='tanh',layers=2") == {"nonlinearity_name": Literal("tanh"),
                                                             "layers": Literal(2)}
    (tmp_path / "mode_string.py").write_text(MODE_STRING)
    target = f"{tmp_path / 'mode_string.py'}:rnn_forward"
    with pytest.raises(BindingError, match="nonlinearity_name"):
        rnn_implementation(target).summary
    rnn_check(rnn_implementation(target, bind="nonlinearity_name='tanh'"), RNNSpec("rnn", 3, 4))
    with pytest.raises(AssertionError, match="first divergence"):  # the string is passed: relu is not tanh
        rnn_check(rnn_implementation(target, bind="nonlinearity_name='relu'"), RNNSpec("rnn", 3, 4))
