"""The assignment: which rows of the matrix are graded, out of one maximum for every student.

Decided once, before any student is graded, and stored in the rubric (``features``, ``mode``), so
that the gradebook, ``--resume`` and ``merge`` all score against the same rows:

1. a rubric with ``[features]``: the rows it lists, with their points (a ``--solution`` given as
   well is only checked against them: a row it does not pass is warned about);
2. otherwise ``--solution teacher.py:entry``: the teacher's solution is run first, with the rubric's
   settings, and every row it *passes* is graded, one point each;
3. otherwise the rows a *standard learner solution* of the mode supports: a one-layer, one-direction
   function with the conventional signature of the mode (``lstm_forward(input, initial_states,
   w_ih, w_hh, b_ih, b_hh)``, see `STANDARD`), named after ``--entry``, is run through the plugin
   with the rubric's settings, and every row of its report that is not ``unsupported`` is graded,
   one point each. Where the submissions' own signature takes a projection weight (``w_hr=None``),
   so does the standard LSTM (`PROJECTED`): the signature promises ``proj``, so ``proj`` is graded.
   The mode comes from ``--mode``, the rubric, or the entry's name, as the plugin's binder reads it
   (``lstm_forward`` is an LSTM, ``gru_cell`` a GRU cell).

A row the plugin has no question for under the rubric's settings (``relu`` for an LSTM, ``half``
without a half dtype) is *not checked*: 0 of 0 for everyone. A name that is no row at all
(``forwrd``) is a usage error ("did you mean forward?"). Every other graded row counts its points
toward every student's maximum, whatever the student's code supports.
"""
from __future__ import annotations

import difflib
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Optional, TextIO

from ..bind.vocabulary import ROLE_NAMES
from .rows import plugin_rows, unchecked_reason
from .rubric import FeatureRule, Rubric
from .submissions import Submission, fingerprint


#: The conventional learner signature of each mode, as courses hand it out: one layer, one
#: direction, hx and biases required, no projection. The body is correct (it computes what torch.nn
#: computes), so the rows of its report are the plugin's verdict on that signature.
STANDARD = {
    "rnn": ("def {entry}(input, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):\n"
            "    h, outputs = h_prev, []\n"
            "    for x in input:\n"
            "        h = torch.tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)\n"
            "        outputs.append(h)\n"
            "    return torch.stack(outputs), h\n"),
    "lstm": ("def {entry}(input, initial_states, w_ih, w_hh, b_ih, b_hh):\n"
             "    (h, c), outputs = initial_states, []\n"
             "    for x in input:\n"
             "        i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=-1)\n"
             "        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)\n"
             "        h = torch.sigmoid(o) * torch.tanh(c)\n"
             "        outputs.append(h)\n"
             "    return torch.stack(outputs), (h, c)\n"),
    "gru": ("def {entry}(input, h0, w_ih, w_hh, b_ih, b_hh):\n"
            "    h, outputs = h0, []\n"
            "    for x in input:\n"
            "        r_i, z_i, n_i = (x @ w_ih.T + b_ih).chunk(3, dim=-1)\n"
            "        r_h, z_h, n_h = (h @ w_hh.T + b_hh).chunk(3, dim=-1)\n"
            "        r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)\n"
            "        n = torch.tanh(n_i + r * n_h)\n"
            "        h = (1 - z) * n + z * h\n"
            "        outputs.append(h)\n"
            "    return torch.stack(outputs), h\n"),
    "rnn_cell": ("def {entry}(input, hx, w_ih, w_hh, b_ih, b_hh):\n"
                 "    return torch.tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh)\n"),
    "lstm_cell": ("def {entry}(input, hidden, w_ih, w_hh, b_ih, b_hh):\n"
                  "    h, c = hidden\n"
                  "    i, f, g, o = (input @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=-1)\n"
                  "    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)\n"
                  "    return torch.sigmoid(o) * torch.tanh(c), c\n"),
    "gru_cell": ("def {entry}(input, hx, w_ih, w_hh, b_ih, b_hh):\n"
                 "    r_i, z_i, n_i = (input @ w_ih.T + b_ih).chunk(3, dim=-1)\n"
                 "    r_h, z_h, n_h = (hx @ w_hh.T + b_hh).chunk(3, dim=-1)\n"
                 "    r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)\n"
                 "    return (1 - z) * torch.tanh(n_i + r * n_h) + z * hx\n"),
}


