"""The pytest plugin: options, loading the implementation, running the suite, reporting.

Without ``--rnn-impl`` (or ``rnn_impl`` in the ini file) the plugin adds options and nothing
else: torch is not even imported. With it and no test paths, the conformance suite shipped in
``pytest_rnnconformance/suite`` is what pytest collects; with test paths, the user's own tests
run and can use the `rnn_impl` / `rnn_check` fixtures.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pytest

from .recorder import PROPERTY, RunRecorder

SUITE_DIR = Path(__file__).parent / "suite"
SUITE_FILE = SUITE_DIR / "test_conformance.py"
RUN_KEY = pytest.StashKey["Any"]()

#: (option, ini name, help); every option has an ini equivalent of the same name.
OPTIONS = (
    ("--rnn-impl", "rnn_impl", "implementation to test: path/to/file.py:name, package.module:name or 'reference'"),
    ("--rnn-mode", "rnn_mode", "the cell it computes: rnn, lstm or gru (inferred where unambiguous)"),
    ("--rnn-device", "rnn_device", "devices, comma-separated (default: cpu, plus cuda when available)"),
    ("--rnn-dtype", "rnn_dtype", "dtypes, comma-separated (default: float32,float64, plus float16,bfloat16 on CUDA)"),
    ("--rnn-max-examples", "rnn_max_examples", "hypothesis examples per property (default 25)"),
    ("--rnn-report", "rnn_report", "write the JSON report to this path"),
    ("--rnn-require", "rnn_require", "features (comma-separated) that fail, rather than skip, when unsupported"),
    ("--rnn-timeout", "rnn_timeout", "seconds one call of the implementation may take (default 60)"),
    ("--rnn-memory-limit", "rnn_memory_limit", "megabytes of address space for the isolated worker (default 6144)"),
    ("--rnn-expect", "rnn_expect", "TOML file of known gaps (lists fail, error, unsupported), held to strictly"),
    ("--rnn-benchmark-compare", "rnn_benchmark_compare",
     "a saved JSON report (or benchmark): fail if a speed ratio regressed by more than --rnn-benchmark-factor"),
    ("--rnn-benchmark-factor", "rnn_benchmark_factor", "allowed ratio regression for --rnn-benchmark-compare (default 1.25)"),
    ("--rnn-benchmark-sizes", "rnn_benchmark_sizes", "default, or quick (tiny sizes, for smoke tests of the benchmark itself)"),
)
#: (option, ini name, help) of the on/off switches.
FLAGS = (
    ("--rnn-isolate", "rnn_isolate", "run the implementation in a worker process (crash, hang and tamper safety)"),
    ("--rnn-allow-builtin", "rnn_allow_builtin", "do not check no_delegation (for code that wraps torch's RNNs on purpose)"),
    ("--rnn-benchmark", "rnn_benchmark", "time the implementation against torch.nn side by side after the suite"),
)


def pytest_addhooks(pluginmanager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rnnconformance", "RNN / LSTM / GRU conformance suite")
    for option, ini, help_text in OPTIONS:
        group.addoption(option, dest=ini, default=None, help=help_text)
        parser.addini(ini, help_text, default=None)
    for option, ini, help_text in FLAGS:
        group.addoption(option, dest=ini, action="store_true", default=None, help=help_text)
        parser.addini(ini, help_text, type="bool", default=False)


def option(config: pytest.Config, name: str) -> Optional[str]:
    """A setting from the command line, else from the ini file, else None."""
    value = config.getoption(name, default=None)
    if value is None:
        value = config.getini(name)
    if value in (None, "", []):
        return None
    return str(value).strip()


def flag(config: pytest.Config, name: str) -> bool:
    value = config.getoption(name, default=None)
    return bool(value) if value is not None else bool(config.getini(name))


def _number(config: pytest.Config, name: str, default: float, kind=float) -> float:
    value = option(config, name)
    try:
        number = kind(value) if value is not None else default
        if number <= 0:
            raise ValueError
    except ValueError:
        raise pytest.UsageError(f"--{name.replace('_', '-')} {value!r}: expected a positive number") from None
    return number


def _split(value: Optional[str]) -> list:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rnnconformance: a test of the RNN conformance suite")
    _register_hypothesis_profiles()
    impl = option(config, "rnn_impl")
    if impl is None:
        return
    run = _build_run(config, impl)
    config.stash[RUN_KEY] = run
    _single_threaded()
    config.pluginmanager.register(RunRecorder(run, benchmark=flag(config, "rnn_benchmark"),
                                              compare_with=option(config, "rnn_benchmark_compare"),
                                              factor=_number(config, "rnn_benchmark_factor", 1.25),
                                              quick=option(config, "rnn_benchmark_sizes") == "quick"),
                                  "rnnconformance-recorder")
    if not config.option.file_or_dir:
        config.args = [str(SUITE_DIR)]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional[pytest.Collector]:
    """Collect the suite even where the user's ``python_files`` would not match its name."""
    if file_path == SUITE_FILE and run_config(parent.config) is not None:
        from _pytest.pathlib import fnmatch_ex

        if not any(fnmatch_ex(pattern, file_path) for pattern in parent.config.getini("python_files")):
            return pytest.Module.from_parent(parent, path=file_path)
    return None


