"""Suite time for a torch.compile'd implementation against the same implementation run eagerly.

A kernel author's compiled step is compiled again for every guard its inputs break (a new dtype,
rank, grad mode, a size of 0 or 1, a size equal to another), so a suite that drew a new shape for
every example could spend minutes compiling. This runs the default suite, in fresh processes side by
side, on ``examples/kernels/compiled_lstm.py`` (an LSTM whose step is ``torch.compile``-d):

* ``eager``: the same file with ``TORCH_COMPILE_DISABLE=1`` (torch.compile is then the identity);
* ``compiled, first``: an empty inductor cache (every graph compiled from scratch);
* ``compiled, again``: the same cache (what a CI job with a kept cache, or the second run, costs);

each with ``dynamic=True`` as written, and with plain ``@torch.compile`` (automatic dynamic shapes),
and counts how many times the step was compiled (dynamo's recompilation log). Wall and CPU time
both: on a shared machine the wall time is mostly waiting. Goal (issue 23): compiled at most 3x
eager after its first compile.

    python bench/compile_speed.py [extra pytest args]
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "kernels" / "compiled_lstm.py"
GOAL = 3.0


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def suite(target: Path, env: dict, extra: list, log: Path) -> tuple:
    """(wall seconds, CPU seconds, compilations of the step when compiled, pytest's last line) of one
    default run in a fresh process (CPU time too: on a shared machine the wall time is mostly waiting)."""
    start, cpu = time.perf_counter(), _cpu_of_children()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rnn-impl",
                           f"{target}:lstm_forward", *extra], cwd=REPO, capture_output=True, text=True,
                          env=dict(env, TORCH_LOGS="recompiles", TORCH_LOGS_OUT=str(log)))
    seconds, cpu = time.perf_counter() - start, _cpu_of_children() - cpu
    # dynamo's log goes to a file: the plugin captures what the implementation prints during a call
    recompiled = log.read_text().count("Recompiling function lstm_step") if log.exists() else 0
    compilations = 1 + recompiled  # the first compilation logs nothing
    last = [line for line in done.stdout.splitlines() if " in " in line and ("passed" in line or "failed" in line)]
    return seconds, cpu, compilations, (last[-1].strip("= ") if last else f"exit {done.returncode}")


def main() -> None:
    extra = sys.argv[1:]
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch, "compiled_lstm_plain.py")
        plain.write_text(EXAMPLE.read_text().replace("@torch.compile(dynamic=True)", "@torch.compile"))
        base = dict(os.environ)
        eager_s, eager_cpu, _, eager_line = suite(EXAMPLE, dict(base, TORCH_COMPILE_DISABLE="1"), extra,
                                                  Path(scratch, "eager.log"))
        print(f"{'eager':<36} wall {eager_s:6.1f} s  CPU {eager_cpu:6.1f} s                  {eager_line}")
        for label, target in (("dynamic=True", EXAMPLE), ("@torch.compile (automatic dynamic)", plain)):
            env = dict(base, TORCHINDUCTOR_CACHE_DIR=str(Path(scratch, f"inductor-{target.stem}")))
            for run in ("first", "again"):
                seconds, cpu, compilations, line = suite(target, env, extra, Path(scratch, f"{target.stem}-{run}.log"))
                print(f"{label + ', ' + run:<36} wall {seconds:6.1f} s  CPU {cpu:6.1f} s = {cpu / eager_cpu:4.1f}x eager  "
                      f"step compiled {compilations}x  {line}")
                if run == "again":
                    print(f"{'':<36} goal, CPU time compiled <= {GOAL:g}x eager after its first compile: "
                          f"{'met' if cpu / eager_cpu <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
