"""The grading CLI: a small class graded end to end, and the scoring rules on their own.

The class (tests/data/class, see its README) is graded once, with ``--jobs 2``, by one test that
then checks scores, feedback, Gradescope results, grades.json and the summary; it regrades two
students with ``--jobs 1 --resume`` into a copy of the folder and expects the same gradebook, byte
for byte, and merges two halves of it back into the whole.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from pytest_rnnconformance.cli import main
from pytest_rnnconformance.run.forking import NO_FORK_ENV
from pytest_rnnconformance.grading.batch import select_shard
from pytest_rnnconformance.grading.merge import merge_folders
from pytest_rnnconformance.grading.outputs import OutputFolder
from pytest_rnnconformance.grading.rubric import Rubric, RubricError, parse_rubric
from pytest_rnnconformance.grading.scoring import score_run
from pytest_rnnconformance.grading.submissions import discover, fingerprint

CLASS = Path(__file__).parent / "data" / "class"
SUBMISSIONS = ["alice.py", "bob.py", "carol", "erin.py", "frank.py", "gina.py", "hank"]
RUBRIC = """
[run]
mode = "lstm"
dtypes = ["float64"]
max_examples = 3
timeout = 30
call_timeout = 5
isolate = false        # here the process-level safety is under test (the worker's is in test_safety.py)

[features]
forward = 2
shape = 1
float64 = 1
edge_cases = { points = 1, requires = ["forward"] }
continuation = { points = 1, hidden = true }
proj = 1

