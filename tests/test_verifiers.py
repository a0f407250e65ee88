"""Ground truth that runs: every independent verifier of the examples, on every test run.

Each verifier checks a folder of examples against torch.nn with torch and numpy alone: the learner
battery, the one-defect-per-row files, the catalogue mutants, the idioms as written and their wrong
variants, the wrong examples and the reordered ones. Its exit status is its number of problems. Here
each runs as a subprocess (as CI runs these tests) and must exit 0; none may import the plugin, or
a bug of the plugin could hide in its own ground truth; and the plugin's tests must expect the rows
and the ids the verifiers prove (test_rows reads them from its verifier; the others are compared
here).
"""
from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys

import pytest

from conftest import EXAMPLES, REPO

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


@pytest.mark.parametrize("name", sorted(VERIFIERS))
def test_every_example_gets_its_verdict_from_torch_nn(name):
    done = subprocess.run([sys.executable, str(VERIFIERS[name])], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    problems = [line for line in done.stdout.splitlines() if "PROBLEM" in line or "MISMATCH" in line]
    assert done.returncode == 0, "\n".join(problems) + done.stdout[-3000:] + done.stderr[-3000:]


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
