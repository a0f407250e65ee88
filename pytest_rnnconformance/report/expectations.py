"""`--rnn-expect PATH`: known gaps, declared in a TOML file and held to strictly, both ways.

A kernel author's CI should be green while the known gaps stay as they are and turn red when
anything changes: a new failure (as without the file), but also a known gap that closes. An
expected failure that starts passing is a failure of the run, as users of ONNX's backend tests
asked for: otherwise the file rots into a list of excuses nobody dares to shorten.

The file has up to three lists, named after the statuses a cell can have besides ``pass``::

    fail = ["bidirectional", "half[cuda-bfloat16]"]
    error = ["packed[lstm-cuda-float16]"]
    unsupported = ["proj"]

Each entry is one of

* ``feature``                    every cell of the feature (any mode, device and dtype);
* ``feature[device-dtype]``      the feature's cells on that device in that dtype, in any mode;
* ``feature[mode-device-dtype]`` exactly one cell (the ids of the report: ``lstm-cpu-float32``).

Features are DESIGN.md's names (plus any a plugin registers); devices ``cpu`` and ``cuda``;
dtypes ``float16``, ``bfloat16``, ``float32``, ``float64``. Any other key, name or shape is an
error of the file, reported in one line.

The most specific entry that matches a cell decides what the cell is expected to be, so a feature
entry states the rule and cell entries the exceptions (``fail = ["half"]`` with ``unsupported =
["half[cpu-bfloat16]"]``). A cell is then judged:

* an entry decides it and its status is the expected one: *expected* (the run does not fail for it);
* an entry decides it and its status is anything else, ``pass`` included: *unexpected* (the run fails);
* no entry decides it: *normal* (judged as without the file).

An entry that decides no cell of the run (a typo that is still well-formed, a CUDA entry in a
CPU-only job, or one every cell of which a more specific entry claims) is a warning, not a failure,
so one file can serve CPU and GPU jobs alike.
"""
from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the dependency pyproject.toml declares for older Pythons
    import tomli as tomllib

from ..judge.status import EXPECTABLE
from ..modes import all_modes
from ..options import DTYPE_NAMES as DTYPES

DEVICES = ("cpu", "cuda")
_ENTRY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\[\]]*)\])?\s*$")


class ExpectationError(Exception):
    """An expectations file that cannot be used; the message is the one line to show."""


@dataclass(frozen=True)
class Entry:
    """One entry of the file: the status expected of the cells it names."""

    text: str  # as written in the file, for messages
    status: str
    feature: str
    mode: Optional[str] = None
    device: Optional[str] = None
    dtype: Optional[str] = None

    @property
    def specificity(self) -> int:
        """0 for a feature, 1 for device-dtype, 2 for mode-device-dtype: the higher decides."""
        return (self.device is not None) + (self.mode is not None)

    def matches(self, feature: str, cell: str) -> bool:
        if feature != self.feature:
            return False
        if self.device is None:
            return True
        parts = cell.rsplit("-", 2)  # from the right: a registered mode may contain a hyphen
        return (len(parts) == 3 and (parts[1], parts[2]) == (self.device, self.dtype)
                and self.mode in (None, parts[0]))


@dataclass
class Judgement:
    """How a run's cells compare with the expectations (see `Expectations.judge`)."""

    unexpected: list[tuple[str, str, str, str]] = field(default_factory=list)  # (feature, cell, expected, actual)
    matched: list[tuple[str, str, str]] = field(default_factory=list)  # (feature, cell, status) as expected
    unmatched_entries: list[str] = field(default_factory=list)  # entries as written, deciding no cell

    @property
    def ok(self) -> bool:
        """True when nothing happened other than what the file expects."""
        return not self.unexpected

    def lines(self) -> list[str]:
        """Messages for the terminal: unexpected outcomes first, then the warnings."""
        lines = []
        for feature, cell, expected, actual in self.unexpected:
            hint = ": the known gap is closed, remove it from the expectations" if actual == "pass" else ""
            lines.append(f"{feature}[{cell}]: expected {expected} (--rnn-expect), got {actual}{hint}")
        lines.extend(f"warning: expectation {text!r} matches no cell of this run" for text in self.unmatched_entries)
        return lines


