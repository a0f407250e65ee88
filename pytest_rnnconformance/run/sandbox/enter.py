"""Entering a tool-built sandbox from a process that has already imported torch and the plugin.

Why: a worker started as a new interpreter inside the sandbox imports torch again, about a second
and a half of CPU for every submission: most of what grading a class costs. As root, the sandbox
can be built by the tool (bubblewrap or unshare, exactly as for a new interpreter) around a
placeholder (``sleep``), and a child forked from the judge then *joins* it: it opens the
placeholder's namespaces (``/proc/PID/ns/*``: IPC, UTS, network, PID, mount) and its root, calls
``setns`` on each, ``chroot``s into that root, forks once more (so that the worker is inside the
PID namespace) and the worker drops to nobody, without capabilities, with ``no_new_privs`` and the
limits, before it loads anything of the submission. The worker's files, network and processes are
the sandbox's; everything it starts ends with the placeholder.

The joining child (`ForkedChild`, the judge's view of the worker) stays outside the PID namespace,
waits for the worker and ends as it ended (the same exit status, or the same signal), so that
"the worker died of SIGSEGV" reads as it does unsandboxed; the worker cannot see or signal it.
"""
from __future__ import annotations

import ctypes
import os
import signal
import tempfile
import time
import traceback
from typing import Callable

from .processes import Limits, descendants
from .tools import NOBODY

NAMESPACES = ("ipc", "uts", "net", "pid", "mnt")  # the mount namespace last: /proc/PID paths are read first
PR_SET_NO_NEW_PRIVS = 38
#: The sandbox's first process, waited for until the tool has built everything around it.
PLACEHOLDER = ["sleep", "infinity"]


class EnterError(OSError):
    """The sandbox could not be joined (the message says which step)."""


def can_enter() -> bool:
    """Joining another process's namespaces needs root (CAP_SYS_ADMIN) and Linux's setns."""
    return os.geteuid() == 0 and hasattr(os, "fork") and os.path.exists("/proc/self/ns/mnt")


def placeholder_pid(tool_pid: int, timeout: float = 30.0) -> int:
    """The pid of the placeholder the tool started once it runs (the tool built the sandbox first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in descendants(tool_pid):
            try:
                if os.path.basename(os.readlink(f"/proc/{pid}/exe")) == PLACEHOLDER[0]:
                    return pid
            except OSError:
                continue
        time.sleep(0.005)
    raise EnterError(f"the sandbox's first process did not start within {timeout:g} s")


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, 0) != 0:
        error = ctypes.get_errno()
        raise EnterError(error, f"setns: {os.strerror(error)}")


def _no_new_privileges() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise EnterError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def join(pid: int, cwd: str, limits: Limits, env: dict, body: Callable[[], int]) -> int:
    """In a child forked from the judge: join the sandbox of `pid`, fork the worker into its PID
    namespace, wait for it and return (or die of) what it ended with. The worker runs `body` as
    nobody, in `cwd`, with `env` and `limits`, and never returns here."""
    root = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY)
    spaces = [os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY) for name in NAMESPACES]
    for space in spaces:
        _setns(space)
        os.close(space)
    os.fchdir(root)
    os.chroot(".")
    os.close(root)
    worker = os.fork()
    if worker == 0:
        code = 1
        try:
            os.chdir(cwd)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)  # from root to nobody: every capability is dropped
            _no_new_privileges()
            limits.apply()
            os.environ.clear()
            os.environ.update(env)
            tempfile.tempdir = None  # the judge's TMPDIR is not in the sandbox: read TMPDIR again
            code = body()
        except BaseException:  # noqa: BLE001 - the worker must never return into the judge's code
            traceback.print_exc()
        finally:
            os._exit(code if isinstance(code, int) else 1)
    _, status = os.waitpid(worker, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    return os.waitstatus_to_exitcode(status)
