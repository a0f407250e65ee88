"""The words a verdict is made of: a cell's `Status` and a failure's `Kind`, one vocabulary each.

Every module that decides, records or prints a verdict compares against these members, never
against prose: a summary is for people (and may quote the implementation's own messages, which can
hold any words), a status or a kind is for control flow. Both are ``str`` enums, so the JSON report,
junitxml properties and ``--rnn-expect`` files keep the plain strings of the report schema
(``"pass"``, ``"fail"``, ...), and a string read back from a report compares equal to its member.
"""
from __future__ import annotations

from enum import Enum


class _Word(str, Enum):
    """A member that prints, formats and serialises as its plain value."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    __hash__ = str.__hash__  # a member and its string are one key of a dict or set


class Status(_Word):
    """A row's verdict in one column (the report schema's ``status``)."""

    PASS = "pass"
    FAIL = "fail"  # wrong: values, shapes, dtypes, gradients, purity, delegation, a relation
    UNSUPPORTED = "unsupported"  # refused with NotImplementedError, declared, or not in the signature
    ERROR = "error"  # crashed, hung or returned something unusable
    BLOCKED = "blocked"  # another row's defect (the row in ``blocked_by``), not judged again

    @property
    def failing(self) -> bool:
        """Whether pytest counts it as a failed test (a blocked or unsupported row is a skip)."""
        return self in (Status.FAIL, Status.ERROR)


#: The statuses a `Failure` can have (a pass or an unsupported row has no failure).
FAILURE_STATUSES = (Status.FAIL, Status.ERROR, Status.BLOCKED)
#: The statuses a known gap may declare (``--rnn-expect``): everything but a pass.
EXPECTABLE = (Status.FAIL, Status.ERROR, Status.UNSUPPORTED, Status.BLOCKED)


class Kind(_Word):
    """What a failure is about (the JSON report's ``kind``)."""

    VALUES = "values"
    SHAPE = "shape"
    DTYPE = "dtype"
    GRADIENTS = "gradients"
    PURITY = "purity"
    DELEGATION = "delegation"
    RELATION = "relation"  # the implementation disagrees with itself (layers stack, directions join...)
    REFUSED = "refused"  # it refused what must be checked (its own base, a --rnn-require row)
    CRASH = "crash"  # it raised, hung, died, tampered, or returned something unusable
    FLAKY = "flaky"  # a failure that did not happen again on the same case
    ORACLES = "oracles"  # torch.nn and the float64 reference disagree: nothing to blame
    INTERNAL = "internal"  # the plugin's own check could not judge the row: a bug of the plugin


#: Kinds that say the implementation's results are wrong (rendered with a likely cause).
WRONG_RESULTS = (Kind.VALUES, Kind.SHAPE, Kind.GRADIENTS, Kind.RELATION, Kind.DTYPE)
