"""One defect, one row: an implementation wrong in one dimension fails that row and no other.

Each file of examples/rows is a correct canonical implementation with one realistic bug confined to
one row's dimension (its docstring says which; `_verify_rows.py` checks that against torch.nn on its
own). The whole matrix runs in-process (tests/matrix.py); the owner must be the only row that fails,
`combined` (which draws every dimension at once) must point at it rather than fail again, and so must a
row whose cases need the owner's dimension (`dropout` needs layers): blocked by it, or passing where
its draws never showed the bug.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from matrix import run_matrix  # noqa: E402

ROWS = Path(__file__).resolve().parent.parent / "examples" / "rows"


def _verifier():
    spec = importlib.util.spec_from_file_location("_verify_rows", ROWS / "_verify_rows.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: file -> its defect as the independent verifier proves it against torch.nn: the row that owns it and
#: the catalogue id it must be named by (one source: examples/rows/_verify_rows.py's DEFECTS)
DEFECTS = {name: defect for name, defect in _verifier().DEFECTS.items() if defect.owner is not None}
#: file -> (the mode it is run in here, extra options)
RUNS = {
    "layout": ("lstm", {}),
    "unbatched": ("gru", {}),
    "default_state": ("lstm", {}),
    "no_bias": ("gru", {}),
    "relu": ("rnn", {}),
    "multilayer": ("gru", {}),
    "bidirectional": ("lstm", {}),
    "proj": ("lstm", {}),
    "packed": ("gru", {}),
    "backward": ("rnn", {}),
    "float64": ("lstm", {}),
    "half": ("lstm", {"half": True}),
    "dtype": ("lstm", {}),
    "edge_cases_long": ("rnn", {"max_examples": 12}),
    "edge_cases": ("gru", {}),
    "continuation": ("gru", {}),
    "shape": ("lstm", {}),
    "purity": ("rnn", {}),
    "no_delegation": ("gru", {}),
    "dropout": ("lstm", {}),
    "combined": ("gru", {}),
}
BUILDS_ON = {"multilayer": ["dropout"]}  # rows whose cases include the owner's dimension
COMBINED_DRAWS = ("layout", "unbatched", "default_state", "no_bias", "relu", "multilayer", "bidirectional", "proj",
                  "packed")


def test_every_file_the_verifier_proves_is_run_here():
    assert set(RUNS) == set(DEFECTS)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_single_defect_fails_its_own_row_alone(name):
    owner, named = DEFECTS[name].owner, DEFECTS[name].named
    mode, options = RUNS[name]
    matrix = run_matrix(str(ROWS / f"{name}.py") + ":forward", mode=mode, **{"max_examples": 8, **options})
    assert matrix.failing() == {owner}, {row: (s, matrix.failures.get(row)) for row, s in matrix.statuses.items()}
    failure = matrix.failures[owner]
    if named is not None:
        assert failure.diagnosis[:1] == [named], failure
    blocked = {row: f.blocked_by for row, f in matrix.failures.items() if f.status == "blocked"}
    for row in BUILDS_ON.get(owner, []):  # its cases draw the owner's dimension: it points at the owner (or
        # passes, on a run whose draws never showed the bug: multilayer's needs a given hx; never a second failure)
        assert matrix.statuses[row] == "pass" or blocked.get(row) == owner, (row, matrix.statuses[row], blocked)
    if owner in COMBINED_DRAWS:  # combined draws this dimension among the others: it points at the owner
        # (or passes, on the rare run whose draws never took this dimension; it never fails a second time)
        assert matrix.statuses["combined"] == "pass" or blocked.get("combined") == owner, blocked


def test_the_correct_base_fails_nothing():
    matrix = run_matrix(str(ROWS / "_correct.py") + ":forward", mode="lstm", max_examples=4)
    assert matrix.failing() == set() and "blocked" not in matrix.statuses.values(), matrix.failures
    assert set(matrix.statuses) >= {"forward", "layout", "unbatched", "default_state", "no_bias", "multilayer",
                                    "bidirectional", "proj", "packed", "backward", "float64", "dtype", "edge_cases",
                                    "continuation", "shape", "purity", "no_delegation", "dropout", "combined"}


def test_a_defect_of_the_base_fails_forward_and_blocks_the_rows_that_judge_values():
    matrix = run_matrix(str(ROWS.parent / "mutants" / "missing_bias_hh.py") + ":forward", mode="gru", max_examples=4)
    assert matrix.failing() == {"forward"}
    assert matrix.failures["forward"].diagnosis[:1] == ["missing_bias_hh"]
    for row in ("layout", "no_bias", "multilayer", "bidirectional", "edge_cases", "float64", "combined", "backward"):
        assert matrix.statuses[row] == "blocked" and matrix.failures[row].blocked_by == "forward", row
    for row in ("purity", "no_delegation", "dtype", "shape"):  # they do not judge the values
        assert matrix.statuses[row] == "pass", row


def test_a_shape_mistake_that_grows_where_dimensions_meet_is_still_shapes():
    # h_n batch-first: (batch, 1, hidden) at one layer, which shape finds from the base with the layout
    # changed, and (batch, 2, hidden) at two, which only combined draws: the same mistake, one row
    matrix = run_matrix(str(ROWS.parent / "mutants" / "hn_batch_first.py") + ":forward", mode="lstm", max_examples=10)
    assert matrix.failing() == {"shape"}, matrix.verdicts()
    assert matrix.failures["shape"].diagnosis == ["hn_batch_first"]
    assert matrix.statuses["combined"] == "pass" or matrix.failures["combined"].blocked_by == "shape"
