"""Combining output folders: shards graded on several machines become one gradebook.

``rnnconformance grade ... --shard i/n --out part-i`` on each machine, then
``rnnconformance merge part-* --out all``. Every folder must have been graded with the same rubric
and settings (checked by fingerprint); the merged folder is rewritten from the stored runs, so its
CSV, Gradescope results, feedback and summary are exactly what one big run would have produced.
"""
from __future__ import annotations

from pathlib import Path

from .outputs import OutputError, OutputFolder
from .summary import write_summary


def merge_folders(sources: list, out: Path) -> tuple:
    """Merge the graded folders `sources` into `out`; returns ({name: Grade}, summary text)."""
    rubric, grades, origin, sandboxes = None, {}, {}, []
    for source in sources:
        sandboxes.append(OutputFolder(source).sandbox())
        stored_rubric, stored = OutputFolder(source).load()
        if stored_rubric is None:
            raise OutputError(f"{source}: no grades.json here")
        if rubric is None:
            rubric = stored_rubric
        elif stored_rubric.fingerprint() != rubric.fingerprint():
            raise OutputError(f"{source} was graded with another rubric or other settings than {sources[0]}")
        for name, grade in stored.items():
            if name in grades and grades[name].fingerprint != grade.fingerprint:
                raise OutputError(f"{name} is graded in both {origin[name]} and {source}, from different sources")
            grades.setdefault(name, grade)
            origin.setdefault(name, source)
    if rubric is None:
        raise OutputError("nothing to merge")
    folder = OutputFolder(out)
    folder.clear()
    for grade in grades.values():
        folder.write_grade(grade, rubric)
    folder.write_gradebook(grades.values(), rubric, "; ".join(dict.fromkeys(sandboxes)))
    return grades, write_summary(folder.path, list(grades.values()), rubric)
