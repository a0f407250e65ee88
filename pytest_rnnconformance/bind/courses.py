"""A course's convention, recognised by the keys its code looks up, and each way of reading it whole.

The sequence-models course keeps its weights in a ``parameters`` dict of its own keys (``Wax``,
``Waa``, ``ba``, ``Wya``, ``by``; for the LSTM ``Wf``, ``bf``, ..., ``Wo``, ``bo``, ``Wy``, ``by``,
each gate's weight applied to ``[a_prev; xt]``), writes its data column-major (one step is
``(features, batch)``, a sequence ``(features, batch, time)``: time last), keeps its biases as
columns and returns ``(a, y_pred, caches)``. The keys say what each entry holds (``Wf`` is the
forget gate by its name, as `guess` reads any name: never a gate order), but not how the code lays
its data out: code with the course's keys may be written row-major, as torch.nn's is, with weights
stored either way round. So each way the keys can be meant is a `Reading`, a complete declaration
(every argument, the dict, the result form), and the solver (`settle`) proves which one reproduces
torch.nn on inputs that tell them apart. Nothing here is assumed: a reading that does not reproduce
torch.nn is never used, and where none does, each is printed as a line to declare.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .expressions import Dict, Expr, Name, Permute, Reshape, Transpose
from .guess import guess_all


@dataclass(frozen=True)
class Course:
    """A course's keys for one recurrence, and the form its functions return results in."""

    name: str
    family: str
    recurrence: tuple  # the keys holding the recurrence's weights and biases, in the course's order
    output: frozenset  # the output layer's keys (the prediction, not judged)
    results: tuple  # ((mode, the result form in --rnn-returns' language), ...)

    def matches(self, keys: list, family: str) -> bool:
        """Whether `keys` (those a function looks its dict up by) are this course's, for `family`:
        each one the course's, one of its recurrence's among them. Code that leaves a key out (a
        bias it forgot) is still the course's: its dict holds every key, and the key left out is
        a mistake the checks then find, never a configuration it reads as torch.nn's."""
        return (family == self.family and bool(set(keys) & set(self.recurrence))
                and set(keys) <= set(self.recurrence) | self.output)

    def keys(self, read: list) -> list:
        """The dict's keys: those read, then the recurrence's the code does not read."""
        return list(read) + [key for key in self.recurrence if key not in read]

    def result(self, mode: str) -> Optional[str]:
        return dict(self.results).get(mode)


SEQUENCE_MODELS = "the sequence-models course"
#: The courses whose conventions are read from their keys.
COURSES = (
    Course(SEQUENCE_MODELS, "rnn", ("Wax", "Waa", "ba"), frozenset({"Wya", "by"}),
           (("rnn", "output.permute(2,1,0),y_pred,caches"), ("rnn_cell", "h_1.T,yt_pred,cache"))),
    Course(SEQUENCE_MODELS, "lstm", ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"), frozenset({"Wy", "by"}),
           (("lstm", "output.permute(2,1,0),y_pred,_,caches"), ("lstm_cell", "h_1.T,c_1.T,yt_pred,cache"))),
)


def course_of(keys: list, family: str) -> Optional[Course]:
    """The course whose keys `keys` are, for a recurrence of `family`; None if none."""
    return next((course for course in COURSES if course.matches(keys, family)), None)


@dataclass(frozen=True)
class Reading:
    """One complete way of reading code with a course's keys: what each argument receives, the
    result form (None: torch.nn's, with its alternatives tried), and the words the header uses."""

    words: str
    mapping: dict  # parameter -> Expr, for every parameter
    returns: Optional[str]
    time_last: bool  # the sequence is (features, batch, time): torch.nn's seq-first input, permuted


def readings(course: Course, keys: list, parameter: str, arguments: tuple, mode: str) -> list:
    """Every reading of a function whose `parameter` is looked up by `keys` (`course`'s), its
    other `arguments` bound by their names: the course's own column-major layout first (most likely),
    then torch.nn's row-major one with weights stored (out, in) or (in, out); where a weight is
    applied to the state and the input joined, with either first."""
    keys = course.keys(keys)
    guesses = guess_all(keys, course.family)
    joint = any(g is not None and g.kind == "joint_weight" for g in guesses.values())
    orders = (True, False) if joint else (True,)
    single = mode.endswith("_cell")
    found = []
    for hidden_first in orders:
        joined = (" on [a_prev; xt]" if hidden_first else " on [xt; a_prev]") if joint else ""
        layout = "column-major" + ("" if single else ", time-last")
        found.append(Reading(
            f"{course.name}'s {layout} layout (weights (out, in){joined}, biases as columns)",
            {**_columns(arguments, single), parameter: _dict(keys, guesses, False, hidden_first, columns=True)},
            course.result(mode), not single))
    for transposed in (False, True):
        for hidden_first in orders:
            joined = (" on [a_prev; xt]" if hidden_first else " on [xt; a_prev]") if joint else ""
            storage = "(in, out), used as x @ W" if transposed else "(out, in)"
            found.append(Reading(
                f"torch.nn's row-major layout (weights {storage}{joined}, flat biases)",
                {**{a.name: a.value for a in arguments}, parameter: _dict(keys, guesses, transposed, hidden_first)},
                None, False))
    return found


def _columns(arguments: tuple, single: bool) -> dict:
    """The arguments as the course lays them out: the input's features first (a sequence's time
    last), each state as columns (hidden, batch). Written with the batch size, so that an unbatched
    configuration does not fit and is unsupported, as the course's functions take a batch."""
    def column(expr: Expr) -> Expr:
        if expr == Name("input"):
            return Transpose(Reshape(expr, ("B", "I"))) if single else Permute(expr, (2, 1, 0))
        if expr in (Name("hx"), Name("h0"), Name("c0")):
            return Transpose(Reshape(expr, ("B", "H")))
        return expr

    return {a.name: column(a.value) for a in arguments}


def _dict(keys: list, guesses: dict, transposed: bool, hidden_first: bool, columns: bool = False) -> Dict:
    """The dict of the course's keys under one storage convention; with `columns`, biases as columns."""
    items = []
    for key in keys:
        guess = guesses[key]
        expr = guess.expression(transposed, hidden_first)
        if columns and guess.kind not in ("input_weight", "hidden_weight", "joint_weight", "output_weight"):
            expr = Reshape(expr, ("H", 1))
        items.append((key, expr))
    return Dict(tuple(items))
