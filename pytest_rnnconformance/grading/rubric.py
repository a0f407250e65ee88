"""The rubric: what a teacher decides, read from a TOML file (``examples/rubric.toml`` explains it).

Three kinds of decision live here, each in its own table:

* ``[run]``: how every submission is checked (mode, devices, dtypes, examples, seed, time and
  memory limits). Every student gets the same checks: the settings are the same for all, and the
  hypothesis profile ``ci`` draws the same examples for the same signature.
* ``[features]`` and ``[scoring]``: points per feature, gates (``requires``, ``required``), hidden
  features, partial credit for a shape-only mismatch, and what delegating to torch's own RNN
  kernels or tampering with the judge costs.
* ``[gradescope]``: the visibility of the results.

Without ``[features]`` the rows of the assignment are not in the rubric: ``grading.assignment``
derives them once, before any student is graded (from the teacher's ``--solution``, or from a
standard learner solution of the mode), and stores them in the rubric, so every student is graded
out of the same maximum. The run defaults were tuned so that a class of 60 grades in under five
minutes on two cores (``bench/grading_speed.py``) while every feature still runs real examples.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Optional, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib

Penalty = Union[str, float]  # "zero", "ignore", or points to subtract
MODES = ("rnn", "lstm", "gru", "rnn_cell", "lstm_cell", "gru_cell")
DTYPES = ("float16", "bfloat16", "float32", "float64")
FEATURE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class RubricError(Exception):
    """A rubric that cannot be used; the message names the key and what was expected."""


@dataclass(frozen=True)
class FeatureRule:
    """How one feature scores: its points, the features it is gated on, whether it is hidden."""

    points: float = 1.0
    requires: tuple = ()
    hidden: bool = False


@dataclass(frozen=True)
class Rubric:
    # [run]
    mode: Optional[str] = None
    devices: tuple = ("cpu",)
    dtypes: tuple = ("float64",)
    max_examples: int = 8
    seed: int = 0
    profile: str = "ci"
    timeout: float = 60.0  # seconds of wall clock per submission
    call_timeout: float = 10.0  # seconds per call of the implementation (--rnn-timeout, where supported)
    warmup_timeout: Optional[float] = None  # seconds for the first call (--rnn-warmup-timeout); None: the plugin's
    memory_mb: int = 2048
    isolate: bool = True  # --rnn-isolate, where the plugin supports it: tampering cannot reach the judge
    bind: Optional[str] = None  # --rnn-bind: what the assignment's own parameter names mean
    returns: Optional[str] = None  # --rnn-returns: what the assignment's result holds
    # [features] (None: one point for every feature the implementation supports) and [scoring]
    features: Optional[dict] = None
    required: tuple = ()
    shape_partial_credit: float = 0.0
    delegation: Penalty = "zero"
    tampering: Penalty = "zero"
    # [gradescope]
    visibility: str = "visible"
    source: str = field(default="(default rubric)", compare=False)
    #: where the graded rows came from: "rubric", "solution <file:entry>", "standard <mode> learner solution"
    assignment: str = field(default="rubric", compare=False)

    # ------------------------------------------------------------------ queries
    def rule(self, feature: str) -> Optional[FeatureRule]:
        """The rule of a graded feature; None for a feature this rubric does not grade."""
        if self.features is None:
            return FeatureRule()
        return self.features.get(feature)

    def gates(self, feature: str) -> tuple:
        """Features that must pass for `feature` to score."""
        rule = self.rule(feature)
        own = rule.requires if rule else ()
        common = () if feature in self.required else self.required
        return tuple(dict.fromkeys(own + common))

    def checks_delegation(self) -> bool:
        """Whether anything depends on the no_delegation feature (its points, a gate, the penalty)."""
        if self.features is None or self.delegation != "ignore" or "no_delegation" in self.required:
            return True
        return any(name == "no_delegation" or "no_delegation" in rule.requires for name, rule in self.features.items())

    def hidden(self, feature: str) -> bool:
        rule = self.rule(feature)
        return bool(rule and rule.hidden)

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> dict:
        data = asdict(self)
        if self.features is not None:
            data["features"] = {name: asdict(rule) for name, rule in self.features.items()}
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Rubric":
        data = dict(data)
        if data.get("features") is not None:
            data["features"] = {name: FeatureRule(rule["points"], tuple(rule["requires"]), rule["hidden"])
                                for name, rule in data["features"].items()}
        for key in ("devices", "dtypes", "required"):
            data[key] = tuple(data[key])
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def fingerprint(self) -> str:
        """Identifies the checks and the scoring: a resumed or merged run must use the same."""
        data = self.to_json()
        data.pop("source")
        data.pop("assignment")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------- loading
RUN_KEYS = {"mode", "devices", "dtypes", "max_examples", "seed", "profile", "timeout", "call_timeout",
            "warmup_timeout", "memory_mb", "isolate", "bind", "returns"}
SCORING_KEYS = {"required", "shape_partial_credit", "delegation", "tampering"}
TABLES = {"run", "features", "scoring", "gradescope"}


def load_rubric(path: Union[str, Path]) -> Rubric:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise RubricError(f"rubric {path}: cannot read it ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"rubric {path}: not valid TOML: {error}") from None
    return parse_rubric(data, str(path))


def parse_rubric(data: dict, source: str = "(rubric)") -> Rubric:
    def fail(message: str) -> RubricError:
        return RubricError(f"rubric {source}: {message}")

    unknown = set(data) - TABLES
    if unknown:
        raise fail(f"unknown table(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(TABLES))}")
    settings: dict[str, Any] = {"source": source}
    run = _table(data, "run", RUN_KEYS, fail)
    scoring = _table(data, "scoring", SCORING_KEYS, fail)
    gradescope = _table(data, "gradescope", {"visibility"}, fail)

    if "mode" in run:
        settings["mode"] = _choice(run["mode"], MODES, "run.mode", fail)
    for key, allowed in (("devices", ("cpu", "cuda")), ("dtypes", DTYPES)):
        if key in run:
            values = run[key]
            if not isinstance(values, list) or not values:
                raise fail(f"run.{key} must be a non-empty list")
            settings[key] = tuple(_choice(v, allowed, f"run.{key}", fail) for v in values)
    for key in ("max_examples", "seed", "memory_mb"):
        if key in run:
            settings[key] = _number(run[key], f"run.{key}", fail, integer=True, minimum=0 if key == "seed" else 1)
    for key in ("timeout", "call_timeout", "warmup_timeout"):
        if key in run:
            settings[key] = float(_number(run[key], f"run.{key}", fail, minimum=1))
    if "profile" in run:
        settings["profile"] = _choice(run["profile"], ("ci", "dev"), "run.profile", fail)
    if "isolate" in run:
        if not isinstance(run["isolate"], bool):
            raise fail("run.isolate must be true or false")
        settings["isolate"] = run["isolate"]
    for key in ("bind", "returns"):
        if key in run:
            if not isinstance(run[key], str) or not run[key].strip():
                raise fail(f"run.{key} must be a non-empty string (passed as --rnn-{key})")
            settings[key] = run[key].strip()

    if "features" in data:
        settings["features"] = _features(data["features"], fail)
    if "required" in scoring:
        settings["required"] = _names(scoring["required"], "scoring.required", fail)
    if "shape_partial_credit" in scoring:
        credit = _number(scoring["shape_partial_credit"], "scoring.shape_partial_credit", fail, minimum=0)
        if credit > 1:
            raise fail("scoring.shape_partial_credit is a fraction of the shape feature's points, 0 to 1")
        settings["shape_partial_credit"] = float(credit)
    for key in ("delegation", "tampering"):
        if key in scoring:
            settings[key] = _penalty(scoring[key], f"scoring.{key}", fail)
    if "visibility" in gradescope:
        settings["visibility"] = _choice(gradescope["visibility"], ("visible", "hidden", "after_due_date",
                                                                    "after_published"), "gradescope.visibility", fail)
    return Rubric(**settings)


def with_overrides(rubric: Rubric, mode: Optional[str] = None, timeout: Optional[float] = None,
                   bind: Optional[str] = None, returns: Optional[str] = None) -> Rubric:
    """The command line wins over the file (``--mode``, ``--timeout``, ``--bind``, ``--returns``)."""
    changes: dict[str, Any] = {}
    if mode is not None:
        changes["mode"] = mode
    if timeout is not None:
        changes["timeout"] = float(timeout)
    if bind is not None:
        changes["bind"] = bind
    if returns is not None:
        changes["returns"] = returns
    return replace(rubric, **changes)


def _table(data: dict, name: str, keys: set, fail) -> dict:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise fail(f"[{name}] must be a table")
    unknown = set(table) - keys
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))} in [{name}]; expected {', '.join(sorted(keys))}")
    return table


def _features(table: Any, fail) -> dict:
    if not isinstance(table, dict) or not table:
        raise fail("[features] must list at least one feature")
    rules = {}
    for name, value in table.items():
        if not FEATURE_NAME.match(name):
            raise fail(f"features.{name}: not a feature name")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = {"points": value}
        if not isinstance(value, dict):
            raise fail(f"features.{name} must be a number of points or a table {{points, requires, hidden}}")
        unknown = set(value) - {"points", "requires", "hidden"}
        if unknown:
            raise fail(f"features.{name}: unknown key(s) {', '.join(sorted(unknown))}; expected points, requires, hidden")
        hidden = value.get("hidden", False)
        if not isinstance(hidden, bool):
            raise fail(f"features.{name}.hidden must be true or false")
        requires = _names(value.get("requires", []), f"features.{name}.requires", fail)
        if name in requires:
            raise fail(f"features.{name} cannot require itself")
        rules[name] = FeatureRule(float(_number(value.get("points", 1), f"features.{name}.points", fail, minimum=0)),
                                  requires, hidden)
    return rules


def _names(value: Any, key: str, fail) -> tuple:
    if not isinstance(value, list) or not all(isinstance(v, str) and FEATURE_NAME.match(v) for v in value):
        raise fail(f"{key} must be a list of feature names")
    return tuple(value)


def _choice(value: Any, allowed: tuple, key: str, fail) -> str:
    if value not in allowed:
        raise fail(f"{key} = {value!r}: expected one of {', '.join(allowed)}")
    return value


def _number(value: Any, key: str, fail, integer: bool = False, minimum: float = 0) -> Union[int, float]:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        raise fail(f"{key} = {value!r}: expected {'an integer' if integer else 'a number'} >= {minimum:g}")
    return value


def _penalty(value: Any, key: str, fail) -> Penalty:
    if value in ("zero", "ignore"):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise fail(f"{key} = {value!r}: expected \"zero\", \"ignore\" or a number of points to subtract")
