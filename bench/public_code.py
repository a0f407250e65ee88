"""The plugin on code nobody on the team wrote: learner and library RNNs from public repositories.

Issues 20 and 22 ask that the plugin be measured on implementations found in public repositories, the
way a new user would run it. ``bench/public_code/manifest.toml`` lists each one (repository, path, commit,
entry, the declaration it needs, and its true verdict). Their code is never committed: it is read from a
cache outside git, which ``--build-cache`` fills from local snapshots of the repositories (the search
tool's ``fetch`` leaves them in /work/.mirror). Without a cache the script says so and skips those
entries.

Each entry is run as a new user would, with a 300 s limit per run:

1. unchanged: ``python -m pytest -p no:cacheprovider --rnn-impl TARGET --rnn-max-examples 4 --rnn-report R``;
2. refused (exit 4) with a ready line printed: that line, exactly as printed;
3. still not its true verdict and the manifest holds a declaration: the declaration.

The outcome of an entry is the first of those runs that gives its true verdict (``right unchanged``,
``right with the printed line``, ``right only with our line``), or else what the last run did
(``false pass``, ``false failure``, ``crash``, ``refused``, ``timed out``). The true verdicts themselves
are established without the plugin by ``bench/public_code/truth.py`` (``--truth``).

    python bench/public_code.py --build-cache      # copy the files from /work/.mirror into the cache
    python bench/public_code.py --truth            # check every true verdict against torch.nn directly
    python bench/public_code.py [--only KEY ...]   # run the plugin, print the table and the shares
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MANIFEST = BENCH / "public_code" / "manifest.toml"
CACHE = Path(os.environ.get("RNN_PUBLIC_CACHE", "/work/public_cache"))
MIRRORS = Path(os.environ.get("RNN_PUBLIC_MIRRORS", "/work/.mirror"))
RUN_LIMIT_S = 300
EXIT_USAGE = 4

# Helper files the sequence-models course ships beside its notebook and its repositories leave out:
# written here, by us, with the course's names (sigmoid and softmax over axis 0; its graded-cell checks
# become no-ops, so a notebook's own test cells do not decide what the plugin sees).
ENVIRONMENTS: dict[str, dict[str, str]] = {
    "sequence_models_course": {
        "rnn_utils.py": (
            "import numpy as np\n\n\n"
            "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n\n"
            "def softmax(x):\n    e_x = np.exp(x - np.max(x))\n    return e_x / e_x.sum(axis=0)\n"
        ),
        "public_tests.py": "".join(
            f"def {name}(target):\n    return None\n\n\n"
            for name in ("rnn_cell_forward_tests", "rnn_forward_test", "lstm_cell_forward_test", "lstm_forward_test")
        ),
    },
}


@dataclass
class Run:
    """One pytest run of the plugin: the arguments added to --rnn-impl, and what came back."""

    extra: list[str]
    exit_code: int | None  # None: timed out
    seconds: float
    output: str
    report: dict | None

    @property
    def internal_error(self) -> bool:
        return "INTERNALERROR" in self.output

    def failing_rows(self) -> list[str]:
        """Rows the report says failed or errored, each with its first diagnosis id where there is one."""
        if not self.report:
            return []
        rows = []
        for name, feature in (self.report.get("features") or {}).items():
            if feature.get("status") in ("fail", "error"):
                ids = [d.get("id") for cell in feature.get("cells", {}).values()
                       for d in (cell.get("diagnoses") or []) if isinstance(d, dict)]
                rows.append(f"{name}:{feature['status']}" + (f"[{ids[0]}]" if ids else ""))
        return rows


@dataclass
class Outcome:
    """What the plugin made of one implementation, judged against its true verdict."""

    key: str
    label: str
    runs: list[Run] = field(default_factory=list)


def load_manifest() -> list[dict]:
    with MANIFEST.open("rb") as handle:
        return tomllib.load(handle)["impl"]


def entry_dir(impl: dict) -> Path:
    return CACHE / impl["key"]


def mirror_git_dir(repo: str) -> Path | None:
    """The git directory of a fetched snapshot: fetch leaves either repo/ (bare) or repo/.git."""
    root = MIRRORS / repo.replace("/", "+") / "repo"
    for candidate in (root / ".git", root):
        if (candidate / "HEAD").exists():
            return candidate
    return None


def build_cache(impls: list[dict]) -> None:
    """Copy every entry's files from the snapshots (or from a read_file save) into the cache."""
    for impl in impls:
        if impl.get("source") == "installed":
            continue
        destination = entry_dir(impl) / impl.get("package", "")
        paths = [impl["path"], *impl.get("extra_paths", [])]
        missing = []
        for path in paths:
            target = destination / (Path(path).name if impl.get("package") else path)
            target.parent.mkdir(parents=True, exist_ok=True)
            if impl.get("source") == "read_file":
                saved = CACHE / "_read_file" / impl["repo"].replace("/", "+") / path
                if not saved.exists():
                    missing.append(f"{path} (save it from read_file {impl['repo']} {path} at {impl['commit']} to {saved})")
                    continue
                target.write_bytes(saved.read_bytes())
                continue
            git_dir = mirror_git_dir(impl["repo"])
            if git_dir is None:
                missing.append(f"{path} (no snapshot of {impl['repo']}: fetch it first)")
                continue
            blob = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{impl['commit']}:{path}"],
                                  capture_output=True, check=False)
            if blob.returncode:
                missing.append(f"{path} ({blob.stderr.decode().strip()})")
                continue
            target.write_bytes(blob.stdout)
        for name, text in ENVIRONMENTS.get(impl.get("environment", ""), {}).items():
            (entry_dir(impl) / name).write_text(text)
        print(f"{impl['key']}: " + ("cached" if not missing else "MISSING " + "; ".join(missing)))


