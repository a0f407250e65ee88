"""Evidence: each fact a verdict rests on, and how it was established.

A conformance verdict is only worth what the facts under it are worth (the layout, each state's
form, what every parameter holds, what is supported, what is returned). Each fact is exactly one
of *declared* (``--rnn-bind``, ``--rnn-returns``, ``--rnn-mode``, ``@implements``), *read* (the
names and the signature leave one reading) or *proven* (an experiment whose alternatives were all
tried). A fact the evidence could not settle is *unproven*: a run may still report a failure that
holds under every remaining candidate, but never a pass. One record, rendered once: the report
header and the JSON report (``binding.evidence``) both read it.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class How(str, Enum):
    """How a fact was established (the JSON report writes the value)."""

    DECLARED = "declared"
    READ = "read"
    PROVEN = "proven"
    UNPROVEN = "unproven"


@dataclass(frozen=True)
class Fact:
    """One fact: ``layout`` is ``batch-first``, proven by ``seq-first input raised NotImplementedError``."""

    name: str
    value: str
    how: How
    because: str

    def render(self) -> str:
        return f"{self.name} {self.value}: {self.how.value} ({self.because})"

    def as_json(self) -> dict:
        return {"fact": self.name, "value": self.value, "how": self.how.value, "because": self.because}


def render(facts: tuple) -> str:
    """'layout batch-first: proven (...); returns output: proven (...)': the header's evidence."""
    return "; ".join(fact.render() for fact in facts)


def proven(facts: tuple) -> bool:
    """Whether every fact is settled: a pass needs it."""
    return all(fact.how is not How.UNPROVEN for fact in facts)