def _register_hypothesis_profiles() -> None:
    from hypothesis import settings

    settings.register_profile("dev", max_examples=25, deadline=None)
    settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, print_blob=True)


def _build_run(config: pytest.Config, impl: str):
    import torch

    from .binding import BindingError, bind
    from .inputs import DTYPES
    from .loading import LoadError, load_target
    from .report import ResultLog
    from .session import DEFAULT_MAX_EXAMPLES, RunConfig
    from .celltypes import all_modes
    from .celltypes import register as register_cell_type
    from .features import FEATURES
    from .prober import probe_binding
    from .calling import install_tamper_watch
    from .expectations import ExpectationError, load_expectations
    from .isolation import DEFAULT_MEMORY_MB, RemoteBinding, WorkerClient, WorkerUnavailable
    from .outcomes import CandidateError
    from .session import DEFAULT_TIMEOUT

    try:
        for cell_types in config.hook.pytest_rnnconformance_register_cells(config=config):
            for cell_type in cell_types if isinstance(cell_types, (list, tuple)) else [cell_types]:
                register_cell_type(cell_type)
    except (TypeError, ValueError, AttributeError) as error:
        raise pytest.UsageError(f"pytest_rnnconformance_register_cells: {error}") from None
    mode = option(config, "rnn_mode")
    if mode is not None and mode not in all_modes():
        raise pytest.UsageError(f"--rnn-mode {mode!r}: expected one of {', '.join(all_modes())}")
    devices = _split(option(config, "rnn_device")) or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    for device in devices:
        if device not in ("cpu", "cuda"):
            raise pytest.UsageError(f"--rnn-device {device!r}: expected cpu or cuda")
        if device == "cuda" and not torch.cuda.is_available():
            raise pytest.UsageError("--rnn-device cuda: CUDA is not available on this machine")
    default_dtypes = ["float32", "float64"] + (["float16", "bfloat16"] if "cuda" in devices else [])
    dtypes = _split(option(config, "rnn_dtype")) or default_dtypes
    for dtype in dtypes:
        if dtype not in DTYPES:
            raise pytest.UsageError(f"--rnn-dtype {dtype!r}: expected some of {', '.join(DTYPES)}")
    max_examples = option(config, "rnn_max_examples")
    try:
        examples = int(max_examples) if max_examples is not None else DEFAULT_MAX_EXAMPLES
        if examples < 1:
            raise ValueError
    except ValueError:
        raise pytest.UsageError(f"--rnn-max-examples {max_examples!r}: expected a positive integer") from None
    require = frozenset(_split(option(config, "rnn_require")))
    unknown = sorted(require - set(FEATURES))
    if unknown:
        raise pytest.UsageError(f"--rnn-require: unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}")
    timeout = _number(config, "rnn_timeout", DEFAULT_TIMEOUT)
    watch = install_tamper_watch()  # before any of the implementation's code runs
    try:
        if flag(config, "rnn_isolate"):
            client = WorkerClient(impl, mode, str(config.invocation_params.dir),
                                  int(_number(config, "rnn_memory_limit", DEFAULT_MEMORY_MB, int)))
            try:
                client.start()
            except CandidateError as error:
                raise pytest.UsageError(f"--rnn-impl {impl}: {error}") from None
            binding = RemoteBinding(client, timeout)
            config.add_cleanup(client.stop)
        else:
            target = load_target(impl, config.invocation_params.dir)
            adapted = config.hook.pytest_rnnconformance_adapt(obj=target, name=impl, mode=mode)
            binding = bind(adapted if adapted is not None else target, impl, mode)
            if adapted is not None:
                binding.convention = "adapter"
                binding.notes.append("adapted by a pytest_rnnconformance_adapt hook")
    except (LoadError, BindingError, WorkerUnavailable) as error:
        raise pytest.UsageError(str(error)) from None
    import_tampering = watch.check_and_restore()
    probe_binding(binding, impl, timeout)
    expectations = None
    if option(config, "rnn_expect"):
        try:
            expectations = load_expectations(Path(config.invocation_params.dir, option(config, "rnn_expect")), FEATURES)
        except ExpectationError as error:
            raise pytest.UsageError(str(error)) from None
    report_path = option(config, "rnn_report")
    log = ResultLog(impl=impl, modes=binding.modes, convention=binding.convention, binding=binding.describe(),
                    path=Path(config.invocation_params.dir, report_path) if report_path else None)
    if import_tampering:
        log.extra["tampering"] = [f"at import: replaced {name} (restored)" for name in import_tampering]
    def tolerance_override(feature, dtype, device):
        return config.hook.pytest_rnnconformance_tolerance(feature=feature, dtype=dtype, device=device)

    return RunConfig(impl=impl, binding=binding, devices=tuple(devices), dtypes=tuple(dtypes),
                     tolerance_override=tolerance_override,
                     max_examples=examples, require=require, log=log, timeout=timeout,
                     allow_builtin=flag(config, "rnn_allow_builtin"), import_tampering=import_tampering,
                     expectations=expectations, dtypes_chosen=bool(_split(option(config, "rnn_dtype"))),
                     inflight_path=_inflight_path(config, report_path) if "cuda" in devices else None)