#: The standard LSTM when the assignment's signature takes a projection weight (its name: `{proj}`).
PROJECTED = ("def {entry}(input, initial_states, w_ih, w_hh, b_ih, b_hh, {proj}=None):\n"
             "    (h, c), outputs = initial_states, []\n"
             "    for x in input:\n"
             "        i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=-1)\n"
             "        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)\n"
             "        h = torch.sigmoid(o) * torch.tanh(c)\n"
             "        if {proj} is not None:\n"
             "            h = h @ {proj}.T\n"
             "        outputs.append(h)\n"
             "    return torch.stack(outputs), (h, c)\n")


class AssignmentError(Exception):
    """The graded rows cannot be decided (no mode, a solution that does not run): a usage error."""


def infer_mode(entry: str) -> Optional[str]:
    """The mode the plugin's binder reads from a name alone (``lstm_forward`` -> lstm); None if none."""
    try:
        from ..bind.derive import infer_modes

        modes = infer_modes(None, entry, (), None, None)
    except Exception:  # noqa: BLE001 - BindingError: the name does not say
        return None
    return modes[0] if len(modes) == 1 else None


# ---------------------------------------------------------------------- deciding the rows
def settle_mode(rubric: Rubric, entry: str, solution: Optional[str] = None) -> Rubric:
    """The rubric with its mode read from the entry's name where it has none; raise `AssignmentError`
    at once (before anything runs) when the rows to grade could not be decided."""
    if rubric.mode is None:
        rubric = replace(rubric, mode=infer_mode(entry))
    if rubric.mode is None and rubric.features is None and not solution:
        raise AssignmentError(f"cannot tell which recurrence {entry} computes, so the rows to grade are unknown: "
                              "give --mode, a rubric with [features], or --solution teacher.py:" + entry)
    if solution:
        solution_path(solution, entry)
    _check_rows(rubric)
    _check_declarations(rubric)
    return rubric


def _check_rows(rubric: Rubric) -> None:
    """A rubric naming a row the plugin does not have (``forwrd``) would grade everyone 0 of 0 on it:
    a usage error, with the nearest row's name."""
    rows = plugin_rows()
    named = list(rubric.features or {}) + list(rubric.required)
    named += [gate for rule in (rubric.features or {}).values() for gate in rule.requires]
    for name in dict.fromkeys(named):
        if rows and name not in rows:
            close = difflib.get_close_matches(name, list(rows), n=1)
            hint = f"did you mean {close[0]}?" if close else f"the rows are {', '.join(rows)}"
            raise AssignmentError(f"rubric {rubric.source}: {name} is not a row of the matrix; {hint}")


def _check_declarations(rubric: Rubric) -> None:
    """A ``bind``/``returns`` the plugin cannot parse would make every student "could not be loaded":
    say so once, as a usage error."""
    try:
        from ..bind.expressions import parse_map, parse_returns
    except Exception:  # noqa: BLE001 - an older plugin: its runs will say
        return
    for key, parse in (("bind", parse_map), ("returns", parse_returns)):
        text = getattr(rubric, key)
        if text:
            try:
                parse(text)
            except Exception as error:  # noqa: BLE001 - DeclarationError, or anything it raises
                raise AssignmentError(f"{key} = {text!r} (--rnn-{key}): {error}") from None