def cached(impl: dict) -> bool:
    if impl.get("source") == "installed":
        return True
    return (entry_dir(impl) / impl.get("package", "") /
            (Path(impl["path"]).name if impl.get("package") else impl["path"])).exists()


def run_plugin(impl: dict, extra: list[str]) -> Run:
    """Run the plugin on one entry from its cache folder, as a user would, within RUN_LIMIT_S."""
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rnn-impl", impl["target"],
                   "--rnn-max-examples", "4", "--rnn-report", str(report_path), *extra]
        cwd = entry_dir(impl) if impl.get("source") != "installed" else Path(scratch)
        cwd.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=RUN_LIMIT_S,
                                  env={**os.environ, "PYTHONPATH": str(cwd)})
            exit_code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            exit_code = None
            output = (expired.stdout or b"").decode(errors="replace") if isinstance(expired.stdout, bytes) \
                else (expired.stdout or "")
        seconds = time.monotonic() - started
        report = json.loads(report_path.read_text()) if report_path.exists() else None
    return Run(extra, exit_code, seconds, output, report)


READY_OPTION = re.compile(r"""(--rnn-(?:bind|returns|mode))[ =](?:"([^"]*)"|'([^']*)'|(\S+))""")


def printed_ready_line(output: str) -> list[str] | None:
    """The --rnn-bind/--rnn-returns/--rnn-mode options of the first output line that holds one, as printed.

    A refusal prints its line inside a sentence (``...; edit this guess and declare it: --rnn-bind "..."``)
    or alone (``  --rnn-bind "..."   # weights (in, out)``): each option and its quoted value is taken
    exactly as it stands on that line, and nothing else of the line.
    """
    for line in output.splitlines():
        found = READY_OPTION.findall(line)
        if found:
            return [part for option, double, single, bare in found for part in (option, double or single or bare)]
    return None


