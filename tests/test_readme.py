"""The README says what the tests run: its commands, its sample output and its lists are checked here.

A reader copies the README, so each thing it shows is taken from it and compared with what the code
does: the main command is run as written and every line of the sample matrix must be in its output;
the failure shown is the one the README's wrong example gives; the commands of "Your code as you
wrote it" are the ones `tests/test_as_written.py` checks; the options and hooks tables list what the
plugin declares, no more and no less. (The "In your own tests" snippet is run in test_own_tests.py.)
"""
from __future__ import annotations

import re
import shlex
import shutil

from conftest import EXAMPLES, REPO, readme_blocks
from test_as_written import IDIOMS

from pytest_rnnconformance import hookspecs
from pytest_rnnconformance.options import FLAGS, OPTIONS
from pytest_rnnconformance.report.render import NO_CAUSE

README = (REPO / "README.md").read_text()


def shown_lines(block: str) -> list:
    """The lines of a sample output that are shown whole (not elided with '...'), spaces normalised."""
    return [" ".join(line.split()) for line in block.splitlines() if line.strip() and "..." not in line]


def run_as_written(pytester, run_pytest, command: str, *files: str):
    """`command` (a README line starting with ``pytest``) run in a folder laid out like the repository."""
    for name in files:
        (pytester.path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, pytester.path / name)
    args = shlex.split(command)
    assert args[0] == "pytest", command
    result = run_pytest("-p", "no:cacheprovider", *args[1:])
    return result, " ".join((result.stdout.str() + result.stderr.str()).split())


def test_the_main_command_prints_the_matrix_the_readme_shows(pytester, run_pytest):
    setup, sample = readme_blocks("Set up and run (the main command)")[:2]
    command = setup.strip().splitlines()[-1]
    assert command == "pytest --rnn-impl examples/lstm_forward.py:lstm_forward"
    result, output = run_as_written(pytester, run_pytest, command, "examples/lstm_forward.py")
    assert result.ret == 0, output
    for line in shown_lines(sample):
        assert line in output, line


def test_the_wrong_example_fails_as_the_readme_shows(pytester, run_pytest):
    command = "pytest --rnn-impl examples/wrong/lstm_gate_order.py:lstm_forward"
    assert f"`{command}`" in README
    result, output = run_as_written(pytester, run_pytest, command, "examples/wrong/lstm_gate_order.py")
    assert result.ret == 1
    blocked = readme_blocks("The rows of the matrix")[0]
    for line in shown_lines(blocked):
        assert line in output, line
    failure = readme_blocks("How a failure reads")[0]
    for line in shown_lines(failure):
        if not re.search(r"\d\.\d", line):  # the numbers depend on the draw; the words must not
            assert line in output, line
    assert any("likely cause [gate_order]" in line for line in shown_lines(failure))
    assert NO_CAUSE in readme_blocks("How a failure reads")[1]


def test_each_idiom_command_is_the_one_tested():
    section = "\n".join(readme_blocks("Your code as you wrote it"))
    commands = [shlex.split(c.replace("\\\n", " ")) for c in re.findall(r"^pytest .*?(?<!\\)$", section,
                                                                        re.MULTILINE | re.DOTALL)]
    found = {}
    for args in commands:
        options = dict(zip(args[1::2], args[2::2]))
        path, entry = options["--rnn-impl"].split(":")
        name = path.removeprefix("examples/as_written/").removesuffix(".py")
        assert (EXAMPLES / "as_written" / f"{name}.py").exists(), path
        found[name] = (entry, options.get("--rnn-bind"), options.get("--rnn-returns"))
    assert found == {name: (i.entry, i.bind, i.returns) for name, i in IDIOMS.items()}


def test_the_options_table_lists_every_option_and_nothing_else():
    table = README.split("\n## Options\n", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"^\| `(--rnn-[a-z-]+)", table, re.MULTILINE))
    assert listed == {option for option, _, _ in OPTIONS + FLAGS} - {"--rnn-benchmark-factor"}
    assert "--rnn-benchmark-factor" in table  # told with --rnn-benchmark-compare


def test_the_hooks_listed_are_the_hooks_declared():
    section = README.split("\n## Extension hooks\n", 1)[1].split("\n## ", 1)[0]
    declared = {name for name in vars(hookspecs) if name.startswith("pytest_rnnconformance_")}
    assert set(re.findall(r"`(pytest_rnnconformance_\w+)\(", section)) == declared
