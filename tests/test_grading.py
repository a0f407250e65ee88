"""The grading CLI: a small class graded end to end, and the scoring rules on their own.

The class (tests/data/class, see its README) is graded once, as a class folder, with ``--jobs 2``
and isolated runs, by one test that then checks scores (one maximum for everyone), feedback,
Gradescope results, grades.json, file modes and the summary; it regrades one student with
``--jobs 1 --resume`` into a copy of the folder and expects the same gradebook, byte for byte, and
merges two halves of it back into the whole. A second test lets the teacher's solution, then a
standard learner solution, decide the graded rows. Small max_examples, one dtype and short call
timeouts keep the file well under a minute on two cores.
"""
from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import stat
import sys
import time
from pathlib import Path

import pytest

from pytest_rnnconformance.cli import main
from pytest_rnnconformance.grading.assignment import STANDARD, infer_mode
from pytest_rnnconformance.grading.rows import run_rows, unchecked_reason
from pytest_rnnconformance.grading.batch import select_shard
from pytest_rnnconformance.grading.merge import merge_folders
from pytest_rnnconformance.grading.outputs import OutputFolder, write_atomic
from pytest_rnnconformance.grading.progress import Progress
from pytest_rnnconformance.grading.record import Grade
from pytest_rnnconformance.grading.rubric import Rubric, RubricError, parse_rubric
from pytest_rnnconformance.grading.runner import check_options, command
from pytest_rnnconformance.grading.scoring import Score, score_run
from pytest_rnnconformance.grading.submissions import discover, fingerprint, is_class_folder

CLASS = Path(__file__).parent / "data" / "class"
RUBRIC = """
[run]
mode = "lstm"
dtypes = ["float64"]
max_examples = 3
timeout = 30
call_timeout = 2       # a hang costs the warm-up limit (longer than one call's: it spends the run's hangs), then rows are "not run"
warmup_timeout = 3

[features]
forward = 2
shape = 1
float64 = 1
backward = 1           # gradients cross the wire: graded under isolation (the default)
edge_cases = { points = 1, requires = ["forward"] }
continuation = { points = 1, hidden = true }
proj = 1
no_delegation = 1
"""
COLUMNS = ["submission", "score", "max_score", "forward", "shape", "float64", "backward", "edge_cases",
           "continuation", "proj", "no_delegation", "reason"]
MAXIMUM = 9
EXPECTED = {"alice": 9, "bob": 2, "carol": 9, "dave": 0, "erin": 0, "frank": 0, "gina": 0, "hank": 0, "ivan": 0,
            "paul": 8}


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


@contextlib.contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


