"""The run's settings, read once from the command line and the ini file, and checked.

Every option has an ini equivalent of the same name (``rnn_impl = my_lstm.py:lstm_forward``). A bad
value is a one-line usage error (exit status 4), never a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pytest

#: (option, ini name, help); every option has an ini equivalent of the same name.
OPTIONS = (
    ("--rnn-impl", "rnn_impl", "implementation to test: path/to/file.py:name, package.module:name, file.py:Class.method "
                               "or 'reference'"),
    ("--rnn-mode", "rnn_mode", "what it computes: rnn, lstm, gru, rnn_cell, lstm_cell, gru_cell (inferred where "
                               "unambiguous)"),
    ("--rnn-bind", "rnn_bind", "what its own parameter names mean: 'seq=input,Wx=weight_ih.T,b=bias_ih+bias_hh', "
                               "or auto (see the README)"),
    ("--rnn-returns", "rnn_returns", "what its result holds: 'output,h_n', 'output,(h_n,c_n)', 'output,_', 'h_n'..."),
    ("--rnn-device", "rnn_device", "devices, comma-separated (default: cpu, plus cuda when available)"),
    ("--rnn-dtype", "rnn_dtype", "dtypes, comma-separated (default: float32,float64, plus float16,bfloat16 on CUDA); "
                                 "the first is the one forward runs in"),
    ("--rnn-max-examples", "rnn_max_examples", "hypothesis examples per row (default 8)"),
    ("--rnn-report", "rnn_report", "write the JSON report to this path"),
    ("--rnn-require", "rnn_require", "features (comma-separated) that fail, rather than skip, when unsupported"),
    ("--rnn-rows", "rnn_rows", "run only these rows of the matrix (comma-separated feature names)"),
    ("--rnn-timeout", "rnn_timeout", "seconds one call of the implementation may take (default 60)"),
    ("--rnn-warmup-timeout", "rnn_warmup_timeout", "seconds the first call may take, to warm up or build lazily "
                                                   "(default 3x --rnn-timeout, at least 10)"),
    ("--rnn-memory-limit", "rnn_memory_limit", "megabytes of address space for the isolated worker (default 6144)"),
    ("--rnn-expect", "rnn_expect", "TOML file of known gaps (lists fail, error, unsupported), held to strictly"),
    ("--rnn-benchmark-compare", "rnn_benchmark_compare",
     "a saved JSON report (or benchmark): fail if a speed ratio regressed by more than --rnn-benchmark-factor"),
    ("--rnn-benchmark-factor", "rnn_benchmark_factor", "allowed ratio regression for --rnn-benchmark-compare "
                                                       "(default 1.25)"),
    ("--rnn-benchmark-sizes", "rnn_benchmark_sizes", "default, or quick (tiny sizes, for smoke tests of the benchmark "
                                                     "itself)"),
)
#: (option, ini name, help) of the on/off switches.
FLAGS = (
    ("--rnn-isolate", "rnn_isolate", "run the implementation in a worker process (crash, hang and tamper safety)"),
    ("--rnn-allow-builtin", "rnn_allow_builtin", "do not check no_delegation (for code that wraps torch's RNNs on "
                                                 "purpose)"),
    ("--rnn-benchmark", "rnn_benchmark", "time the implementation against torch.nn side by side after the suite"),
)
DEFAULT_MAX_EXAMPLES = 8  # the grader's default too; rows draw around a base that works, so few find a defect
DEFAULT_TIMEOUT = 60.0
#: The first call's limit, as a multiple of the per-call one and at least this many seconds: a first call
#: that builds lazily, compiles or loads a kernel is slow once, and that is a warm-up, not a hang.
WARMUP_FACTOR, WARMUP_FLOOR = 3.0, 10.0
#: The isolated worker's address space, in MB (--rnn-memory-limit).
DEFAULT_MEMORY_MB = 6144
HALF_DTYPES = ("float16", "bfloat16")
DTYPE_NAMES = ("float16", "bfloat16", "float32", "float64")


def warmup_default(timeout: float) -> float:
    """The first call's limit when --rnn-warmup-timeout does not say."""
    return max(WARMUP_FACTOR * timeout, WARMUP_FLOOR)


def add_options(parser: pytest.Parser) -> None:
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


