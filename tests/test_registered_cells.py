"""Cells torch.nn does not have: the register_cells hook, and the metamorphic checks that need no oracle."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch

from pytest_rnnconformance import modes
from pytest_rnnconformance.api import runner_for
from pytest_rnnconformance.draw.inputs import make_inputs
from pytest_rnnconformance.features import names
from pytest_rnnconformance.features.base import RowCheck
from pytest_rnnconformance.features.bidirectional import directions_join
from pytest_rnnconformance.features.multilayer import layers_stack
from pytest_rnnconformance.judge.failure import FailureRaised
from pytest_rnnconformance.judge.tolerance import tolerance_for
from pytest_rnnconformance.modes import reference as reference_forward
from pytest_rnnconformance.reference.cells import LSTM as LSTM_CELL
from pytest_rnnconformance.run.forking import NO_FORK_ENV
from pytest_rnnconformance.spec import RNNSpec

REPO = Path(__file__).resolve().parent.parent
PEEPHOLE = REPO / "examples" / "hooks" / "peephole"
FAST = ("--rnn-max-examples", "8")


@pytest.fixture
def peephole(monkeypatch):
    """The example's cell type, registered for this test only."""
    spec = importlib.util.spec_from_file_location("peephole_conftest", PEEPHOLE / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cell_type = module.PEEPHOLE_LSTM
    monkeypatch.setattr(modes, "_MODES", dict(modes._MODES))  # put back as it was after the test
    modes.register(cell_type)
    return cell_type


@pytest.fixture
def peephole_project(pytester):
    """A folder with the example's conftest.py (the hook) and its implementation."""
    for name in ("conftest.py", "peephole_lstm.py"):
        shutil.copy(PEEPHOLE / name, pytester.path / name)
    return pytester


def run(run_suite, target: str, *args: str):
    suite = run_suite(target, *FAST, *args)
    return suite.result, suite.report


# ---------------------------------------------------------------------- the spec of a registered cell
def test_a_registered_cell_is_a_mode_with_its_own_weights(peephole):
    spec = RNNSpec("peephole_lstm", 3, 5, num_layers=2, bidirectional=True)
    assert spec.gate_count == 4 and spec.num_states == 2 and not spec.has_torch_module
    assert spec.param_names()[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ci_l0"]
    assert spec.param_shapes()["weight_co_l1_reverse"] == (5,)
    assert spec.param_shapes()["weight_ih_l1"] == (20, 10)
    assert spec.state_shapes(2) == ((4, 2, 5), (4, 2, 5))
    assert spec.describe().startswith("peephole LSTM 3->5")
    with pytest.raises(TypeError, match="torch.nn has no module"):
        spec.build_module()
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        RNNSpec("peephole_lstm", 3, 5, proj_size=2)


def test_an_unregistered_mode_is_refused_naming_the_known_ones(peephole):
    with pytest.raises(ValueError, match="expected one of rnn, lstm, gru, .*peephole_lstm"):
        RNNSpec("mystery", 3, 5)


def test_the_reference_runs_a_registered_cell_with_its_peepholes(peephole):
    spec = RNNSpec("peephole_lstm", 2, 3)
    inputs = make_inputs(spec, time=4, batch=2, seed=1, dtype=torch.float64)
    with_peepholes = reference_forward(inputs.input, inputs.hx, inputs.params, spec)
    closed = {n: (torch.zeros_like(v) if "weight_c" in n else v) for n, v in inputs.params.items()}
    without = reference_forward(inputs.input, inputs.hx, closed, spec)
    plain_lstm = reference_forward(inputs.input, inputs.hx, {n: v for n, v in closed.items() if "weight_c" not in n},
                                   RNNSpec("lstm", 2, 3))
    torch.testing.assert_close(without, plain_lstm)  # peepholes at zero: an LSTM
    assert not torch.allclose(with_peepholes[0], without[0])  # and the peepholes do count


def test_cell_types_are_validated():
    cell = LSTM_CELL
    with pytest.raises(ValueError, match="new identifier"):
        modes.CellType(name="lstm", gates=4, cell=cell)
    with pytest.raises(ValueError, match="new identifier"):
        modes.CellType(name="gru_cell", gates=3, cell=cell)  # torch.nn's single-step cells are taken too
    with pytest.raises(ValueError, match="gates must be at least 1"):
        modes.CellType(name="nogates", gates=0, cell=cell)
    with pytest.raises(TypeError, match="expected a pytest_rnnconformance.CellType"):
        modes.register("peephole_lstm")


# ---------------------------------------------------------------------- the whole suite on it
def test_the_peephole_example_gets_the_full_feature_matrix(peephole_project, run_suite):
    result, data = run(run_suite, "peephole_lstm.py:forward")
    statuses = {name: f["status"] for name, f in data["features"].items()}
    applicable = [f for f in names() if f not in ("relu", "proj")]  # RNN-only and LSTM-projection-only
    assert {f: statuses.get(f) for f in applicable} == {f: "pass" for f in applicable}, result.stdout.str()
    assert data["modes"] == ["peephole_lstm"]
    assert result.ret == 0
    half = data["features"]["half"]["cells"]
    assert set(half) == {"peephole_lstm-cpu-float16", "peephole_lstm-cpu-bfloat16"}


def test_a_wrong_peephole_fails_without_a_wrong_diagnosis(peephole_project, run_suite):
    source = (PEEPHOLE / "peephole_lstm.py").read_text()
    wrong = source.replace('w["weight_co"] * c_new', 'w["weight_co"] * c')  # the output gate peeks at the old c
    assert wrong != source
    (peephole_project.path / "wrong.py").write_text(wrong)
    _, data = run(run_suite, "wrong.py:forward", "--rnn-rows", "forward,continuation")
    forward = data["features"]["forward"]
    assert forward["status"] == "fail"
    assert forward.get("diagnosis", []) == []  # none of torch.nn's known mistakes: said honestly
    assert "none of the known mistakes" in forward["message"]


def test_a_hook_returning_garbage_is_a_usage_error(pytester, run_pytest):
    pytester.makeconftest("def pytest_rnnconformance_register_cells(config):\n    return ['peephole']\n")
    result = run_pytest("--rnn-impl", "reference", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pytest_rnnconformance_register_cells: expected a *CellType, got str*"])


def test_isolation_forks_a_worker_that_knows_the_cell_or_refuses_plainly(peephole_project, run_suite, monkeypatch):
    _, data = run(run_suite, "peephole_lstm.py:forward", "--rnn-isolate", "--rnn-rows", "forward")
    assert data["features"]["forward"]["status"] == "pass"
    monkeypatch.setenv(NO_FORK_ENV, "1")
    result, _ = run(run_suite, "peephole_lstm.py:forward", "--rnn-isolate", "--rnn-rows", "forward")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--rnn-isolate cannot test the registered cell(s) peephole_lstm here*"])


def test_declaring_an_unknown_mode_is_a_usage_error(pytester, run_pytest):
    pytester.makepyfile(impl="from pytest_rnnconformance import implements\n"
                             "@implements(modes=['mystery'])\ndef forward(input, hx, params, spec):\n    pass\n")
    result = run_pytest("--rnn-impl", "impl.py:forward", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*names no known mode; known: rnn, lstm, gru*register_cells hook*"])


# ---------------------------------------------------------------------- metamorphic checks
def _bidirectional_with_unflipped_reverse(input, hx, params, spec):
    """Right for one direction; with two, the reverse outputs are left in reverse time order."""
    output, hidden = reference_forward(input, hx, params, spec)
    if spec.bidirectional:
        half = output.shape[-1] // 2
        output = torch.cat([output[..., :half], output[..., half:].flip(0)], dim=-1)
    return output, hidden


def _layers_that_skip_the_reverse_half(input, hx, params, spec):
    """Right for one layer; layer 2 reads only the forward half of layer 1 (zeros for the rest)."""
    if spec.num_layers == 1:
        return reference_forward(input, hx, params, spec)
    first = spec.replace(num_layers=1)
    out, h1 = reference_forward(input, hx[: spec.num_directions], {k: v for k, v in params.items() if "_l0" in k}, first)
    half = out.shape[-1] // spec.num_directions
    out = torch.cat([out[..., :half], torch.zeros_like(out[..., half:])], dim=-1)
    second = spec.replace(num_layers=1, input_size=out.shape[-1])
    out, h2 = reference_forward(out, hx[spec.num_directions:],
                                {k.replace("_l1", "_l0"): v for k, v in params.items() if "_l1" in k}, second)
    return out, torch.cat([h1, h2])


@pytest.mark.parametrize("spec", [RNNSpec("gru", 3, 4, bidirectional=True),
                                  RNNSpec("lstm", 2, 3, bidirectional=True, batch_first=True)])
def test_directions_must_join_into_the_bidirectional_run(spec):
    inputs = make_inputs(spec, time=4, batch=2, seed=3, dtype=torch.float64)
    honest = RowCheck(runner_for(reference_forward, spec.mode), "bidirectional", tolerance_for)
    directions_join(honest, inputs, honest.result(inputs).tensors)  # the reference joins
    wrong = RowCheck(runner_for(_bidirectional_with_unflipped_reverse, spec.mode), "bidirectional", tolerance_for)
    with pytest.raises(FailureRaised, match="forward run joined with a run over the reversed sequence"):
        directions_join(wrong, inputs, wrong.result(inputs).tensors)


def test_layers_must_stack_into_the_multilayer_run():
    spec = RNNSpec("rnn", 3, 4, num_layers=2, bidirectional=True)
    inputs = make_inputs(spec, time=3, batch=2, seed=5, dtype=torch.float64)
    honest = RowCheck(runner_for(reference_forward, "rnn"), "multilayer", tolerance_for)
    layers_stack(honest, inputs, honest.result(inputs).tensors["output"])
    wrong = RowCheck(runner_for(_layers_that_skip_the_reverse_half, "rnn"), "multilayer", tolerance_for)
    with pytest.raises(FailureRaised, match="the layers do not stack"):
        layers_stack(wrong, inputs, wrong.result(inputs).tensors["output"])
