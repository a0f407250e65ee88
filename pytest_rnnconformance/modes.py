"""The recurrences the suite can test, in one registry: torch.nn's six and any a plugin registers.

A *mode* names what an implementation computes: ``rnn``, ``lstm`` and ``gru`` run whole sequences
(against ``nn.RNN``/``LSTM``/``GRU``), ``rnn_cell``, ``lstm_cell`` and ``gru_cell`` one step (against
``nn.RNNCell``/``LSTMCell``/``GRUCell``), and the ``register_cells`` hook adds cells torch.nn lacks (a
peephole LSTM), given as a `CellType`. Everything that needs the list of modes (options, specs, the
binder's name inference, strategies, the oracles) asks here.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from .reference import cell_step, forward
from .reference.cells import Cell, LayerWeights
from .reference.parameters import GATES
from .reference.stack import layer_weights

SEQUENCE_MODES = ("rnn", "lstm", "gru")
CELL_MODES = ("rnn_cell", "lstm_cell", "gru_cell")


@dataclass(frozen=True)
class CellType:
    """A recurrent cell torch.nn does not have, as the ``register_cells`` hook returns it.

    `name` is the mode (``--rnn-mode``, test ids, `RNNSpec.mode`); `gates` the number of gate blocks
    stacked in ``weight_ih``/``weight_hh``/the biases, as torch.nn stacks them; `cell_state` whether
    the state is ``(h, c)`` (like an LSTM) or ``h``; `extra_weights` maps the base name of each
    further per-layer, per-direction weight (``weight_ci`` becomes ``weight_ci_l0``,
    ``weight_ci_l0_reverse``...) to its shape as a function of hidden_size; `cell` is the reference
    step (``reference.cells.Cell``), which finds those weights in ``weights.extra``.
    """

    name: str
    gates: int
    cell: Cell
    cell_state: bool = False
    extra_weights: Mapping[str, Callable[[int], tuple]] = field(default_factory=dict)
    title: str = ""  # how specs describe it: "peephole LSTM"

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name in SEQUENCE_MODES + CELL_MODES:
            raise ValueError(f"a registered cell needs a new identifier as its name, got {self.name!r}")
        if self.gates < 1:
            raise ValueError(f"cell {self.name!r}: gates must be at least 1, got {self.gates}")


@dataclass(frozen=True)
class Mode:
    """One recurrence: its name, its cell family, whether it is a single step, and its shape."""

    name: str
    family: str  # the equations: "rnn", "lstm", "gru", or a registered cell's name
    single_step: bool
    gates: int
    states: int  # 1: h; 2: (h, c)
    title: str
    registered: Optional[CellType] = None

    @property
    def torch_class_name(self) -> Optional[str]:
        """``"LSTM"``, ``"GRUCell"``...: torch.nn's module for this mode (None for a registered cell)."""
        if self.registered is not None:
            return None
        base = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[self.family]
        return base + ("Cell" if self.single_step else "")

    @property
    def result_names(self) -> tuple[str, ...]:
        """The names of what it returns: torch.nn's (output, h_n, c_n), or a cell's (h_1, c_1)."""
        if self.single_step:
            return ("h_1", "c_1")[: self.states]
        return ("output", "h_n", "c_n")[: self.states + 1]


def _built_in() -> dict[str, Mode]:
    modes = {}
    for single_step in (False, True):
        for family in SEQUENCE_MODES:
            states = 2 if family == "lstm" else 1
            name = family + ("_cell" if single_step else "")
            title = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[family] + ("Cell" if single_step else "")
            modes[name] = Mode(name, family, single_step, GATES[family], states, title)
    return modes


_MODES: dict[str, Mode] = _built_in()


def register(cell_type: CellType) -> None:
    """Make `cell_type` a mode (idempotent for the same object; another of the same name is an error)."""
    if not isinstance(cell_type, CellType):
        raise TypeError(f"expected a pytest_rnnconformance.CellType, got {type(cell_type).__name__}")
    known = _MODES.get(cell_type.name)
    if known is not None and known.registered is not cell_type:
        raise ValueError(f"a cell named {cell_type.name!r} is already registered")
    _MODES[cell_type.name] = Mode(cell_type.name, cell_type.name, False, cell_type.gates,
                                  2 if cell_type.cell_state else 1, cell_type.title or cell_type.name, cell_type)


def get(name: str) -> Mode:
    """The `Mode` called `name`; KeyError for an unknown one."""
    return _MODES[name]


def all_modes() -> tuple[str, ...]:
    """Every mode's name: torch.nn's sequence modes, their cells, then the registered ones."""
    return tuple(_MODES)


def registered_modes() -> tuple[str, ...]:
    """The names of the registered cells."""
    return tuple(name for name, mode in _MODES.items() if mode.registered is not None)


#: A registered cell's layer weights: torch.nn's five, plus its own as ``.extra`` by base name.
WeightsWithExtra = namedtuple("WeightsWithExtra", LayerWeights._fields + ("extra",))


def _registered_weights(params: dict, config, layer: int, direction: int) -> WeightsWithExtra:
    """The reference's `weights_of` hook for a registered cell."""
    weights = layer_weights(params, config, layer, direction)
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    return WeightsWithExtra(*weights, extra={name: params[name + suffix] for name in config.extra_weight_shapes()})


def reference(input: Any, hx: Any, params: dict, spec, *, training: bool = False, **hooks: Any) -> Any:
    """The bundled reference for `spec`'s mode: a sequence network, one step of a cell, or a
    registered cell run through the reference's own loops. `hooks` are ``reference.forward``'s."""
    mode = get(spec.mode)
    if mode.registered is not None:
        hooks = {"cell": mode.registered.cell._replace(states=mode.states), "weights_of": _registered_weights, **hooks}
    if mode.single_step:
        return cell_step(input, hx, params, mode.family, spec.nonlinearity, cell=hooks.get("cell"))
    return forward(input, hx, params, spec, training=training, **hooks)
