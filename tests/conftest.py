"""Shared helpers for the plugin's own tests: run the suite on an implementation, read its report."""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXAMPLES = REPO / "examples"

pytest_plugins = ["pytester"]


def _keep_bytecode() -> None:
    """Let every process the tests start keep its compiled and assertion-rewritten modules, under a
    prefix in the temporary folder (never beside the sources), even where ``PYTHONDONTWRITEBYTECODE``
    is set: the tests start a hundred pytest processes, each of which otherwise compiles the plugin's
    modules and rewrites hypothesis's again (22 s of a fresh clone's run, bench/BENCHMARKS.md). Set
    here, at import, before pytest-xdist starts its workers, which inherit it."""
    if os.environ.get("PYTHONPYCACHEPREFIX"):
        return  # the user chose where bytecode goes
    prefix = str(Path(tempfile.gettempdir()) / "rnnconformance-tests-pycache")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    sys.dont_write_bytecode, sys.pycache_prefix = False, prefix


_keep_bytecode()


def readme_blocks(section: str, language: str = r"\w*") -> list:
    """The fenced code blocks (```language, any by default) of the README section headed `section`:
    what a reader copies, so the tests run exactly that."""
    text = (REPO / "README.md").read_text()
    body = re.split(r"^##+ ", text.split(f"\n## {section}\n", 1)[1], maxsplit=1, flags=re.MULTILINE)[0] \
        if f"\n## {section}\n" in text else ""
    assert body, f"the README has no section {section!r}"
    return re.findall(rf"^```{language}\n(.*?)^```$", body, re.MULTILINE | re.DOTALL)


class SuiteRun:
    def __init__(self, result, report_path: Path) -> None:
        self.result = result
        self.report = json.loads(report_path.read_text()) if report_path.exists() else None
        self.output = result.stdout.str() + result.stderr.str()

    def status(self, feature: str) -> str:
        return self.report["features"][feature]["status"]

    def statuses(self) -> dict:
        return {name: f["status"] for name, f in self.report["features"].items()}


class PreloadedPython:
    """The client of `preloaded_pytest.py`: pytest runs forked from one preloaded interpreter."""

    def __init__(self, log: Path) -> None:
        self.log = open(log, "wb")
        self.process = subprocess.Popen([sys.executable, str(HERE / "preloaded_pytest.py")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.log, cwd=str(REPO))
        self.unread = b""  # bytes received after the last complete line

    def _reply(self, timeout: Optional[float]) -> Optional[dict]:
        """The next line, or None after `timeout` s. Read with `os.read`, never through the pipe's
        buffered reader: that could hold a second line that `select` would then never report."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.unread:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.process.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"the preloaded Python died; its log: {self.log.name}")
            self.unread += chunk
        line, self.unread = self.unread.split(b"\n", 1)
        return json.loads(line)

    def run(self, cwd: Path, args: tuple, timeout: float, env: Optional[dict] = None,
            outputs: Optional[Path] = None) -> pytest.RunResult:
        """``python -m pytest *args`` in `cwd`, as `pytester.runpytest_subprocess` would run it (in
        the environment `env`, this process's by default; its files under `outputs`, by default a
        new folder in `cwd`)."""
        outputs = outputs or Path(tempfile.mkdtemp(prefix="runpytest-", dir=cwd))
        args = (f"--basetemp={outputs / 'basetemp'}", *args)
        start = time.monotonic()
        pid = self.start(cwd, args, env, outputs)
        finished = self._reply(timeout)
        if finished is None:
            os.killpg(pid, signal.SIGKILL)
            self._reply(None)
            pytest.fail(f"pytest {' '.join(args)} took longer than {timeout} s")
        return pytest.RunResult(finished["exit"], (outputs / "stdout").read_text().splitlines(),
                                (outputs / "stderr").read_text().splitlines(), time.monotonic() - start)

    def start(self, cwd: Path, args: tuple, env: Optional[dict], outputs: Path) -> int:
        """Start ``python -m pytest *args`` in `cwd` and return its pid (its session's id, too) at
        once; `finished` waits for its exit status."""
        request = {"args": list(args), "cwd": str(cwd), "env": dict(os.environ) if env is None else env,
                   "stdout": str(outputs / "stdout"), "stderr": str(outputs / "stderr")}
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        self.process.stdin.flush()
        started = self._reply(300)  # the first request waits for the imports
        if started is None:
            raise RuntimeError(f"the preloaded Python started no run in 300 s; its log: {self.log.name}")
        return started["pid"]

    def finished(self) -> int:
        """The exit status of the run `start` began (a killed run's included)."""
        return self._reply(None)["exit"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Torch on one thread in every test process, as the plugin runs it: these tensors are tiny, and
    two xdist workers each spinning torch's intra-op threads on two cores cost more CPU than the work."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def preloaded_python(tmp_path_factory):
    """One preloaded interpreter per test process (per xdist worker), where this system can fork."""
    if not hasattr(os, "fork"):
        yield None
        return
    python = PreloadedPython(tmp_path_factory.mktemp("preloaded") / "log.txt")
    yield python
    python.close()


@pytest.fixture
def run_pytest(pytester, preloaded_python):
    """``run_pytest(*args)``: pytest in `pytester`'s folder in a process of its own, like
    `pytester.runpytest_subprocess` but forked from a preloaded interpreter (seconds faster)."""

    def run(*args: str, timeout: float = 300) -> pytest.RunResult:
        if preloaded_python is None:
            return pytester.runpytest_subprocess(*args, timeout=timeout)
        return preloaded_python.run(pytester.path, args, timeout)

    return run


@pytest.fixture
def run_pytest_in(preloaded_python, tmp_path_factory):
    """``run_pytest_in(cwd, *args, env=None)``: ``python -m pytest *args`` run in `cwd` as a process of
    its own (forked from the preloaded interpreter where it can be), as a `CompletedProcess` with text
    output, for tests that check the folder a run leaves or the environment it sees."""

    def run(cwd: Path, *args: str, env: Optional[dict] = None, timeout: float = 300) -> subprocess.CompletedProcess:
        if preloaded_python is None:
            return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=cwd, env=env, capture_output=True,
                                  text=True, timeout=timeout)
        outputs = tmp_path_factory.mktemp("pytest-in")  # outside `cwd`: the run's folder holds only what it wrote
        done = preloaded_python.run(cwd, args, timeout, env=env, outputs=outputs)
        return subprocess.CompletedProcess(args, done.ret, "\n".join(done.outlines) + "\n",
                                           "\n".join(done.errlines) + "\n")

    return run


@pytest.fixture
def run_suite(pytester, run_pytest):
    """``run_suite("examples/x.py:f", "--rnn-max-examples", "5")`` runs the suite in a process of its own."""

    def run(target: str, *args: str) -> SuiteRun:
        if ":" in target and not target.startswith(("/", "reference")) and (REPO / target.split(":")[0]).exists():
            target = str(REPO / target.split(":")[0]) + ":" + target.split(":", 1)[1]
        report = pytester.path / "report.json"
        result = run_pytest("-p", "no:cacheprovider", "--rnn-impl", target, "--rnn-report", str(report), *args)
        return SuiteRun(result, report)

    return run
