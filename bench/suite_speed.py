"""Wall time of the whole default suite on the bundled reference, and where it goes.

Runs ``pytest --rnn-impl reference`` with timers wrapped around the two places the suite spends
its real work: the implementation's own calls (the candidate: `bind.binding.Binding.call`, which
hands it its arguments and returns what it returned) and computing the oracles (`judge.oracles.expected`
as the judge calls it: torch.nn, the float64 reference and its rounding-sensitivity run; and the
``backward`` row's `oracle_gradients`). The rest is overhead:
hypothesis, building inputs, the guards around each call (copies, purity and tamper checks),
comparing, diagnosing, pytest itself. Calls made under the ``no_delegation`` recorders count as
overhead too: there the recorders, not the implementation, take most of the time.

Side by side, in a second fresh process, it runs the *floor*: the same session (same rows, same
strategies, same number of examples) with every example's body emptied (`features.engine.make_inputs`
and every row's check replaced by a no-op, so the base cases that decide blocking are emptied too),
so no inputs are built and nothing is called, compared or guarded. What remains is pytest, binding
and settling, and hypothesis drawing and bookkeeping the examples; no plugin written on pytest and
hypothesis with this configuration space can spend less outside its real work. It also prints the
items' outcomes and how many inputs the rows built (examples, base cases and re-checks), so runs
with different numbers of rows or examples can be told apart.

    python bench/suite_speed.py [extra pytest args, e.g. --rnn-isolate]

With --rnn-isolate the candidate's time is the round trip of each call to the worker
(`run.isolated.WorkerClient.request` of a ``call``: the call, the worker's guards and the wire);
the settling probes are overhead, as they were when the worker probed while binding.

Goal (issue 3): the whole default suite under 60 s here, overhead under 35 %.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

SPENT: dict = defaultdict(float)
RECORDERS_ON: list = []  # non-empty while the no_delegation recorders run


def timed(label: str, fn):
    """`fn`, adding its time to SPENT[label] (to SPENT["recorders"] while the recorders run)."""
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT["recorders" if RECORDERS_ON else label] += time.perf_counter() - start

    return wrapper


def recording(fn):
    """`fn`, with RECORDERS_ON set while it runs."""
    def wrapper(*args, **kwargs):
        RECORDERS_ON.append(True)
        try:
            return fn(*args, **kwargs)
        finally:
            RECORDERS_ON.pop()

    return wrapper


def install_timers() -> None:
    import pytest_rnnconformance.bind.binding as binding
    import pytest_rnnconformance.features.backward as backward
    import pytest_rnnconformance.judge.judge as judge
    import pytest_rnnconformance.run.in_process as in_process
    import pytest_rnnconformance.run.isolated as isolated

    binding.Binding.call = timed("candidate", binding.Binding.call)
    request = isolated.WorkerClient.request
    timed_request = timed("candidate", request)

    def worker_request(self, message, *args, **kwargs):  # a call's round trip; probes and binding are overhead
        return (timed_request if message.get("op") == "call" else request)(self, message, *args, **kwargs)

    isolated.WorkerClient.request = worker_request
    in_process.recorded_calls = recording(in_process.recorded_calls)
    judge.expected = timed("oracles", judge.expected)
    backward.oracle_gradients = timed("oracles", backward.oracle_gradients)
    count_examples()


def count_examples() -> None:
    """Count the inputs the rows build (examples, base cases and their re-checks) in SPENT["examples"]."""
    import pytest_rnnconformance.features.engine as engine

    make_inputs = engine.make_inputs

    def counted(*args, **kwargs):
        SPENT["examples"] += 1
        return make_inputs(*args, **kwargs)

    engine.make_inputs = counted


def empty_every_example() -> None:
    """Keep each row's draws and example count; do nothing with what is drawn."""
    import pytest_rnnconformance.features as features
    import pytest_rnnconformance.features.engine as engine

    def nothing(*args, **kwargs) -> None:
        return None

    engine.make_inputs = nothing
    for feature in features.registry().values():
        object.__setattr__(feature, "check", nothing)  # a frozen dataclass: the row's check, emptied


class _Outcomes:
    """Counts the items' outcomes (passed, failed, skipped) into SPENT."""

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            SPENT[f"items {report.outcome}"] += 1


def measure(floor: bool, pytest_args: list) -> dict:
    """Run the suite in this process; return its wall time and the time spent per timer."""
    import pytest

    if floor:
        empty_every_example()
    install_timers()
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        code = pytest.main(["-q", "-p", "no:cacheprovider", "--rnn-impl", "reference", "--rootdir", scratch,
                            "--rnn-report", f"{scratch}/report.json", *pytest_args], plugins=[_Outcomes()])
        wall = time.perf_counter() - start
    return {"code": int(code), "wall": wall, **SPENT}


def measure_in_fresh_process(floor: bool, pytest_args: list) -> dict:
    """`measure` in a new interpreter, so neither run warms the other's caches."""
    flags = ["--measure"] + (["--floor"] if floor else [])
    done = subprocess.run([sys.executable, __file__, *flags, *pytest_args], capture_output=True, text=True)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"the {'floor' if floor else 'suite'} run printed no result:\n{done.stdout}\n{done.stderr}")


def main(argv: list) -> int:
    if argv[:1] == ["--measure"]:
        floor = argv[1:2] == ["--floor"]
        print(json.dumps(measure(floor, argv[2 if floor else 1:])))
        return 0
    suite = measure_in_fresh_process(False, argv)
    floor = measure_in_fresh_process(True, argv)
    wall = suite["wall"]
    work = suite.get("candidate", 0.0) + suite.get("oracles", 0.0)
    overhead = wall - work
    above_floor = overhead - floor["wall"]
    label = f"reference {' '.join(argv)}".strip()
    items = ", ".join(f"{int(suite[key])} {key[6:]}" for key in sorted(suite) if key.startswith("items "))
    print(f"items: {items}; inputs built: {int(suite.get('examples', 0))} (floor: {int(floor.get('examples', 0))} "
          "drawn, none built)\n")
    print("| suite | wall s | candidate s | oracles s | overhead s (of which recorded calls) | overhead share "
          "| floor s | overhead above floor |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {label} | {wall:.1f} | {suite.get('candidate', 0):.1f} | {suite.get('oracles', 0):.1f} | "
          f"{overhead:.1f} ({suite.get('recorders', 0):.1f}) | {100 * overhead / wall:.0f} % | "
          f"{floor['wall']:.1f} | {above_floor:.1f} s ({100 * above_floor / wall:.0f} %) |")
    print(f"\nfloor (same draws, empty bodies) alone would be {100 * floor['wall'] / (floor['wall'] + work):.0f} % "
          f"of a suite that did this run's work with no other overhead")
    print(f"goal: under 60 s ({'met' if wall < 60 else 'NOT met'}), overhead under 35 % "
          f"({'met' if overhead / wall < 0.35 else 'NOT met'})")
    if suite["code"] != 0 or floor["code"] != 0:
        print(f"pytest exit codes: suite {suite['code']}, floor {floor['code']}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
