"""Starting a conformance run: from the settings to a runner, the rows' columns and the result log.

`start` is what ``pytest_configure`` does when ``--rnn-impl`` is given: register cells a plugin
adds, take the tamper watch's references before any of the implementation's code runs, load, bind
and settle it (in this process, or in an isolated worker), and gather what every row shares into
a `Run`.
"""
from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

from .version import __version__
from . import modes as mode_registry
from .bind import BindingError
from .bind.load import LoadError
from .features import registry
from .features.base import Feature
from .features.engine import Column, RunContext
from .options import Settings
from .report.log import ResultLog


@dataclass
class Run:
    """One conformance run: its settings, the runner, what every row shares, and the log."""

    settings: Settings
    context: RunContext
    log: ResultLog
    expectations: Any = None
    import_tampering: tuple = ()
    inflight_path: Optional[Path] = None
    benchmark_prepare: Any = None  # (inputs) -> a no-argument call, for --rnn-benchmark

    @property
    def impl(self) -> str:
        return self.settings.impl

    @property
    def summary(self):
        return self.context.runner.summary

    @property
    def devices(self) -> tuple:
        return self.settings.devices

    @property
    def dtypes(self) -> tuple:
        return self.settings.dtypes

    def columns(self, feature: Feature) -> list:
        """The columns of a row: every mode it applies to, on every device, in its dtypes."""
        return [Column(mode, device, dtype) for mode in self.summary.modes if feature.applies_to(mode)
                for device in self.settings.devices for dtype in self.settings.dtypes_for(feature.dtypes)]


def versions() -> dict:
    import hypothesis
    import torch

    return {"plugin": __version__, "torch": torch.__version__, "python": platform.python_version(),
            "hypothesis": hypothesis.__version__, "pytest": pytest.__version__}


def register_extensions(config: pytest.Config) -> None:
    """Cells and rows a plugin adds (the register_cells and register_features hooks), before any
    option naming them is read."""
    from .features import register

    for hook, add in ((config.hook.pytest_rnnconformance_register_cells, mode_registry.register),
                      (config.hook.pytest_rnnconformance_register_features, register)):
        try:
            for returned in hook(config=config):
                for item in returned if isinstance(returned, (list, tuple)) else [returned]:
                    add(item)
        except (TypeError, ValueError, AttributeError) as error:
            raise pytest.UsageError(f"{hook.name}: {error}") from None


def start(config: pytest.Config, settings: Settings) -> Run:
    """Build the run (see the module docstring); a usage error for anything that stops it."""
    from .report.expectations import ExpectationError, load_expectations
    from .run.in_process import InProcessRunner, install_tamper_watch

    rows = registry()
    root = str(config.invocation_params.dir)
    watch = install_tamper_watch(config.pluginmanager)  # before any of the implementation's code runs
    import_tampering: tuple = ()
    try:
        if settings.isolate:
            runner, benchmark_prepare, decision = _isolated(config, settings, root)
        else:
            from .bind import bind_target
            from .judge.probe import settled_here

            def adapt(target):
                return config.hook.pytest_rnnconformance_adapt(obj=target, name=settings.impl, mode=settings.mode)

            with watch.exit_gate.refusing():  # importing it may register exit handlers: torch's alone are kept
                bindings = bind_target(settings.impl, root, settings.mode, settings.bind, settings.returns, adapt)
            import_tampering = tuple(watch.check_and_restore())  # what importing it replaced, before any call
            binding, decision = settled_here(bindings, settings.timeout, settings.warmup_timeout)
            runner, benchmark_prepare = InProcessRunner(binding, settings.timeout), binding.prepare
    except (LoadError, BindingError) as error:
        raise pytest.UsageError(str(error)) from None
    expectations = None
    if settings.expect:
        try:
            expectations = load_expectations(Path(root, settings.expect), tuple(rows))
        except ExpectationError as error:
            raise pytest.UsageError(str(error)) from None
    summary = runner.summary
    log = ResultLog(impl=settings.impl, modes=summary.modes, convention=summary.convention,
                    binding=summary.description, order=tuple(rows),
                    path=Path(root, settings.report) if settings.report else None)
    log.extra["versions"] = versions()
    log.extra["evidence"] = [fact.as_json() for fact in summary.evidence]
    if settings.isolate:
        log.extra["sandbox"] = runner.client.choice.line  # where the worker ran, or why not in the sandbox
    if import_tampering:
        log.extra["tampering"] = [f"at import: replaced {name} (restored)" for name in import_tampering]

    def tolerance_hook(feature, dtype, device):
        return config.hook.pytest_rnnconformance_tolerance(feature=feature, dtype=dtype, device=device)

    context = RunContext(settings.impl, runner, settings.max_examples, rows, base_dtype=settings.base_dtype,
                         tolerance_hook=tolerance_hook, verbose=config.getoption("verbose", 0) > 0,
                         declared=dict(mode=settings.mode, bind=settings.bind, returns=settings.returns))
    if decision.hangs:  # the probe's hangs are the run's: a third call would cost as much again
        context.hangs = decision.hangs
        context.hung_in.append(f"the layout probe ({decision.hung})")
    inflight = None
    if "cuda" in settings.devices:
        inflight = Path(root, (settings.report + ".inflight.json") if settings.report else ".rnnconformance-inflight.json")
    return Run(settings, context, log, expectations, import_tampering, inflight, benchmark_prepare)


def _isolated(config: pytest.Config, settings: Settings, root: str) -> tuple:
    """The worker runner: the worker binds; this process settles through it and judges."""
    from dataclasses import replace

    from .bind.binding import describe
    from .run.isolated import WorkerClient, WorkerRunner, WorkerUnavailable, choose_sandbox, summary_from
    from .bind.settle import settle
    from .judge.probe import experiment_with

    client = WorkerClient({"target": settings.impl, "mode": settings.mode, "bind": settings.bind,
                           "returns": settings.returns}, root, settings.memory_mb,
                          choice=choose_sandbox(cuda="cuda" in settings.devices))
    try:
        summaries = tuple(summary_from(message) for message in client.start())
    except WorkerUnavailable as error:
        message = str(error)  # a load or bind error names the implementation already
        raise pytest.UsageError(message if message.startswith("--rnn-") else f"--rnn-impl {settings.impl}: {message}") \
            from None
    config.add_cleanup(client.stop)
    probe = WorkerRunner(client, settings.timeout, summaries[0])
    decision = settle(summaries, experiment_with(
        lambda way, inputs, limit: probe.probe(way, inputs, summaries[way.candidate], limit), settings.timeout,
        settings.warmup_timeout))
    client.choose(decision.way)
    summary = decision.summary
    runner = WorkerRunner(client, settings.timeout, replace(summary, notes=summary.notes + ("isolated in a worker "
                                                                                            "process",)))
    runner.summary = replace(runner.summary, description=describe(runner.summary))

    def benchmark_prepare(inputs):
        """Isolated, a call goes through the worker: its times include the wire."""
        def call():
            made = runner.call(inputs)
            if made.problem is not None:
                raise (NotImplementedError if made.problem.kind == "unsupported" else RuntimeError)(made.problem.message)
            return made.result

        return call

    return runner, benchmark_prepare, decision
