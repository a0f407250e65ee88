"""Guards around every in-process call of an untrusted implementation.

* **Global torch state** (default dtype, grad mode, deterministic algorithms, threads, cuDNN flags,
  the global RNG) is snapshotted before the call and restored after it, so one implementation's
  side effects never leak into later checks; what changed is reported (the ``purity`` feature).
* **Tampering**: see `tamper`; checked after every call.
* **Time**: a per-call limit enforced with SIGALRM, which interrupts Python code; native code that
  never returns needs ``--rnn-isolate``, where the worker process is killed instead.
* **Noise**: what the implementation prints or warns is captured, kept short, and only shown when
  it helps explain an error. Capture is at the file-descriptor level too: writes to
  ``sys.__stdout__``, ``os.write(1, ...)`` or a C extension's ``printf`` land in the call's record,
  never on the terminal (a forged "42 passed" cannot follow the summary).
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Iterator, Optional

import torch

from .. import alarm

@dataclass(frozen=True)
class GlobalState:
    default_dtype: torch.dtype
    grad_enabled: bool
    deterministic: bool
    threads: int
    cudnn_enabled: bool
    cudnn_deterministic: bool
    cudnn_benchmark: bool
    rng: torch.Tensor = field(compare=False)

    @classmethod
    def capture(cls) -> GlobalState:
        return cls(torch.get_default_dtype(), torch.is_grad_enabled(), torch.are_deterministic_algorithms_enabled(),
                   torch.get_num_threads(), torch.backends.cudnn.enabled, torch.backends.cudnn.deterministic,
                   torch.backends.cudnn.benchmark, torch.random.get_rng_state())

    def differences(self, after: GlobalState) -> list:
        changed = [f"{name} ({getattr(self, name)} -> {getattr(after, name)})"
                   for name in ("default_dtype", "grad_enabled", "deterministic", "threads", "cudnn_enabled",
                                "cudnn_deterministic", "cudnn_benchmark")
                   if getattr(self, name) != getattr(after, name)]
        if not torch.equal(self.rng, after.rng):
            changed.append("the global random number generator (it drew random numbers)")
        return changed

    def restore(self) -> None:
        torch.set_default_dtype(self.default_dtype)
        torch.set_grad_enabled(self.grad_enabled)
        torch.use_deterministic_algorithms(self.deterministic)
        torch.set_num_threads(self.threads)
        torch.backends.cudnn.enabled = self.cudnn_enabled
        torch.backends.cudnn.deterministic = self.cudnn_deterministic
        torch.backends.cudnn.benchmark = self.cudnn_benchmark
        torch.random.set_rng_state(self.rng)


class CallTimeout(Exception):
    """The implementation ran past the per-call limit."""


def time_limit(seconds: Optional[float]):
    """Raise `CallTimeout` in this (main) thread after `seconds`; a no-op elsewhere or when None."""
    return alarm.time_limit(seconds, lambda: CallTimeout(f"the call took longer than {seconds:g} s (--rnn-timeout)"))


class BoundedText(io.TextIOBase):
    """A text sink that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit: int = 2000) -> None:
        self.limit, self.kept, self.total, self.lines = limit, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.total += len(text)
        self.lines += text.count("\n")
        room = self.limit - sum(len(k) for k in self.kept)
        if room > 0:
            self.kept.append(text[:room])
        return len(text)

    def summary(self) -> str:
        if not self.total:
            return ""
        shown = "".join(self.kept).rstrip()
        more = "" if self.total <= self.limit else f" ... ({self.total - self.limit} more characters)"
        return f"it printed {self.lines} line(s): {shown[:300]!r}{more}"


class _DescriptorSink:
    """One temporary file per process that fds 1 and 2 point to during a call (emptied each time);
    a forked child makes its own (sharing the parent's would share its offset)."""

    file: Optional[io.BufferedRandom] = None
    owner: int = 0

    @classmethod
    def fresh(cls) -> io.BufferedRandom:
        if cls.file is None or cls.file.closed or cls.owner != os.getpid():
            cls.file, cls.owner = tempfile.TemporaryFile(), os.getpid()
        cls.file.seek(0)
        cls.file.truncate()
        return cls.file


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


@contextlib.contextmanager
def descriptors_captured(sink: BoundedText) -> Iterator[None]:
    """Point fds 1 and 2 at a temporary file for the body, then hand what was written to `sink`.
    Buffered writes (``sys.__stdout__.write`` without a flush) are flushed before the fds go back."""
    _flush_standard_streams()
    saved = [os.dup(1), os.dup(2)]
    capture = _DescriptorSink.fresh()
    try:
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        yield
    finally:
        _flush_standard_streams()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        capture.seek(0)
        written = capture.read()
        if written:
            sink.write(written.decode(errors="replace"))


@dataclass
class CallRecord:
    """What happened around one call, besides its result (plain data: it crosses the wire)."""

    state_changes: list = field(default_factory=list)
    tampered: list = field(default_factory=list)
    mutated: list = field(default_factory=list)
    kernels: list = field(default_factory=list)  # torch's recurrent kernels reached (when recorded)
    left_running: list = field(default_factory=list)  # threads, processes and their writes after it returned
    output: str = ""
    warnings: int = 0


@contextlib.contextmanager
def guarded(watch, timeout: Optional[float]) -> Iterator[CallRecord]:
    """Run the body with captured output, a time limit, and global state restored afterwards."""
    record = CallRecord()
    before = GlobalState.capture()
    sink = BoundedText()
    try:
        with warnings.catch_warnings(record=True) as caught, descriptors_captured(sink), \
                contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), time_limit(timeout):
            warnings.simplefilter("always")
            yield record
    finally:
        after = GlobalState.capture()
        changes = before.differences(after)
        record.state_changes += changes
        if changes:
            before.restore()
        if watch is not None:
            record.tampered = watch.check_and_restore(full=False)
        record.output = sink.summary()
        record.warnings = len(caught) if "caught" in locals() else 0

