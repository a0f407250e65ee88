"""A pytest plugin the grader loads into each submission's run (``-p ...grading.sentinel``).

Why: the exit status alone cannot tell a finished run from one the submission cut short: code
that calls ``os._exit(0)`` mid-suite leaves status 0 and a report with only the verdicts reached.
This plugin writes a marker file (path in ``$RNNCONFORMANCE_SENTINEL``, removed from the environment on import) after every other
plugin's session-finish hook, i.e. after the report's final write; without the marker the grader
treats the run as crashed and every feature it never reached as an error.
"""
from __future__ import annotations

import os

import pytest

ENV = "RNNCONFORMANCE_SENTINEL"
#: Taken out of the environment before the submission is imported, so it cannot see the path.
_PATH = os.environ.pop(ENV, None)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _PATH and not hasattr(session.config, "workerinput"):
        with open(_PATH, "w") as handle:
            handle.write(str(int(exitstatus)))
