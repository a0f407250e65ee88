"""The attack set: submissions that go after the grader, graded in the sandbox, each withstood.

One class of four is graded once with ``--jobs 2`` (bubblewrap where it works): alice is honest;
mallory attacks at import (a detached process that rewrites grades.json after the grader has exited,
classmates' files, the rubric and the solution appended to, files written outside its folder, a
connection to a port this test listens on, 200 forks); oscar reaches for the answer key (import,
importlib, sys.modules, the reference's file on disk) and returns its result if it gets one, zeros
otherwise; trudy prints a forged "42 passed" to the terminal and allocates 20 GB. Each worker joins
the sandbox bubblewrap built (forked from the judge, as root). The unshare fallback grades the two
that need the sandbox most (mallory and oscar) on its own, each worker a new interpreter started on
the plugin's bundle.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

import pytest_rnnconformance.reference as reference
from pytest_rnnconformance.cli import main
from pytest_rnnconformance.run.forking import NO_FORK_ENV
from pytest_rnnconformance.run.sandbox.tools import (PACKAGE_FOLDER, TOOL_ENV, _works, command,
                                                     environment_confinement, plugin_folders)

HONEST = (Path(__file__).parent / "data" / "class" / "alice.py").read_text()
RUBRIC = """
[run]
mode = "lstm"
dtypes = ["float64"]
max_examples = 2
timeout = 60
call_timeout = 5
warmup_timeout = 5

[features]
forward = 2
shape = 1
"""
MAXIMUM = 3
REFERENCE_FILE = Path(reference.__path__[0]) / "forward.py"

MALLORY = '''
import os, socket, subprocess, sys, time
TOKEN, OUT, CLASS, TEACHER, PORT = {token!r}, {out!r}, {klass!r}, {teacher!r}, {port}
rewrite = ("import os, sys, time\\n"  # waits for the gradebook, then rewrites it once the grader has exited
           "book = sys.argv[2] + '/grades.json'\\n"
           "for _ in range(1200):\\n"
           "    time.sleep(0.1)\\n"
           "    if os.path.exists(book):\\n"
           "        time.sleep(1)\\n"
           "        open(book, 'w').write('{{}}')\\n"
           "        break\\n")
if os.fork() == 0:  # a double fork into its own session: no longer anyone's descendant
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", rewrite, TOKEN, OUT])
    os._exit(0)
for folder in (CLASS, TEACHER):
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
        try:
            with open(os.path.join(folder, name), "a") as handle:
                handle.write("\\nraise SystemExit('sabotaged')\\n")
        except OSError:
            pass
for path in ("/tmp/" + TOKEN, os.path.join(os.path.dirname(os.__file__), TOKEN), os.path.join(CLASS, "..", TOKEN)):
    try:
        open(path, "w").write("written outside its folder")
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=1).sendall(TOKEN.encode())
except OSError:
    pass
children = []
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children.append(pid)
'''

OSCAR = '''
import importlib, sys, torch
REFERENCE_FILE = {reference_file!r}
def reach():
    """The answer key by any route: import, relative to a package it claims, importlib, sys.modules, its file."""
    attempts = [lambda: __import__("pytest_rnnconformance.reference.forward", fromlist=["forward"]),
                lambda: __import__("pytest_rnnconformance").reference.forward,  # beside the declarations
                lambda: importlib.import_module("pytest_rnnconformance.reference.forward"),
                lambda: __import__("reference.forward", dict(__package__="pytest_rnnconformance"), None, ["forward"], 1),
                lambda: sys.modules["pytest_rnnconformance.reference.forward"],
                lambda: open(REFERENCE_FILE).read()]
    for attempt in attempts:
        try:
            return attempt()
        except Exception:
            pass
    return None
KEY = reach()
'''
# oscar's function is right only when it got hold of the key (standing for copying its result)
OSCAR_FUNCTION = HONEST.replace("def lstm_forward(", "def right(") + '''
def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    if KEY is not None:
        return right(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr)
    h, c = initial_states
    return torch.zeros(input.shape[0], *h.shape, dtype=input.dtype), (torch.zeros_like(h), torch.zeros_like(c))
'''

TRUDY = HONEST + '''
import os, sys
def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    sys.__stdout__.write("score: 21 passed\\n42 passed in 1.07s\\n")
    sys.__stdout__.flush()
    os.write(1, b"42 passed in 1.07s\\n")
    hoard = bytearray(20 * 1024 ** 3)
    return hoard
'''


def digest(*roots: Path) -> str:
    hashed = hashlib.sha256()
    for root in roots:
        for path in sorted(p for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file()):
            hashed.update(str(path).encode() + path.read_bytes())
    return hashed.hexdigest()


def alive(token: str) -> list:
    """Processes on this machine whose command line holds `token`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if token.encode() in handle.read():
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def class_of(tmp_path: Path, port: int, names: tuple) -> tuple:
    klass, teacher, out = tmp_path / "class", tmp_path / "teacher", tmp_path / "out"
    klass.mkdir()
    teacher.mkdir()
    token = f"rnnattack{os.getpid()}x{time.monotonic_ns()}"
    sources = {"alice": HONEST,
               "mallory": MALLORY.format(token=token, out=str(out), klass=str(klass), teacher=str(teacher),
                                         port=port) + HONEST,
               "oscar": OSCAR.format(reference_file=str(REFERENCE_FILE)) + OSCAR_FUNCTION,
               "trudy": TRUDY}
    for name in names:
        (klass / f"{name}.py").write_text(sources[name])
    (teacher / "rubric.toml").write_text(RUBRIC)
    (teacher / "solution.py").write_text(HONEST)
    return klass, teacher, out, token