def resolve(rubric: Rubric, entry: str, solution: Optional[str] = None, stream: Optional[TextIO] = None,
            parameters: tuple = ()) -> Rubric:
    """The rubric with the assignment's rows (``features``) and mode decided (see the module doc);
    `parameters`: the entry's parameter names as the submissions define it."""
    rubric = settle_mode(rubric, entry, solution)
    if rubric.features is not None:
        if solution:
            report = _run_reference_solution(solution, entry, rubric, "the solution")
            failing = [n for n in rubric.features if not unchecked_reason(n, rubric)
                       and report["features"].get(n, {}).get("status") != "pass"]
            if failing:
                _say(stream, f"warning: the solution {solution} does not pass {', '.join(failing)}, which the "
                             "rubric grades")
        return replace(rubric, assignment="rubric")
    if solution:
        report = _run_reference_solution(solution, entry, rubric, "the solution")
        if rubric.mode is None and len(report.get("modes") or []) == 1:
            rubric = replace(rubric, mode=report["modes"][0])
        statuses = {n: f.get("status") for n, f in report["features"].items()}
        passed = [n for n, s in statuses.items() if s == "pass"]
        if not passed:
            raise AssignmentError(f"the solution {solution} passes no row of the matrix, so it defines nothing to "
                                  "grade: check it with pytest --rnn-impl first")
        others = [f"{n} ({s})" for n, s in statuses.items() if s in ("fail", "error", "blocked")]
        if others:
            _say(stream, f"warning: the solution {solution} does not pass {', '.join(others)}: not graded")
        return replace(rubric, features={n: FeatureRule() for n in passed}, assignment=f"the rows {solution} passes")
    if rubric.mode not in STANDARD:
        raise AssignmentError(f"no standard learner solution for mode {rubric.mode}: give a rubric with [features] "
                              "or --solution")
    if entry[:1].isupper():
        _say(stream, f"warning: {entry} looks like a class; the standard rows are those of a learner's function "
                     "(one layer, one direction): give a rubric with [features] or --solution to grade a module's")
    projection = next((p for p in parameters if p in ROLE_NAMES["weight_hr"]), None) \
        if rubric.mode == "lstm" else None
    source = PROJECTED.format(entry=entry, proj=projection) if projection else STANDARD[rubric.mode].format(entry=entry)
    report = _run_standard(entry, rubric, source)
    rows = [n for n, f in report["features"].items() if f.get("status") != "unsupported"]
    taking = f", taking {projection}=None as the submissions' {entry} does" if projection else ""
    if projection:
        _say(stream, f"note: the submissions' {entry} takes {projection}: the standard solution does too, so "
                     "projections (proj) are graded")
    return replace(rubric, features={n: FeatureRule() for n in rows},
                   assignment=f"the rows a standard {rubric.mode} learner solution supports{taking}")


def solution_path(solution: str, entry: str) -> tuple:
    """(the solution's file, its entry) from ``teacher.py`` or ``teacher.py:entry``."""
    path_text, name = solution, ""
    if ":" in solution and solution.rsplit(":", 1)[1].isidentifier():
        path_text, name = solution.rsplit(":", 1)
    path = Path(path_text).resolve()
    if not path.is_file() or path.suffix != ".py":
        raise AssignmentError(f"--solution {solution}: expected teacher.py or teacher.py:entry, a .py file that "
                              "exists")
    return path, name or entry


def _run_reference_solution(solution: str, entry: str, rubric: Rubric, what: str) -> dict:
    path, name = solution_path(solution, entry)
    submission = Submission("solution", path, name, path, f"{name} is loaded from {path.name}",
                            fingerprint([(path.name, path.read_text(errors="replace"))]))
    return _finished_report(submission, rubric, f"{what} {solution}")


def _run_standard(entry: str, rubric: Rubric, definition: str) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="rnngrade-standard-"))
    try:
        path = folder / "standard_solution.py"
        source = "import torch\n\n\n" + definition
        path.write_text(source)
        submission = Submission("standard", path, entry, path, "", fingerprint([(path.name, source)]))
        return _finished_report(submission, rubric, f"the standard {rubric.mode} learner solution")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _finished_report(submission: Submission, rubric: Rubric, what: str) -> dict:
    from ..run.sandbox.processes import wait_any
    from .runner import POLL_SECONDS, Run

    run = Run(submission, replace(rubric, features=None))
    while (result := run.poll()) is None:
        wait_any([run.process.pid], POLL_SECONDS)
    if result.outcome != "finished" or not result.report:
        raise AssignmentError(f"{what} did not run to its end ({result.outcome}: {result.reason or 'no report'})")
    return result.report


def _say(stream: Optional[TextIO], line: str) -> None:
    import sys

    (stream or sys.stderr).write(line + "\n")


__all__ = ["AssignmentError", "STANDARD", "infer_mode", "resolve", "settle_mode", "solution_path"]
