"""Progress on stderr: a live line while submissions run, and one line per finished submission.

Plain text, no dependency: on a terminal the live line is redrawn in place (``\\r``); in a log
(not a terminal) only the per-submission lines are written, so CI logs stay readable. A
per-submission line is never cut: its reason is written whole, however long.
"""
from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

from .feedback import top_issue
from .record import Grade

WIDTH = 100


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


class Progress:
    def __init__(self, total: int, stream: Optional[TextIO] = None) -> None:
        self.total, self.done = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.width = len(str(total))

    def update(self, running: list) -> None:
        """Redraw the live line (at most twice a second): bar, counts, who is running, ETA."""
        now = time.monotonic()
        if not self.live or now - self.last_draw < 0.5:
            return
        self.last_draw = now
        elapsed = now - self.started
        filled = int(20 * self.done / max(1, self.total))
        eta = f", about {_clock(elapsed / self.done * (self.total - self.done))} left" if self.done else ""
        names = ", ".join(run.submission.name for run in running)
        line = f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total} {_clock(elapsed)}{eta}; running {names}"
        self.stream.write("\r" + line[:WIDTH].ljust(WIDTH))
        self.stream.flush()

    def finished(self, grade: Grade) -> None:
        self.done += 1
        if self.live:
            self.stream.write("\r" + " " * WIDTH + "\r")
        self.stream.write(f"[{self.done:>{self.width}}/{self.total}] {grade.submission:<24} "
                          f"{grade.score:g}/{grade.max_score:g}  {grade.seconds:5.1f}s  {top_issue(grade)}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r" + " " * WIDTH + "\r")
            self.stream.flush()
