"""The kernel author's features: packed sequences, gradients, half precision, expectations, speed."""
from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path

import pytest
import torch  # here, not in a test: pytester drops modules a test imported, and torch cannot be imported twice

REPO = Path(__file__).resolve().parent.parent
FAST = ("--rnn-max-examples", "6", "-p", "no:cacheprovider")


def test_running_the_padding_through_the_recurrence_fails_packed(run_suite):
    run = run_suite("examples/mutants/packed_padding.py:forward", *FAST, "--rnn-rows", "packed,forward")
    assert run.status("forward") == "pass"
    assert run.status("packed") == "fail"
    assert run.report["features"]["packed"]["diagnosis"][0] == "packed_padding_run"


def test_a_module_that_cannot_take_packed_input_errors(run_suite):
    run = run_suite("examples/wrong/module_shape_hn.py:SqueezedRNN", *FAST, "--rnn-rows", "packed", "--rnn-dtype", "float64")
    assert run.status("packed") == "error"  # it does not take a PackedSequence: a crash, reported as such
    assert "raised " in run.report["features"]["packed"]["message"]


def test_custom_backward_is_checked_and_passes(run_suite):
    run = run_suite("examples/custom_backward_rnn.py:rnn_forward", *FAST, "--rnn-rows", "backward,forward")
    assert run.status("backward") == "pass" and run.status("forward") == "pass"


def test_a_wrong_custom_backward_fails_backward_only(run_suite, pytester):
    source = (REPO / "examples" / "custom_backward_rnn.py").read_text()
    wrong = source.replace("grad_pre.T @ h", "1.1 * (grad_pre.T @ h)")
    assert wrong != source
    target = pytester.makepyfile(wrong_backward=wrong)
    run = run_suite(f"{target}:rnn_forward", *FAST, "--rnn-rows", "backward,forward")
    assert run.status("forward") == "pass"
    assert run.status("backward") == "fail"
    assert "grad `weight_hh_l0`" in run.report["features"]["backward"]["message"]


def test_a_detached_result_fails_backward_unless_it_says_so(run_suite, pytester):
    """No grad_fn and no NotImplementedError: gradients were meant to flow and cannot (a failure);
    with @implements(differentiable=False) it is unsupported, as declared."""
    source = (REPO / "examples" / "rnn_forward.py").read_text()
    detached = source.replace("return torch.stack(outputs, dim=1), h",
                              "return torch.stack(outputs, dim=1).detach(), h.detach()")
    run = run_suite(f"{pytester.makepyfile(detached=detached)}:rnn_forward", *FAST, "--rnn-rows", "backward,forward")
    assert run.status("backward") == "fail" and run.status("forward") == "pass"
    assert "no grad_fn" in run.report["features"]["backward"]["message"]
    declared = "from pytest_rnnconformance import implements\n" + detached.replace(
        "def rnn_forward", "@implements(differentiable=False)\ndef rnn_forward")
    run = run_suite(f"{pytester.makepyfile(declared=declared)}:rnn_forward", *FAST, "--rnn-rows", "backward")
    assert run.status("backward") == "unsupported"
    assert "declared by @implements" in run.report["features"]["backward"]["message"]


def test_half_precision_is_judged_against_torch_in_the_same_dtype(run_suite):
    run = run_suite("reference", *FAST, "--rnn-rows", "half")
    cells = run.report["features"]["half"]["cells"]
    assert {"lstm-cpu-float16", "gru-cpu-bfloat16"} <= set(cells)
    assert run.status("half") == "pass"


def test_low_precision_code_fails_its_base_and_is_named(run_suite):
    """Computing in bfloat16 is wrong in every dtype: forward owns it, float64 is blocked by it."""
    run = run_suite("examples/mutants/low_precision.py:forward", *FAST, "--rnn-rows", "forward,float64",
                    "--rnn-mode", "gru")
    assert run.status("forward") == "fail"
    assert run.report["features"]["forward"]["diagnosis"][0] == "low_precision"
    assert run.status("float64") == "blocked"


def test_float64_computed_in_float32_fails_float64_alone(run_suite):
    """Right in float32, rounded to float32 in float64: the float64 row owns it and blocks the other
    rows' float64 cells, while their float32 cells pass."""
    run = run_suite("examples/rows/float64.py:forward", *FAST, "--rnn-rows", "forward,float64,multilayer",
                    "--rnn-mode", "lstm")
    assert run.status("forward") == "pass"
    assert run.status("float64") == "fail"
    assert run.report["features"]["float64"]["diagnosis"][0] == "low_precision"
    cells = run.report["features"]["multilayer"]["cells"]
    assert cells["lstm-cpu-float32"]["status"] == "pass"
    assert cells["lstm-cpu-float64"]["status"] == "blocked" and cells["lstm-cpu-float64"]["blocked_by"] == "float64"


