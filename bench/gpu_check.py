"""The CUDA columns, prepared for the day a GPU is lent: every row, and the speed against cuDNN.

On CUDA, for three implementations: the bundled reference (``--rnn-mode lstm``), a module that
delegates to torch.nn.LSTM and so to cuDNN (``examples/kernels/cudnn_lstm.py``, with
``--rnn-allow-builtin``: the ratio's floor) and a ``torch.compile``-d step
(``examples/kernels/compiled_lstm.py``); in float16, bfloat16, float32 with TF32 off and on
(``torch.backends.cuda.matmul.allow_tf32`` and ``torch.backends.cudnn.allow_tf32``, set by a one-line
plugin before the run) and float64. Each run is ``pytest --rnn-impl ... --rnn-device cuda --rnn-dtype D
--rnn-benchmark``; the table gives the rows' statuses and the median ratio of the implementation's time
to torch.nn's (cuDNN) from the JSON report's ``benchmark``, and is appended to bench/BENCHMARKS.md
with the date and the device. Without a GPU it says so in one line and exits 0. ``--device cpu``
runs the same commands on the CPU (ratios to torch.nn's CPU kernels): a dry run of this script itself.

    python bench/gpu_check.py [--no-record] [--device cpu] [extra pytest args]
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
IMPLEMENTATIONS = (
    ("reference", ("reference", "--rnn-mode", "lstm")),
    ("module delegating to cuDNN", ("examples/kernels/cudnn_lstm.py:CudnnLSTM", "--rnn-allow-builtin")),
    ("torch.compile'd step", ("examples/kernels/compiled_lstm.py:lstm_forward",)),
)
#: (label, --rnn-dtype, TF32 on, off or left as torch sets it)
PRECISIONS = (("float16", "float16", None), ("bfloat16", "bfloat16", None), ("float32, TF32 off", "float32", False),
              ("float32, TF32 on", "float32", True), ("float64", "float64", None))
TF32_PLUGIN = """import torch

def pytest_configure(config):
    torch.backends.cuda.matmul.allow_tf32 = {on}
    torch.backends.cudnn.allow_tf32 = {on}
"""


def run(target: tuple, device: str, dtype: str, tf32, scratch: Path, extra: list) -> dict:
    """One suite run: its report (or why there is none)."""
    report = scratch / "report.json"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rnn-impl", *target,
               "--rnn-device", device, "--rnn-dtype", dtype, "--rnn-benchmark", "--rnn-report", str(report), *extra]
    if tf32 is not None:
        (scratch / f"tf32_{tf32}.py").write_text(TF32_PLUGIN.format(on=tf32))
        command += ["-p", f"tf32_{tf32}"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(scratch), os.environ.get("PYTHONPATH")))))
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env)
    if not report.exists():
        return {"error": (done.stdout + done.stderr).strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    return json.loads(report.read_text())


def summary(report: dict, device: str) -> tuple:
    """(statuses counted, median ratio to torch.nn on `device` or None)."""
    if "error" in report:
        return f"no report: {report['error'][0]}", None
    statuses = Counter(feature["status"] for feature in report["features"].values())
    ratios = [entry["ratio"] for entries in (report.get("benchmark") or {}).values() for entry in entries
              if entry.get("device") == device]
    counted = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    return counted, statistics.median(ratios) if ratios else None


def main() -> int:
    arguments = sys.argv[1:]
    record = "--no-record" not in arguments
    device = "cpu" if "--device" in arguments and arguments[arguments.index("--device") + 1] == "cpu" else "cuda"
    extra = [arg for k, arg in enumerate(arguments) if arg not in ("--no-record", "--device")
             and (k == 0 or arguments[k - 1] != "--device")]
    if device == "cuda" and not torch.cuda.is_available():
        print(f"no GPU: torch {torch.__version__} sees no CUDA device (torch.cuda.is_available() is False); "
              "nothing to check, exit 0")
        return 0
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU (dry run)"
    lines = [f"{'implementation':<28} {'precision':<18} {'rows':<40} ratio to torch.nn ({'cuDNN' if device == 'cuda' else 'CPU'})"]
    with tempfile.TemporaryDirectory() as scratch:
        for label, target in IMPLEMENTATIONS:
            for precision, dtype, tf32 in PRECISIONS:
                counted, ratio = summary(run(target, device, dtype, tf32, Path(scratch), extra), device)
                lines.append(f"{label:<28} {precision:<18} {counted:<40} {'-' if ratio is None else f'{ratio:.2f}x'}")
                print(lines[-1], flush=True)
    if record:
        with open(REPO / "bench" / "BENCHMARKS.md", "a") as benchmarks:
            benchmarks.write(f"\n### GPU check, {time.strftime('%Y-%m-%d')}, {name}, torch {torch.__version__}\n\n"
                             f"`python bench/gpu_check.py`\n\n```\n" + "\n".join(lines) + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
