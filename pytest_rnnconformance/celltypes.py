"""Cells beyond torch.nn's three: what the ``register_cells`` hook registers.

A kernel author's peephole LSTM, or a learner's minimal GRU variant, has no torch.nn module to
compare against. Registered here with its own reference step, it becomes a *mode* like ``lstm``:
specs, strategies, the reference, every feature and the report handle it as they handle the
built-in ones. What stands in for torch.nn is the registered reference itself, run in the
candidate's dtype (it measures that dtype's rounding, as torch.nn's own error does for the built-in
modes); the float64 reference remains the ground truth, and the metamorphic checks of
``continuation`` (layers stack, directions split, rows stand alone) need no oracle at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from .reference.cells import Cell, register_cell

BUILT_IN = ("rnn", "lstm", "gru")


@dataclass(frozen=True)
class CellType:
    """A recurrent cell the suite can test, described by what torch.nn's own modes fix in code.

    `name` is the mode (``--rnn-mode``, test ids, `RNNSpec.mode`); `gates` the number of gate blocks
    stacked in ``weight_ih``/``weight_hh``/the biases, as torch.nn stacks them; `cell_state` whether
    the state is ``(h, c)`` (like an LSTM) or ``h``; `extra_weights` maps the base name of each
    further per-layer, per-direction weight (``weight_ci`` becomes ``weight_ci_l0``,
    ``weight_ci_l0_reverse``...) to its shape as a function of hidden_size; `cell` is the reference
    (``reference.cells.Cell``), whose step finds those weights in ``weights.extra``.
    """

    name: str
    gates: int
    cell: Cell
    cell_state: bool = False
    extra_weights: Mapping[str, Callable[[int], tuple]] = field(default_factory=dict)
    title: str = ""  # how specs describe it: "peephole LSTM"

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name in BUILT_IN:
            raise ValueError(f"a registered cell needs a new identifier as its name, got {self.name!r}")
        if self.gates < 1:
            raise ValueError(f"cell {self.name!r}: gates must be at least 1, got {self.gates}")


_REGISTRY: dict = {}


def register(cell_type: CellType) -> None:
    """Make `cell_type` a mode (idempotent for the same object; a different one of the same name is an error)."""
    if not isinstance(cell_type, CellType):
        raise TypeError(f"expected a pytest_rnnconformance.celltypes.CellType, got {type(cell_type).__name__}")
    known = _REGISTRY.get(cell_type.name)
    if known is not None and known is not cell_type:
        raise ValueError(f"a cell named {cell_type.name!r} is already registered")
    _REGISTRY[cell_type.name] = cell_type
    register_cell(cell_type.name, cell_type.cell)


def registered(name: str):
    """The `CellType` of mode `name`, or None for the built-in modes and unknown names."""
    return _REGISTRY.get(name)


def all_modes() -> tuple:
    """The built-in modes, then every registered one."""
    return BUILT_IN + registered_modes()


def registered_modes() -> tuple:
    """The names of the registered cells (no built-in mode)."""
    return tuple(_REGISTRY)
