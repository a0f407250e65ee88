"""The run's settings and the implementation under test, set up once per pytest process.

`RunConfig` is built in ``pytest_configure`` from the options (command line or ini) and holds the
bound implementation, the devices and dtypes to test, and the result log. `Case` is one test of the
suite: a feature in one (mode, device, dtype) cell; running it is `Case.run`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from .binding import Binding
from .features import REGISTRY, unsupported_reason

DEFAULT_MAX_EXAMPLES = 25
DEFAULT_TIMEOUT = 60.0
HALF_DTYPES = ("float16", "bfloat16")


@dataclass
class RunConfig:
    impl: str
    binding: Binding
    devices: tuple
    dtypes: tuple
    max_examples: int
    require: frozenset = frozenset()
    log: Any = None
    tolerance_override: Any = None
    timeout: float = DEFAULT_TIMEOUT
    allow_builtin: bool = False
    import_tampering: tuple = ()
    expectations: Any = None
    dtypes_chosen: bool = False  # --rnn-dtype was given
    inflight_path: Any = None  # the repro of the CUDA call in progress (see Checker)

    def cases_for(self, feature_name: str) -> list:
        feature = REGISTRY[feature_name]
        cases = []
        for mode in self.binding.modes:
            if not feature.applies_to(mode):
                continue
            for device in self.devices:
                for dtype in self.dtypes_for(feature_name):
                    cases.append(Case(self, feature_name, mode, device, dtype))
        return cases

    def dtypes_for(self, feature_name: str) -> list:
        feature = REGISTRY[feature_name]
        if feature.only_dtypes is not None:
            if feature_name == "half" and not self.dtypes_chosen:
                return list(feature.only_dtypes)  # the half feature always asks, unless told otherwise
            return [d for d in feature.only_dtypes if d in self.dtypes]
        return [d for d in self.dtypes if d not in HALF_DTYPES]


@dataclass
class Case:
    run_config: RunConfig
    feature: str
    mode: str
    device: str
    dtype: str

    @property
    def cell(self) -> str:
        return f"{self.mode}-{self.device}-{self.dtype}"

    def __repr__(self) -> str:
        return f"{self.feature}[{self.cell}]"

    def run(self) -> None:
        """Run this feature's property in this cell; skip as unsupported, or fail if required."""
        from .check import Checker
        from .inputs import DTYPES
        from .properties import run_property

        config = self.run_config
        feature = REGISTRY[self.feature]
        support = config.binding.support
        reason = unsupported_reason(feature, support, self.mode)
        if reason is None and support.dtypes is not None and self.dtype not in support.dtypes:
            reason = f"{self.dtype} is not among the implementation's dtypes"
        if reason is None and support.devices is not None and self.device not in support.devices:
            reason = f"{self.device} is not among the implementation's devices"
        if reason is None and self.feature == "no_delegation" and config.allow_builtin:
            reason = "not checked: --rnn-allow-builtin"
        if reason is not None:
            self.unsupported(reason)
        if self.feature == "purity" and config.import_tampering:
            from .outcomes import CandidateError

            raise CandidateError(f"tampering at import: replaced {', '.join(config.import_tampering)} "
                                 "(restored); grade untrusted code with --rnn-isolate")
        checker = Checker(config.binding, config.impl, self.feature, config.tolerance_override,
                          timeout=config.timeout, inflight_path=config.inflight_path)
        try:
            run_property(checker, feature, support, self.mode, DTYPES[self.dtype], self.device,
                         config.max_examples)
        except pytest.skip.Exception as skip:
            if self.feature in config.require:
                pytest.fail(f"required, but {skip.msg}", pytrace=False)
            raise

    def unsupported(self, reason: str) -> None:
        if self.feature in self.run_config.require:
            pytest.fail(f"{self.feature} is required (--rnn-require) but unsupported: {reason}", pytrace=False)
        pytest.skip(f"unsupported: {reason}")