# The rows that own each defect found in the public code: a wrong entry's verdict is right only when one of
# them fails (a failure elsewhere, a forward row that errs because no binding settled, is the right exit code
# for a wrong reason). A crash owns every row it happens in (None: any failing row).
DEFECT_ROWS: dict[str, frozenset[str] | None] = {
    "unstable_activation": frozenset({"edge_cases"}),
    "nan_not_propagated": frozenset({"edge_cases"}),
    "gru_reset_before_matmul": frozenset({"forward"}),
    "wrong_gate_activation": frozenset({"forward"}),
    "default_state_unbatched": frozenset({"combined", "default_state", "unbatched"}),
    "default_state": frozenset({"combined", "default_state", "unbatched", "dtype"}),
    "weights_transposed": None,
    "one_step_only": None,
    "crash": None,
}


# What the header's evidence says when no way of calling the implementation ran: a forward row that errs
# then says nothing about the code's values.
UNSETTLED = "binding not settled"


def gives_true_verdict(impl: dict, run: Run, allowed_rows: frozenset[str]) -> bool:
    """Whether one run's verdict is the entry's true one.

    right: exit 0, or exit 1 whose only failing rows are ones its truth allows (a float64 buffer's dtype
    row); wrong: exit 1 (never a pass, never a refusal); different: exit 1 or a refusal (never a pass);
    not_checkable: a refusal or an error that names why (exit 4, or exit 1 with an error row), never a pass.
    """
    if run.exit_code is None or run.internal_error:
        return False
    truth = impl["truth"]
    if truth == "right":
        if run.exit_code == 0:
            return True
        failing = {row.split(":")[0] for row in run.failing_rows()}
        return run.exit_code == 1 and bool(failing) and failing <= allowed_rows
    if truth == "wrong":
        owners = DEFECT_ROWS.get(impl.get("defect", ""))
        failing = {row.split(":")[0] for row in run.failing_rows()}
        if owners is None:
            return run.exit_code == 1
        return run.exit_code == 1 and bool(failing & owners) and UNSETTLED not in run.output
    if truth == "different":
        return run.exit_code in (1, EXIT_USAGE)
    return run.exit_code in (1, 2, EXIT_USAGE)


def describe_failure(impl: dict, run: Run) -> str:
    """The outcome label of a run that did not give the true verdict."""
    if run.exit_code is None:
        return "timed out"
    if run.internal_error:
        return "crash (INTERNALERROR)"
    if run.exit_code == 0:
        return "false pass"
    if run.exit_code == 1 and impl["truth"] == "wrong":
        return "fails, but not the row owning its defect"
    if run.exit_code == 1:
        return "false failure"
    if run.exit_code == EXIT_USAGE:
        return "refused"
    return f"exit {run.exit_code}"


def measure(impl: dict, allowed_rows: frozenset[str]) -> Outcome:
    """Run one entry, then say whether any of its runs crashed pytest (a crash is never hidden by a later run)."""
    outcome = first_true_verdict(impl, allowed_rows)
    if any(run.internal_error for run in outcome.runs[:-1]):
        outcome.label += "; an earlier run crashed (INTERNALERROR)"
    return outcome


def first_true_verdict(impl: dict, allowed_rows: frozenset[str]) -> Outcome:
    """Run one entry unchanged, then with the printed line, then with ours, stopping at its true verdict."""
    outcome = Outcome(impl["key"], "")
    first = run_plugin(impl, [])
    outcome.runs.append(first)
    if gives_true_verdict(impl, first, allowed_rows):
        outcome.label = "right unchanged"
        return outcome
    last = first
    printed = printed_ready_line(first.output) if first.exit_code == EXIT_USAGE else None
    if printed:
        last = run_plugin(impl, printed)
        outcome.runs.append(last)
        if gives_true_verdict(impl, last, allowed_rows):
            outcome.label = "right with the printed line"
            return outcome
    declaration = impl.get("declaration", [])
    if declaration and declaration != printed:
        last = run_plugin(impl, declaration)
        outcome.runs.append(last)
        if gives_true_verdict(impl, last, allowed_rows):
            outcome.label = "right only with our line" if not printed else "right only with our line (printed line did not)"
            return outcome
    if first.exit_code == EXIT_USAGE and not printed and impl["truth"] != "not_checkable":
        outcome.label = "refused without a usable line" if last is first else describe_failure(impl, last)
    else:
        outcome.label = describe_failure(impl, last)
    return outcome


