"""The ``rnnconformance`` command: grade a class, merge graded shards.

    rnnconformance grade SUBMISSIONS... --entry lstm_forward [--mode lstm] [--rubric rubric.toml |
                         --solution teacher.py:entry] --out DIR [--jobs N] [--resume] [--shard i/n]
                         [--timeout SECONDS] [--bind MAP] [--returns WHAT]
    rnnconformance merge DIR1 DIR2 ... --out DIR

See docs/grading.md. Exit status: 0 graded (whatever the students scored), 2 a usage error
(bad rubric, missing submission, incompatible folders, a solution that does not run), 130
interrupted (what was graded is kept). SUBMISSIONS is a class folder (each child folder or .py
file one submission), a folder or file per student, or a glob.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Optional

from .grading.rubric import MODES


def _version() -> str:
    """The plugin's version and what it runs on (torch is read from its metadata: not imported)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from .version import __version__

    try:
        torch = version("torch")
    except PackageNotFoundError:
        torch = "not installed"
    return f"rnnconformance {__version__} (torch {torch}, Python {platform.python_version()})"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnconformance", description="Grade RNN/LSTM/GRU submissions with "
                                     "the pytest-rnnconformance suite.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade submissions (.py files or folders)")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="a class folder (each child folder or .py file one submission), a .py file or a folder "
                            "per student, or a glob ('class/*')")
    grade.add_argument("--entry", required=True, help="name of the function or class to test (e.g. lstm_forward)")
    grade.add_argument("--mode", choices=MODES, help="the recurrence (default: the rubric's, else read from --entry)")
    grade.add_argument("--rubric", type=Path, help="rubric TOML (its [features] are the graded rows and points)")
    grade.add_argument("--solution", metavar="FILE.py[:ENTRY]",
                       help="the teacher's solution: without [features] in a rubric, every row it passes is graded")
    grade.add_argument("--bind", help="--rnn-bind for every submission (overrides the rubric's run.bind)")
    grade.add_argument("--returns", help="--rnn-returns for every submission (overrides the rubric's run.returns)")
    grade.add_argument("--out", type=Path, required=True, help="output folder")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    grade.add_argument("--resume", action="store_true", help="skip submissions already graded in --out")
    grade.add_argument("--shard", help="i/n: grade only every n-th submission (by name), starting at the i-th")
    grade.add_argument("--timeout", type=float, help="seconds per submission (overrides the rubric)")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="grade without an OS sandbox (only code you trust; needed where neither bwrap nor "
                            "unshare works, e.g. macOS)")
    merge = commands.add_parser("merge", help="merge graded output folders (shards) into one")
    merge.add_argument("folders", nargs="+", type=Path, metavar="DIR")
    merge.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: Optional[list] = None) -> int:
    from .grading.assignment import AssignmentError
    from .grading.outputs import OutputError
    from .grading.rubric import Rubric, RubricError, load_rubric, with_overrides
    from .grading.runner import PluginMissing
    from .grading.submissions import SubmissionError
    from .run.sandbox.tools import SandboxUnavailable

    parser = _parser()
    args = parser.parse_args(argv)
    previous = _terminate_as_interrupt()
    try:
        if args.command == "merge":
            from .grading.merge import merge_folders

            _, summary = merge_folders(args.folders, args.out)
        else:
            from .grading.batch import grade_batch, parse_shard

            if args.jobs < 1:
                parser.error("--jobs must be at least 1")
            if args.timeout is not None and args.timeout <= 0:
                parser.error("--timeout must be positive")
            try:
                shard = parse_shard(args.shard) if args.shard else None
            except ValueError as error:
                parser.error(str(error))
            rubric = load_rubric(args.rubric) if args.rubric else Rubric()
            rubric = with_overrides(rubric, mode=args.mode, timeout=args.timeout, bind=args.bind, returns=args.returns)
            _, summary = grade_batch(args.submissions, args.entry, rubric, args.out, jobs=args.jobs,
                                     resume=args.resume, shard=shard, solution=args.solution,
                                     no_sandbox=args.no_sandbox)
    except (RubricError, SubmissionError, OutputError, PluginMissing, AssignmentError, SandboxUnavailable) as error:
        print(f"rnnconformance: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rnnconformance: interrupted; what was graded is in {args.out} (--resume continues)", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print(summary, end="")
    print(f"Written to {args.out}: grades.csv, grades.json, results/, feedback/, summary.md")
    return 0


def _terminate_as_interrupt():
    """SIGTERM (a CI job cancelled, ``kill``) unwinds like Ctrl-C: running submissions are killed
    and what was graded is kept, instead of leaving orphaned runs behind. Returns the previous
    handler (None where it cannot be set: not the main thread)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