def split(value: Optional[str]) -> list:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@dataclass(frozen=True)
class Settings:
    impl: str
    mode: Optional[str]
    bind: Optional[str]
    returns: Optional[str]
    devices: tuple
    dtypes: tuple  # in the order given: the first non-half one is the base dtype
    dtypes_chosen: bool
    max_examples: int
    require: frozenset
    timeout: float
    warmup_timeout: float
    memory_mb: int
    isolate: bool
    allow_builtin: bool
    report: Optional[str]
    expect: Optional[str]
    rows: frozenset = frozenset()  # empty: every row

    @property
    def base_dtype(self) -> str:
        return next((d for d in self.dtypes if d not in HALF_DTYPES), self.dtypes[0])

    def dtypes_for(self, which: str) -> list:
        """The dtypes of a row's columns: "first", "float64", "half", "base" or "all"."""
        base = [d for d in self.dtypes if d not in HALF_DTYPES] or list(self.dtypes)
        half = [d for d in HALF_DTYPES if d in self.dtypes] if self.dtypes_chosen else list(HALF_DTYPES)
        return {"first": [self.base_dtype], "float64": [d for d in self.dtypes if d == "float64"], "half": half,
                "base": base, "all": list(dict.fromkeys(base + half))}[which]


def read(config: pytest.Config, impl: str, feature_names: tuple, all_modes: tuple) -> Settings:
    """The checked settings of a run (`pytest.UsageError` for a bad value)."""
    import torch

    mode = option(config, "rnn_mode")
    if mode is not None and mode not in all_modes:
        raise pytest.UsageError(f"--rnn-mode {mode!r}: expected one of {', '.join(all_modes)}")
    devices = tuple(split(option(config, "rnn_device")) or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]))
    for device in devices:
        if device not in ("cpu", "cuda"):
            raise pytest.UsageError(f"--rnn-device {device!r}: expected cpu or cuda")
        if device == "cuda" and not torch.cuda.is_available():
            raise pytest.UsageError("--rnn-device cuda: CUDA is not available on this machine")
    chosen = split(option(config, "rnn_dtype"))
    dtypes = tuple(chosen or (["float32", "float64"] + (list(HALF_DTYPES) if "cuda" in devices else [])))
    for dtype in dtypes:
        if dtype not in DTYPE_NAMES:
            raise pytest.UsageError(f"--rnn-dtype {dtype!r}: expected some of {', '.join(DTYPE_NAMES)}")
    max_examples = option(config, "rnn_max_examples")
    try:
        examples = int(max_examples) if max_examples is not None else DEFAULT_MAX_EXAMPLES
        if examples < 1:
            raise ValueError
    except ValueError:
        raise pytest.UsageError(f"--rnn-max-examples {max_examples!r}: expected a positive integer") from None
    require = frozenset(split(option(config, "rnn_require")))
    unknown = sorted(require - set(feature_names))
    if unknown:
        raise pytest.UsageError(f"--rnn-require: unknown feature(s) {', '.join(unknown)}; known: "
                                f"{', '.join(feature_names)}")
    timeout = _number(config, "rnn_timeout", DEFAULT_TIMEOUT)
    rows = frozenset(split(option(config, "rnn_rows")))
    unknown = sorted(rows - set(feature_names))
    if unknown:
        raise pytest.UsageError(f"--rnn-rows: unknown feature(s) {', '.join(unknown)}; known: {', '.join(feature_names)}")
    return Settings(impl=impl, mode=mode, bind=option(config, "rnn_bind"), returns=option(config, "rnn_returns"),
                    devices=devices, dtypes=dtypes, dtypes_chosen=bool(chosen), max_examples=examples,
                    require=require, timeout=timeout,
                    warmup_timeout=_number(config, "rnn_warmup_timeout", warmup_default(timeout)),
                    memory_mb=int(_number(config, "rnn_memory_limit", DEFAULT_MEMORY_MB, int)),
                    isolate=flag(config, "rnn_isolate"), allow_builtin=flag(config, "rnn_allow_builtin"),
                    report=option(config, "rnn_report"), expect=option(config, "rnn_expect"), rows=rows)


#: Where the run built from the options is kept on the pytest config (read by the suite's items).
RUN_KEY = pytest.StashKey["Any"]()


def run_config(config: pytest.Config):
    """The conformance run of this pytest run, or None without --rnn-impl."""
    return config.stash.get(RUN_KEY, None)
