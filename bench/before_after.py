"""Before and after, side by side in one run: the previous design against the current package.

The previous design (default ``ce661bb``) is checked out as a git worktree and installed, editable,
in its own virtual environment under ``--workdir`` (torch, hypothesis, pytest and pluggy pinned to
the versions of the interpreter running this script, so only the package differs). The current
design is this repository, run by the interpreter running this script. Every measurement runs
both versions interleaved, alternating which goes first, and prints ratios. Every run of either
version is given the same ``--rnn-max-examples`` (``--examples``, default the current design's
default, 8 per row; the previous design's default was 25), so a ratio never compares a version
drawing 25 examples per row with one drawing 8:

(a) main: the README's main command, ``pytest --rnn-impl examples/lstm_forward.py:lstm_forward``
    (from the tree's root) with ``--rnn-max-examples N``, against a bare ``python -c "import torch,
    hypothesis, pytest"`` in the same environment, interleaved, median of ``--repeats`` (5). Issue
    17's goal: the current main command within 2x the bare import.
(b) mutants: for each mutant of `mutants.EXPECTED` whose file the previous design has too, seconds
    to the first failure in a fresh process (``pytest -x``, `mutants.run_mutant`), old against new.
(c) suite: `suite_speed.py` (each version's own script, which knows that version's internals) on
    ``--rnn-impl reference``: whole-suite wall and floor, at N examples and at 25 (the previous
    default) in both, median of ``--suite-repeats`` (3).
(d) isolation: `isolation_speed.py`'s measurement (the suite on the reference at N examples,
    in-process and ``--rnn-isolate``, each a fresh pytest process), ratio isolated / in-process, old
    against new.
(e) reference: `reference_speed.py --quick` (each version's own script), ratio to torch.nn per
    configuration, old against new (the reference was rewritten in the redesign).

    python bench/before_after.py [--steps main,mutants,suite,isolation,reference] [--old ce661bb]
                                 [--examples 8] [--workdir /tmp/rnn_before_after] [--fresh] [--cleanup]

Resumable: every measurement is saved to ``<workdir>/results-<N>-examples.json`` as it is taken, and a rerun
skips what is already there (``--fresh`` starts over); the table is printed at the end from what is
saved. ``--cleanup`` removes the worktree and the environment. The machine is shared and noisy:
the load average before each measurement is saved with it; trust ratios, not absolute times.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import isolation_speed  # noqa: E402
from pytest_rnnconformance.options import DEFAULT_MAX_EXAMPLES  # noqa: E402
import mutants  # noqa: E402

STEPS = ("main", "mutants", "suite", "isolation", "reference")
PINNED = ("torch", "hypothesis", "pytest", "pluggy", "numpy")
MAIN_TARGET = "examples/lstm_forward.py:lstm_forward"
BARE = "import torch, hypothesis, pytest"
PREVIOUS_DEFAULT = 25  # the previous design's --rnn-max-examples default
#: what every run of both versions is given (--examples): equal numbers of examples per row
EQUAL = ["--rnn-max-examples", str(DEFAULT_MAX_EXAMPLES)]


# --------------------------------------------------------------------------- the two versions
class Version:
    def __init__(self, name: str, tree: Path, python: str) -> None:
        self.name, self.tree, self.python = name, tree, python

    def run(self, command: list, cwd: Path | None = None, timeout: float = 1800) -> tuple[float, subprocess.CompletedProcess]:
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd or self.tree, capture_output=True, text=True, timeout=timeout)
        return time.perf_counter() - start, done


def sh(command: list, **kwargs) -> str:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, command))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def set_up_old(workdir: Path, rev: str) -> Version:
    """The worktree of `rev` and its environment, made once (reused while the commit matches)."""
    tree, venv = workdir / "old", workdir / "venv-old"
    commit = sh(["git", "-C", str(REPO), "rev-parse", f"{rev}^{{commit}}"]).strip()
    if tree.exists() and sh(["git", "-C", str(tree), "rev-parse", "HEAD"]).strip() != commit:
        sh(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)])
    if not tree.exists():
        print(f"setting up: git worktree add --detach {tree} {commit[:10]}", flush=True)
        sh(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), commit])
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"setting up: {sys.executable} -m venv {venv}", flush=True)
        sh([sys.executable, "-m", "venv", str(venv)])
    pins = []
    for name in PINNED:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name).split('+')[0]}")
        except importlib.metadata.PackageNotFoundError:
            pass
    probe = subprocess.run([str(python), "-c", "import pytest_rnnconformance, torch, hypothesis, pytest; "
                            "print(pytest_rnnconformance.__file__)"], capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.strip().startswith(str(tree)):
        print(f"setting up: pip install {' '.join(pins)} -e {tree}", flush=True)
        started = time.perf_counter()
        sh([str(python), "-m", "pip", "install", "-q", *pins, "-e", str(tree)])
        print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    return Version("old", tree, str(python))


def versions_of(version: Version) -> str:
    code = ("import importlib.metadata as m, pytest_rnnconformance as p; "
            f"print(', '.join(f'{{n}} {{m.version(n)}}' for n in {PINNED[:4]!r}), '|', p.__file__)")
    return sh([version.python, "-c", code], cwd=version.tree).strip()


# --------------------------------------------------------------------------- results, saved as they come
class Results:
    def __init__(self, path: Path, fresh: bool) -> None:
        self.path = path
        self.data = {} if fresh or not path.exists() else json.loads(path.read_text())

    def get(self, step: str, key: str):
        return self.data.get(step, {}).get(key)

    def put(self, step: str, key: str, value) -> None:
        self.data.setdefault(step, {})[key] = value
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1))
        tmp.replace(self.path)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def ordered(pair: tuple, index: int) -> tuple:
    """Alternate which version goes first."""
    return pair if index % 2 == 0 else pair[::-1]


# --------------------------------------------------------------------------- (a) the main command
def main_command(version: Version) -> list:
    return [str(Path(version.python).parent / "pytest"), "-p", "no:cacheprovider", "--rnn-impl", MAIN_TARGET, *EQUAL]


def bare_command(version: Version) -> list:
    return [version.python, "-c", BARE]


def step_main(old: Version, new: Version, results: Results, repeats: int) -> None:
    for index in range(repeats):
        for version in ordered((old, new), index):
            key = f"{version.name}-{index}"
            if results.get("main", key):
                continue
            before = load()
            bare, _ = version.run(bare_command(version))
            seconds, done = version.run(main_command(version))
            if done.returncode != 0:
                raise SystemExit(f"the main command failed ({version.name}):\n{done.stdout[-3000:]}")
            results.put("main", key, {"bare": bare, "main": seconds, "load": before})
            print(f"main {key}: bare import {bare:.2f} s, main command {seconds:.2f} s, ratio {seconds / bare:.2f} "
                  f"(load {before})", flush=True)


def main_rows(old: Version, new: Version, results: Results) -> list:
    rows = []
    summary = {}
    for version in (old, new):
        runs = [v for k, v in results.data.get("main", {}).items() if k.startswith(version.name + "-")]
        if not runs:
            continue
        bare = statistics.median(r["bare"] for r in runs)
        main = statistics.median(r["main"] for r in runs)
        paired = statistics.median(r["main"] / r["bare"] for r in runs)
        summary[version.name] = main
        goal = f"≤2x: {'met' if main / bare <= 2 else 'not met'}" if version.name == "new" else "—"
        rows.append((f"(a) main command ({' '.join(EQUAL)}) / bare import, {version.name} ({len(runs)} runs)",
                     f"{main:.2f} s / {bare:.2f} s", f"**{main / bare:.2f}x** (paired median {paired:.2f}x)", goal,
                     f"`cd {version.tree} && {' '.join(main_command(version))}` against "
                     f"`{version.python} -c \"{BARE}\"`"))
    if len(summary) == 2:
        rows.append(("(a) main command, new / old", f"{summary['new']:.2f} s / {summary['old']:.2f} s",
                     f"**{summary['new'] / summary['old']:.2f}x**", "—", "the two rows above"))
    return rows


# --------------------------------------------------------------------------- (b) mutants, -x
ONLY: list | None = None  # --only


def shared_mutants(old: Version) -> list:
    return [t for t in mutants.EXPECTED if (old.tree / "examples" / "mutants" / t.split(":")[0]).exists()
            and (ONLY is None or t in ONLY)]


def _mutant_key(version: Version, target: str, repeat: int) -> str:
    return f"{version.name}:{target}" + (f"#{repeat}" if repeat else "")


def step_mutants(old: Version, new: Version, results: Results, seed: int, repeats: int) -> None:
    for repeat in range(repeats):
        for index, target in enumerate(shared_mutants(old)):
            for version in ordered((old, new), index + repeat):
                key = _mutant_key(version, target, repeat)
                if results.get("mutants", key):
                    continue
                before = load()
                row = mutants.run_mutant(target, seed, tuple(EQUAL), first=True, python=version.python,
                                         mutants=version.tree / "examples" / "mutants")
                row.pop("tail", None)
                row["load"] = before
                results.put("mutants", key, row)
                print(f"mutant {key}: {'killed' if row['killed'] else 'NOT killed'} in {row['seconds']:.1f} s by "
                      f"{row['feature']} ({', '.join(row['diagnosis'][:2]) or '-'}) (load {before})", flush=True)


def _mutant_runs(results: Results, version: Version, target: str) -> list:
    runs = results.data.get("mutants", {})
    return [v for k, v in runs.items() if k == f"{version.name}:{target}" or k.startswith(f"{version.name}:{target}#")]


def _each(runs: list) -> str:
    return " ".join(f"{run['seconds']:.1f}" for run in runs)


def mutant_rows(old: Version, new: Version, results: Results, seed: int) -> tuple[list, list]:
    table, ratios, olds, news = [], [], [], []
    repeats = 0
    for target in shared_mutants(old):
        o_runs, n_runs = _mutant_runs(results, old, target), _mutant_runs(results, new, target)
        if not o_runs or not n_runs:
            continue
        repeats = max(repeats, min(len(o_runs), len(n_runs)))
        o, n = o_runs[0], n_runs[0]
        o_s, n_s = statistics.median(r["seconds"] for r in o_runs), statistics.median(r["seconds"] for r in n_runs)
        olds.append(o_s)
        news.append(n_s)
        ratio = n_s / o_s
        ratios.append(ratio)
        killed = lambda runs: "yes" if all(r["killed"] for r in runs) else "NO"  # noqa: E731
        table.append(f"| {target} | {killed(o_runs)} {o['feature']} ({', '.join(o['diagnosis'][:1]) or '-'}) | "
                     f"{killed(n_runs)} {n['feature']} ({', '.join(n['diagnosis'][:1]) or '-'}) | "
                     f"{_each(o_runs)} | {_each(n_runs)} | "
                     f"{ratio:.2f} |")
    summary = []
    if ratios:
        command = " ".join(mutants.command_for("<mutant>", "<report.json>", seed, True, "<venv>/bin/python",
                                               Path("<tree>/examples/mutants"), tuple(EQUAL)))
        summary.append((f"(b) seconds to first failure (-x, {' '.join(EQUAL)}), {len(ratios)} mutants, median of "
                        f"{repeats} run(s) each: "
                        "median new / old", f"median {statistics.median(news):.1f} s / {statistics.median(olds):.1f} s; "
                        f"slowest {max(news):.1f} s / {max(olds):.1f} s", f"**{statistics.median(ratios):.2f}x** "
                        f"(per-mutant {min(ratios):.2f}-{max(ratios):.2f})",
                        f"each ≤5 s: {sum(s <= 5 for s in news)}/{len(news)} new, {sum(s <= 5 for s in olds)}/"
                        f"{len(olds)} old", f"`{command}` (cwd: a scratch folder)"))
    return summary, table


# --------------------------------------------------------------------------- (c) suite_speed
SUITE_ROW = re.compile(r"^\| reference[^|]*\| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \(([\d.]+)\) \| (\d+) % \| "
                       r"([\d.]+) \|")


def suite_command(version: Version, extra: list) -> list:
    return [version.python, str(version.tree / "bench" / "suite_speed.py"), *extra]


def suite_settings() -> list:
    """(label, arguments): the equal number of examples, and the previous default in both."""
    counts = dict.fromkeys((int(EQUAL[1]), PREVIOUS_DEFAULT))
    return [(f"{n} examples", ["--rnn-max-examples", str(n)]) for n in counts]


def step_suite(old: Version, new: Version, results: Results, repeats: int, scratch: Path) -> None:
    for label, extra in suite_settings():
        for index in range(repeats):
            for version in ordered((old, new), index):
                key = f"{label}:{version.name}-{index}"
                if results.get("suite", key):
                    continue
                before = load()
                seconds, done = version.run(suite_command(version, extra), cwd=scratch)
                found = [SUITE_ROW.match(line) for line in done.stdout.splitlines()]
                found = [m for m in found if m]
                if not found:
                    raise SystemExit(f"suite_speed printed no row ({version.name}):\n{done.stdout[-3000:]}\n"
                                     f"{done.stderr[-3000:]}")
                wall, candidate, oracles, overhead, recorders, share, floor = map(float, found[0].groups())
                items = re.search(r"^items: (.*); inputs built: (\d+)", done.stdout, re.M)
                row = {"wall": wall, "candidate": candidate, "oracles": oracles, "overhead": overhead,
                       "floor": floor, "load": before, "script_s": seconds, "exit": done.returncode,
                       "items": items.group(1) if items else "", "inputs": int(items.group(2)) if items else None}
                results.put("suite", key, row)
                print(f"suite {key}: wall {wall:.1f} s, floor {floor:.1f} s, candidate {candidate:.1f} s, oracles "
                      f"{oracles:.1f} s (exit {done.returncode}; load {before})", flush=True)


def suite_rows(old: Version, new: Version, results: Results) -> list:
    rows = []
    for label, extra in suite_settings():
        medians = {}
        for version in (old, new):
            runs = [v for k, v in results.data.get("suite", {}).items() if k.startswith(f"{label}:{version.name}-")]
            if runs:
                medians[version.name] = {f: statistics.median(r[f] for r in runs) for f in ("wall", "floor", "oracles",
                                                                                            "candidate")}
                medians[version.name]["n"] = len(runs)
                medians[version.name]["items"] = runs[0].get("items")
        if len(medians) == 2:
            o, n = medians["old"], medians["new"]
            examples = f"{' '.join(extra)} in both"
            rows.append((f"(c) suite wall on the reference, {examples}, median of {min(o['n'], n['n'])}",
                         f"new {n['wall']:.1f} s / old {o['wall']:.1f} s (floor {n['floor']:.1f} / {o['floor']:.1f}; "
                         f"oracles {n['oracles']:.1f} / {o['oracles']:.1f}; candidate {n['candidate']:.1f} / "
                         f"{o['candidate']:.1f})" + (f"; new items: {n['items']}" if n.get("items") else ""),
                         f"**{n['wall'] / o['wall']:.2f}x**", "not worse (issue 13)",
                         f"`{' '.join(suite_command(new, extra))}` and `{' '.join(suite_command(old, extra))}` "
                         "(cwd: a scratch folder)"))
    return rows


# --------------------------------------------------------------------------- (d) isolation
def step_isolation(old: Version, new: Version, results: Results, repeats: int) -> None:
    for index in range(repeats):
        for version in ordered((old, new), index):
            for isolate in (False, True):
                key = f"{version.name}-{index}-{'isolated' if isolate else 'in-process'}"
                if results.get("isolation", key):
                    continue
                before = load()
                seconds, outcome = isolation_speed.wall("reference", isolate, python=version.python, extra=tuple(EQUAL))
                results.put("isolation", key, {"seconds": seconds, "outcome": outcome, "load": before})
                print(f"isolation {key}: {seconds:.1f} s ({outcome}) (load {before})", flush=True)


def isolation_rows(old: Version, new: Version, results: Results) -> list:
    ratios, rows = {}, []
    for version in (old, new):
        runs = results.data.get("isolation", {})
        inproc = [v for k, v in runs.items() if k.startswith(version.name + "-") and k.endswith("in-process")]
        isolated = [v for k, v in runs.items() if k.startswith(version.name + "-") and k.endswith("-isolated")]
        if not inproc or not isolated:
            continue
        a, b = statistics.median(r["seconds"] for r in inproc), statistics.median(r["seconds"] for r in isolated)
        ratios[version.name] = b / a
        outcomes = sorted({r["outcome"] for r in isolated})
        command = " ".join(isolation_speed.command_for("reference", True, python=f"{version.python}",
                                                       extra=tuple(EQUAL)))
        rows.append((f"(d) isolated / in-process, {version.name} ({len(inproc)} each)",
                     f"{b:.1f} s / {a:.1f} s; isolated: {'; '.join(outcomes)}", f"**{b / a:.2f}x**", "<1.5x (issue 5)",
                     f"`{command}` against the same without --rnn-isolate (cwd: a scratch folder)"))
    if len(ratios) == 2:
        rows.append(("(d) isolation ratio, new / old", f"{ratios['new']:.2f} / {ratios['old']:.2f}",
                     f"**{ratios['new'] / ratios['old']:.2f}x**", "not worse (issue 13)", "the two rows above"))
    return rows


# --------------------------------------------------------------------------- (e) reference
REFERENCE_ROW = re.compile(r"^\| (LSTM|GRU) \| (float\d+) \| ([\d, ]+) \| \d+ \| [\d.]+ \| [\d.]+ \| ([\d.]+) \| [^|]* \| "
                           r"(?:[\d.]+|—) \| ([\d.]+|—) \|")


def reference_command(version: Version) -> list:
    return [version.python, str(version.tree / "bench" / "reference_speed.py"), "--quick"]


def step_reference(old: Version, new: Version, results: Results, repeats: int, scratch: Path) -> None:
    for index in range(repeats):
        for version in ordered((old, new), index):
            key = f"{version.name}-{index}"
            if results.get("reference", key):
                continue
            before = load()
            seconds, done = version.run(reference_command(version), cwd=scratch)
            ratios, native = {}, {}
            for m in map(REFERENCE_ROW.match, done.stdout.splitlines()):
                if m:
                    ratios[f"{m[1]} {m[2]} {m[3]}"] = float(m[4])
                    if m[5] != "—":
                        native[f"{m[1]} {m[2]} {m[3]}"] = float(m[5])
            if not ratios:
                raise SystemExit(f"reference_speed printed no row ({version.name}):\n{done.stdout[-3000:]}\n"
                                 f"{done.stderr[-3000:]}")
            results.put("reference", key, {"ratios": ratios, "native": native, "load": before, "seconds": seconds})
            print(f"reference {key}: {len(ratios)} configurations in {seconds:.0f} s (load {before})", flush=True)


def _reference_medians(results: Results, name: str, field: str) -> dict:
    runs = [v[field] for k, v in results.data.get("reference", {}).items() if k.startswith(name + "-")]
    keys = [k for k in (runs[0] if runs else {}) if all(k in r for r in runs)]
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def reference_rows(old: Version, new: Version, results: Results) -> tuple[list, list]:
    o, n = _reference_medians(results, "old", "ratios"), _reference_medians(results, "new", "ratios")
    on, nn = _reference_medians(results, "old", "native"), _reference_medians(results, "new", "native")
    keys = [k for k in n if k in o]
    if not keys:
        return [], []
    runs = len([k for k in results.data.get("reference", {}) if k.startswith("new-")])
    table = []
    for key in keys:
        native = f"{on[key]:.2f} | {nn[key]:.2f}" if key in on and key in nn else "— | —"
        table.append(f"| {key} | {o[key]:.2f} | {n[key]:.2f} | {n[key] / o[key]:.2f} | {native} |")
    changes = [n[k] / o[k] for k in keys]
    return [(f"(e) reference / torch.nn, new over old, median over {len(keys)} configurations ({runs} runs each)",
             "per configuration below", f"**{statistics.median(changes):.2f}x** ({min(changes):.2f}-{max(changes):.2f})",
             "—", f"`{' '.join(reference_command(new))}` and `{' '.join(reference_command(old))}`")], table


# --------------------------------------------------------------------------- the table
def report(old: Version, new: Version, results: Results, seed: int) -> None:
    meta = results.data.get("meta", {})
    print("\n## Before and after\n")
    for name in ("old", "new"):
        if name in meta:
            print(f"- {name}: {meta[name]}")
    print()
    mutant_summary, mutant_table = mutant_rows(old, new, results, seed)
    reference_summary, reference_table = reference_rows(old, new, results)
    rows = main_rows(old, new, results) + mutant_summary + suite_rows(old, new, results) + \
        isolation_rows(old, new, results) + reference_summary
    print("| measurement | times | ratio | goal | command |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if mutant_table:
        print("\n(b) per mutant, seconds to the first failure (`pytest -x`, fresh process, seed "
              f"{seed}):\n")
        print("| mutant | old: killed, row (first id) | new: killed, row (first id) | old s (each run) | new s (each run) "
              "| new / old (medians) |")
        print("|---|---|---|---:|---:|---:|")
        print("\n".join(mutant_table))
    if reference_table:
        print("\n(e) reference / torch.nn per configuration (`reference_speed.py --quick`, each version's own):\n")
        print("| mode dtype batch, time, input, hidden | old ratio | new ratio | new / old | old ratio to torch.nn "
              "without oneDNN | new ratio to it |")
        print("|---|---:|---:|---:|---:|---:|")
        print("\n".join(reference_table))
    loads = [v["load"] for step in STEPS for v in results.data.get(step, {}).values() if isinstance(v, dict) and "load" in v]
    if loads:
        print(f"\nload average (1 min) before the measurements: {min(loads):.1f}-{max(loads):.1f} "
              f"(median {statistics.median(loads):.1f}) on {os.cpu_count()} cores")


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="ce661bb", help="the previous design's commit")
    parser.add_argument("--workdir", default="/tmp/rnn_before_after", type=Path)
    parser.add_argument("--examples", type=int, default=DEFAULT_MAX_EXAMPLES,
                        help="--rnn-max-examples of every run, both versions (equal examples per row)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--repeats", type=int, default=5, help="(a) runs of each command per version")
    parser.add_argument("--mutant-repeats", type=int, default=1, help="(b) runs of each mutant per version")
    parser.add_argument("--suite-repeats", type=int, default=3, help="(c) suite_speed runs per version and setting")
    parser.add_argument("--isolation-repeats", type=int, default=2, help="(d) runs of each variant per version")
    parser.add_argument("--reference-repeats", type=int, default=2, help="(e) reference_speed runs per version")
    parser.add_argument("--seed", type=int, default=0, help="--hypothesis-seed of the mutant runs")
    parser.add_argument("--only", nargs="*", default=None, help="(b) these mutants only (EXPECTED keys)")
    parser.add_argument("--fresh", action="store_true", help="forget saved measurements")
    parser.add_argument("--cleanup", action="store_true", help="remove the worktree and its environment, and stop")
    parser.add_argument("--report-only", action="store_true", help="print the table from saved measurements")
    args = parser.parse_args(argv)
    workdir: Path = args.workdir
    if args.cleanup:
        if (workdir / "old").exists():
            sh(["git", "-C", str(REPO), "worktree", "remove", "--force", str(workdir / "old")])
        shutil.rmtree(workdir / "venv-old", ignore_errors=True)
        print(f"removed the worktree and environment under {workdir} (results.json kept)")
        return 0
    workdir.mkdir(parents=True, exist_ok=True)
    global ONLY, EQUAL
    ONLY = args.only
    EQUAL = ["--rnn-max-examples", str(args.examples)]
    # Hypothesis keeps its cache of constants in ./.hypothesis: keep both versions' out of the trees.
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(workdir / "hypothesis")
    scratch = workdir / "scratch"
    scratch.mkdir(exist_ok=True)
    old = set_up_old(workdir, args.old)
    new = Version("new", REPO, sys.executable)
    results = Results(workdir / f"results-{args.examples}-examples.json", args.fresh)
    head = sh(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]).strip()
    dirty = len(sh(["git", "-C", str(REPO), "status", "--short", "--", "pytest_rnnconformance", "reference"])
                .splitlines())
    meta = {"old": f"{args.old} ({versions_of(old)})",
            "new": f"{head} + {dirty} uncommitted package file(s) ({versions_of(new)})"}
    if results.data.get("meta") != meta:
        results.put("meta", "old", meta["old"])
        results.put("meta", "new", meta["new"])
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}")
    started = time.perf_counter()
    if not args.report_only:
        for step in steps:
            step_started = time.perf_counter()
            print(f"\n--- {step}", flush=True)
            if step == "main":
                step_main(old, new, results, args.repeats)
            elif step == "mutants":
                step_mutants(old, new, results, args.seed, args.mutant_repeats)
            elif step == "suite":
                step_suite(old, new, results, args.suite_repeats, scratch)
            elif step == "isolation":
                step_isolation(old, new, results, args.isolation_repeats)
            elif step == "reference":
                step_reference(old, new, results, args.reference_repeats, scratch)
            results.put("timing", step, (results.get("timing", step) or 0) + time.perf_counter() - step_started)
            print(f"--- {step}: {time.perf_counter() - step_started:.0f} s", flush=True)
    report(old, new, results, args.seed)
    timing = results.data.get("timing", {})
    if timing:
        print("\ntime spent per step (all sessions): " + ", ".join(f"{k} {v:.0f} s" for k, v in timing.items()))
    print(f"this session: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
