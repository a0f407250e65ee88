"""A Python that has imported torch, hypothesis, pytest and the plugin once, and forks a pytest run
per request.

Why: the plugin's own tests start about a hundred pytest runs on example implementations, and a
new interpreter spends about five seconds importing before it does anything; together that was
most of the test suite's time. A child forked from this process starts in milliseconds and is
otherwise the run a new interpreter would make: its own process and session, its own working
folder, environment, ``sys.argv`` and ``sys.path[0]``, its output in files of its own. It is the
mechanism the grader uses for submissions (`pytest_rnnconformance.forking`), so the tests also
exercise it. This process never runs a test itself: every child starts from a fresh interpreter's
state, not from whatever an earlier test left behind.

Protocol, one JSON object per line: a request ``{"args", "cwd", "env", "stdout", "stderr"}`` on
stdin is answered on stdout with ``{"pid": ...}`` as soon as the run starts and ``{"exit": ...}``
when it ends (the caller kills the process group on a timeout).
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile


def preload() -> None:
    """Import what every run imports, as the grader does before it forks its runs (``torch._dynamo``,
    which the no_delegation check pulls in, included), and freeze it out of the cyclic collector."""
    from pytest_rnnconformance.grading.rubric import parse_rubric
    from pytest_rnnconformance.grading.runner import preload as preload_like_the_grader

    importlib.import_module("pytest")  # imported by the grader's own modules; here by nothing before it
    preload_like_the_grader(parse_rubric({}))  # the default rubric checks delegation


def run_pytest(request: dict) -> int:
    """In the child: become the process ``python -m pytest ARGS`` started in `cwd` would be."""
    import pytest

    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # the environment's TMPDIR may have changed
    sys.argv = ["pytest", *request["args"]]
    sys.path[0] = os.getcwd()  # as `python -m` puts it; not this file's folder
    return int(pytest.main(request["args"]))


def serve() -> None:
    from pytest_rnnconformance.run.forking import fork_child

    preload()
    for line in sys.stdin:
        request = json.loads(line)
        with open(request["stdout"], "wb") as out, open(request["stderr"], "wb") as err:
            child = fork_child(lambda: run_pytest(request), cwd=request["cwd"], stdout_fd=out.fileno(),
                               stderr_fd=err.fileno())
        print(json.dumps({"pid": child.pid}), flush=True)
        print(json.dumps({"exit": child.wait()}), flush=True)


if __name__ == "__main__":
    serve()
