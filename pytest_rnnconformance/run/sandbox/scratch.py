"""A run's scratch folder on a file system of its own size: what a submission writes cannot fill the disk.

Why: the sandbox's private copy of a submission is writable (its code may write files beside itself),
and it lies in the run's scratch folder. On the host's disk nothing caps how many files a submission
writes there (``RLIMIT_FSIZE`` caps each one), so one submission could fill the disk the grader and
its classmates' runs write to. As root, the grader first moves itself into a mount namespace of its
own (`isolate_mounts`, so that no mount it makes is seen by the rest of the machine or outlives it),
and each run's scratch folder is then a tmpfs of `size_mb` (`capped_folder`): a flood fills only
its own run's folder, whose writes then fail (its report included, so the run is its own victim).
Elsewhere (not root, not Linux) the folder is an ordinary temporary folder, as before.
"""
from __future__ import annotations

import ctypes
import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path

CLONE_NEWNS = 0x00020000  # <sched.h>
MS_REC, MS_SLAVE = 0x4000, 0x80000  # <sys/mount.h>
MNT_DETACH = 2


def _libc():
    return ctypes.CDLL(None, use_errno=True)


@functools.lru_cache(maxsize=None)
def isolate_mounts() -> bool:
    """Move this process into a private mount namespace, once; whether it is in one (root on Linux)."""
    if os.geteuid() != 0 or not os.path.exists("/proc/self/ns/mnt"):
        return False
    libc = _libc()
    if libc.unshare(CLONE_NEWNS) != 0:
        return False
    # the host's later mounts (an automounted /home) still arrive; none of the grader's goes back
    return libc.mount(b"none", b"/", None, MS_REC | MS_SLAVE, None) == 0


def capped_folder(prefix: str, size_mb: int) -> Path:
    """A new temporary folder; a tmpfs of at most `size_mb` where the mounts are private. Where the
    mount fails, the folder stays on the disk, and stderr says so once: the run goes on, uncapped,
    rather than a submission losing its grade to the grader's machine."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if isolate_mounts():
        options = f"size={size_mb}m,mode=0700".encode()
        if _libc().mount(b"tmpfs", str(folder).encode(), b"tmpfs", 0, options) != 0:
            _say_uncapped(os.strerror(ctypes.get_errno()))
    return folder


@functools.lru_cache(maxsize=None)
def _say_uncapped(reason: str) -> None:
    """Once a process (and reason): the runs' folders stay on the disk."""
    sys.stderr.write(f"warning: could not mount a tmpfs for a run's folder ({reason}): the runs' folders stay on "
                     "the disk, where nothing caps how many files a submission writes\n")


def remove_folder(folder: Path) -> None:
    """Delete a folder `capped_folder` made (its tmpfs, when it has one, unmounted at once)."""
    if os.path.ismount(folder):
        _libc().umount2(str(folder).encode(), MNT_DETACH)
    shutil.rmtree(folder, ignore_errors=True)
