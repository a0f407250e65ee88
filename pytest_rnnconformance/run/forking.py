"""Starting a child process with ``fork()`` and no ``exec``, so that it inherits what is imported.

Why: a fresh Python spends seconds importing torch, hypothesis, pytest and this plugin before it
does anything. The grader starts one pytest per submission, and ``--rnn-isolate`` starts one
worker per run; forking from a process that has already imported all of it makes each start cost
milliseconds instead. The child gets its own session (so a whole tree can be killed), its own
standard streams and working folder, and always ends with ``os._exit``: it never returns into
the parent's code, and never runs the parent's ``atexit`` handlers.

Forking is only safe in some states, and `can_fork` says when: not once CUDA is initialised
(a forked child cannot use it) and not while other Python threads run (a lock held by one of
them would stay held in the child forever). Callers fall back to starting a new interpreter.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import traceback
from typing import Callable, Optional

from .sandbox.processes import die_with_parent, wait_any

#: Set to 1 to never fork (always start a new interpreter), e.g. to compare the two.
NO_FORK_ENV = "RNNCONFORMANCE_NO_FORK"


def can_fork() -> bool:
    """Whether a child forked now could import, compute and use CUDA as a new process would."""
    if not hasattr(os, "fork") or os.environ.get(NO_FORK_ENV) == "1":
        return False
    if threading.active_count() > 1:
        return False
    torch = sys.modules.get("torch")
    return torch is None or not torch.cuda.is_initialized()


class ForkedChild:
    """A forked child, with the part of `subprocess.Popen`'s interface its callers use."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: Optional[int] = None

    def poll(self) -> Optional[int]:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: Optional[float] = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            wait_any([self.pid], remaining)
        return self.returncode  # type: ignore[return-value]


def fork_child(body: Callable[[], int], *, cwd: str, stdout_fd: int, stderr_fd: int,
               prepare: Optional[Callable[[], None]] = None, keep_fds: tuple = ()) -> ForkedChild:
    """Run ``body()`` in a forked child and return at once; the child exits with its result.

    In the child: a new session, killed when this process dies; stdin from /dev/null, stdout and stderr onto the given file
    descriptors, every other descriptor closed but `keep_fds` (no child can write into another
    run's files) (``sys.stdout``/``sys.stderr`` rebuilt over them, so nothing reaches the parent's
    buffers or pytest's capture files); `cwd` as working folder; then `prepare` (resource limits,
    environment) and `body`. An exception is printed to the child's stderr (exit status 1).
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # or the child would write the parent's pending output a second time
        except (OSError, ValueError, AttributeError):
            pass
    pid = os.fork()
    if pid:
        return ForkedChild(pid)
    code = 1
    try:
        os.setsid()
        die_with_parent()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        _close_descriptors_except(keep_fds)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        os.chdir(cwd)
        if prepare is not None:
            prepare()
        code = body()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(int(code) & 0xFF if isinstance(code, int) else 1)


def _close_descriptors_except(keep: tuple) -> None:
    top = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096
    low = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, top)
