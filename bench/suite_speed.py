"""Wall time of the whole default suite on the bundled reference, and where it goes.

Runs ``pytest --rnn-impl reference`` in this process with timers wrapped around the two places
the suite spends its real work: calling the implementation (the candidate) and computing the
oracles (torch.nn, the float64 reference and its rounding-sensitivity run). The rest is overhead:
hypothesis, building inputs, comparing, diagnosing, pytest itself.

    python bench/suite_speed.py [--isolate] [extra pytest args]

Goal (issue 3): the whole default suite under 60 s here, overhead under 35 %.
"""
from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict

import pytest

import pytest_rnnconformance.check as check
import pytest_rnnconformance.properties as properties

SPENT: dict = defaultdict(float)


def timed(label: str, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - start

    return wrapper


def main(argv: list) -> int:
    check.call_candidate = timed("candidate", check.call_candidate)
    check.compute_expected = timed("oracles", check.compute_expected)
    properties.compute_expected = timed("oracles", properties.compute_expected)
    properties.oracle_gradients = timed("oracles", properties.oracle_gradients)
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        code = pytest.main(["-q", "-p", "no:cacheprovider", "--rnn-impl", "reference", "--rootdir", scratch,
                            "--rnn-report", f"{scratch}/report.json", *argv])
        wall = time.perf_counter() - start
    work = SPENT["candidate"] + SPENT["oracles"]
    overhead = wall - work
    print()
    print("| suite | wall s | candidate s | oracles s | overhead s | overhead share |")
    print("|---|---|---|---|---|---|")
    print(f"| reference {' '.join(argv)} | {wall:.1f} | {SPENT['candidate']:.1f} | {SPENT['oracles']:.1f} | "
          f"{overhead:.1f} | {100 * overhead / wall:.0f} % |")
    print(f"\ngoal: under 60 s ({'met' if wall < 60 else 'NOT met'}), overhead under 35 % "
          f"({'met' if overhead / wall < 0.35 else 'NOT met'})")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