def summary_line(run: Run) -> str:
    """One line saying what a run did: exit, failing rows, or the refusal's first words."""
    status = "timeout" if run.exit_code is None else f"exit {run.exit_code}"
    rows = run.failing_rows()
    if rows:
        return f"{status}: {', '.join(rows[:4])}"
    for line in run.output.splitlines():
        if any(word in line for word in ("cannot", "refus", "Error", "error:", "candidates")):
            return f"{status}: {line.strip()[:160]}"
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-cache", action="store_true", help="copy the files into the cache and stop")
    parser.add_argument("--truth", action="store_true", help="establish the true verdicts without the plugin")
    parser.add_argument("--only", nargs="*", default=None, help="manifest keys to run")
    parser.add_argument("--json", type=Path, help="write every run's outcome here")
    args = parser.parse_args()
    impls = [impl for impl in load_manifest() if args.only is None or impl["key"] in args.only]
    if args.build_cache:
        build_cache(impls)
        return 0
    present = [impl for impl in impls if cached(impl)]
    skipped = len(impls) - len(present)
    if skipped:
        print(f"cache missing: {skipped} skipped (python bench/public_code.py --build-cache; cache {CACHE})")
    sys.path.insert(0, str(BENCH / "public_code"))
    import truth  # noqa: E402  (bench/public_code/truth.py, beside the manifest)

    if args.truth:
        return truth.report(present, entry_dir)
    outcomes = []
    for impl in present:
        allowed = truth.allowed_failing_rows(impl, entry_dir(impl))
        outcome = measure(impl, allowed)
        outcomes.append((impl, outcome))
        runs = " | ".join(f"{' '.join(run.extra) or 'unchanged'} -> {summary_line(run)} ({run.seconds:.0f} s)"
                          for run in outcome.runs)
        print(f"{impl['key']:34} {impl['truth']:13} {outcome.label:32} {runs}", flush=True)
    print_shares(outcomes)
    if args.json:
        args.json.write_text(json.dumps([
            {"key": impl["key"], "group": impl["group"], "truth": impl["truth"], "outcome": outcome.label,
             "runs": [{"extra": run.extra, "exit": run.exit_code, "seconds": round(run.seconds, 1),
                       "failing_rows": run.failing_rows(), "summary": summary_line(run),
                       "output_tail": run.output[-3000:]} for run in outcome.runs]}
            for impl, outcome in outcomes], indent=1))
    return 0


def print_shares(outcomes: list[tuple[dict, Outcome]]) -> None:
    """The shares the issues ask for, per group: checkable ones right (unchanged / one line), the rest."""
    for group in ("learner", "library"):
        members = [(impl, outcome) for impl, outcome in outcomes if impl["group"] == group]
        if not members:
            continue
        checkable = [(impl, o) for impl, o in members if impl["truth"] != "not_checkable"]
        unchanged = sum(o.label == "right unchanged" for _, o in checkable)
        printed = sum(o.label == "right with the printed line" for _, o in checkable)
        ours = sum(o.label.startswith("right only with our line") for _, o in checkable)
        counts: dict[str, int] = {}
        for _, outcome in checkable:
            if not outcome.label.startswith("right"):
                counts[outcome.label] = counts.get(outcome.label, 0) + 1
        crashed = sum("INTERNALERROR" in o.label for _, o in members)
        not_checkable = [(impl, o) for impl, o in members if impl["truth"] == "not_checkable"]
        refused_right = sum(o.label.startswith("right") for _, o in not_checkable)
        print(f"{group}s: {len(members)} measured, {len(checkable)} checkable: "
              f"{unchanged + printed} right unchanged or with the printed line ({unchanged} unchanged, "
              f"{printed} with the printed line), {ours} right only with a line we wrote, "
              + ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
              + f"; not checkable: {refused_right}/{len(not_checkable)} refused or reported with a reason"
              + f"; entries where some run crashed pytest: {crashed}")


if __name__ == "__main__":
    raise SystemExit(main())
