"""Code as learners write it gets a true verdict, run with the arguments its manifest gives.

`tests/learners/` holds implementations written the way people write RNNs (numpy homework, d2l
follow-alongs, modules with names of their own, single cells, tutorials' float32 buffers), each with
its expected verdict in `manifest.toml` (checked against torch.nn by hand, independently of the
plugin, by `tests/learners/_verify_learners.py`). Here each runs through the suite's own engine
(`matrix.run_matrix`, in this process) with the manifest's arguments:

* a correct one passes every row it can be asked, and every other row is unsupported with a reason
  (one that returns float32 for float64 input fails the ``dtype`` row alone, named
  ``default_dtype_buffer``; one that wraps torch.nn on purpose fails ``no_delegation`` alone, which
  ``--rnn-allow-builtin`` turns off);
* a wrong one fails the row that owns its bug, with the manifest's diagnosis first (or none, where
  the manifest says none fits), and no other row: the rest pass, are unsupported, or are blocked by
  the owner;
* each of its `alternatives` (an explicit ``--rnn-bind`` where none is needed, or ``auto``) gives
  ``forward`` the same verdict.

Draws are few (3 examples) and in float64 only: what is checked here is binding and verdicts, not
the depth of the search.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from matrix import run_matrix

LEARNERS = Path(__file__).resolve().parent / "learners"
MANIFEST = tomllib.loads((LEARNERS / "manifest.toml").read_text())
CORRECT = sorted(name for name, entry in MANIFEST.items() if entry["correct"])
WRONG = sorted(name for name, entry in MANIFEST.items() if not entry["correct"])
ALTERNATIVES = sorted((name, index) for name, entry in MANIFEST.items()
                      for index in range(len(entry.get("alternatives", []))))


def options(args: list) -> dict:
    """The manifest's command-line arguments as `run_matrix` keywords (and --rnn-allow-builtin)."""
    found, rest = {"allow_builtin": False}, iter(args)
    for arg in rest:
        if arg == "--rnn-allow-builtin":
            found["allow_builtin"] = True
        else:
            key = {"--rnn-bind": "bind", "--rnn-returns": "returns", "--rnn-mode": "mode"}[arg]
            found[key] = next(rest)
    return found


def target(entry: dict) -> str:
    path, name = entry["target"].split(":")
    return f"{LEARNERS / path}:{name}"


def matrix_of(entry: dict, args: list, rows=None):
    chosen = options(args)
    chosen.pop("allow_builtin")
    return run_matrix(target(entry), dtypes=("float64",), max_examples=3, rows=rows, **chosen)


@pytest.mark.parametrize("name", CORRECT)
def test_correct_learner_code_conforms_as_written(name):
    entry = MANIFEST[name]
    matrix = matrix_of(entry, entry["args"])
    expected_failures = set()
    if entry["dtype_finding"]:
        expected_failures.add("dtype")
        assert matrix.failures["dtype"].diagnosis[:1] == ["default_dtype_buffer"], matrix.verdicts()
    if options(entry["args"])["allow_builtin"]:  # --rnn-allow-builtin turns off the one row it fails
        expected_failures.add("no_delegation")
        assert matrix.failures["no_delegation"].kind == "delegation", matrix.verdicts()
    assert matrix.failing() == expected_failures, matrix.verdicts()
    assert not any(status == "blocked" for status in matrix.statuses.values()), matrix.verdicts()
    assert matrix.statuses["forward"] == "pass", matrix.verdicts()
    for row, status in matrix.statuses.items():
        if status == "unsupported":
            reason = matrix.reasons[row].removeprefix("unsupported:").strip()
            assert reason and not reason.endswith("NotImplementedError:"), (row, matrix.verdicts())


@pytest.mark.parametrize("name", WRONG)
def test_wrong_learner_code_fails_the_row_that_owns_its_bug(name):
    entry = MANIFEST[name]
    matrix = matrix_of(entry, entry["args"])
    owner = entry["owner"]
    assert matrix.failing() == {owner}, matrix.verdicts()
    failure = matrix.failures[owner]
    if entry["diagnosis"]:
        assert failure.diagnosis[:1] == [entry["diagnosis"]], matrix.verdicts()
    else:  # no name: where it departs (values), or which tensors have which shapes (a shape failure)
        assert failure.diagnosis == [] and (failure.localisation or failure.kind == "shape" and failure.details), \
            matrix.verdicts()
    for row, status in matrix.statuses.items():
        if status == "blocked":
            assert matrix.failures[row].blocked_by == owner, (row, matrix.verdicts())


@pytest.mark.parametrize("name, index", ALTERNATIVES)
def test_other_ways_of_saying_it_give_the_same_verdict(name, index):
    entry = MANIFEST[name]
    matrix = matrix_of(entry, entry["alternatives"][index], rows=("forward",))
    if entry["correct"] or entry["owner"] != "forward":
        assert matrix.statuses["forward"] == "pass", matrix.verdicts()
    else:
        assert matrix.statuses["forward"] == "fail", matrix.verdicts()
        assert matrix.failures["forward"].diagnosis[:1] == ([entry["diagnosis"]] if entry["diagnosis"] else []), \
            matrix.verdicts()


def test_the_manifest_says_what_each_entry_needs():
    """`needs_declaration` is whether its args declare anything; every entry is runnable as listed."""
    for name, entry in MANIFEST.items():
        declares = any(arg in ("--rnn-bind", "--rnn-returns") for arg in entry["args"])
        assert entry["needs_declaration"] == declares, name
        assert (LEARNERS / entry["target"].split(":")[0]).exists(), name
        options(entry["args"])
