"""Integrity a teacher can see: the class's files, the rubric and the solution hashed while grading.

Why: a gradebook is worth something only if no submission could change what it was graded from.
The sandbox keeps those files out of a submission's reach; this watch is how the teacher *sees*
that it held (or that it did not, with ``--no-sandbox``). Every file under the paths given is
hashed before the first run and again after each run ends; a difference is reported in the gradebook
(``grades.json``'s ``integrity``) and on stderr, and the grades of the submissions that were running
when it happened are withheld (outcome ``withheld``, 0 points, the files named).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable


def fingerprints(paths: Iterable[Path]) -> dict:
    """{file: sha256} of every file under `paths` (files or folders, recursively)."""
    found = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            try:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                found[str(path)] = "unreadable"
    return found


def differences(before: dict, after: dict) -> list:
    """The files changed, removed or added between two `fingerprints`, in words."""
    changed = [f"changed {p}" for p in sorted(before) if p in after and after[p] != before[p]]
    removed = [f"removed {p}" for p in sorted(before) if p not in after]
    added = [f"added {p}" for p in sorted(after) if p not in before]
    return changed + removed + added


class InputWatch:
    """The grader's inputs, hashed once at the start; `check` says what changed since its last call."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = [Path(p) for p in paths if Path(p).exists()]
        self.original = fingerprints(self.paths)
        self.reported: set = set()

    def check(self) -> list:
        """Differences from the original not reported before (each is reported once)."""
        new = [d for d in differences(self.original, fingerprints(self.paths)) if d not in self.reported]
        self.reported.update(new)
        return new