def test_expectations_turn_known_gaps_green_and_closed_gaps_red(run_suite, pytester):
    expect = pytester.path / "expect.toml"
    expect.write_text('fail = ["forward"]\nunsupported = ["multilayer"]\nerror = ["layout[cuda-float32]"]\n')
    run = run_suite("examples/wrong/lstm_gate_order.py:lstm_forward", *FAST, "--rnn-expect", str(expect),
                    "--rnn-rows", "forward,multilayer", "--rnn-dtype", "float64")
    assert run.result.ret == 0, run.output
    assert "layout[cuda-float32]" in run.output and "matched no cell" in run.output
    expect.write_text('fail = ["forward"]\n')
    run = run_suite("examples/lstm_forward.py:lstm_forward", *FAST, "--rnn-expect", str(expect), "--rnn-rows", "forward",
                    "--rnn-dtype", "float64")
    assert run.result.ret == 1
    assert "declares forward[lstm-cpu-float64] as fail, but it was pass" in run.output


def test_benchmark_is_in_the_report_and_a_regression_fails(run_suite, pytester):
    run = run_suite("examples/lstm_forward.py:lstm_forward", *FAST, "--rnn-benchmark", "--rnn-rows", "shape",
                    "--rnn-dtype", "float64", "--rnn-benchmark-sizes", "quick")
    entries = run.report["benchmark"]["lstm"]
    assert entries and all(e["ratio"] > 0 for e in entries)
    saved = pytester.path / "saved.json"
    for entry in entries:
        entry["ratio"] = entry["ratio"] / 100  # pretend it used to be 100x faster
    saved.write_text(json.dumps(run.report))
    regressed = run_suite("examples/lstm_forward.py:lstm_forward", *FAST, "--rnn-benchmark-compare", str(saved),
                          "--rnn-rows", "shape", "--rnn-dtype", "float64", "--rnn-benchmark-sizes", "quick")
    assert regressed.result.ret == 1
    assert "REGRESSION" in regressed.output


def test_layers_that_do_not_stack_fail_the_metamorphic_check(tmp_path):
    """No oracle needed: a multi-layer call must equal its layers run one at a time."""
    import pytest
    import torch

    from pytest_rnnconformance import RNNSpec, make_inputs
    from pytest_rnnconformance.api import runner_for
    from pytest_rnnconformance.features.base import RowCheck
    from pytest_rnnconformance.features.multilayer import layers_stack
    from pytest_rnnconformance.judge.failure import FailureRaised
    from pytest_rnnconformance.judge.tolerance import tolerance_for

    (tmp_path / "odd_stack.py").write_text(
        "from pytest_rnnconformance.reference import forward as reference\n"
        "def forward(input, hx, params, spec):\n"
        "    output, state = reference(input, hx, params, spec)\n"
        "    return (output * 1.01 if spec.num_layers > 1 else output), state\n")
    inputs = make_inputs(RNNSpec("gru", 2, 3, num_layers=2), time=3, batch=2, seed=0, dtype=torch.float64)
    odd = RowCheck(runner_for(f"{tmp_path / 'odd_stack.py'}:forward", "gru"), "multilayer", tolerance_for)
    with pytest.raises(FailureRaised, match="do not stack"):
        layers_stack(odd, inputs, odd.result(inputs).tensors["output"])
    honest = RowCheck(runner_for("reference", "gru"), "multilayer", tolerance_for)
    layers_stack(honest, inputs, honest.result(inputs).tensors["output"])


# ----------------------------------------------------------------------------- kernel authors' own tools
KERNELS = REPO / "examples" / "kernels"


def test_a_wrong_custom_backward_fails_backward_in_every_dtype_never_errors(run_suite):
    """tanh's derivative dropped from a custom Function's backward: a failure of backward in float32
    and in float64 (where gradcheck runs too), never an error blamed on the implementation."""
    run = run_suite("examples/kernels/custom_function.py:rnn_forward_no_tanh_derivative", *FAST,
                    "--rnn-rows", "forward,backward", "--rnn-dtype", "float32,float64")
    assert run.status("forward") == "pass"
    cells = run.report["features"]["backward"]["cells"]
    assert {cell: value["status"] for cell, value in cells.items()} == {"rnn-cpu-float32": "fail",
                                                                         "rnn-cpu-float64": "fail"}
    right = run_suite("examples/kernels/custom_function.py:rnn_forward", *FAST, "--rnn-rows", "forward,backward",
                      "--rnn-dtype", "float32,float64")
    assert right.statuses() == {"forward": "pass", "backward": "pass"}


