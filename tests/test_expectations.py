"""`--rnn-expect`: the TOML format, its one-line errors, strictness both ways, which entry decides
a cell, and warnings for entries that match nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from pytest_rnnconformance.report.expectations import Entry, ExpectationError, Judgement, load_expectations
from pytest_rnnconformance.modes import SEQUENCE_MODES as MODES

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "expect.toml"

#: DESIGN.md's feature names.
FEATURES = ("forward", "layout", "unbatched", "default_state", "no_bias", "relu", "multilayer", "bidirectional",
            "proj", "packed", "backward", "float64", "half", "cuda", "edge_cases", "continuation", "purity",
            "no_delegation", "shape")


@pytest.fixture
def expect(tmp_path):
    """``expect('fail = ["proj"]')`` loads that text as an expectations file."""

    def load(text: str, **kwargs):
        path = tmp_path / "expect.toml"
        path.write_text(text)
        return load_expectations(path, FEATURES, **kwargs)

    return load


def test_the_example_file_is_valid():
    expectations = load_expectations(EXAMPLE, FEATURES)
    assert expectations.expected_status("bidirectional", "lstm-cpu-float32") == "fail"
    assert expectations.expected_status("bidirectional", "lstm-cpu-float64") == "unsupported"


def test_the_three_forms_of_an_entry(expect):
    expectations = expect('fail = ["bidirectional", " half [ cuda-bfloat16 ] "]\n'
                          'error = ["packed[lstm-cuda-float16]"]\nunsupported = []\n')
    assert sorted(expectations.entries, key=lambda e: e.specificity) == [
        Entry("bidirectional", "fail", "bidirectional"),
        Entry(" half [ cuda-bfloat16 ] ", "fail", "half", None, "cuda", "bfloat16"),
        Entry("packed[lstm-cuda-float16]", "error", "packed", "lstm", "cuda", "float16"),
    ]
    assert expect("").entries == []


@pytest.mark.parametrize("text, message", [
    ('xfail = ["forward"]', "unknown key 'xfail'; expected lists named fail, error, unsupported"),
    ('fail = ["bidirectonal"]', "unknown feature 'bidirectonal' (did you mean 'bidirectional'?)"),
    ('fail = ["zzz"]', "unknown feature 'zzz'; known features: backward, bidirectional"),
    ('fail = ["half[cuda]"]', "expected feature[device-dtype] or feature[mode-device-dtype] in the brackets"),
    ('fail = ["half[cuda-bfloat16"]', "expected feature, feature[device-dtype] or feature[mode-device-dtype]"),
    ('fail = ["half[cuda--bfloat16]"]', "in the brackets"),
    ('fail = ["half[gpu-float16]"]', "unknown device 'gpu'; expected one of cpu, cuda"),
    ('fail = ["half[cuda-fp16]"]', "unknown dtype 'fp16'"),
    ('fail = ["half[conv-cuda-float16]"]', "unknown mode 'conv'"),
    ('fail = "forward"', "fail should be a list of strings"),
    ('error = [1]', "error should be a list of strings"),
    ('fail = ["forward"]\nerror = ["forward"]', "'forward' is listed under both fail and error"),
    ('fail = [', "not valid TOML"),
])
def test_a_bad_file_is_one_line_naming_it(expect, tmp_path, text, message):
    with pytest.raises(ExpectationError) as raised:
        expect(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value) and str(raised.value).startswith(str(tmp_path / "expect.toml"))


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(ExpectationError, match="cannot read"):
        load_expectations(tmp_path / "nowhere.toml", FEATURES)


def test_an_entry_listed_twice_under_the_same_status_is_harmless(expect):
    assert len(expect('fail = ["proj", "proj"]').entries) == 1


def test_a_cell_entry_beats_a_feature_entry(expect):
    expectations = expect('fail = ["half"]\nunsupported = ["half[cpu-bfloat16]"]\nerror = ["half[gru-cpu-bfloat16]"]')
    assert expectations.expected_status("half", "lstm-cuda-float16") == "fail"
    assert expectations.expected_status("half", "lstm-cpu-bfloat16") == "unsupported"
    assert expectations.expected_status("half", "gru-cpu-bfloat16") == "error"
    assert expectations.expected_status("forward", "gru-cpu-bfloat16") is None


def test_a_registered_mode_may_contain_a_hyphen(expect):
    expectations = expect('fail = ["forward[peephole-lstm-cpu-float32]"]', modes=MODES + ("peephole-lstm",))
    assert expectations.expected_status("forward", "peephole-lstm-cpu-float32") == "fail"
    assert expectations.expected_status("forward", "lstm-cpu-float32") is None


def test_outcome_for_one_cell_is_strict_both_ways(expect):
    expectations = expect('fail = ["bidirectional"]\nunsupported = ["proj"]')
    assert expectations.outcome_for("bidirectional", "lstm-cpu-float32", "fail") == "expected"
    assert expectations.outcome_for("bidirectional", "lstm-cpu-float32", "pass") == "unexpected"
    assert expectations.outcome_for("bidirectional", "lstm-cpu-float32", "error") == "unexpected"
    assert expectations.outcome_for("proj", "lstm-cpu-float32", "unsupported") == "expected"
    assert expectations.outcome_for("proj", "lstm-cpu-float32", "fail") == "unexpected"
    assert expectations.outcome_for("forward", "lstm-cpu-float32", "fail") == "normal"
    assert expectations.outcome_for("forward", "lstm-cpu-float32", "pass") == "normal"


def test_judge_fails_a_known_gap_that_closes(expect):
    expectations = expect('fail = ["bidirectional"]')
    judgement = expectations.judge({
        "bidirectional": {"lstm-cpu-float32": "fail", "lstm-cpu-float64": "pass"},
        "forward": {"lstm-cpu-float32": "fail"},  # not in the file: judged as usual, not here
    })
    assert judgement.matched == [("bidirectional", "lstm-cpu-float32", "fail")]
    assert judgement.unexpected == [("bidirectional", "lstm-cpu-float64", "fail", "pass")]
    assert not judgement.ok
    assert judgement.lines() == ["bidirectional[lstm-cpu-float64]: expected fail (--rnn-expect), got pass: "
                                 "the known gap is closed, remove it from the expectations"]


def test_judge_reads_the_verdict_dicts_of_the_result_log(expect):
    judgement = expect('error = ["packed[cpu-float32]"]').judge(
        {"packed": {"gru-cpu-float32": {"status": "error", "message": "raised ValueError"}}})
    assert judgement == Judgement(matched=[("packed", "gru-cpu-float32", "error")])
    assert judgement.ok and judgement.lines() == []


def test_entries_that_decide_no_cell_are_warnings(expect):
    expectations = expect('fail = ["half", "forward", "proj[cuda-float16]"]\nunsupported = ["half[cpu-float16]"]')
    judgement = expectations.judge({"forward": {"lstm-cpu-float32": "fail"},
                                    "half": {"lstm-cpu-float16": "unsupported"}})
    assert judgement.ok
    assert sorted(judgement.unmatched_entries) == ["half", "proj[cuda-float16]"]  # "half" is shadowed
    assert "warning: expectation 'proj[cuda-float16]' matches no cell of this run" in judgement.lines()