@dataclass
class Expectations:
    """The parsed file: what to expect of each cell."""

    entries: list[Entry] = field(default_factory=list)

    def entry_for(self, feature: str, cell: str) -> Optional[Entry]:
        """The most specific entry matching the cell (entries of equal specificity cannot both match)."""
        matching = [e for e in self.entries if e.matches(feature, cell)]
        return max(matching, key=lambda e: e.specificity, default=None)

    def expected_status(self, feature: str, cell: str) -> Optional[str]:
        """``"fail"``, ``"error"`` or ``"unsupported"`` if the file expects it of the cell, else None."""
        entry = self.entry_for(feature, cell)
        return entry.status if entry is not None else None

    def outcome_for(self, feature: str, cell: str, status: str) -> str:
        """``"expected"`` (an entry expects `status`: the run should not fail for it), ``"unexpected"``
        (an entry expects something else, a pass included: the run fails) or ``"normal"`` (no entry)."""
        expected = self.expected_status(feature, cell)
        if expected is None:
            return "normal"
        return "expected" if expected == status else "unexpected"

    def judge(self, cells: Mapping[str, Mapping[str, Union[str, Mapping]]]) -> Judgement:
        """Compare a run's cells (feature -> cell -> status, or -> a verdict dict with ``"status"``
        as `ResultLog.cells` holds them) with the expectations."""
        judgement = Judgement()
        deciding = set()
        for feature, by_cell in cells.items():
            for cell, verdict in by_cell.items():
                status = verdict if isinstance(verdict, str) else verdict["status"]
                entry = self.entry_for(feature, cell)
                if entry is None:
                    continue
                deciding.add(entry)
                if entry.status == status:
                    judgement.matched.append((feature, cell, status))
                else:
                    judgement.unexpected.append((feature, cell, entry.status, status))
        judgement.unmatched_entries = [e.text for e in self.entries if e not in deciding]
        return judgement


def load_expectations(path: Union[str, Path], known_features: Iterable[str], *,
                      modes: Iterable[str] = ()) -> Expectations:
    """Read and check an expectations file; `ExpectationError` (one line, naming the file) if unusable.

    `known_features` are the feature names an entry may use (the built-in ones and any a plugin
    registers), `modes` the cell types a ``feature[mode-device-dtype]`` entry may name.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ExpectationError(f"{path}: cannot read ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ExpectationError(f"{path}: not valid TOML ({error})") from None
    return parse_expectations(data, known_features, modes=modes, source=str(path))


def parse_expectations(data: Mapping, known_features: Iterable[str], *, modes: Iterable[str] = (),
                       source: str = "expectations") -> Expectations:
    """The same checks as `load_expectations`, on the already-parsed TOML (a dict of lists)."""
    known, modes = sorted(set(known_features)), tuple(modes) or all_modes()
    unknown_keys = sorted(set(data) - set(EXPECTABLE))
    if unknown_keys:
        raise ExpectationError(f"{source}: unknown key {unknown_keys[0]!r}; expected lists named {', '.join(EXPECTABLE)}")
    by_key: dict[tuple, Entry] = {}
    for status in map(str, EXPECTABLE):
        texts = data.get(status, [])
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ExpectationError(f"{source}: {status} should be a list of strings, like [\"bidirectional\"]")
        for text in texts:
            entry = _parse_entry(text, status, known, modes, source)
            key = (entry.feature, entry.mode, entry.device, entry.dtype)
            earlier = by_key.setdefault(key, entry)
            if earlier.status != status:
                raise ExpectationError(f"{source}: {text!r} is listed under both {earlier.status} and {status}")
    return Expectations(list(by_key.values()))


def _parse_entry(text: str, status: str, known: list, modes: tuple, source: str) -> Entry:
    where = f"{source}: {status} entry {text!r}"
    match = _ENTRY.match(text)
    if match is None:
        raise ExpectationError(f"{where}: expected feature, feature[device-dtype] or feature[mode-device-dtype]")
    feature, inside = match.groups()
    if feature not in known:
        close = difflib.get_close_matches(feature, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known features: {', '.join(known)}"
        raise ExpectationError(f"{where}: unknown feature {feature!r}{hint}")
    if inside is None:
        return Entry(text, status, feature)
    parts = [part.strip() for part in inside.split("-")]
    if len(parts) < 2 or not all(parts):
        raise ExpectationError(f"{where}: expected feature[device-dtype] or feature[mode-device-dtype] in the brackets")
    mode = "-".join(parts[:-2]) or None
    device, dtype = parts[-2], parts[-1]
    if mode is not None and mode not in modes:
        raise ExpectationError(f"{where}: unknown mode {mode!r}; expected one of {', '.join(modes)}")
    if device not in DEVICES:
        raise ExpectationError(f"{where}: unknown device {device!r}; expected one of {', '.join(DEVICES)}")
    if dtype not in DTYPES:
        raise ExpectationError(f"{where}: unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
    return Entry(text, status, feature, mode, device, dtype)
