"""Supervising untrusted processes: resource limits, how a process ended, killing a whole tree.

Written once for the two places that start untrusted code: the grader's run of a submission
(`grading.runner`) and the ``--rnn-isolate`` worker (`run.isolated`). The limits are set in the
child between fork and exec (``preexec_fn``), so they hold for the sandbox tool and everything it
starts; the process count (``RLIMIT_NPROC``) binds once the sandbox has dropped to its
unprivileged user (the kernel never applies it to root).
"""
from __future__ import annotations

import ctypes
import os
import resource
import select
import signal
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

FILE_LIMIT = 1 << 30
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: Where the kernel cannot wake a waiter when a process ends (no pidfds): how long it sleeps instead.
FALLBACK_SLEEP = 0.01


@dataclass(frozen=True)
class Limits:
    """What one untrusted process tree may use. None leaves a limit as it is."""

    memory_mb: Optional[int] = None  # address space of each process (RLIMIT_AS)
    cpu_seconds: Optional[int] = None  # CPU time of each process (RLIMIT_CPU; SIGXCPU, then SIGKILL 3 s later)
    file_bytes: int = FILE_LIMIT  # largest file it may write (RLIMIT_FSIZE)
    processes: Optional[int] = None  # processes and threads of its user (RLIMIT_NPROC)

    def apply(self) -> None:
        """Set the limits on the calling process (and so on all it starts); no core dumps; and it
        dies with its supervisor."""
        die_with_parent()
        if self.memory_mb is not None:
            _lower(resource.RLIMIT_AS, self.memory_mb * 1024 * 1024)
        if self.cpu_seconds is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (self.cpu_seconds, self.cpu_seconds + 3))
        _lower(resource.RLIMIT_FSIZE, self.file_bytes)
        if self.processes is not None:
            _lower(resource.RLIMIT_NPROC, self.processes)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def preexec(self) -> Callable[[], None]:
        return self.apply


def wait_any(pids: Iterable[int], timeout: Optional[float]) -> None:
    """Return once one of `pids` (this process's children, not yet reaped) has ended, or after
    `timeout` seconds, whichever is first; the caller then polls them. Why: a sleep-and-poll loop
    loses up to a period at every end, twice a run (the worker, the run); Linux's pidfds let the
    kernel wake the waiter at once. Without them (Linux before 5.3, other systems) it sleeps a
    short while, and the caller's loop polls as before."""
    descriptors: list = []
    try:
        for pid in pids:
            try:
                descriptors.append(os.pidfd_open(pid))
            except ProcessLookupError:  # ended and reaped already: nothing to wait for
                return
        if descriptors:
            waiter = select.poll()  # not select(): a descriptor past 1023 would be refused
            for descriptor in descriptors:
                waiter.register(descriptor, select.POLLIN)
            waiter.poll(None if timeout is None else max(0, int(timeout * 1000)))
    except (AttributeError, OSError):  # no os.pidfd_open, or a kernel without the call
        time.sleep(FALLBACK_SLEEP if timeout is None else max(0.0, min(timeout, FALLBACK_SLEEP)))
    finally:
        for descriptor in descriptors:
            os.close(descriptor)


def die_with_parent() -> None:
    """Have the kernel kill the calling process when the process that started it dies, even by
    SIGKILL, when it can clean up nothing (Linux's ``PR_SET_PDEATHSIG``; elsewhere nothing is done).
    A run in its own session is no one's process group: without this, a grader killed outright
    would leave its runs going, and they would write after it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request: it would never be honoured
        os._exit(1)


def _lower(which: int, value: int) -> None:
    """Soft and hard limit to `value`, never above a hard limit already set."""
    _, hard = resource.getrlimit(which)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, value))


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def exit_description(code: Optional[int]) -> str:
    """How a process ended, in words: 'killed by SIGSEGV', 'exit code 3'."""
    if code is None:
        return "no exit status"
    if code < 0:
        return f"killed by {signal_name(-code)}"
    return f"exit code {code}"


def kill_tree(pid: int) -> None:
    """SIGKILL a live (not yet reaped) process, its process group, and every descendant: a child
    that started its own session is not in the group, so the group alone would miss it."""
    for victim in [pid] + descendants(pid):
        kill_group(victim)
        try:
            os.kill(victim, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def descendants(pid: int) -> list:
    """Descendants of `pid` found through /proc (Linux); [] elsewhere."""
    children: dict = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
