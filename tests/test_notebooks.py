"""Notebooks as implementations and as submissions (``bind/notebooks.py``).

Which cells run is the rule of ``bind/notebooks.py`` (code cells up to the last one defining the
entry; cells tagged skip/train/plot left out; IPython lines replaced; a time limit per cell), and a
crash names "cell N, line M" and quotes the line: checked here on notebooks written by
`notebook` below, loaded directly, run by pytest in process and isolated, and graded as a class of
eleven students (honest, buggy, crashing at import, hanging, one who edited the provided helper cell,
a folder, a percent-format file...), each with its expected score and feedback.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import nbformat
import pytest

from pytest_rnnconformance.bind import notebooks
from pytest_rnnconformance.bind.load import LoadError, load_target
from pytest_rnnconformance.cli import main

HELPER = "import torch\n\nactivation = torch.tanh  # provided: do not edit\n"
RNN = '''def rnn_forward(input, h0, w_ih, w_hh, b_ih, b_hh):
    h = h0[0]
    outputs = []
    for x in input:
        h = activation(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outputs.append(h)
    return torch.stack(outputs), h.unsqueeze(0)
'''


def cell(source: str, *tags: str, kind: str = "code") -> dict:
    return {"kind": kind, "source": source, "tags": list(tags)}


def notebook(path: Path, *cells: dict) -> Path:
    """Write an .ipynb of `cells` (made by `cell`) at `path`."""
    book = nbformat.v4.new_notebook()
    for c in cells:
        make = nbformat.v4.new_markdown_cell if c["kind"] == "markdown" else nbformat.v4.new_code_cell
        book.cells.append(make(c["source"], metadata={"tags": c["tags"]} if c["tags"] else {}))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, str(path))
    return path


def homework(path: Path, rnn: str = RNN, helper: str = HELPER, *extra_before: dict) -> Path:
    """The assignment as handed out: a title, the provided helper, the learner's cell, then cells the
    grader must not run (training, a plot, the learner's own check)."""
    return notebook(path, cell("# RNN homework", kind="markdown"), cell("%matplotlib inline\n!pip install torch"),
                    cell(helper), *extra_before, cell(rnn),
                    cell("raise RuntimeError('training ran')", "train"),
                    cell("raise RuntimeError('plotting ran')", "plot"),
                    cell("assert False, 'the learner\\'s own check ran'"))


# ---------------------------------------------------------------------------------------------- loading
def loaded(path: Path, entry: str = "rnn_forward"):
    function = load_target(f"{path}:{entry}")
    return function, notebooks.notebook_of(function)


def test_the_cells_up_to_the_entry_run_and_tagged_or_later_ones_do_not(tmp_path):
    function, run = loaded(homework(tmp_path / "hw.ipynb"))
    assert function.__name__ == "rnn_forward" and run.ran == [2, 3, 4]
    notes = " | ".join(run.notes)
    assert "cell 2: %matplotlib inline (IPython) not run" in notes and "!pip install torch (IPython)" in notes
    assert "cell 5 tagged train: not run" in notes and "cell 6 tagged plot: not run" in notes
    assert "cells after 4 (the last defining rnn_forward) not run: 7" in notes


def test_the_last_definition_of_the_entry_is_the_one_loaded(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", cell("def f():\n    return 1\n"), cell("x = 2"),
                    cell("def f():\n    return x\n"), cell("def f():\n    return 3\n", "skip-grading"))
    function, run = loaded(path, "f")
    assert function() == 2 and run.ran == [1, 2, 3]


def test_a_crash_while_loading_names_the_cell_and_quotes_the_line(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", cell("import torch"), cell("x = 1\ny = x / 0\n"), cell(RNN))
    with pytest.raises(LoadError, match=r"ZeroDivisionError.*\(at hw.ipynb, cell 2, line 2: `y = x / 0`\)"):
        load_target(f"{path}:rnn_forward")


def test_a_syntax_error_names_the_cell(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", cell("import torch"), cell("def helper(:\n    pass\n"), cell(RNN))
    with pytest.raises(LoadError, match=r"syntax error in hw.ipynb, cell 2, line 1"):
        load_target(f"{path}:rnn_forward")


def test_a_notebook_without_the_entry_says_what_it_defines(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", cell("def rnn_fwd():\n    pass\n"))
    with pytest.raises(LoadError, match=r"no code cell of hw.ipynb defines rnn_forward.*define: rnn_fwd"):
        load_target(f"{path}:rnn_forward")


def test_a_cell_past_its_time_limit_stops_the_load_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(notebooks, "CELL_SECONDS", 0.3)
    path = notebook(tmp_path / "hw.ipynb", cell("import torch"), cell("while True:\n    pass\n"), cell(RNN))
    with pytest.raises(LoadError, match=r"hw.ipynb, cell 2 ran longer than 0.3 s.*tag the cell 'skip'"):
        load_target(f"{path}:rnn_forward")


def test_a_cell_magic_other_than_a_timer_is_not_run(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", cell("%%bash\nrm -rf /\n"), cell("%%time\nimport torch\nx = 5\n"),
                    cell("def f():\n    return x\n"))
    function, run = loaded(path, "f")
    assert function() == 5 and "cell 1 (%%bash) is not Python: not run" in run.notes and run.ran == [2, 3]


def test_continued_expressions_starting_with_modulo_or_not_equal_are_python(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", cell("x = (7\n     % 4)\nsame = (x\n        != 3)\n"),
                    cell("def f():\n    return x, same\n"))
    function, run = loaded(path, "f")
    assert function() == (3, False) and run.notes == []


def test_percent_format_python_is_a_notebook(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text(f"# %% [markdown]\n# Homework\n\n# %%\n{HELPER}\n# %%\n{RNN}\n"
                    "# %% tags=[\"train\"]\nraise RuntimeError('training ran')\n\n# %%\nassert False\n")
    function, run = loaded(path)
    assert run.ran == [2, 3] and "cell 4 tagged train: not run" in run.notes


def test_a_crash_in_a_call_points_at_the_cell_and_line(tmp_path):
    from pytest_rnnconformance.run.call import where

    path = notebook(tmp_path / "hw.ipynb", cell("import torch"), cell("def f(x):\n    y = len(x)\n    return x[5]\n"))
    function, _ = loaded(path, "f")
    with pytest.raises(IndexError) as raised:
        function([1])
    assert where(raised.value) == " (at hw.ipynb, cell 2, line 3: `return x[5]`)"


# ---------------------------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "isolated"])
def test_pytest_runs_a_notebook_the_same_in_process_and_isolated(pytester, run_pytest, isolate):
    homework(pytester.path / "hw.ipynb")
    args = ["-p", "no:cacheprovider", "--rnn-impl", "hw.ipynb:rnn_forward", "--rnn-rows", "forward,shape",
            "--rnn-dtype", "float64", "--rnn-max-examples", "3"] + (["--rnn-isolate"] if isolate else [])
    result = run_pytest(*args, timeout=240)
    output = result.stdout.str()
    assert result.ret == 0, output + result.stderr.str()
    assert "notebook cells run: 2, 3, 4" in output and "cell 5 tagged train: not run" in output


# ---------------------------------------------------------------------------------------------- grading
RUBRIC = """
[run]
mode = "rnn"
dtypes = ["float64"]
max_examples = 3
timeout = 15
call_timeout = 2
warmup_timeout = 3

[features]
forward = 2
shape = 1
"""
EXPECTED = {"alice": 3, "bob": 1, "carol": 0, "dave": 0, "erin": 0, "frank": 1, "gina": 0, "hank": 3, "ivan": 3,
            "judy": 0, "kate": 3}


def a_class_of_notebooks(folder: Path) -> None:
    """Eleven students; what each did is said where it is written."""
    homework(folder / "alice.ipynb")  # honest
    homework(folder / "bob.ipynb", RNN.replace(" + b_hh", ""))  # forgot bias_hh
    homework(folder / "carol.ipynb", RNN, HELPER, cell("import tensorflow as tf"))  # crashes at import
    homework(folder / "dave.ipynb", RNN, HELPER, cell("def scale(x):\n    return x *\n"))  # a syntax error
    homework(folder / "erin.ipynb", RNN.replace("    h = h0[0]\n", "    while True:\n        pass\n"))  # hangs
    homework(folder / "frank.ipynb", RNN, HELPER.replace("torch.tanh", "torch.sigmoid"))  # edited the helper
    homework(folder / "gina.ipynb", RNN.replace("h = h0[0]", "h = h0[3]"))  # crashes in the call
    homework(folder / "hank" / "homework.ipynb", "from steps import step\n\n" + RNN.replace(
        "activation(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)", "step(x, h, w_ih, w_hh, b_ih, b_hh)"))
    (folder / "hank" / "steps.py").write_text(  # a folder: the notebook imports its sibling file
        "import torch\n\n\ndef step(x, h, w_ih, w_hh, b_ih, b_hh):\n"
        "    return torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)\n")
    (folder / "ivan.py").write_text(  # jupytext's percent format
        f"# %%\n{HELPER}\n# %%\n{RNN}\n# %% tags=[\"train\"]\nraise RuntimeError('training ran')\n")
    homework(folder / "judy.ipynb", RNN.replace("def rnn_forward", "def rnn_fwd"))  # misnamed entry
    homework(folder / "kate.ipynb", RNN, HELPER,  # a wrong first try, fixed in a later cell: the last one counts
             cell(RNN.replace("b_hh)\n", "b_hh) * 2\n")))


def grade(*args: str) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def test_a_class_of_notebooks_is_graded_end_to_end(tmp_path):
    """Graded without the OS sandbox (each sandboxed run starts fresh interpreters: ten seconds a
    student here); the next test grades notebooks in the sandbox, which loads them the same way."""
    a_class_of_notebooks(tmp_path / "class")
    (tmp_path / "rubric.toml").write_text(RUBRIC)
    status, _, stderr = grade("grade", str(tmp_path / "class"), "--entry", "rnn_forward", "--rubric",
                              str(tmp_path / "rubric.toml"), "--out", str(tmp_path / "out"), "--jobs", "2",
                              "--no-sandbox")
    assert status == 0, stderr
    out = tmp_path / "out"
    with open(out / "grades.csv", newline="") as handle:
        table = list(csv.reader(handle))
    assert {row[0]: float(row[1]) for row in table[1:]} == EXPECTED
    assert {float(row[2]) for row in table[1:]} == {3.0}

    def feedback(name: str) -> str:
        return (out / "feedback" / f"{name}.md").read_text()

    for name in ("bob", "frank"):  # wrong values: where they first depart, and a reproduction that runs the notebook
        assert "first divergence: output, layer 0, time step 0" in feedback(name)
        assert f"rnn_check('{name}.ipynb:rnn_forward', inputs" in feedback(name)
    assert "likely cause [missing_bias_hh]: " in feedback("bob") and "- **missing_bias_hh** (in " in feedback("bob")
    assert "carol.ipynb, cell 4, line 1: `import tensorflow as tf`" in feedback("carol")
    assert "syntax error" in feedback("dave") and "dave.ipynb, cell 4" in feedback("dave")
    assert "took longer than its warm-up limit of 3 s" in feedback("erin")
    assert "raised IndexError: index 3 is out of bounds" in feedback("gina")
    assert "(at gina.ipynb, cell 4, line 2: `h = h0[3]`)" in feedback("gina")
    assert "defines rnn_forward" in feedback("judy")
    assert "Where: rnn_forward found in homework.ipynb (cell 4)" in feedback("hank")  # a folder holding a notebook
    data = json.loads((out / "grades.json").read_text())
    kate = next(s for s in data["submissions"] if s["submission"] == "kate")
    assert "notebook cells run: 2, 3, 4, 5" in kate["report"]["binding"]
    for name in EXPECTED:
        assert str(tmp_path) not in feedback(name), f"{name}: the grader's paths leaked into the feedback"


def test_notebooks_are_graded_in_the_sandbox_as_they_load_anywhere(tmp_path):
    folder = tmp_path / "class"
    homework(folder / "alice.ipynb")
    homework(folder / "gina.ipynb", RNN.replace("h = h0[0]", "h = h0[3]"))
    (tmp_path / "rubric.toml").write_text(RUBRIC)
    status, _, stderr = grade("grade", str(folder), "--entry", "rnn_forward", "--rubric", str(tmp_path / "rubric.toml"),
                              "--out", str(tmp_path / "out"), "--jobs", "2")
    assert status == 0, stderr
    data = json.loads((tmp_path / "out" / "grades.json").read_text())
    assert data["sandbox"] not in (None, "", "none") and {s["submission"]: s["score"] for s in data["submissions"]} \
        == {"alice": 3, "gina": 0}
    gina = (tmp_path / "out" / "feedback" / "gina.md").read_text()
    assert "(at gina.ipynb, cell 4, line 2: `h = h0[3]`)" in gina