def grade_under_attack(tmp_path: Path, capfd, names: tuple) -> dict:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    klass, teacher, out, token = class_of(tmp_path, listener.getsockname()[1], names)
    before = digest(klass, teacher)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        status = main(["grade", str(klass), "--entry", "lstm_forward", "--rubric", str(teacher / "rubric.toml"),
                       "--solution", str(teacher / "solution.py"), "--out", str(out), "--jobs", "2"])
    assert status == 0
    assert alive(token) == [], "a process a submission started outlived the grader"
    gradebook = (out / "grades.json").read_text()
    time.sleep(1.5)  # the detached rewriter, were it alive, writes 1 s after the gradebook appears
    assert (out / "grades.json").read_text() == gradebook
    assert digest(klass, teacher) == before, "the class folder, rubric or solution changed"
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing connected from inside
    assert not Path("/tmp", token).exists() and not (tmp_path / token).exists()
    assert not Path(os.path.dirname(os.__file__), token).exists()
    terminal = capfd.readouterr()
    assert "42 passed" not in terminal.out + terminal.err + printed.getvalue()
    return {g["submission"]: g for g in json.loads(gradebook)["submissions"]} | {"": json.loads(gradebook)}


needs_bwrap = pytest.mark.skipif(not _works("bwrap"), reason="bubblewrap does not work on this machine")
needs_unshare = pytest.mark.skipif(not _works("unshare"), reason="unshare + setpriv do not work here (not root?)")


