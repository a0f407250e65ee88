"""The library in people's own tests: the README's "In your own tests" blocks run as written.

Each block is taken from the README's section, word for word, and run here as a user runs it, with
pytest in a process of its own: the property test next to the bundled one-layer ``lstm_forward``
(copied as ``my_lstm.py``, the name it uses) and next to a wrong one; the recipe for code that needs
a declaration (``rnn_implementation``) next to examples/courses/step_list.py and its wrong version;
the fixture form under ``--rnn-impl``. A failure starts with the suite's message, not with the
plugin's source. Then the pieces they rest on, one by one:
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

from hypothesis.errors import Unsatisfiable

from pytest_rnnconformance import ConformanceFailure, RNNSpec, make_inputs, rnn_check, rnn_implementation
from pytest_rnnconformance.api import runner_for
from pytest_rnnconformance.draw.strategies import outside
from pytest_rnnconformance.strategies import inputs, specs

from conftest import EXAMPLES, REPO, readme_blocks

LSTM = f"{EXAMPLES / 'lstm_forward.py'}:lstm_forward"  # one layer, one direction, seq-first, optional w_hr
WRONG_LSTM = f"{EXAMPLES / 'wrong' / 'lstm_gate_order.py'}:lstm_forward"
RNN_CELL = f"{REPO / 'tests' / 'learners' / 'torch_rnn_cell.py'}:rnn_cell"
FEW = settings(max_examples=15, deadline=None, database=None)


def own_tests_snippet(which: str) -> str:
    """The README block: ``property`` (a target string), ``declared`` (rnn_implementation), ``fixture``."""
    property_test, declared, fixture = readme_blocks("In your own tests", "python")
    return {"property": property_test, "declared": declared, "fixture": fixture}[which]


FEW_EXAMPLES = """from hypothesis import Phase, settings

