"""The pytest plugin: options, starting a run, collecting the suite, reporting.

Inert unless asked: without ``--rnn-impl`` (or ``rnn_impl`` in the ini file) the plugin adds its
options and nothing else (torch is not even imported, no hypothesis profile is registered). What
pytest collects with it (`collected_args`) adds, never replaces: ``pytest --rnn-impl X`` with no
test paths runs the conformance suite, one item per row of the matrix and column (mode, device,
dtype), named after the implementation; with ``rnn_impl`` in the ini file, a bare ``pytest`` runs
the project's own tests *and* the suite; with test paths, those tests run (and can use the
`rnn_impl` / `rnn_check` fixtures), plus the suite only where ``--rnn-rows`` asks for rows.
``pytest --help`` and ``--version`` never start a run.
"""
from __future__ import annotations

import gc
from pathlib import Path
from typing import Optional

import pytest

from . import options

SUITE_DIR = Path(__file__).parent / "suite"
SUITE_FILE = SUITE_DIR / "test_conformance.py"
PROFILES = {"rnnconformance-dev": dict(), "rnnconformance-ci": dict(derandomize=True, print_blob=True)}
OLD_PROFILE_NAMES = {"dev": "rnnconformance-dev", "ci": "rnnconformance-ci"}


def pytest_addhooks(pluginmanager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rnnconformance: a test of the RNN conformance suite")
    impl = options.option(config, "rnn_impl")
    if impl is None or config.getoption("help", False) or config.getoption("version", False):
        return
    notes = _register_hypothesis_profiles(config)
    _single_threaded()
    _spare_the_collector()  # torch and hypothesis are in: before the rest is imported
    from . import modes
    from .features import names
    from .report.recorder import RunRecorder
    from .startup import register_extensions, start

    register_extensions(config)
    settings = options.read(config, impl, names(), modes.all_modes())
    run = start(config, settings)
    run.log.extra["hypothesis"] = {"profile": config.getoption("hypothesis_profile", None) or "default",
                                   "seed": config.getoption("hypothesis_seed", None), "notes": notes}
    config.stash[options.RUN_KEY] = run
    _spare_the_collector()
    config.pluginmanager.register(RunRecorder(run, benchmark=options.flag(config, "rnn_benchmark"),
                                              compare_with=options.option(config, "rnn_benchmark_compare"),
                                              factor=options._number(config, "rnn_benchmark_factor", 1.25),
                                              quick=options.option(config, "rnn_benchmark_sizes") == "quick"),
                                  "rnnconformance-recorder")
    config.args = collected_args(config)


def collected_args(config: pytest.Config) -> list:
    """The paths pytest collects once a run is started (see the module docstring)."""
    own = list(config.args)  # the command line's paths, else the ini's testpaths or the current folder
    if getattr(config.option, "file_or_dir", None):
        return own + ([str(SUITE_DIR)] if config.getoption("rnn_rows", default=None) else [])
    if config.getoption("rnn_impl", default=None) is not None:
        return [str(SUITE_DIR)]  # the main command: the suite alone
    return own + [str(SUITE_DIR)]


def _register_hypothesis_profiles(config: pytest.Config) -> list:
    """The plugin's profiles, under namespaced names; ``dev`` and ``ci`` as their aliases only where
    the project has no profiles of those names (a project's own are never replaced)."""
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    for name, changes in PROFILES.items():
        settings.register_profile(name, max_examples=25, deadline=None, **changes)
    notes = []
    for old, new in OLD_PROFILE_NAMES.items():
        try:
            settings.get_profile(old)
        except InvalidArgument:
            settings.register_profile(old, settings.get_profile(new))
            if config.getoption("hypothesis_profile", None) == old:
                notes.append(f"--hypothesis-profile {old} is the plugin's {new} (the short name is kept for old "
                             f"commands; use {new})")
    return notes


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional[pytest.Collector]:
    """The suite: collected from its anchor file, whatever the user's ``python_files`` say."""
    if file_path == SUITE_FILE and options.run_config(parent.config) is not None:
        from .suite import ConformanceFile

        return ConformanceFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Every plugin is registered now: from here on, one the implementation adds is tampering."""
    run = options.run_config(session.config)
    if run is not None and not run.settings.isolate:
        from .run import in_process

        in_process.TAMPER_WATCH.watch_hooks(session.config.pluginmanager)


def _single_threaded() -> None:
    """Run torch on one thread: the suite's tensors are tiny, and two intra-op threads fighting
    another process (an xdist worker, a second suite) for two cores made every call 20x slower."""
    import torch

    torch.set_num_threads(1)


def _spare_the_collector() -> None:
    """Keep what exists now (the modules' import-time objects, torch's and hypothesis's, millions of
    them, alive for the whole run) out of the cyclic garbage collector's walks: every full collection
    while the rest is imported and the rows run, and pytest's two at exit, walked them all, 0.7 s of a
    3.6 s run (bench/BENCHMARKS.md). Nothing made before this point becomes garbage the run needs freed."""
    gc.freeze()


def pytest_report_header(config: pytest.Config) -> Optional[list]:
    run = options.run_config(config)
    if run is None:
        return None
    versions = run.log.extra["versions"]
    hypothesis = run.log.extra["hypothesis"]
    lines = [
        f"rnnconformance {versions['plugin']}: {run.impl} ({', '.join(run.summary.modes)}); {run.summary.description}",
        f"rnnconformance: devices {', '.join(run.devices)}; dtypes {', '.join(run.dtypes)} (forward in "
        f"{run.settings.base_dtype}); {run.settings.max_examples} examples per row; torch {versions['torch']}, "
        f"Python {versions['python']}; hypothesis profile {hypothesis['profile']}"
        + (f", seed {hypothesis['seed']}" if hypothesis["seed"] is not None else ""),
    ]
    if "sandbox" in run.log.extra:  # --rnn-isolate: its worker sandboxed, or why not
        lines.append(f"rnnconformance: {run.log.extra['sandbox']}")
    return lines + [f"rnnconformance: {note}" for note in hypothesis["notes"]]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Known gaps (--rnn-expect): an expected one is an xfail; one that did not happen, a failure."""
    report = yield
    run = options.run_config(item.config)
    if run is None or run.expectations is None or report.when != "call" or not hasattr(item, "column"):
        return report
    from .report.verdicts import from_properties

    verdict = from_properties(report.user_properties)
    if verdict is None:
        return report
    status, feature, cell = verdict["status"], item.feature.name, item.column.id
    outcome = run.expectations.outcome_for(feature, cell, status)
    expected = run.expectations.expected_status(feature, cell)
    if outcome == "expected" and status in ("fail", "error", "blocked"):
        report.outcome = "skipped"
        report.wasxfail = f"expected {expected} (--rnn-expect)"
    elif outcome == "unexpected":
        report.outcome = "failed"
        report.longrepr = (f"--rnn-expect declares {feature}[{cell}] as {expected}, but it was {status}"
                           + (f"\n{report.longrepr}" if status in ("fail", "error") else
                              ": remove or update the entry"))
    return report


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def rnn_impl(pytestconfig: pytest.Config):
    """``--rnn-impl`` as an `api.RNNImplementation` holding the run's own runner (isolated where the
    run is): ``rnn_check(rnn_impl, spec)``, ``specs(supported_by=rnn_impl)``, ``rnn_impl.call(inputs)``;
    its ``summary`` says what it supports."""
    from .api import RNNImplementation

    run = options.run_config(pytestconfig)
    if run is None:
        pytest.skip("no --rnn-impl given")
    settings = run.settings
    return RNNImplementation(settings.impl, settings.bind, settings.returns, settings.mode,
                             prepared=run.context.runner)


@pytest.fixture
def rnn_spec(rnn_impl):
    """The base configuration of the implementation (parametrize it to choose another)."""
    from .draw.cases import fixed_base

    return fixed_base(rnn_impl.summary.support, rnn_impl.summary.modes[0], 0)[0]


@pytest.fixture
def rnn_check(pytestconfig: pytest.Config):
    """``rnn_check(rnn_impl, rnn_spec)``, ``rnn_check(impl, spec, inputs)``: check an implementation on
    one input, as the suite does (`api.rnn_check`)."""
    from .api import rnn_check as check

    return check