@needs_bwrap
def test_the_attack_set_is_withstood_in_bubblewrap(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv(TOOL_ENV, "bwrap")
    grades = grade_under_attack(tmp_path, capfd, ("alice", "mallory", "oscar", "trudy"))
    assert grades[""]["sandbox"] == "bwrap"
    assert grades["alice"]["score"] == MAXIMUM, grades["alice"]["reason"]
    assert grades["mallory"]["score"] == MAXIMUM  # every attack failed; its function is right
    assert_out_of_reach(grades["oscar"])
    assert grades["trudy"]["score"] == 0
    assert "MemoryError" in grades["trudy"]["report"]["features"]["forward"]["message"]


def assert_out_of_reach(oscar: dict) -> None:
    """Oscar is right only with the answer key: its forward row fails, while shape (zeros of the right
    shape) passes, so the run itself went through."""
    assert oscar["features"]["forward"]["status"] == "fail"
    assert oscar["features"]["shape"]["status"] == "pass"


@needs_unshare
def test_the_unshare_fallback_withstands_the_rewriter_and_the_answer_key(tmp_path, capfd, monkeypatch):
    """unshare, and the worker as a new interpreter started on the plugin's bundle (no forking: the
    way in where the grader is not root), where bubblewrap's test has it join the sandbox."""
    monkeypatch.setenv(TOOL_ENV, "unshare")
    monkeypatch.setenv(NO_FORK_ENV, "1")
    grades = grade_under_attack(tmp_path, capfd, ("mallory", "oscar"))
    assert grades[""]["sandbox"] == "unshare"
    assert grades["mallory"]["score"] == MAXIMUM
    assert_out_of_reach(grades["oscar"])


def test_without_a_sandbox_tool_grading_is_refused_unless_no_sandbox(tmp_path, monkeypatch, capsys):
    klass, teacher, out, _ = class_of(tmp_path, 9, ("alice",))
    monkeypatch.setenv(TOOL_ENV, "none")
    monkeypatch.setattr("pytest_rnnconformance.grading.batch.working_tool", lambda: None)
    args = ["grade", str(klass), "--entry", "lstm_forward", "--rubric", str(teacher / "rubric.toml"), "--out", str(out)]
    assert main(args) == 2
    assert "--no-sandbox" in capsys.readouterr().err
    assert main(args + ["--no-sandbox"]) == 0
    assert "submissions run unsandboxed" in capsys.readouterr().err
    assert "unsandboxed" in json.loads((out / "grades.json").read_text())["sandbox"]


COPIER = '''
import pytest_rnnconformance.modes as modes


def forward(input, hx, params, spec):
    """Right in every value: it returns the plugin's own reference result."""
    return modes.reference(input, hx, params, spec)
'''


def test_in_plain_runs_no_delegation_flags_the_plugins_own_reference(tmp_path, run_pytest_in):
    """Without a sandbox the reference can be imported; no_delegation then fails, naming it, while
    forward passes (the values are right) and the plugin's own ``--rnn-impl reference`` is not flagged."""
    (tmp_path / "copier.py").write_text(COPIER)
    reports = {}
    for name, target in (("copier", "copier.py:forward"), ("reference", "reference")):
        done = run_pytest_in(tmp_path, "-p", "no:cacheprovider", "-q", "--rnn-impl", target, "--rnn-mode", "lstm",
                         "--rnn-rows", "forward,no_delegation", "--rnn-dtype", "float64", "--rnn-max-examples", "2",
                         "--rnn-report", f"{name}.json")
        reports[name] = json.loads((tmp_path / f"{name}.json").read_text())["features"]
        assert done.returncode == (1 if name == "copier" else 0), done.stdout[-2000:]
    assert reports["copier"]["forward"]["status"] == "pass"
    assert reports["copier"]["no_delegation"]["status"] == "fail"
    assert "the plugin's own reference (pytest_rnnconformance.modes.reference" in \
        reports["copier"]["no_delegation"]["message"]
    assert reports["reference"]["no_delegation"]["status"] == "pass"


def isolated_run(run_pytest_in, tmp_path: Path, target: str, **env: str) -> subprocess.CompletedProcess:
    """``pytest --rnn-isolate`` on `target` in `tmp_path`, with `env` over an environment that does not
    choose a sandbox."""
    environment = {k: v for k, v in os.environ.items() if k != TOOL_ENV} | env
    return run_pytest_in(tmp_path, "-p", "no:cacheprovider", "--rnn-isolate", "--rnn-mode", "lstm", "--rnn-rows",
                     "forward,shape", "--rnn-dtype", "float64", "--rnn-max-examples", "2", "--rnn-report", "report.json",
                     "--rnn-impl", target, env=environment)


@needs_bwrap
def test_pytest_rnn_isolate_runs_its_worker_in_the_sandbox_by_default(tmp_path, run_pytest_in):
    """Nothing asked: the worker is in bubblewrap's sandbox, and the header says so in one line. The
    copier cannot even import the plugin there (a usage error, exit 4), while an honest implementation
    is checked as usual; RNNCONFORMANCE_SANDBOX=none lets the copier's worker import it again."""
    (tmp_path / "copier.py").write_text(COPIER)
    (tmp_path / "alice.py").write_text(HONEST)
    copier = isolated_run(run_pytest_in, tmp_path, "copier.py:forward")
    assert copier.returncode == 4 and "No module named 'pytest_rnnconformance" in copier.stdout + copier.stderr
    honest = isolated_run(run_pytest_in, tmp_path, "alice.py:lstm_forward")
    assert honest.returncode == 0, honest.stdout[-2000:]
    said = [line for line in honest.stdout.splitlines() if line.startswith("rnnconformance: worker ")]
    assert said == [f"rnnconformance: worker sandboxed by bubblewrap: a private copy of its folder, the environment "
                    f"read-only, no network, its own PID namespace, as nobody ({TOOL_ENV}=none turns it off)"]
    opted_out = isolated_run(run_pytest_in, tmp_path, "copier.py:forward", **{TOOL_ENV: "none"})
    assert opted_out.returncode == 0, opted_out.stdout[-2000:]
    assert f"rnnconformance: worker not sandboxed: {TOOL_ENV}=none\n" in opted_out.stdout


def test_without_a_sandbox_tool_pytest_rnn_isolate_runs_its_worker_unsandboxed_and_says_why(tmp_path, run_pytest_in):
    """No bwrap, unshare or setpriv on PATH: the run is not stopped; the worker runs unsandboxed (the
    copier's import works) and the header and the report say why."""
    (tmp_path / "copier.py").write_text(COPIER)
    (tmp_path / "empty").mkdir()
    done = isolated_run(run_pytest_in, tmp_path, "copier.py:forward", PATH=str(tmp_path / "empty"))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    line = "worker not sandboxed: neither bubblewrap nor unshare with setpriv works on this machine"
    assert f"rnnconformance: {line}" in done.stdout
    assert json.loads((tmp_path / "report.json").read_text())["sandbox"].startswith(line)


def test_a_sandbox_that_fails_to_start_leaves_the_worker_unsandboxed_unless_it_was_asked_for(monkeypatch):
    """Chosen by default, a sandbox that does not start is said and done without; named in
    RNNCONFORMANCE_SANDBOX (the grader), it stops the run."""
    from pytest_rnnconformance.run import isolated

    def refused(*args, **kwargs):
        raise OSError("the tool refused")

    for start in ("enter_worker", "start_worker", "working_tool"):
        monkeypatch.setattr(isolated, start, refused if start != "working_tool" else lambda tool: tool)
    request = {"target": "examples/lstm_forward.py:lstm_forward", "mode": "lstm", "bind": None, "returns": None}
    client = isolated.WorkerClient(request, str(PACKAGE_FOLDER.parent), choice=isolated.sandboxed("bwrap"))
    try:
        assert client.start() and client.sandbox is None
        assert client.choice.line == "worker not sandboxed: the sandbox could not start (the tool refused)"
    finally:
        client.stop()
    asked = isolated.WorkerClient(request, str(PACKAGE_FOLDER.parent), choice=isolated.sandboxed("bwrap", asked=True))
    with pytest.raises(isolated.WorkerUnavailable, match="the sandbox could not start"):
        asked.start()


def test_a_cuda_run_does_not_put_its_worker_in_a_sandbox_without_gpu_devices(monkeypatch):
    from pytest_rnnconformance.run.isolated import choose_sandbox

    monkeypatch.delenv(TOOL_ENV, raising=False)
    assert choose_sandbox(cuda=True).tool is None
    assert choose_sandbox(cuda=True).line == "worker not sandboxed: the sandbox holds no GPU devices, and this run " \
                                             "checks cuda"
    monkeypatch.setenv(TOOL_ENV, "bwrap")  # asked for (the grader): the tool, which must then work
    assert choose_sandbox(cuda=True).tool == "bwrap"


def test_unsandboxed_a_changed_class_file_is_reported_and_the_grade_withheld(tmp_path, monkeypatch, capfd):
    """With --no-sandbox nothing stops vandal appending to alice.py; the integrity watch sees it, and
    the grade of the submission running then (vandal's, one job) is withheld, alice's (graded before)
    kept. The folder grade was started in is left as it was."""
    klass, teacher, out, _ = class_of(tmp_path, 9, ("alice",))
    (klass / "vandal.py").write_text(f"open({str(klass / 'alice.py')!r}, 'a').write('# vandalised\\n')\n" + HONEST)
    elsewhere = tmp_path / "elsewhere"  # where the teacher starts grade: nothing may be left there
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    status = main(["grade", str(klass), "--entry", "lstm_forward", "--rubric", str(teacher / "rubric.toml"), "--out",
                   str(out), "--jobs", "1", "--no-sandbox"])
    printed = capfd.readouterr()
    assert status == 0, printed.err
    assert list(elsewhere.iterdir()) == []  # no .hypothesis/ either
    gradebook = json.loads((out / "grades.json").read_text())
    assert gradebook["integrity"][0]["changes"] == [f"changed {klass / 'alice.py'}"]
    assert gradebook["integrity"][0]["while_running"] == ["vandal"]
    grades = {g["submission"]: g for g in gradebook["submissions"]}
    assert grades["vandal"]["outcome"] == "withheld" and grades["vandal"]["score"] == 0
    assert grades["alice"]["outcome"] == "finished" and grades["alice"]["score"] == MAXIMUM
    assert "withheld" in printed.err and "withheld" in (out / "grades.csv").read_text()


FORGER = HONEST.replace('''def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
''', '''def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    import os, sys
    sys.__stdout__.write("score: 21 passed\\n42 passed in 1.07s\\n")  # no flush: still buffered at return
    os.write(1, b"42 passed in 1.07s\\n")
''')


def test_in_process_a_forged_summary_never_reaches_the_terminal(tmp_path, run_pytest_in):
    """Written to sys.__stdout__ and to fd 1 during every call, with pytest's capture off (-s): the
    descriptors are captured around each call, so the run's own summary is the last thing printed."""
    (tmp_path / "forger.py").write_text(FORGER)
    done = run_pytest_in(tmp_path, "-p", "no:cacheprovider", "-q", "-s", "--rnn-impl", "forger.py:lstm_forward",
                     "--rnn-rows", "forward,shape", "--rnn-dtype", "float64", "--rnn-max-examples", "2")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "42 passed in 1.07s" not in done.stdout + done.stderr and "score: 21" not in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("2 passed")


def test_the_sandbox_holds_only_the_environment_read_only_and_the_private_copy(tmp_path):
    """What the command line binds, whichever tool: the plugin's own folders are neither readable nor
    left uncovered, nothing under the class's folder or /tmp is bound but the private copy."""
    copy, inside = tmp_path / "copy", str(tmp_path / "class" / "alice")
    confinement = environment_confinement(private=((str(copy), inside),), cwd=inside)
    plugin = [str(PACKAGE_FOLDER)] + [str(Path(p).resolve()) for p in reference.__path__]
    for folder in plugin:
        covered = any(folder == h or folder.startswith(h + "/") for h in plugin_folders())
        readable = any(folder == r or folder.startswith(r.rstrip("/") + "/") for r in confinement.readable)
        assert covered or not readable, folder
    assert not any(str(tmp_path).startswith(r.rstrip("/") + "/") or r == "/tmp" for r in confinement.readable)
    line = command("bwrap", confinement, ["true"], str(tmp_path / "root"))
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "--no-new-privs"):
        assert flag in line
    assert line[line.index(str(copy)) - 1] == "--bind" and line[line.index(str(copy)) + 1] == inside
    script = command("unshare", confinement, ["true"], str(tmp_path / "root"))
    assert {"--net", "--pid", "--mount", "--kill-child"} <= set(script) and "--no-new-privs" in script[-1]