def test_gradcheck_of_a_wrong_custom_backward_is_a_verdict_not_a_crash():
    """gradcheck's own failure is read as a verdict ("failed: ..."), whatever torch version raises it."""
    from pytest_rnnconformance import RNNSpec, make_inputs
    from pytest_rnnconformance.api import runner_for
    from pytest_rnnconformance.judge.gradients import upstream_weights
    from pytest_rnnconformance.run.results import expected_shapes

    inputs = make_inputs(RNNSpec("rnn", 2, 3), time=2, batch=2, seed=0, dtype=torch.float64)
    upstream = upstream_weights(expected_shapes(inputs), 0)
    verdicts = {}
    for entry in ("rnn_forward", "rnn_forward_no_tanh_derivative"):
        call = runner_for(f"{KERNELS / 'custom_function.py'}:{entry}", "rnn").call(inputs, upstream=upstream)
        assert call.problem is None, call.problem
        verdicts[entry] = call.gradients["gradcheck"]
    assert verdicts["rnn_forward"] == "passed"
    assert verdicts["rnn_forward_no_tanh_derivative"].startswith("failed: ")


LATE_WRITER = '''
import threading, time
import torch

def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    h, out = h0, []
    for step in x:
        h = torch.tanh(step @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        out.append(h)
    output = torch.stack(out)

    def epilogue():  # an asynchronous epilogue done wrong: it writes after the results were returned
        time.sleep(0.02)
        output.mul_(2.0)

    threading.Thread(target=epilogue, name="late-epilogue").start()
    return output, h
'''


def test_a_thread_writing_to_the_results_after_return_fails_purity_in_both_modes(run_suite, pytester):
    target = f"{pytester.makepyfile(late_writer=LATE_WRITER)}:rnn_forward"
    for mode in ((), ("--rnn-isolate",)):
        run = run_suite(target, *FAST, "--rnn-rows", "purity", "--rnn-dtype", "float64", *mode)
        assert run.status("purity") == "fail", (mode, run.output)
        text = run.report["features"]["purity"]["message"]
        assert "a thread it started (late-epilogue) is still running" in text
        assert "its results changed after it returned" in text


def test_a_compiled_implementation_is_not_tampering_and_exits_quietly(run_suite):
    """inductor's compile workers and exit handlers are torch's; nothing prints at exit."""
    run = run_suite("examples/kernels/compiled_lstm.py:lstm_forward", "--rnn-max-examples", "2",
                    "--rnn-rows", "forward,backward,purity", "--rnn-dtype", "float32")
    assert run.statuses() == {"forward": "pass", "backward": "pass", "purity": "pass"}, run.output
    assert "tampering" not in json.dumps(run.report).lower()
    assert "Exception ignored" not in run.output and "Traceback" not in run.output


def test_an_exp_written_tanh_fails_edge_cases_alone_named_unstable_activation_in_every_dtype(run_suite, pytester):
    """Right at ordinary sizes (forward passes); NaN where torch.nn saturates, named in each dtype.
    The same formula rearranged to be stable, 1 - 2 / (e^{2x} + 1), passes: a stable formula removes
    the difference, which is what the name claims."""
    dtypes = ("--rnn-dtype", "float32,float64,float16,bfloat16")
    run = run_suite("examples/mutants/unstable_activation.py:rnn_forward", *FAST, "--rnn-rows", "forward,edge_cases",
                    *dtypes)
    assert run.status("forward") == "pass"
    cells = run.report["features"]["edge_cases"]["cells"]
    assert set(cells) == {f"rnn-cpu-{d}" for d in ("float32", "float64", "float16", "bfloat16")}
    assert {cell["status"] for cell in cells.values()} == {"fail"}
    assert run.report["features"]["edge_cases"]["diagnosis"][0] == "unstable_activation"
    assert "unstable activation: use torch.tanh/torch.sigmoid" in run.report["features"]["edge_cases"]["message"]
    source = (REPO / "examples" / "mutants" / "unstable_activation.py").read_text()
    stable = source.replace("return (grown - 1) / (grown + 1)", "return 1 - 2 / (grown + 1)")
    assert stable != source
    run = run_suite(f"{pytester.makepyfile(stable_tanh=stable)}:rnn_forward", *FAST, "--rnn-rows", "forward,edge_cases",
                    *dtypes)
    assert run.statuses() == {"forward": "pass", "edge_cases": "pass"}, run.output