settings.register_profile("few", max_examples=10, database=None, phases=(Phase.explicit, Phase.generate))
settings.load_profile("few")
"""


def run_snippet(pytester, run_pytest, which: str, implementation, as_name: str, *args: str):
    """The block as ``test_mine.py`` next to `implementation` (as `as_name`), run with pytest; a
    conftest loads a hypothesis profile of 10 examples, not shrunk (the block itself is left as written)."""
    shutil.copy(implementation, pytester.path / as_name)
    (pytester.path / "test_mine.py").write_text(own_tests_snippet(which))
    (pytester.path / "conftest.py").write_text(FEW_EXAMPLES)
    return run_pytest("-p", "no:cacheprovider", "-q", *args, "test_mine.py", timeout=240)


def test_the_readme_snippet_runs_as_written(pytester, run_pytest):
    result = run_snippet(pytester, run_pytest, "property", EXAMPLES / "lstm_forward.py", "my_lstm.py")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_the_readme_snippet_fails_a_wrong_implementation_with_the_suites_message(pytester, run_pytest):
    result = run_snippet(pytester, run_pytest, "property", EXAMPLES / "wrong" / "lstm_gate_order.py", "my_lstm.py")
    assert result.ret == 1
    output = result.stdout.str()
    assert "ConformanceFailure" in output and "first divergence" in output and "gate_order" in output, output
    assert_the_plugins_frames_are_hidden(output)


def assert_the_plugins_frames_are_hidden(output: str) -> None:
    """The failure shows the test's own lines and then the message: none of rnn_check's source."""
    assert "pytest_rnnconformance/api.py" not in output and "def rnn_check" not in output, output
    assert "registry()[feature].check(check, inputs)" not in output, output


@pytest.mark.parametrize("right", [True, False], ids=["right", "wrong"])
def test_the_readme_recipe_with_a_declaration_runs_as_written(pytester, run_pytest, right):
    """Code that needs --rnn-bind and --rnn-returns (a list of steps): specs, inputs and rnn_check
    all take the one rnn_implementation (before it, specs drew nothing: FailedHealthCheck)."""
    source = EXAMPLES / "courses" / ("step_list.py" if right else "step_list_wrong.py")
    result = run_snippet(pytester, run_pytest, "declared", source, "my_rnn.py")
    output = result.stdout.str() + result.stderr.str()
    if right:
        assert result.ret == 0, output
        result.stdout.fnmatch_lines(["*1 passed*"])
    else:
        assert result.ret == 1 and "ConformanceFailure" in output and "time_shift" in output, output
        assert_the_plugins_frames_are_hidden(output)


@pytest.mark.parametrize("right", [True, False], ids=["right", "wrong"])
def test_the_readme_fixture_form_runs_as_written(pytester, run_pytest, right):
    """``rnn_check(rnn_impl, rnn_spec)`` (it raised BindingError: cannot read the signature of the
    runner); a path on the command line runs that file alone, no conformance row."""
    source = EXAMPLES / "lstm_forward.py" if right else EXAMPLES / "wrong" / "lstm_gate_order.py"
    result = run_snippet(pytester, run_pytest, "fixture", source, "my_lstm.py", "--rnn-impl", "my_lstm.py:lstm_forward")
    output = result.stdout.str() + result.stderr.str()
    if right:
        assert result.ret == 0, output
        result.stdout.fnmatch_lines(["*1 passed*"])  # that test alone: no conformance row
    else:
        assert result.ret == 1 and "ConformanceFailure" in output and "gate_order" in output, output
        result.stdout.fnmatch_lines(["*1 failed*"])
        assert_the_plugins_frames_are_hidden(output)


def test_one_implementation_object_is_accepted_everywhere():
    """specs, inputs and rnn_check take rnn_implementation(...), which binds once with its declarations."""
    impl = rnn_implementation(f"{EXAMPLES / 'courses' / 'step_list.py'}:rnn_unrolled",
                              bind="inputs=input,h=h0,W_xh=weight_ih.T,W_hh=weight_hh.T,b_h=bias_ih+bias_hh",
                              returns="output_list,h_n")
    assert impl.summary.modes == ("rnn",) and impl.runner is impl.runner
    assert "returns='output_list,h_n'" in str(impl)

    @FEW
    @given(data=st.data())
    def property_test(data):
        spec = data.draw(specs(supported_by=impl))
        assert spec.mode == "rnn" and spec.num_layers == 1
        rnn_check(impl, spec, data.draw(inputs(spec, dtype=torch.float64, supported_by=impl)))

    property_test()


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

    with pytest.raises(Unsatisfiable):  # every example rejected: hypothesis says it found none
        property_test()
    assert calls
    with pytest.raises(pytest.skip.Exception, match="does not support this configuration.*_reverse"):
        rnn_check(LSTM, two_directions)


def test_a_wrong_implementation_still_fails():
    spec = RNNSpec("lstm", 3, 4)
    with pytest.raises(ConformanceFailure, match="first divergence") as raised:
        rnn_check(WRONG_LSTM, spec, make_inputs(spec, time=3, batch=2, seed=0, dtype=torch.float64))
    assert raised.value.failure.diagnosis[:1] == ["gate_order"]


# ---------------------------------------------------------------------------------------------- the ini file
PROJECT_TEST = '''
def test_own_logic():
    assert 1 + 1 == 2


def test_uses_the_fixture(rnn_check, rnn_impl, rnn_spec):
    rnn_check(rnn_impl, rnn_spec)
'''


def project_with_rnn_impl_in_its_ini(pytester) -> None:
    shutil.copy(EXAMPLES / "lstm_forward.py", pytester.path / "my_lstm.py")
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_mine.py").write_text(PROJECT_TEST)
    pytester.makeini("[pytest]\nrnn_impl = my_lstm.py:lstm_forward\nrnn_max_examples = 3\nrnn_dtype = float64\n")


def collected(result) -> tuple:
    """(the project's own test ids, the conformance items' ids) that ``--collect-only -q`` listed."""
    ids = [line for line in result.stdout.lines if "::" in line]
    return [i for i in ids if "test_mine.py" in i], [i for i in ids if "lstm_forward::" in i]


def test_with_rnn_impl_in_the_ini_a_bare_pytest_runs_the_projects_tests_and_the_suite(pytester, run_pytest):
    project_with_rnn_impl_in_its_ini(pytester)
    own, suite = collected(run_pytest("-p", "no:cacheprovider", "--collect-only", "-q"))
    assert len(own) == 2 and any("forward[lstm-cpu-float64]" in i for i in suite), (own, suite)
    result = run_pytest("-p", "no:cacheprovider", "-q", "-o", "rnn_rows=forward,shape")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*4 passed*"])  # the two own tests and the two rows


def test_with_rnn_impl_in_the_ini_a_path_runs_that_file_and_rows_only_when_asked(pytester, run_pytest):
    project_with_rnn_impl_in_its_ini(pytester)
    own, suite = collected(run_pytest("-p", "no:cacheprovider", "--collect-only", "-q", "tests/test_mine.py"))
    assert len(own) == 2 and suite == [], (own, suite)
    own, suite = collected(run_pytest("-p", "no:cacheprovider", "--collect-only", "-q", "tests/test_mine.py",
                                      "--rnn-rows", "forward"))
    assert len(own) == 2 and [i.split("::", 1)[1] for i in suite] == ["lstm_forward::forward[lstm-cpu-float64]"], \
        (own, suite)