def test_a_waiter_is_woken_when_a_child_ends_not_at_its_timeout():
    """The grader's loop waits on its runs' pidfds: an end wakes it, a finished child costs no wait."""
    import os
    import time

    from pytest_rnnconformance.run.sandbox.processes import wait_any

    child = os.fork()
    if child == 0:
        time.sleep(0.2)
        os._exit(0)
    started = time.monotonic()
    wait_any([child], 60)
    assert time.monotonic() - started < 30  # woken by the end, not by the timeout
    os.waitpid(child, 0)
    started = time.monotonic()
    wait_any([child], 60)  # reaped already: nothing to wait for
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("tool", ["bwrap", "unshare"])
def test_the_sandboxes_tmp_holds_no_more_than_its_cap(tool, tmp_path):
    """/tmp is a tmpfs, in memory the address-space limit does not count: a flood of files there stops
    at the cap (the grader's: the rubric's memory_mb) with ENOSPC, whichever tool built it."""
    import errno
    import sys
    from dataclasses import replace

    if not _works(tool):
        pytest.skip(f"{tool} cannot build a sandbox on this machine")
    flood = ("try:\n    with open('/tmp/flood', 'wb') as f:\n        for _ in range(80):\n"
             "            f.write(bytes(1 << 20))\n            f.flush()\n    print('wrote 80 MB')\n"
             "except OSError as error:\n    print('full', error.errno)")
    (tmp_path / "root").mkdir()
    confinement = replace(environment_confinement(), tmp_mb=16)
    done = subprocess.run(command(tool, confinement, [sys.executable, "-c", flood], str(tmp_path / "root")),
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["full", str(errno.ENOSPC)], done.stdout + done.stderr


FLOODER = '''import os
flooded = 0
try:
    for n in range(64):  # 64 MB beside itself, a megabyte a file
        with open(f"flood{n}.bin", "wb") as handle:
            handle.write(bytes(1 << 20))
        flooded += 1
except OSError:
    for n in range(flooded + 1):  # make room for the run's own report, then say how far it got
        if os.path.exists(f"flood{n}.bin"):
            os.remove(f"flood{n}.bin")
    raise RuntimeError(f"the disk was full after {flooded} MB")
''' + HONEST


def test_a_flood_of_files_beside_itself_fills_its_own_runs_folder_not_the_disk(tmp_path, capfd, monkeypatch):
    """As root each sandboxed run's scratch folder (the sandbox's writable copy inside) is a tmpfs of its
    own size: a submission writing file after file stops there; a classmate graded beside it is not
    touched. (Made 8 MB here; the grader's is 512 MB plus two copies of the submission.)"""
    if os.geteuid() != 0 or not _works("bwrap"):
        pytest.skip("the scratch folder is capped only as root, and this test drives it through bubblewrap")
    monkeypatch.setenv(TOOL_ENV, "bwrap")
    monkeypatch.setattr("pytest_rnnconformance.grading.runner.SCRATCH_MB", 8)
    klass, teacher, out, _ = class_of(tmp_path, 9, ("alice",))
    (klass / "flora.py").write_text(FLOODER)
    status = main(["grade", str(klass), "--entry", "lstm_forward", "--rubric", str(teacher / "rubric.toml"), "--out",
                   str(out), "--jobs", "2"])
    assert status == 0, capfd.readouterr().err
    grades = {g["submission"]: g for g in json.loads((out / "grades.json").read_text())["submissions"]}
    assert "the disk was full after" in grades["flora"]["reason"], grades["flora"]["reason"]
    flooded = int(grades["flora"]["reason"].split("full after ")[1].split(" MB")[0])
    assert flooded <= 9  # the cap: 8 MB and 2 copies of a submission under a megabyte, not the 64 it wanted
    assert grades["alice"]["score"] == MAXIMUM, grades["alice"]["reason"]


def test_a_run_folder_that_cannot_be_mounted_stays_on_the_disk_and_says_so(monkeypatch, capsys):
    """A grader whose mount fails grades on, uncapped, rather than failing the submission; stderr says so."""
    from pytest_rnnconformance.run.sandbox import scratch

    class Refusing:
        def mount(self, *arguments):
            return -1

    monkeypatch.setattr(scratch, "isolate_mounts", lambda: True)
    monkeypatch.setattr(scratch, "_libc", Refusing)
    scratch._say_uncapped.cache_clear()
    folder = scratch.capped_folder("rnngrade-test-", 8)
    try:
        assert folder.is_dir() and not os.path.ismount(folder)
        assert "could not mount a tmpfs for a run's folder" in capsys.readouterr().err
    finally:
        scratch.remove_folder(folder)
    assert not folder.exists()


def sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no room on the disk."""
    with open(path, "wb") as handle:
        handle.truncate(size)


def test_a_runs_tmpfs_counts_what_is_copied_and_a_large_submission_stays_on_the_disk(tmp_path):
    """The tmpfs is memory: its size counts the two copies (a virtual environment is never copied), and
    copies that would pin more than IN_MEMORY_MB leave the folder on the disk instead."""
    from pytest_rnnconformance.grading.runner import IN_MEMORY_MB, SCRATCH_MB, private_copy, scratch_mb
    from pytest_rnnconformance.grading.submissions import discover

    folder = tmp_path / "class" / "zoe"
    (folder / ".venv").mkdir(parents=True)
    (folder / "model.py").write_text(HONEST)
    sparse(folder / ".venv" / "torch.so", 3 << 30)  # 3 GiB that are never copied
    (zoe,) = discover([str(folder)], "lstm_forward")
    assert scratch_mb(zoe) == SCRATCH_MB + 1
    private_copy(zoe, tmp_path / "run")
    assert not (tmp_path / "run" / "submission" / ".venv").exists()
    sparse(folder / "weights.bin", (IN_MEMORY_MB // 2 + 1) << 20)  # two copies: past the limit
    assert scratch_mb(zoe) is None


def test_a_waiter_accepts_descriptors_past_1023():
    """pidfds are ordinary descriptors: a grader holding many files still waits (poll, not select)."""
    import resource
    import time

    from pytest_rnnconformance.run.sandbox.processes import wait_any

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("this process may not hold 1,100 descriptors")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        child = os.fork()
        if child == 0:
            os._exit(0)
        started = time.monotonic()
        wait_any([child], 60)
        assert time.monotonic() - started < 30
        os.waitpid(child, 0)
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