def test_special_values_must_propagate_as_in_torch(run_suite, pytester):
    """A NaN or an inf in the input gives NaN and ±1 where torch.nn gives them: code that hides them
    (nan_to_num on the output) fails edge_cases, and only edge_cases."""
    source = (REPO / "examples" / "rnn_forward.py").read_text()
    hiding = source.replace("return torch.stack(outputs, dim=1), h",
                            "return torch.stack(outputs, dim=1).nan_to_num(), h.nan_to_num()")
    assert hiding != source
    run = run_suite(f"{pytester.makepyfile(hiding=hiding)}:rnn_forward", "--rnn-max-examples", "20",
                    "--rnn-rows", "forward,edge_cases", "--rnn-dtype", "float64")
    assert run.status("forward") == "pass" and run.status("edge_cases") == "fail"
    assert "special values" in run.report["features"]["edge_cases"]["message"]


def test_special_values_are_planted_one_kind_per_batch_row():
    from pytest_rnnconformance import RNNSpec, make_inputs

    x = make_inputs(RNNSpec("gru", 3, 2, batch_first=True), time=3, batch=4, seed=0, specials=True).input
    assert torch.equal(x[0, 0], torch.zeros(3))  # a whole step of exact zeros
    assert x[1, -1, 0] == math.inf and x[2, -1, 0] == -math.inf and math.isnan(x[3, -1, 0])
    assert torch.isfinite(x[:, :-1]).all()  # every step before the last is finite


@pytest.mark.parametrize("entry, backward, double_backward", [
    ("rnn_forward", "pass", "pass"),  # a custom backward made of differentiable operations
    ("rnn_forward_detached_derivative", "pass", "fail"),  # right first derivatives, wrong second ones
    ("rnn_forward_once_differentiable", "pass", "unsupported"),  # not differentiable twice, and says so
    ("rnn_forward_no_tanh_derivative", "fail", "blocked"),  # backward's defect, not double_backward's again
])
def test_double_backward_of_custom_functions(run_suite, entry, backward, double_backward):
    run = run_suite(f"examples/kernels/custom_function.py:{entry}", *FAST, "--rnn-rows", "backward,double_backward",
                    "--rnn-dtype", "float64")
    assert run.statuses() == {"backward": backward, "double_backward": double_backward}, run.output
    message = run.report["features"]["double_backward"]["message"]
    if double_backward == "unsupported":
        assert "its backward is not itself differentiable" in message
    if double_backward == "fail":
        assert "second derivatives" in message


def test_double_backward_is_taken_in_the_worker_under_isolation(run_suite):
    run = run_suite("examples/lstm_forward.py:lstm_forward", *FAST, "--rnn-rows", "double_backward",
                    "--rnn-dtype", "float64", "--rnn-isolate")
    assert run.status("double_backward") == "pass", run.output
    wrong = run_suite("examples/kernels/custom_function.py:rnn_forward_detached_derivative", *FAST, "--rnn-rows",
                      "double_backward", "--rnn-dtype", "float64", "--rnn-isolate")
    assert wrong.status("double_backward") == "fail", wrong.output


def test_a_wrong_compiled_implementation_fails_and_is_named(run_suite, pytester):
    """The compiled step with its gates unpacked f, i, g, o: forward fails, named gate_order. Compiled by
    dynamo with the eager backend (the graph as traced, run as it is): seconds, where inductor, which
    the right example exercises, takes a minute on a cold cache."""
    source = (KERNELS / "compiled_lstm.py").read_text()
    wrong = source.replace("@torch.compile(dynamic=True)", '@torch.compile(dynamic=True, backend="eager")') \
        .replace("i, f, g, o = (", "f, i, g, o = (")
    assert wrong.count('backend="eager"') == 1 and "f, i, g, o" in wrong
    run = run_suite(f"{pytester.makepyfile(compiled_wrong=wrong)}:lstm_forward", *FAST, "--rnn-rows", "forward",
                    "--rnn-dtype", "float32")
    assert run.status("forward") == "fail", run.output
    assert run.report["features"]["forward"]["diagnosis"][0] == "gate_order"


def _has_custom_op() -> bool:
    return hasattr(torch.library, "custom_op")  # torch 2.4+


def _has_compiler() -> bool:
    return bool((shutil.which("c++") or shutil.which("g++")) and shutil.which("ninja"))


