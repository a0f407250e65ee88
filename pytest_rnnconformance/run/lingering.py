"""What a call leaves running after it returns: threads and child processes, and what they do next.

A thread or process an implementation starts and leaves running can go on computing after its
results were read, even write to the tensors it returned (a fused kernel's "asynchronous" epilogue
done wrong): the values judged are then not the values a caller would get. So every call records
the threads and child processes it started that are still alive when it returns (the ``purity``
row reports them), torch's own excepted (inductor's compile workers, see `origin`). When something
is left running, the results are copied at once, the leftovers are given a short while to settle,
and results that changed in that while are reported too. This runs where the implementation runs,
in this process or in the isolated worker, so both modes see the same.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Iterator

import torch

from .origin import is_torchs, requesting_module

#: How long leftovers may run before the results are compared with their copies.
SETTLE_SECONDS = 0.2
#: The module that started each thread still referenced, noted when it started (see `_note_origin`).
STARTED_BY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_START = threading.Thread.start


def _note_origin(thread: threading.Thread) -> None:
    """``Thread.start``, noting which module asked for the thread (a ThreadPoolExecutor's workers run
    the standard library's code: only the code that submitted work tells whose they are)."""
    STARTED_BY[thread] = requesting_module(sys._getframe(1))
    _START(thread)


def _child_processes() -> set:
    """The pids of this process's children (Linux; elsewhere none are seen). Read twice around every
    call of the implementation, so plain `os` calls: pathlib's glob cost 8 % of a whole matrix."""
    children: set = set()
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError), open(f"/proc/self/task/{task}/children") as listing:
                children.update(int(pid) for pid in listing.read().split())
    return children


def _running(pid: int) -> bool:
    """Alive, not a zombie waiting to be reaped (the state after the command name in /proc/PID/stat)."""
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    return False


def _command_line(pid: int) -> str:
    """Its command line; its command name while the command line is not readable yet (just started)."""
    with contextlib.suppress(OSError):
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        return command or Path(f"/proc/{pid}/comm").read_text().strip()
    return ""


def _torchs_process(command: str) -> bool:
    """A child running torch's own code (inductor's compile worker pool)."""
    return "/torch/" in command or " -m torch." in command


class Leftovers:
    """Threads and processes started during one call (`still_running`), as `left_running` finds them."""

    def __init__(self) -> None:
        self.threads_before = set(threading.enumerate())
        self.processes_before = _child_processes()
        self.threads: list = []
        self.processes: list = []

    def collect(self) -> None:
        self.threads = [thread for thread in threading.enumerate()
                        if thread not in self.threads_before and thread.is_alive()
                        and not is_torchs(STARTED_BY.get(thread, ""))]
        commands = {pid: _command_line(pid) for pid in _child_processes() - self.processes_before if _running(pid)}
        self.processes = [f"{pid}: {command[:80]}" for pid, command in commands.items() if not _torchs_process(command)]

    def still_running(self) -> list:
        return ([f"a thread it started ({thread.name}) is still running" for thread in self.threads]
                + [f"a process it started ({process}) is still running" for process in self.processes])

    def changed_results(self, returned: Any) -> list:
        """After leftovers had `SETTLE_SECONDS` to run: did the returned tensors change?"""
        if not (self.threads or self.processes):
            return []
        tensors = [t for t in _tensors_in(returned) if t.device.type != "meta"]
        copies = [t.detach().clone() for t in tensors]
        deadline = time.monotonic() + SETTLE_SECONDS
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        time.sleep(max(0.0, deadline - time.monotonic()))
        if all(torch.equal(t.detach().nan_to_num(), copy.nan_to_num()) for t, copy in zip(tensors, copies)):
            return []
        return ["its results changed after it returned (what it left running wrote to them)"]


def _tensors_in(value: Any) -> list:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors_in(item)]
    return []


@contextlib.contextmanager
def left_running() -> Iterator[Leftovers]:
    """Around one call: afterwards, the `Leftovers` it started (torch's own excepted)."""
    if threading.Thread.start is _START:
        threading.Thread.start = _note_origin  # once per process, before any call starts a thread
    leftovers = Leftovers()
    try:
        yield leftovers
    finally:
        leftovers.collect()