def _inflight_path(config: pytest.Config, report_path: Optional[str]) -> Path:
    """Beside the JSON report (or in the invocation directory): the repro of the CUDA call in progress."""
    if report_path:
        return Path(config.invocation_params.dir, report_path + ".inflight.json")
    return Path(config.invocation_params.dir, ".rnnconformance-inflight.json")


def _single_threaded() -> None:
    """Run torch on one thread: the suite's tensors are tiny, and two intra-op threads fighting
    another process (an xdist worker, a second suite) for two cores made every call 20x slower."""
    import torch

    torch.set_num_threads(1)


def run_config(config: pytest.Config):
    return config.stash.get(RUN_KEY, None)


def pytest_report_header(config: pytest.Config) -> Optional[list]:
    run = run_config(config)
    if run is None:
        return None
    return [
        f"rnnconformance: {run.impl} ({', '.join(run.binding.modes)}); {run.binding.describe()}",
        f"rnnconformance: devices {', '.join(run.devices)}; dtypes {', '.join(run.dtypes)}; "
        f"{run.max_examples} examples per property",
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rnn_case" not in metafunc.fixturenames:
        return
    run = run_config(metafunc.config)
    feature = metafunc.function.__name__.removeprefix("test_")
    cases = run.cases_for(feature) if run is not None else []
    metafunc.parametrize("rnn_case", cases, ids=[case.cell for case in cases])


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Drop suite tests with no cell at all (proj for a GRU, relu for an LSTM): not even a skip."""
    empty = [item for item in items
             if "rnn_case" in getattr(item, "fixturenames", ()) and not _case_of(item)]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]


def _case_of(item: pytest.Item):
    """The suite `Case` an item runs, or None (an empty parameter set gives a placeholder)."""
    if run_config(item.config) is None:  # not a conformance run: import nothing
        return None
    from .session import Case

    case = getattr(getattr(item, "callspec", None), "params", {}).get("rnn_case")
    return case if isinstance(case, Case) else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    case = _case_of(item)
    if case is not None and report.when == "call":
        from .verdicts import failure_text, verdict_of

        verdict = verdict_of(report, call)
        verdict.update(feature=case.feature, cell=case.cell)
        report.user_properties.append((PROPERTY, json.dumps(verdict, default=str)))
        if verdict["status"] in ("fail", "error") and call.excinfo is not None:
            report.longrepr = failure_text(call.excinfo.value)
        expectations = case.run_config.expectations
        if expectations is not None:
            _apply_expectation(report, expectations, case, verdict["status"])
    return report


def _apply_expectation(report: pytest.TestReport, expectations, case, status: str) -> None:
    """An expected gap is an xfail for pytest; a gap that did not happen as declared is a failure."""
    outcome = expectations.outcome_for(case.feature, case.cell, status)
    expected = expectations.expected_status(case.feature, case.cell)
    if outcome == "expected" and status in ("fail", "error"):
        report.outcome = "skipped"
        report.wasxfail = f"expected {expected} (--rnn-expect)"
    elif outcome == "unexpected":
        report.outcome = "failed"
        report.longrepr = (f"--rnn-expect declares {case.feature}[{case.cell}] as {expected}, but it was {status}"
                           + (f"\n{report.longrepr}" if status in ("fail", "error") else
                              ": remove or update the entry"))


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def rnn_impl(pytestconfig: pytest.Config):
    """The `Binding` of ``--rnn-impl``: call it with ``rnn_impl.call(inputs)``; skips without one."""
    run = run_config(pytestconfig)
    if run is None:
        pytest.skip("no --rnn-impl given")
    return run.binding


@pytest.fixture
def rnn_spec(rnn_impl):
    """The simplest configuration the implementation supports (parametrize it to choose another)."""
    from .spec import RNNSpec

    support = rnn_impl.support
    return RNNSpec(rnn_impl.modes[0], 3, 4, batch_first=min(support.layouts), bias=max(support.bias),
                   bidirectional=min(support.directions) == 2)


@pytest.fixture
def rnn_check(pytestconfig: pytest.Config):
    """``rnn_check(impl, spec, inputs)``: check an implementation on one input, as the suite does."""
    from .api import rnn_check as check

    return check