[scoring]
delegation = "ignore"   # and no_delegation is not graded: the plugin may skip that check (faster)
"""
COLUMNS = ["submission", "score", "max_score", "forward", "shape", "float64", "edge_cases", "continuation", "proj"]
EXPECTED = {"alice": 7, "bob": 1, "carol": 7, "erin": 0, "frank": 0, "gina": 0, "hank": 0}


def grade(*args: str) -> tuple:
    """Run the CLI in-process; (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def rows(out: Path) -> list:
    with open(out / "grades.csv", newline="") as handle:
        return list(csv.reader(handle))


def feedback(out: Path, name: str) -> str:
    return (out / "feedback" / f"{name}.md").read_text()


# ---------------------------------------------------------------------- end to end
def test_grading_a_class_end_to_end(tmp_path, monkeypatch):
    """One test, so that the class is graded once even when pytest-xdist spreads tests over workers."""
    (tmp_path / "rubric.toml").write_text(RUBRIC)
    status, stdout, stderr = grade("grade", *(str(CLASS / s) for s in SUBMISSIONS), "--entry", "lstm_forward",
                                   "--rubric", str(tmp_path / "rubric.toml"), "--out", str(tmp_path / "out"),
                                   "--jobs", "2")
    assert status == 0, stderr
    graded = {"out": tmp_path / "out", "rubric": tmp_path / "rubric.toml", "stdout": stdout, "stderr": stderr}
    check_every_student_gets_the_expected_score(graded)
    check_feedback_says_what_to_fix_and_why_runs_did_not_finish(graded)
    check_gradescope_results_follow_the_schema(graded)
    check_grades_json_holds_reports_and_the_summary_flags_duplicates(graded)
    check_resume_regrades_only_what_is_missing_and_jobs_do_not_change_grades(graded, tmp_path / "resumed", monkeypatch)
    check_merge_of_shards_equals_the_whole(graded, tmp_path / "merged")


def check_every_student_gets_the_expected_score(graded):
    table = rows(graded["out"])
    assert table[0] == COLUMNS
    scores = {row[0]: (float(row[1]), float(row[2])) for row in table[1:]}
    assert scores == {name: (points, 7.0) for name, points in EXPECTED.items()}
    bob = dict(zip(COLUMNS, next(row for row in table if row[0] == "bob")))
    assert (bob["forward"], bob["shape"], bob["proj"]) == ("0", "1", "0")


def check_feedback_says_what_to_fix_and_why_runs_did_not_finish(graded):
    out = graded["out"]
    alice = feedback(out, "alice")
    assert "**Score: 6 of 6**" in alice  # the hidden point is not shown
    bob = feedback(out, "bob")
    assert "gate_order" in bob and "i, f, g, o" in bob and "Smallest failing case" in bob
    assert "an LSTM with input_size" in bob and "rnn_check('bob.py:lstm_forward'" in bob
    assert "Where: lstm_forward found in solution.py" in feedback(out, "carol")
    erin = feedback(out, "erin")  # two timeouts (the layout probe, forward), then the rows are not run
    assert "took longer than 5 s" in erin and "not run: the implementation hung in" in erin
    assert "exited (code 1) before the suite finished" in feedback(out, "frank")
    assert "syntax error in gina.py, line 5" in feedback(out, "gina")
    assert "no .py file in hank/ defines lstm_forward" in feedback(out, "hank")
    for name in EXPECTED:
        text = feedback(out, name)
        assert "continuation" not in text, f"{name}: a hidden feature leaked into the feedback"
        assert str(CLASS) not in text, f"{name}: the grader's paths leaked into the feedback"


def check_gradescope_results_follow_the_schema(graded):
    for name, points in EXPECTED.items():
        result = json.loads((graded["out"] / "results" / f"{name}.json").read_text())
        assert set(result) >= {"score", "max_score", "output", "tests"}
        assert (result["score"], result["max_score"]) == (points, 7)
        assert result.get("visibility", "visible") in ("visible", "hidden", "after_due_date", "after_published")
        assert [t["name"] for t in result["tests"]] == COLUMNS[3:]
        for test in result["tests"]:
            assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
            assert isinstance(test["score"], (int, float)) and isinstance(test["output"], str)
            assert test["visibility"] == ("hidden" if test["name"] == "continuation" else "visible")
        assert "continuation" not in result["output"]


def check_grades_json_holds_reports_and_the_summary_flags_duplicates(graded):
    data = json.loads((graded["out"] / "grades.json").read_text())
    by_name = {s["submission"]: s for s in data["submissions"]}
    assert {n: s["outcome"] for n, s in by_name.items()} == {
        "alice": "finished", "bob": "finished", "carol": "finished", "erin": "finished", "frank": "crashed",
        "gina": "unloadable", "hank": "no_entry"}
    assert by_name["bob"]["report"]["features"]["forward"]["diagnosis"][0] == "gate_order"
    assert by_name["alice"]["fingerprint"] == by_name["carol"]["fingerprint"] != by_name["bob"]["fingerprint"]
    summary = (graded["out"] / "summary.md").read_text()
    assert "- alice, carol" in summary
    assert "1 of 7: gate_order" in summary
    assert "| forward | 2 of 7 |" in summary
    assert "matplotlib" in summary or (graded["out"] / "summary.png").exists()
    assert "[7/7]" in graded["stderr"] and "gate_order" in graded["stderr"]


def check_resume_regrades_only_what_is_missing_and_jobs_do_not_change_grades(graded, tmp_path, monkeypatch):
    """Also: runs started as new interpreters grade as the forked runs of the first pass did."""
    monkeypatch.setenv(NO_FORK_ENV, "1")
    out = tmp_path / "out"  # a copy of the graded folder without alice and bob
    shutil.copytree(graded["out"], out)
    data = json.loads((out / "grades.json").read_text())
    data["submissions"] = [s for s in data["submissions"] if s["submission"] not in ("alice", "bob")]
    (out / "grades.json").write_text(json.dumps(data))
    status, _, stderr = grade("grade", *(str(CLASS / s) for s in SUBMISSIONS), "--entry", "lstm_forward",
                              "--rubric", str(graded["rubric"]), "--out", str(out), "--jobs", "1", "--resume")
    assert status == 0, stderr
    assert "5 already graded" in stderr
    graded_now = [line.split()[1] for line in stderr.splitlines() if line.startswith("[")]
    assert graded_now == ["alice", "bob"]  # --jobs 1: in name order, and nothing else ran
    assert rows(out) == rows(graded["out"])
    assert feedback(out, "bob") == feedback(graded["out"], "bob")


def check_merge_of_shards_equals_the_whole(graded, tmp_path):
    rubric, grades = OutputFolder(graded["out"]).load()
    names = sorted(grades)
    for index in (1, 2):
        OutputFolder(tmp_path / f"part{index}").write_gradebook(
            [grades[n] for n in select_shard(names, (index, 2))], rubric)
    merged, _ = merge_folders([tmp_path / "part1", tmp_path / "part2"], tmp_path / "all")
    assert sorted(merged) == names
    assert rows(tmp_path / "all") == rows(graded["out"])
    assert feedback(tmp_path / "all", "bob") == feedback(graded["out"], "bob")


def test_usage_errors_exit_2(tmp_path):
    (tmp_path / "bad.toml").write_text("[features]\nforward = 'many'\n")
    status, _, stderr = grade("grade", str(CLASS / "alice.py"), "--entry", "f", "--rubric",
                              str(tmp_path / "bad.toml"), "--out", str(tmp_path / "o"))
    assert status == 2 and "features.forward must be a number" in stderr
    status, _, stderr = grade("grade", str(tmp_path / "missing.py"), "--entry", "f", "--out", str(tmp_path / "o"))
    assert status == 2 and "no such file" in stderr


# ---------------------------------------------------------------------- scoring rules
def report(**statuses) -> dict:
    return {"modes": ["lstm"], "features": {n: {"status": s, "diagnosis": [], "message": ""}
                                            for n, s in statuses.items()}}


def test_without_a_rubric_every_supported_feature_is_one_point():
    result = score_run("finished", "", report(forward="pass", layout="unsupported", shape="fail"), Rubric())
    assert (result.score, result.max_score) == (1, 2)
    assert result.features["layout"].max_points == 0


def test_a_run_cut_short_scores_unreached_features_as_errors():
    result = score_run("timeout", "timed out", report(forward="pass"), Rubric(),
                       universe=lambda modes, dtypes: ("forward", "shape", "proj"))
    assert (result.score, result.max_score) == (1, 3)
    assert result.features["shape"].status == "error" and "timed out" in result.features["shape"].note


def test_gates_partial_shape_credit_and_penalties():
    rubric = parse_rubric({"features": {"forward": 2, "shape": 2, "bidirectional": {"points": 3, "requires": ["forward"]},
                                        "packed": 1},
                           "scoring": {"shape_partial_credit": 0.5, "delegation": 2}})
    shape_only = {"status": "fail", "diagnosis": [], "message": "",
                  "cells": {"lstm-cpu-float32": {"status": "fail", "failure": {"kind": "shape"}}}}
    data = report(forward="fail", bidirectional="pass")
    data["features"]["shape"] = shape_only
    result = score_run("finished", "", data, rubric)
    assert result.features["bidirectional"].points == 0 and "forward" in result.features["bidirectional"].note
    assert result.features["shape"].points == 1
    assert result.features["packed"].status == "not_checked" and result.max_score == 7  # packed: not in this plugin
    data["features"]["no_delegation"] = {"status": "fail", "diagnosis": ["hn_batch_first"], "message": ""}
    assert score_run("finished", "", data, rubric).score == 1  # failed on the values: no penalty
    data["features"]["no_delegation"]["diagnosis"] = ["delegation"]
    assert score_run("finished", "", data, rubric).score == 0  # 1 - 2, floored at 0
    data["features"]["forward"]["status"] = "pass"
    assert score_run("finished", "", data, rubric).score == 2 + 1 + 3 - 2
    del data["features"]["no_delegation"]
    zero = parse_rubric({"scoring": {"tampering": "zero"}})
    assert score_run("finished", "", data, zero).score == 2  # forward and bidirectional, one point each
    data["tampering"] = ["at import: replaced torch.allclose (restored)"]
    assert score_run("finished", "", data, zero).score == 0


@pytest.mark.parametrize("toml, message", [
    ({"run": {"dtypes": ["float8"]}}, "run.dtypes"),
    ({"run": {"speed": 1}}, "unknown key"),
    ({"features": {"forward": {"points": 1, "requires": ["forward"]}}}, "cannot require itself"),
    ({"scoring": {"delegation": "sometimes"}}, "scoring.delegation"),
    ({"scoring": {"shape_partial_credit": 2}}, "fraction"),
])
def test_rubric_errors_name_the_key(toml, message):
    with pytest.raises(RubricError, match=message):
        parse_rubric(toml)


def test_copies_with_other_comments_and_layout_share_a_fingerprint():
    one = "def f(x):\n    '''doc'''\n    return x + 1  # add\n"
    two = "# mine\ndef f(x):\n\n    return x+1\n"
    assert fingerprint([("a.py", one)]) == fingerprint([("b.py", two)])
    assert fingerprint([("a.py", one)]) != fingerprint([("a.py", one.replace("+ 1", "+ 2"))])


def test_submissions_are_named_and_located():
    found = {s.name: s for s in discover([str(CLASS / s) for s in SUBMISSIONS], "lstm_forward")}
    assert sorted(found) == sorted(EXPECTED)
    assert found["carol"].file.name == "solution.py" and found["hank"].file is None
    assert "my_lstm" not in found["hank"].located and "searched lstm.py" in found["hank"].located
