"""The house: a row is one module, the docs are made from the registry, a plugin can add a row as
one object, and the plugin is inert unless asked."""
from __future__ import annotations

import importlib
import json
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pytest_rnnconformance.features as features
from pytest_rnnconformance.features import markdown, registry
from pytest_rnnconformance.features.base import Feature

REPO = Path(__file__).resolve().parent.parent


def test_every_row_is_one_module_named_after_it():
    modules = [info.name for info in pkgutil.iter_modules(features.__path__)
               if info.name not in ("base", "engine") and not info.name.startswith("_")]
    assert sorted(modules) == sorted(registry())
    for name in modules:
        feature = importlib.import_module(f"pytest_rnnconformance.features.{name}").FEATURE
        assert isinstance(feature, Feature) and feature.name == name and feature.doc
    orders = [feature.order for feature in registry().values()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)


def test_the_docs_and_the_readme_list_the_registry():
    assert (REPO / "docs" / "features.md").read_text() == markdown(), \
        "docs/features.md is out of date: regenerate it (the command is at its top)"
    readme = (REPO / "README.md").read_text()
    listed = re.search(r"^(`forward` · .*)$", readme, re.MULTILINE)
    assert listed is not None, "the README lists the rows on one line starting with `forward`"
    assert re.findall(r"`(\w+)`", listed.group(1)) == list(registry())


TOY_ROW = '''
import torch
from pytest_rnnconformance.features.base import Feature


def check(row, inputs):
    result = row.result(inputs)
    for name, tensor in result.tensors.items():
        if not torch.isfinite(tensor).all():
            row.fail("values", f"{name} holds values that are not finite")


def pytest_rnnconformance_register_features(config):
    return Feature("finite", 215, "Every result is finite.", check, judges_values=False)
'''


@pytest.mark.parametrize("result, status", [("torch.stack(out), h", "pass"), ("torch.stack(out) / 0, h", "fail")])
def test_a_new_row_is_one_object_and_runs_like_the_others(pytester, run_suite, result, status):
    pytester.makeconftest(TOY_ROW)
    pytester.makepyfile(impl=textwrap.dedent(f"""
        import torch

        def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
            h, out = h0, []
            for step in x:
                h = torch.tanh(step @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
                out.append(h)
            return {result}
        """))
    run = run_suite("impl.py:rnn_forward", "--rnn-rows", "forward,finite", "--rnn-max-examples", "3",
                    "--rnn-dtype", "float64")
    assert run.status("finite") == status
    assert "finite" in run.output  # a line of the matrix, as any row
    if status == "fail":
        assert "holds values that are not finite" in run.report["features"]["finite"]["message"]


PROFILES = '''
from hypothesis import settings

settings.register_profile("ci", max_examples=7)
settings.register_profile("dev", max_examples=3)
'''


@pytest.mark.parametrize("profile, examples", [("ci", 7), ("dev", 3)])
def test_a_projects_own_hypothesis_profiles_survive_the_plugin(pytester, run_pytest, profile, examples):
    pytester.makeconftest(PROFILES)
    pytester.makepyfile(test_mine=textwrap.dedent(f"""
        from hypothesis import settings
        from hypothesis.errors import InvalidArgument
        import pytest

        def test_profile():
            assert settings().max_examples == {examples}
            with pytest.raises(InvalidArgument):
                settings.get_profile("rnnconformance-ci")  # nothing registered without --rnn-impl
        """))
    result = run_pytest("--hypothesis-profile", profile, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_namespaced_profiles_under_rnn_impl(pytester, run_pytest):
    pytester.makepyfile(impl="from pytest_rnnconformance.reference import forward\n")
    """Under --rnn-impl the old short name `dev` still works (with a note), where the project and
    hypothesis itself have no profile of that name (hypothesis has its own `ci`, which is kept)."""
    result = run_pytest("--rnn-impl", "impl.py:forward", "--hypothesis-profile", "dev", "--rnn-rows", "forward",
                        "--rnn-max-examples", "2", "--rnn-dtype", "float64", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*hypothesis profile dev*", "*--hypothesis-profile dev is the plugin's "
                                 "rnnconformance-dev*"])
    namespaced = run_pytest("--rnn-impl", "impl.py:forward", "--hypothesis-profile", "rnnconformance-ci",
                            "--rnn-rows", "forward", "--rnn-max-examples", "2", "--rnn-dtype", "float64",
                            "-p", "no:cacheprovider")
    assert namespaced.ret == 0, namespaced.stdout.str()


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_work_with_rnn_impl_in_the_ini_file(pytester, run_pytest, flag):
    pytester.makeini("[pytest]\nrnn_impl = impl.py:forward\n")
    pytester.makepyfile(impl="from pytest_rnnconformance.reference import forward\n")
    result = run_pytest(flag)
    assert result.ret == 0, result.stderr.str()
    assert "Traceback (most recent call last)" not in result.stdout.str() + result.stderr.str()


def test_loading_the_plugin_imports_neither_torch_nor_hypothesis():
    code = "import sys, pytest_rnnconformance.plugin; print(json.dumps(['torch' in sys.modules, 'hypothesis' in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, False]
