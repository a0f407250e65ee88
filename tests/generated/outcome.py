"""Running the plugin on a generated implementation as a user would, and sorting what happened.

A user first runs it as written. If the run stops with a usage error (exit 4: `BindingError`,
`LoadError`, a `DeclarationError`), they paste the ready ``--rnn-bind``/``--rnn-returns`` line the
message gives and run again; without one, or where it does not work, they write the declaration
the generator knows to be true (`Written.declaration`). The verdict is then compared with the
proven label (`truth.py`):

* ``expected``: right as written; ``ready_line``: right after pasting the refusal's line;
  ``declared``: right only with the generator's declaration (the refusal's line was wrong);
* ``unhelpful_refusal``: refused with no ready line (the declaration's verdict is kept in `detail`);
* ``false_pass``: a mistaken one where no row fails (exit 0 on a mistake);
* ``wrong_row``: a mistaken one that fails, but not in the row that owns its mistake;
* ``false_failure``: a correct one where a row fails, errs or is blocked;
* ``crash``: anything else escaping the plugin (pytest would print INTERNALERROR).

A correct design whose first call draws from the global random generator really changes global
state, so ``purity`` may fail on it (whether a row's draws meet a shape first is the plugin's
business); every other row must pass or be unsupported.
"""
from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from typing import Optional

from matrix import run_matrix
from pytest_rnnconformance.bind import BindingError
from pytest_rnnconformance.bind.expressions import DeclarationError
from pytest_rnnconformance.bind.load import LoadError
from pytest_rnnconformance.options import DEFAULT_MAX_EXAMPLES

from .mistakes import owner_of
from .writer import Written

REFUSALS = (BindingError, LoadError, DeclarationError)
SATISFIED = ("expected", "ready_line", "declared")
_READY = re.compile(r'--rnn-(bind|returns|mode) "([^"]*)"')


@dataclass
class Outcome:
    category: str
    detail: str = ""  # the plugin's own line(s) behind the category
    failing: tuple = ()  # rows that failed, erred or were blocked
    refusal: str = ""  # the first run's usage error, if any
    arguments: dict = field(default_factory=dict)  # what the judged run was given

    @property
    def satisfied(self) -> bool:
        return self.category in SATISFIED


def ready_line(message: str) -> Optional[dict]:
    """The declaration a refusal offers, as `run_matrix` keywords; None when it offers none that
    parses as printed (placeholders such as ``?`` or ``<name>`` are not ready). Where it offers
    several (an example, then a guess from the names), the one saying the most is the one to paste."""
    found = {}
    for option, text in _READY.findall(message):
        if "?" in text or "<" in text or "..." in text:
            continue
        if text.count("=") >= found.get(option, "").count("="):
            found[option] = text
    return found or None


def _run(target: str, arguments: dict, rows: Optional[tuple], max_examples: int):
    return run_matrix(target, dtypes=("float32", "float64"), max_examples=max_examples, rows=rows, **arguments)


def _judge(written: Written, matrix, arguments: dict) -> Outcome:
    """The category of a finished matrix against the design's label."""
    design = written.design
    failing = tuple(sorted(row for row, status in matrix.statuses.items() if status in ("fail", "error", "blocked")))
    lines = "\n".join(line for line in matrix.verdicts().splitlines()
                      if not line.endswith(": pass") and "unsupported" not in line)
    owner = owner_of(design)
    if not design.mistake:
        allowed = {"purity"} if design.side_effect == "rng" else set()
        category = "expected" if set(failing) <= allowed else "false_failure"
    elif not set(failing) - {"blocked"} and not matrix.failing():
        category = "false_pass"
    else:
        category = "expected" if matrix.statuses.get(owner) in ("fail", "error") else "wrong_row"
    return Outcome(category, lines, failing, arguments=arguments)


def judge_once(written: Written, target: str, arguments: dict, rows: Optional[tuple], max_examples: int) -> Outcome:
    """One run with `arguments`: its category, ``refused`` (a usage error) or ``crash``."""
    try:
        matrix = _run(target, arguments, rows, max_examples)
    except REFUSALS as refused:
        return Outcome("refused", str(refused), refusal=str(refused), arguments=arguments)
    except Exception as error:  # what pytest would print as INTERNALERROR
        where = traceback.extract_tb(error.__traceback__)[-1]
        return Outcome("crash", f"{type(error).__name__}: {error} (at {where.filename}:{where.lineno})",
                       arguments=arguments)
    return _judge(written, matrix, arguments)


def outcome_of(written: Written, target: str, *, max_examples: int = 2, reduced: bool = False) -> Outcome:
    """What a user gets: as written, then the refusal's ready line, then the true declaration.

    A correct design runs every row (a false failure may be anywhere) with `max_examples`: fewer
    examples can hide a false failure, never make one. A mistaken design runs with the plugin's
    default number of examples, as a user would: fewer could hide the mistake and count a false pass
    that is the bench's own. `reduced` runs its owning row (and ``forward``) only, and the whole matrix
    only where that row does not fail, to tell a false pass from a wrong row: no category is hidden."""
    if not written.design.mistake:
        return _outcome(written, target, None, max_examples)
    if reduced:
        found = _outcome(written, target, tuple({"forward", owner_of(written.design)}), DEFAULT_MAX_EXAMPLES)
        if found.category not in ("false_pass", "wrong_row"):
            return found
    return _outcome(written, target, None, DEFAULT_MAX_EXAMPLES)


def _outcome(written: Written, target: str, rows: Optional[tuple], max_examples: int) -> Outcome:
    first = judge_once(written, target, {}, rows, max_examples)
    if first.category != "refused":
        return first
    line = ready_line(first.refusal)
    declared = dict(zip(("mode", "bind", "returns"), (written.mode, written.bind, written.returns or None)))
    if line is not None:
        pasted = judge_once(written, target, line, rows, max_examples)
        if pasted.satisfied or pasted.category in ("crash", "false_pass"):
            pasted.category = "ready_line" if pasted.satisfied else pasted.category
            pasted.refusal = first.refusal
            return pasted
    second = judge_once(written, target, declared, rows, max_examples)
    second.refusal = first.refusal
    if line is None:
        second.detail = f"refused without a ready line: {first.refusal}\nwith the declaration: " \
                        f"{second.category}: {second.detail}"
        second.category = "unhelpful_refusal"
    elif second.satisfied:
        second.category = "declared"
    elif second.category == "refused":
        second.category = "unhelpful_refusal"
    return second
