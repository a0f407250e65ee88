"""A time limit on code running in the main thread (SIGALRM), for the two places that need one: a
call of the implementation (`run.guard`) and a notebook cell while it loads (`bind.notebooks`).
It interrupts Python code; native code that never returns needs the isolated worker instead."""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Iterator, Optional


@contextlib.contextmanager
def time_limit(seconds: Optional[float], expired: Callable[[], BaseException]) -> Iterator[None]:
    """Raise ``expired()`` in this (main) thread after `seconds`; a no-op elsewhere, or when None."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise expired()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