# ---------------------------------------------------------------------- end to end
def test_grading_a_class_folder_end_to_end(tmp_path):
    """One test, so that the class is graded once even when pytest-xdist spreads tests over workers."""
    (tmp_path / "rubric.toml").write_text(RUBRIC)
    with umask(0o022):
        status, stdout, stderr = grade("grade", str(CLASS), "--entry", "lstm_forward", "--rubric",
                                       str(tmp_path / "rubric.toml"), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert status == 0, stderr
    graded = {"out": tmp_path / "out", "rubric": tmp_path / "rubric.toml", "stdout": stdout, "stderr": stderr}
    check_one_maximum_and_the_expected_scores(graded)
    check_backward_is_graded_under_isolation(graded)
    check_feedback_says_what_to_fix_and_why_runs_did_not_finish(graded)
    check_the_feedback_command_runs_the_graders_checks(graded)
    check_gradescope_results_follow_the_schema(graded)
    check_grades_json_holds_reports_and_the_summary_flags_duplicates(graded)
    check_output_files_honour_the_umask(graded)
    check_resume_regrades_only_what_is_missing_and_jobs_do_not_change_grades(graded, tmp_path / "resumed")
    check_merge_of_shards_equals_the_whole(graded, tmp_path / "merged")


def check_one_maximum_and_the_expected_scores(graded):
    table = rows(graded["out"])
    assert table[0] == COLUMNS
    scores = {row[0]: (float(row[1]), float(row[2])) for row in table[1:]}
    assert scores == {name: (points, MAXIMUM) for name, points in EXPECTED.items()}
    bob = dict(zip(COLUMNS, next(row for row in table if row[0] == "bob")))
    assert (bob["forward"], bob["shape"], bob["proj"], bob["no_delegation"]) == ("0", "1", "0", "1")


def check_backward_is_graded_under_isolation(graded):
    data = json.loads((graded["out"] / "grades.json").read_text())
    alice = next(s for s in data["submissions"] if s["submission"] == "alice")
    assert "isolated" in alice["report"]["binding"]
    assert alice["features"]["backward"] == {"status": "pass", "points": 1.0, "max_points": 1.0, "hidden": False,
                                             "note": ""}


def check_feedback_says_what_to_fix_and_why_runs_did_not_finish(graded):
    out = graded["out"]
    alice = feedback(out, "alice")
    assert f"**Score: {MAXIMUM - 1:g} of {MAXIMUM - 1:g}**" in alice  # the hidden point is not shown
    bob = feedback(out, "bob")  # read from the structured failure: cause, case, first divergence, snippet
    forward = next(s for s in json.loads((out / "grades.json").read_text())["submissions"]
                   if s["submission"] == "bob")["report"]["features"]["forward"]
    configuration = next(iter(forward["cells"].values()))["failure"]["configuration"]
    assert configuration.startswith("LSTM ") and f"forward [lstm-cpu-float64]: {configuration}\n" in bob
    assert "likely cause [gate_order]: " in bob and "- **gate_order** (in forward): " in bob and "i, f, g, o" in bob
    assert "first divergence: output, layer 0, time step 0" in bob
    assert "rnn_check('bob.py:lstm_forward'" in bob
    assert "| proj | not judged on its own | 0 / 1 |" in bob
    assert "- proj: not judged on its own: forward fails, fix that first" in bob
    assert "Where: lstm_forward found in solution.py" in feedback(out, "carol")
    dave = feedback(out, "dave")
    assert "Penalty: score set to 0: it calls torch's own recurrent kernels" in dave and "delegation" in dave
    erin = feedback(out, "erin")  # the warm-up's timeout, longer than two calls', then the rows are not run
    assert "took longer than its warm-up limit of 3 s" in erin and "not run: the implementation hung in" in erin
    assert "worker process died" in feedback(out, "frank")
    gina = feedback(out, "gina")
    assert "Your submission could not be loaded: syntax error at line 5 of gina.py" in gina
    assert "could not be loaded: syntax error at line 7 of model.py" in feedback(out, "ivan")  # a folder
    assert "no .py file in hank/ defines lstm_forward" in feedback(out, "hank")
    paul = feedback(out, "paul")  # a required row left unsupported: 0, and what to implement
    assert "| proj | not supported | 0 / 1 |" in paul
    assert "## To implement" in paul and "**proj** (1 point): proj_size > 0" in paul
    assert "projections are not implemented" in paul
    for name in EXPECTED:
        text = feedback(out, name)
        assert "continuation" not in text, f"{name}: a hidden feature leaked into the feedback"
        assert str(CLASS) not in text, f"{name}: the grader's paths leaked into the feedback"
    lines = [line for line in graded["stderr"].splitlines() if line.startswith("[")]
    gina_line = next(line for line in lines if " gina " in line)
    assert gina_line.endswith("could not be loaded: syntax error at line 5 of gina.py ('(' was never closed)")
    hank_line = next(line for line in lines if " hank " in line)
    assert hank_line.endswith("(searched lstm.py)")  # progress lines are never cut mid-reason


def check_the_feedback_command_runs_the_graders_checks(graded):
    """The command in the feedback is the grader's own run, less what only the grader needs."""
    rubric, grades = OutputFolder(graded["out"]).load()
    bob = feedback(graded["out"], "bob")
    shown = shlex.split(bob.split("Run the visible checks yourself, from the folder of your submission: `")[1]
                        .split("`")[0])
    grader = command(next(s for s in discover([str(CLASS)], "lstm_forward") if s.name == "bob"), rubric,
                     Path("report.json"))
    options = grader[grader.index("--rnn-report") + 2:]
    assert shown[:5] == ["pytest", "-p", "no:randomly", "--rnn-impl", "bob.py:lstm_forward"]
    visible_rows = [r for r in options[options.index("--rnn-rows") + 1].split(",") if r != "continuation"]
    expected = list(options)
    expected[expected.index("--rnn-rows") + 1] = ",".join(visible_rows)
    assert shown[5:] == expected  # same rows (less the hidden one), dtypes, examples, seed, mode, isolation
    for flag in ("--rnn-isolate", "--rnn-dtype", "--rnn-max-examples", "--rnn-mode", "--rnn-timeout"):
        assert flag in shown
    assert shown[shown.index("--rnn-warmup-timeout") + 1] == "3"  # the rubric's warmup_timeout


def check_gradescope_results_follow_the_schema(graded):
    for name, points in EXPECTED.items():
        result = json.loads((graded["out"] / "results" / f"{name}.json").read_text())
        assert set(result) >= {"score", "max_score", "output", "tests"}
        assert (result["score"], result["max_score"]) == (points, MAXIMUM)
        assert result.get("visibility", "visible") in ("visible", "hidden", "after_due_date", "after_published")
        assert [t["name"] for t in result["tests"]] == COLUMNS[3:-1]
        for test in result["tests"]:
            assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
            assert isinstance(test["score"], (int, float)) and isinstance(test["output"], str)
            assert test["visibility"] == ("hidden" if test["name"] == "continuation" else "visible")
        assert "continuation" not in result["output"]
    gina = json.loads((graded["out"] / "results" / "gina.json").read_text())
    assert "could not be loaded: syntax error at line 5" in gina["output"]


def check_grades_json_holds_reports_and_the_summary_flags_duplicates(graded):
    data = json.loads((graded["out"] / "grades.json").read_text())
    by_name = {s["submission"]: s for s in data["submissions"]}
    assert {n: s["outcome"] for n, s in by_name.items()} == {
        "alice": "finished", "bob": "finished", "carol": "finished", "dave": "finished", "erin": "finished",
        "frank": "finished", "gina": "unloadable", "hank": "no_entry", "ivan": "unloadable", "paul": "finished"}
    assert by_name["gina"]["reason"].startswith("could not be loaded: syntax error at line 5 of gina.py")
    assert by_name["ivan"]["reason"].startswith("could not be loaded: syntax error at line 7 of model.py")
    assert by_name["bob"]["report"]["features"]["forward"]["diagnosis"][0] == "gate_order"
    assert by_name["bob"]["features"]["proj"]["status"] == "blocked"
    assert by_name["alice"]["fingerprint"] == by_name["carol"]["fingerprint"] != by_name["bob"]["fingerprint"]
    assert data["rubric"]["assignment"] == "rubric"
    summary = (graded["out"] / "summary.md").read_text()
    assert "- alice, carol" in summary
    assert "1 of 10: gate_order" in summary
    assert "| forward | 4 of 10 |" in summary  # alice, carol, dave, paul
    assert "- gina: could not be loaded: syntax error at line 5" in summary
    if importlib.util.find_spec("matplotlib") is None:  # without the [plot] extra: how to get the picture
        assert "pytest-rnnconformance[plot]" in summary
    else:
        assert (graded["out"] / "summary.png").stat().st_size > 0 and "summary.png" in summary
    assert "[10/10]" in graded["stderr"] and "gate_order" in graded["stderr"]
    assert "README.md" not in graded["stderr"]  # the class folder's other files are not submissions


def check_output_files_honour_the_umask(graded):
    out = graded["out"]
    files = [out / "grades.csv", out / "grades.json", out / "summary.md", out / "results" / "alice.json",
             out / "feedback" / "alice.md"]
    assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o644" for f in files}


def check_resume_regrades_only_what_is_missing_and_jobs_do_not_change_grades(graded, tmp_path):
    out = tmp_path / "out"  # a copy of the graded folder without bob
    shutil.copytree(graded["out"], out)
    data = json.loads((out / "grades.json").read_text())
    data["submissions"] = [s for s in data["submissions"] if s["submission"] != "bob"]
    (out / "grades.json").write_text(json.dumps(data))
    status, _, stderr = grade("grade", str(CLASS), "--entry", "lstm_forward", "--rubric", str(graded["rubric"]),
                              "--out", str(out), "--jobs", "1", "--resume")
    assert status == 0, stderr
    assert "9 already graded" in stderr
    graded_now = [line.split()[1] for line in stderr.splitlines() if line.startswith("[")]
    assert graded_now == ["bob"]  # nothing else ran
    assert rows(out) == rows(graded["out"])
    assert feedback(out, "bob") == feedback(graded["out"], "bob")


def check_merge_of_shards_equals_the_whole(graded, tmp_path):
    rubric, grades = OutputFolder(graded["out"]).load()
    names = sorted(grades)
    for index in (1, 2):
        OutputFolder(tmp_path / f"part{index}").write_gradebook(
            [grades[n] for n in select_shard(names, (index, 2))], rubric)
    merged, _ = merge_folders([tmp_path / "part1", tmp_path / "part2"], tmp_path / "merged")
    assert sorted(merged) == names
    assert rows(tmp_path / "merged") == rows(graded["out"])
    assert feedback(tmp_path / "merged", "bob") == feedback(graded["out"], "bob")


def test_without_features_the_solution_or_a_standard_learner_defines_the_rows(tmp_path):
    """--solution: every row the teacher's solution passes is graded, for everyone; without one, the
    rows a standard learner solution of the mode supports. Either way one maximum."""
    (tmp_path / "run.toml").write_text('[run]\ndtypes = ["float64"]\nmax_examples = 3\ncall_timeout = 5\n')
    students = [str(CLASS / "paul.py")]
    status, _, stderr = grade("grade", *students, "--entry", "lstm_forward", "--rubric", str(tmp_path / "run.toml"),
                              "--solution", f"{CLASS / 'alice.py'}:lstm_forward", "--out", str(tmp_path / "taught"),
                              "--jobs", "2")
    assert status == 0, stderr
    rubric, grades = OutputFolder(tmp_path / "taught").load()
    assert rubric.mode == "lstm" and rubric.assignment.startswith("the rows ") and "alice.py" in rubric.assignment
    assert {"forward", "proj", "backward", "shape", "edge_cases"} <= set(rubric.features)
    assert {"multilayer", "bidirectional", "packed", "relu"}.isdisjoint(rubric.features)
    assert {g.max_score for g in grades.values()} == {len(rubric.features)}
    paul = grades["paul"].result.features["proj"]
    assert (paul.status, paul.points, paul.max_points) == ("unsupported", 0, 1)
    assert grades["paul"].score == len(rubric.features) - 1
    assert "## To implement" in feedback(tmp_path / "taught", "paul")

    status, _, stderr = grade("grade", students[0], "--entry", "lstm_forward", "--rubric", str(tmp_path / "run.toml"),
                              "--out", str(tmp_path / "standard"), "--jobs", "1")
    assert status == 0, stderr
    rubric, grades = OutputFolder(tmp_path / "standard").load()
    # paul's lstm_forward takes w_hr=None: the standard solution does too, and proj is graded
    assert rubric.assignment == "the rows a standard lstm learner solution supports, taking w_hr=None as the " \
                                "submissions' lstm_forward does"
    assert "takes w_hr: the standard solution does too, so projections (proj) are graded" in stderr
    assert {"forward", "backward", "shape", "no_delegation", "proj"} <= set(rubric.features)
    assert grades["paul"].score == grades["paul"].max_score - 1  # it refuses projections


def test_usage_errors_exit_2(tmp_path):
    (tmp_path / "bad.toml").write_text("[features]\nforward = 'many'\n")
    status, _, stderr = grade("grade", str(CLASS / "alice.py"), "--entry", "f", "--rubric",
                              str(tmp_path / "bad.toml"), "--out", str(tmp_path / "o"))
    assert status == 2 and "features.forward must be a number" in stderr
    status, _, stderr = grade("grade", str(tmp_path / "missing.py"), "--entry", "f", "--out", str(tmp_path / "o"))
    assert status == 2 and "no such file" in stderr
    status, _, stderr = grade("grade", str(CLASS / "alice.py"), "--entry", "forward", "--out", str(tmp_path / "o"))
    assert status == 2 and "cannot tell which recurrence forward computes" in stderr and "--mode" in stderr
    status, _, stderr = grade("grade", str(CLASS / "alice.py"), "--entry", "lstm_forward", "--bind", "x==",
                              "--out", str(tmp_path / "o"))
    assert status == 2 and "bind = 'x==' (--rnn-bind)" in stderr  # said once, not "could not be loaded" for all
    (tmp_path / "typo.toml").write_text("[run]\nmode = 'lstm'\n[features]\nforwrd = 3\n")
    status, _, stderr = grade("grade", str(CLASS / "alice.py"), "--entry", "lstm_forward", "--rubric",
                              str(tmp_path / "typo.toml"), "--out", str(tmp_path / "o"))
    assert status == 2 and "forwrd is not a row of the matrix; did you mean forward?" in stderr
    status, _, stderr = grade("grade", str(CLASS), "--entry", "lstm_fwd", "--mode", "lstm", "--out", str(tmp_path / "o"))
    assert status == 2 and "no submission defines lstm_fwd (they define: lstm_forward" in stderr
    assert not (tmp_path / "o").exists()  # nothing graded, no gradebook


# ---------------------------------------------------------------------- finding submissions
def test_a_class_folder_a_glob_and_a_folder_holding_the_entry():
    found = {s.name: s for s in discover([str(CLASS)], "lstm_forward")}
    assert sorted(found) == sorted(EXPECTED)  # each child folder or .py file; the README is not one
    assert found["carol"].file.name == "solution.py" and found["hank"].file is None
    assert "my_lstm" not in found["hank"].located and "searched lstm.py" in found["hank"].located
    assert found["gina"].problem == "could not be loaded: syntax error at line 5 of gina.py ('(' was never closed)"
    assert found["ivan"].problem.startswith("could not be loaded: syntax error at line 7 of model.py")
    assert [s.name for s in discover([str(CLASS / "carol")], "lstm_forward")] == ["carol"]  # holds the entry
    assert [s.name for s in discover([str(CLASS / "hank")], "lstm_forward")] == ["lstm"]  # not one student
    assert [s.name for s in discover([str(CLASS / "[a-c]*")], "lstm_forward")] == ["alice", "bob", "carol"]
    skipped: list = []
    names = [s.name for s in discover([str(CLASS / "README.md"), str(CLASS / "bob.py")], "lstm_forward", skipped)]
    assert names == ["bob"] and skipped == [str(CLASS / "README.md")]


def test_one_submission_or_a_class(tmp_path):
    student = tmp_path / "student"
    (student / "src").mkdir(parents=True)
    (student / "src" / "model.py").write_text("def lstm_forward(x):\n    return x\n")
    (student / "helpers.py").write_text("def step(x):\n    return x\n")
    (student / "tests").mkdir()
    (student / "tests" / "test_model.py").write_text("from src.model import lstm_forward\n")
    assert not is_class_folder(student, "lstm_forward")  # the entry in one place: one student
    flat = tmp_path / "flat"
    flat.mkdir()
    for name in ("ann", "ben"):
        (flat / f"{name}.py").write_text("def lstm_forward(x):\n    return x\n")
    (flat / "cat.py").write_text("def lstm_forward(x:\n")
    assert is_class_folder(flat, "lstm_forward")
    found = discover([str(flat)], "lstm_forward")
    assert [(s.name, s.problem.startswith("could not be loaded: syntax error at line 1 of cat.py")) for s in found] \
        == [("ann", False), ("ben", False), ("cat", True)]


# ---------------------------------------------------------------------- scoring rules
def report(**statuses) -> dict:
    return {"modes": ["lstm"], "features": {n: {"status": s, "diagnosis": [], "message": ""}
                                            for n, s in statuses.items()}}


def test_every_graded_row_counts_toward_one_maximum():
    rubric = parse_rubric({"run": {"mode": "lstm"}, "features": {"forward": 2, "proj": 1, "relu": 1, "peephole": 1}})
    partial = score_run("finished", "", report(forward="pass", proj="unsupported"), rubric)
    timed_out = score_run("timeout", "timed out", report(forward="pass"), rubric)
    unloadable = score_run("unloadable", "could not be loaded", None, rubric)
    assert partial.max_score == timed_out.max_score == unloadable.max_score == 3
    assert (partial.score, partial.features["proj"].points, partial.features["proj"].max_points) == (2, 0, 1)
    assert "does not support" in partial.features["proj"].note
    assert partial.features["relu"].status == "not_checked" and "no question for LSTM" in partial.features["relu"].note
    assert partial.features["peephole"].note == "not checked by this version of the plugin"
    assert timed_out.features["proj"].status == "error" and "timed out" in timed_out.features["proj"].note


def test_a_blocked_row_scores_nothing_and_names_the_row_to_fix():
    rubric = parse_rubric({"run": {"mode": "lstm"}, "features": {"forward": 1, "edge_cases": 1}})
    data = report(forward="fail")
    data["features"]["edge_cases"] = {"status": "blocked", "blocked_by": "forward", "diagnosis": [], "message": ""}
    result = score_run("finished", "", data, rubric)
    assert (result.features["edge_cases"].status, result.features["edge_cases"].points) == ("blocked", 0)
    assert result.features["edge_cases"].note == "not judged on its own: forward fails, fix that first"


def test_gates_partial_shape_credit_and_penalties():
    rubric = parse_rubric({"features": {"forward": 2, "shape": 2, "bidirectional": {"points": 3, "requires": ["forward"]},
                                        "peephole": 1},
                           "scoring": {"shape_partial_credit": 0.5, "delegation": 2}})
    shape_only = {"status": "fail", "diagnosis": [], "message": "",
                  "cells": {"lstm-cpu-float32": {"status": "fail", "failure": {"kind": "shape"}}}}
    data = report(forward="fail", bidirectional="pass")
    data["features"]["shape"] = shape_only
    result = score_run("finished", "", data, rubric)
    assert result.features["bidirectional"].points == 0 and "forward" in result.features["bidirectional"].note
    assert result.features["shape"].points == 1
    assert result.features["peephole"].status == "not_checked" and result.max_score == 7  # not in this plugin
    data["features"]["no_delegation"] = {"status": "fail", "diagnosis": ["hn_batch_first"], "message": ""}
    assert score_run("finished", "", data, rubric).score == 1  # failed on the values: no penalty
    data["features"]["no_delegation"]["diagnosis"] = ["delegation"]
    assert score_run("finished", "", data, rubric).score == 0  # 1 - 2, floored at 0
    data["features"]["forward"]["status"] = "pass"
    assert score_run("finished", "", data, rubric).score == 2 + 1 + 3 - 2
    del data["features"]["no_delegation"]
    zero = parse_rubric({"features": {"forward": 1, "bidirectional": 1}, "scoring": {"tampering": "zero"}})
    assert score_run("finished", "", data, zero).score == 2
    data["tampering"] = ["at import: replaced torch.allclose (restored)"]
    assert score_run("finished", "", data, zero).score == 0


def test_rows_a_run_needs_and_what_is_not_checked():
    rubric = parse_rubric({"run": {"mode": "gru_cell", "dtypes": ["float32"]},
                           "features": {"forward": 1, "float64": 1, "layout": 1, "half": 1,
                                        "shape": {"points": 1, "requires": ["purity"]}},
                           "scoring": {"delegation": "ignore"}})
    assert set(run_rows(rubric)) == {"forward", "layout", "float64", "half", "shape", "purity"}
    assert "no column in the rubric's dtypes" in unchecked_reason("float64", rubric)
    assert "no column" in unchecked_reason("half", rubric)
    assert unchecked_reason("layout", rubric).startswith("no question for GRU")  # a cell has no layout
    assert unchecked_reason("forward", rubric) == ""
    assert infer_mode("lstm_forward") == "lstm" and infer_mode("gru_cell") == "gru_cell" and infer_mode("f") is None
    assert set(STANDARD) == {"rnn", "lstm", "gru", "rnn_cell", "lstm_cell", "gru_cell"}


def test_rubric_bind_returns_and_cell_modes_reach_the_run():
    rubric = parse_rubric({"run": {"mode": "lstm_cell", "bind": "x=input,hc=hx", "returns": "h_n,c_n",
                                   "dtypes": ["float32", "float64"]},
                           "features": {"forward": 1}})
    options = check_options(rubric)
    pairs = dict(zip(options, options[1:]))
    assert pairs["--rnn-mode"] == "lstm_cell" and pairs["--rnn-bind"] == "x=input,hc=hx"
    assert pairs["--rnn-returns"] == "h_n,c_n" and pairs["--rnn-dtype"] == "float32,float64"
    # no_delegation for its penalty, float64 because it can block the graded row's float64 column
    assert set(pairs["--rnn-rows"].split(",")) == {"forward", "float64", "no_delegation"}
    assert "--rnn-isolate" in options


@pytest.mark.parametrize("toml, message", [
    ({"run": {"dtypes": ["float8"]}}, "run.dtypes"),
    ({"run": {"speed": 1}}, "unknown key"),
    ({"run": {"mode": "transformer"}}, "run.mode"),
    ({"run": {"bind": 3}}, "run.bind"),
    ({"features": {"forward": {"points": 1, "requires": ["forward"]}}}, "cannot require itself"),
    ({"scoring": {"delegation": "sometimes"}}, "scoring.delegation"),
    ({"scoring": {"shape_partial_credit": 2}}, "fraction"),
])
def test_rubric_errors_name_the_key(toml, message):
    with pytest.raises(RubricError, match=message):
        parse_rubric(toml)


# ---------------------------------------------------------------------- outputs
def test_files_are_written_with_the_umask(tmp_path):
    for mask, mode in ((0o022, 0o644), (0o027, 0o640), (0o077, 0o600)):
        with umask(mask):
            write_atomic(tmp_path / "sub" / f"f{mask:o}.txt", "x")
        assert stat.S_IMODE((tmp_path / "sub" / f"f{mask:o}.txt").stat().st_mode) == mode
    assert [p.name for p in (tmp_path / "sub").iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_a_progress_line_is_never_cut():
    reason = "could not be loaded: " + "a very long reason " * 20 + "(line 2: the end)"
    grade_ = Grade("s", "/x/s.py", "s.py:f", "", "0", "unloadable", reason, 0.0, None, Score({}, 0, 3))
    stream = io.StringIO()
    Progress(1, stream).finished(grade_)
    assert stream.getvalue().rstrip("\n").endswith("(line 2: the end)")


def test_copies_with_other_comments_and_layout_share_a_fingerprint():
    one = "def f(x):\n    '''doc'''\n    return x + 1  # add\n"
    two = "# mine\ndef f(x):\n\n    return x+1\n"
    assert fingerprint([("a.py", one)]) == fingerprint([("b.py", two)])
    assert fingerprint([("a.py", one)]) != fingerprint([("a.py", one.replace("+ 1", "+ 2"))])


def test_default_rubric_has_no_rows_until_the_assignment_decides():
    assert Rubric().features is None and Rubric().assignment == "rubric"


def _graded(report_: dict, rubric: Rubric, path: str = "/somewhere/x.py") -> Grade:
    """One finished submission's grade, from a report made here."""
    return Grade("x", path, "x.py:f", "", "0", "finished", "", 1.0, report_, score_run("finished", "", report_, rubric))


def test_feedback_reads_the_structured_failure_not_the_message():
    """The cell's failure, read back into a `Failure`, is what the renderer words; the message's text
    (here a bogus cause) is never parsed."""
    from pytest_rnnconformance.grading.feedback import feature_text, likely_causes
    from pytest_rnnconformance.judge.compare import Divergence
    from pytest_rnnconformance.judge.failure import Failure
    from pytest_rnnconformance.report.render import NO_CAUSE, render

    divergence = Divergence("h_n", 0, None, None, None, [1], False, "", [0.5], [0.25])
    failure = Failure("fail", "values", "h_n differs from torch.nn", row="forward", column="gru-cpu-float64",
                      configuration="GRU 2->3, 1 layer, one direction, seq-first; time=2, batch=2, seed=0",
                      divergences=(divergence,), localisation=("the first step is right; the second is not",),
                      counterexample={"spec": {"mode": "gru", "input_size": 2, "hidden_size": 3}, "seed": 0},
                      reproduce="rnn_check('/somewhere/x.py:f', inputs)")
    cell = {"status": "fail", "diagnosis": [], "message": "likely cause [bogus]: no", "failure": failure.as_dict()}
    report_ = {"features": {"forward": {"status": "fail", "diagnosis": [], "message": "likely cause [bogus]: no",
                                        "cells": {"gru-cpu-float64": cell}}}}
    rubric = parse_rubric({"run": {"mode": "gru"}, "features": {"forward": 1}})
    text = feature_text(_graded(report_, rubric), "forward")
    assert render(failure).replace("/somewhere/", "") in text and "bogus" not in text and "/somewhere" not in text
    assert "forward [gru-cpu-float64]: GRU 2->3" in text and "first divergence: h_n, layer 0, batch row 1" in text
    assert "got      [0.25]" in text and NO_CAUSE in text and "the second is not" in text
    assert "rnn_check('x.py:f'" in text
    assert likely_causes(report_["features"]["forward"]) == []  # the message's text is not parsed


def test_feedback_and_the_terminal_give_the_catalogue_sentence_for_the_same_mistake():
    """proj_missing, found by the proj row's check of its mutant: the terminal's block, the JSON report's
    verdict, the feedback and the class summary all carry the one sentence the catalogue words."""
    import torch

    from pytest_rnnconformance import RNNSpec, make_inputs
    from pytest_rnnconformance.api import runner_for
    from pytest_rnnconformance.features.base import RowCheck
    from pytest_rnnconformance.features.engine import explain
    from pytest_rnnconformance.grading.feedback import markdown
    from pytest_rnnconformance.grading.summary import common_diagnoses
    from pytest_rnnconformance.judge.catalogue import sentence
    from pytest_rnnconformance.judge.failure import Failure, FailureRaised
    from pytest_rnnconformance.judge.tolerance import tolerance_for
    from pytest_rnnconformance.report.render import render
    from pytest_rnnconformance.report.verdicts import verdict

    mutant = Path(__file__).parent.parent / "examples" / "mutants" / "proj_missing.py"
    check = RowCheck(runner_for(f"{mutant}:lstm_forward", "lstm"), "proj", tolerance_for)
    spec = RNNSpec("lstm", 3, 4, proj_size=2, batch_first=True)
    inputs = make_inputs(spec, time=3, batch=2, seed=0, dtype=torch.float64)
    with pytest.raises(FailureRaised) as raised:
        check.values(inputs)
    failure = explain(raised.value.failure, inputs, check).replace(row="proj", column="lstm-cpu-float64")
    told = sentence("proj_missing", spec)
    line = f"likely cause [proj_missing]: {told}"
    assert failure.diagnosis == ["proj_missing"] and line in render(failure)  # the terminal
    cell = json.loads(json.dumps(verdict(failure.status, failure)))  # as the JSON report holds it
    assert render(Failure.from_dict(cell["failure"])) == render(failure) == cell["message"]
    report_ = {"features": {"proj": {"status": "fail", "diagnosis": cell["diagnosis"], "message": cell["message"],
                                     "cells": {"lstm-cpu-float64": cell}}}}
    rubric = parse_rubric({"run": {"mode": "lstm"}, "features": {"proj": 1}})
    grade_ = _graded(report_, rubric)
    text = markdown(grade_, rubric)
    assert line in text and f"- **proj_missing** (in proj): {told}" in text
    assert common_diagnoses([grade_]) == [("proj_missing", 1, told)]


def recipe_lines() -> tuple:
    """The Slurm recipe's grade and merge lines, as docs/grading.md shows them."""
    text = (Path(__file__).parent.parent / "docs" / "grading.md").read_text()
    recipe = text.split("**A Slurm job array**", 1)[1].split("**A CI matrix**", 1)[0]
    lines = [line for line in recipe.splitlines() if line.startswith("rnnconformance ")]
    return next(l for l in lines if l.startswith("rnnconformance grade")), \
        next(l for l in lines if l.startswith("rnnconformance merge"))


def test_the_slurm_recipe_shards_in_separate_processes_and_merges_into_the_whole(tmp_path, monkeypatch):
    """Each shard a process of its own, started at once as a job array would; the merged folder
    holds the gradebook one machine writes, byte for byte, and the same feedback."""
    klass = tmp_path / "class"
    klass.mkdir()
    for name in ("alice", "bob", "paul"):
        shutil.copy(CLASS / f"{name}.py", klass)
    (tmp_path / "rubric.toml").write_text('[run]\nmode = "lstm"\ndtypes = ["float64"]\nmax_examples = 2\n'
                                          '[features]\nforward = 2\nshape = 1\nproj = 1\n')
    grade_line, merge_line = recipe_lines()
    env = dict(os.environ, CLASS=str(klass), RUBRIC=str(tmp_path / "rubric.toml"), SLURM_ARRAY_TASK_COUNT="2",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.chdir(tmp_path)
    shards = [subprocess.Popen(["bash", "-c", grade_line], cwd=tmp_path, env=dict(env, SLURM_ARRAY_TASK_ID=str(i)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in (1, 2)]
    # the one-machine gradebook, graded here while the shards run
    assert main(["grade", str(klass), "--entry", "lstm_forward", "--rubric", str(tmp_path / "rubric.toml"), "--out",
                 str(tmp_path / "whole")]) == 0
    for shard in shards:
        assert shard.wait(timeout=600) == 0, shard.stderr.read()
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["1", "2"]
    merged = subprocess.run(["bash", "-c", merge_line], cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert merged.returncode == 0, merged.stderr
    assert (tmp_path / "grades" / "grades.csv").read_bytes() == (tmp_path / "whole" / "grades.csv").read_bytes()
    for name in ("alice", "bob", "paul"):
        assert feedback(tmp_path / "grades", name) == feedback(tmp_path / "whole", name)


def test_a_grader_killed_outright_loses_no_grade_it_had_and_resume_finishes(tmp_path):
    """kill -9 while the second of two submissions hangs: alice's grade is in the journal, on disk
    before zed started; nothing zed started is left running; --resume grades only zed (fixed by now)."""
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copy(CLASS / "alice.py", klass)
    honest = (CLASS / "alice.py").read_text()
    signature = "def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):\n"
    (klass / "zed.py").write_text(honest.replace(signature, signature + "    import time; time.sleep(600)\n"))
    (tmp_path / "rubric.toml").write_text('[run]\nmode = "lstm"\ndtypes = ["float64"]\nmax_examples = 2\n'
                                          'timeout = 120\n[features]\nforward = 2\nshape = 1\n')
    out, scratch = tmp_path / "out", tmp_path / "scratch"  # the killed grader's run folder stays: in tmp_path
    scratch.mkdir()
    grader = subprocess.Popen([sys.executable, "-m", "pytest_rnnconformance.cli", "grade", str(klass), "--entry",
                               "lstm_forward", "--rubric", str(tmp_path / "rubric.toml"), "--out", str(out), "--jobs",
                               "1", "--no-sandbox"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True, env=dict(os.environ, TMPDIR=str(scratch)))
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 240
    while not (journal.exists() and '"alice"' in journal.read_text()):
        assert grader.poll() is None and time.monotonic() < deadline, grader.stderr.read() if grader.stderr else ""
        time.sleep(0.2)
    time.sleep(0.5)  # zed's run has started and sleeps
    os.killpg(grader.pid, signal.SIGKILL)
    grader.wait()
    time.sleep(0.5)  # the kernel's SIGKILL to the runs, on their parent's death
    assert running_with(str(out)) == [], "a run the grader started outlived it"
    assert not (out / "grades.json").exists()  # nothing but the journal was written
    (klass / "zed.py").write_text(honest)
    status, _, stderr = grade("grade", str(klass), "--entry", "lstm_forward", "--rubric", str(tmp_path / "rubric.toml"),
                              "--out", str(out), "--jobs", "1", "--no-sandbox", "--resume")
    assert status == 0, stderr
    assert "resuming: 1 already graded" in stderr
    assert [line.split()[1] for line in stderr.splitlines() if line.startswith("[")] == ["zed"]
    assert {row[0]: row[1] for row in rows(out)[1:]} == {"alice": "3", "zed": "3"}
    assert not journal.exists()  # the gradebook holds every grade now


def running_with(text: str) -> list:
    """The pids of processes whose command line mentions `text` (a forked run keeps its grader's)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found
