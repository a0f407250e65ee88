"""Grading a batch: discover, resume, shard, keep N runs going, write the outputs once at the end.

One thread polls up to ``jobs`` runs (no thread pool: nothing to lock, and forking from a
single-threaded process is safe). Each run is forked from this process after `preload` has imported
torch, hypothesis, pytest and the plugin once, so a run costs its checks, not its imports. Each
finished run is scored into the grader's own records; the inputs are checked after each
(`integrity`); the outputs are written from those records, atomically, once every run has ended
(an interrupted batch writes what it graded, after killing the runs still going). Results do not
depend on ``jobs``: every run is an independent, seeded process and outputs are ordered by name.
"""
from __future__ import annotations

import sys
from collections import deque
from pathlib import Path
from typing import Optional, TextIO

from .outputs import OutputError, OutputFolder
from .assignment import resolve, settle_mode, solution_path
from .integrity import InputWatch
from .progress import Progress
from .record import Grade
from .rubric import Rubric
from ..run.forking import can_fork
from ..run.sandbox.processes import wait_any
from ..run.sandbox.tools import SandboxUnavailable, working_tool
from .runner import POLL_SECONDS, Run, RunResult, check_plugin_installed, preload
from .submissions import SubmissionError, defines_entry, discover, entries_found, entry_parameters
from .summary import write_summary


def parse_shard(text: str) -> tuple:
    """'2/4' -> (2, 4): the second of four shards (1-based)."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected i/n, for example 1/4") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard {text!r}: i must be between 1 and n")
    return index, count


def select_shard(submissions: list, shard: Optional[tuple]) -> list:
    """Every n-th submission by name, starting at the i-th: shards are disjoint and cover the class."""
    if shard is None:
        return submissions
    index, count = shard
    return submissions[index - 1::count]


UNSANDBOXED = "none: --no-sandbox was given, submissions ran unsandboxed"
WITHHELD = "withheld: the class's files, the rubric or the solution changed while it ran ({})"


def choose_sandbox(no_sandbox: bool, stream: TextIO) -> Optional[str]:
    """The tool every submission's worker runs in; None with ``--no-sandbox`` (said on `stream`).
    Without a working tool, grading untrusted code is refused (`SandboxUnavailable`)."""
    if no_sandbox:
        stream.write("warning: --no-sandbox: submissions run unsandboxed (their code can read and change "
                     "this machine's files, the class's included); use it only for code you trust\n")
        return None
    tool = working_tool()
    if tool is None:
        raise SandboxUnavailable("no sandbox tool works on this machine (bubblewrap, or util-linux unshare with "
                                 "setpriv): install bubblewrap (apt-get install bubblewrap), or give --no-sandbox "
                                 "to grade code you trust without one")
    return tool


def grade_batch(paths: list, entry: str, rubric: Rubric, out: Path, jobs: int = 1, resume: bool = False,
                shard: Optional[tuple] = None, stream: Optional[TextIO] = None,
                solution: Optional[str] = None, no_sandbox: bool = False) -> tuple:
    """Grade the submissions into `out`; returns ({name: Grade}, summary text).

    First the assignment's rows are decided (`assignment.resolve`: the rubric's, the rows the
    teacher's `solution` passes, or a standard learner solution's), once for the whole class."""
    skipped: list = []
    found = discover(paths, entry, skipped)
    submissions = select_shard(found, shard)
    out_stream = stream if stream is not None else sys.stderr
    for path in skipped:
        out_stream.write(f"skipped {path}: a submission is a .py file or a folder\n")
    rubric = settle_mode(rubric, entry, solution)  # a usage error at once, before seconds of imports
    if not any(defines_entry(s) for s in found) and not all(s.problem for s in found):  # parsed, and none has it
        raise SubmissionError(f"no submission defines {entry} (they define: "
                              f"{', '.join(entries_found(found)) or 'no function'}); check --entry")
    sandbox = choose_sandbox(no_sandbox, out_stream)
    sandbox_note = sandbox or UNSANDBOXED
    check_plugin_installed()
    if can_fork():
        preload(rubric)  # before anything runs: a few seconds, once, instead of once a submission
    rubric = resolve(rubric, entry, solution, out_stream, entry_parameters(found))
    folder = OutputFolder(out)
    grades: dict = {}
    if resume:
        stored_rubric, grades = folder.load()
        if stored_rubric is not None and stored_rubric.fingerprint() != rubric.fingerprint():
            raise OutputError(f"{out} was graded with another rubric or other settings; "
                              "grade into a new --out folder, or drop --resume to start over")
    else:
        folder.clear()
    folder.begin_journal(rubric)
    todo = [s for s in submissions if not (s.name in grades and grades[s.name].fingerprint == s.fingerprint)]
    progress = Progress(len(todo), stream)
    if resume and len(todo) < len(submissions):
        progress.stream.write(f"resuming: {len(submissions) - len(todo)} already graded in {out}, "
                              f"{len(todo)} to go\n")
    watch = InputWatch([*(s.path for s in submissions), *_teacher_files(rubric, entry, solution)])
    integrity: list = []
    suspects: set = set()  # submissions running when an input changed: their grades are withheld
    pending, running = deque(todo), []
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                running.append(Run(pending.popleft(), rubric, sandbox))
            for run in list(running):
                result = run.poll()
                if result is None:
                    continue
                running.remove(run)
                changed = watch.check()
                if changed:
                    names = [run.submission.name] + [r.submission.name for r in running]
                    suspects.update(names)
                    integrity.append({"changes": changed, "while_running": names})
                    out_stream.write(f"warning: {'; '.join(changed)} while {', '.join(names)} ran: their grades "
                                     "are withheld\n")
                if run.submission.name in suspects:
                    result = RunResult("withheld", WITHHELD.format(", ".join(integrity[-1]["changes"])), None,
                                       result.seconds, result.exit_code)
                grade = Grade.of(run.submission, result, rubric)
                grades[grade.submission] = grade
                folder.record(grade)
                progress.finished(grade)
            progress.update(running)
            if len(running) == max(1, jobs) or (running and not pending):  # none to start: wait for an end
                wait_any([run.process.pid for run in running if run.process is not None], POLL_SECONDS)
    finally:
        for run in running:
            run.kill()
        progress.close()
        for grade in grades.values():
            folder.write_grade(grade, rubric)
        folder.write_gradebook(grades.values(), rubric, sandbox_note, integrity)
        folder.end_journal()
    return grades, write_summary(folder.path, list(grades.values()), rubric)


def _teacher_files(rubric: Rubric, entry: str, solution: Optional[str]) -> list:
    """The rubric's file and the solution's, where there are files (the integrity watch hashes them)."""
    files = [Path(rubric.source)] + ([solution_path(solution, entry)[0]] if solution else [])
    return [f for f in files if f.is_file()]
