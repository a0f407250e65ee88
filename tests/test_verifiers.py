"""Ground truth that runs: every independent verifier of the examples, on every test run.

Each verifier checks a folder of examples against torch.nn with torch and numpy alone: the learner
battery, the one-defect-per-row files, the catalogue mutants, the idioms as written and their wrong
variants, the wrong examples and the reordered ones. Its exit status is its number of problems. Here
each runs as a process of its own (forked from the test's, which has imported torch) and must exit 0; none may import the plugin, or
a bug of the plugin could hide in its own ground truth; and the plugin's tests must expect the rows
and the ids the verifiers prove (test_rows reads them from its verifier; the others are compared
here).
"""
from __future__ import annotations

import ast
import importlib.util
import runpy
import subprocess
import sys

import pytest

from conftest import EXAMPLES, REPO
from pytest_rnnconformance.run.forking import can_fork, fork_child

VERIFIERS = {
    "learners": REPO / "tests" / "learners" / "_verify_learners.py",
    "rows": EXAMPLES / "rows" / "_verify_rows.py",
    "mutants": EXAMPLES / "mutants" / "_verify_mutants.py",
    "as_written": EXAMPLES / "_verify_as_written.py",
    "wrong": EXAMPLES / "wrong" / "_verify_wrong.py",
    "reordered": EXAMPLES / "reordered" / "_verify_reordered.py",
}
SHARED = EXAMPLES / "_ground_truth.py"


def verifier(name: str):
    spec = importlib.util.spec_from_file_location(f"_verify_{name}", VERIFIERS[name])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run_script(path, tmp_path) -> tuple:
    """(exit status, stdout, stderr) of ``python path`` run as its own process: forked from this one
    where that is safe (torch already imported: seconds saved a script), else a new interpreter."""
    if not can_fork():
        done = subprocess.run([sys.executable, str(path)], cwd=REPO, capture_output=True, text=True, timeout=600)
        return done.returncode, done.stdout, done.stderr
    def script() -> int:
        sys.argv, sys.path[0] = [str(path)], str(path.parent)  # as `python path` sets them
        runpy.run_path(str(path), run_name="__main__")
        return 0

    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        child = fork_child(script, cwd=str(REPO), stdout_fd=stdout.fileno(), stderr_fd=stderr.fileno())
    return child.wait(timeout=600), out.read_text(), err.read_text()


@pytest.mark.parametrize("name", sorted(VERIFIERS))
def test_every_example_gets_its_verdict_from_torch_nn(name, tmp_path):
    code, stdout, stderr = run_script(VERIFIERS[name], tmp_path)
    problems = [line for line in stdout.splitlines() if "PROBLEM" in line or "MISMATCH" in line]
    assert code == 0, "\n".join(problems) + stdout[-3000:] + stderr[-3000:]
    assert stdout.strip(), "the verifier printed nothing: it checked nothing"


@pytest.mark.parametrize("path", [*VERIFIERS.values(), SHARED], ids=[*VERIFIERS, "_ground_truth"])
def test_a_verifier_imports_torch_and_numpy_never_the_plugin(path):
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert "pytest_rnnconformance" not in imported and "reference" not in imported, imported
    assert imported <= set(sys.stdlib_module_names) | {"torch", "numpy", "_ground_truth"}, imported


def test_the_idioms_tests_expect_the_rows_ids_and_bindings_the_verifier_proves():
    from test_as_written import IDIOMS

    proven = verifier("as_written")
    assert set(IDIOMS) == set(proven.IDIOMS) == set(proven.MISTAKES)
    for name, idiom in IDIOMS.items():
        mistake = proven.MISTAKES[name]
        assert (idiom.owner, idiom.diagnosis) == (mistake.owner, mistake.named), name
        assert idiom.bind == proven.BINDS.get(name), name


def test_the_unnamed_wrong_examples_fail_the_row_the_verifier_proves():
    from test_naming import OUTSIDE_THE_CATALOGUE

    proven = verifier("wrong").DEFECTS
    for target, _, row in OUTSIDE_THE_CATALOGUE:
        defect = proven[target.split(".")[0]]
        assert (defect.owner, defect.named) == (row, None), target