@pytest.mark.parametrize("entry, forward, backward, diagnosis", [
    ("custom_op_rnn.py:rnn_forward", "pass", "pass", None),
    ("custom_op_rnn.py:rnn_forward_no_tanh_derivative", "pass", "fail", None),
    ("torchscript_rnn.py:rnn_forward", "pass", "pass", None),
    ("torchscript_rnn.py:rnn_forward_no_bias_hh", "fail", "blocked", "missing_bias_hh"),
    ("cpp_extension_rnn.py:rnn_forward", "pass", "pass", None),
    ("cpp_extension_rnn.py:rnn_forward_no_bias_hh", "fail", "blocked", "missing_bias_hh"),
])
def test_kernels_as_torch_exposes_them(run_suite, monkeypatch, entry, forward, backward, diagnosis):
    """A torch.library.custom_op with a registered autograd, a TorchScript function, a C++ operator
    built with cpp_extension: each bound by its parameters' names and judged like Python code, right and wrong."""
    if entry.startswith("custom_op") and not _has_custom_op():
        pytest.skip("torch.library.custom_op needs torch 2.4 or newer")
    if entry.startswith("cpp_extension"):
        if not _has_compiler():
            pytest.skip("no C++ compiler or ninja: the C++ operator cannot be built here")
        monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(Path(tempfile.gettempdir()) / "rnnconformance-extensions"))
    run = run_suite(f"examples/kernels/{entry}", *FAST, "--rnn-rows", "forward,backward", "--rnn-dtype", "float64")
    assert run.statuses() == {"forward": forward, "backward": backward}, run.output
    if diagnosis:
        assert run.report["features"]["forward"]["diagnosis"][0] == diagnosis


def test_the_readme_shows_a_custom_backward_checked_as_it_is(pytester, run_pytest):
    """The kernel authors' section: its custom-Function command, run in a folder laid out like the
    repository, prints the matrix lines it shows."""
    from conftest import readme_blocks

    blocks = readme_blocks("For kernel authors: a CI recipe")
    [commands] = [block for block in blocks if "examples/kernels/custom_function.py" in block]
    shown = blocks[blocks.index(commands) + 1]
    [command] = [line for line in commands.splitlines() if "custom_function.py" in line]
    assert command.startswith("pytest --rnn-impl ")
    (pytester.path / "examples" / "kernels").mkdir(parents=True)
    shutil.copy(KERNELS / "custom_function.py", pytester.path / "examples" / "kernels")
    result = run_pytest("-p", "no:cacheprovider", *command.split()[1:])
    output = result.stdout.str()
    for line in shown.strip().splitlines():
        assert line.rstrip() in output, line


def test_a_process_left_running_is_reported_in_both_modes(run_suite, pytester):
    """A helper process started and never waited for is still running when the call returns: a purity
    finding, in process and under --rnn-isolate (where the worker looks at its own children)."""
    source = (REPO / "examples" / "rnn_forward.py").read_text()
    spawning = "import subprocess\n" + source.replace(
        "    return torch.stack(outputs, dim=1), h",
        "    subprocess.Popen(['sleep', '30'])\n    return torch.stack(outputs, dim=1), h")
    assert "Popen" in spawning
    target = f"{pytester.makepyfile(spawning=spawning)}:rnn_forward"
    for mode in ((), ("--rnn-isolate",)):
        run = run_suite(target, *FAST, "--rnn-rows", "purity", "--rnn-dtype", "float64", *mode)
        assert run.status("purity") == "fail", (mode, run.report["features"]["purity"]["message"])
        assert "a process it started" in run.report["features"]["purity"]["message"]
        assert "sleep" in run.report["features"]["purity"]["message"]


REQUESTER = """
import sys, threading

def request():
    return sys._getframe()

def callback():
    pass

def start_thread():
    thread = threading.Thread(target=callback)
    thread.start()
    thread.join()
    return thread
"""


def _module_named(name: str) -> dict:
    namespace = {"__name__": name}
    exec(compile(REQUESTER, f"<{name}>", "exec"), namespace)
    return namespace


def test_torchs_own_requests_are_told_from_the_implementations():
    """Who asked decides: code in torch's packages (inductor's pool, dynamo's exit handler) is torch's,
    the same code in the implementation's module is not, and a callback must be torch's (or the
    standard library's) for torch's request to pass."""
    from pytest_rnnconformance.run import lingering
    from pytest_rnnconformance.run.origin import is_torchs, torch_registers

    torchs, own = _module_named("torch._inductor.pool"), _module_named("my_kernel")
    assert torch_registers(torchs["request"](), torchs["callback"])
    assert not torch_registers(own["request"](), own["callback"])
    assert not torch_registers(torchs["request"](), own["callback"])  # torch asked, for the implementation's code
    with lingering.left_running():
        threads = torchs["start_thread"](), own["start_thread"]()
    assert [is_torchs(lingering.STARTED_BY[thread]) for thread in threads] == [True, False]
