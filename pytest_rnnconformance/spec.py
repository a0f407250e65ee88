"""`RNNSpec`: one recurrent-network configuration, validated as torch.nn validates it.

Everything in the suite speaks in specs: strategies draw them, oracles build torch.nn modules from
them, binders translate them into an implementation's arguments, reports print them. Keeping the
rules (which combinations are legal, what every tensor's shape is, what each weight is called) in
one frozen dataclass means no other module has to know them.
"""
from __future__ import annotations

import dataclasses
import numbers
import operator
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import modes
from .reference.parameters import layer_parameter_shapes, parameter_shapes

if TYPE_CHECKING:  # torch is imported lazily so that loading the plugin stays cheap
    import torch

NONLINEARITIES = ("tanh", "relu")


@dataclass(frozen=True)
class RNNSpec:
    """A configuration of torch.nn.RNN / LSTM / GRU, or of one of their cells.

    The fields and their defaults are torch.nn's constructor arguments; `mode` picks the module
    (``"lstm"``, ``"gru_cell"``, a registered cell...) and `nonlinearity` only applies to the RNN
    modes. Construction raises exactly the exception type and message torch.nn raises for the same
    arguments, so a spec that exists is one torch.nn accepts. A cell mode has one layer, one
    direction and no layout, projection or dropout.
    """

    mode: str
    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False
    proj_size: int = 0
    nonlinearity: str = "tanh"

    def __post_init__(self) -> None:
        _validate(self)

    # ----------------------------------------------------------------- the mode
    @property
    def recurrence(self) -> modes.Mode:
        """The `modes.Mode` of this spec (its family, gates, states, torch.nn class)."""
        return modes.get(self.mode)

    @property
    def single_step(self) -> bool:
        """True for the cell modes (``lstm_cell``...): one step, no time dimension."""
        return self.recurrence.single_step

    @property
    def has_torch_module(self) -> bool:
        """Whether torch.nn has this network (False for a registered cell)."""
        return self.recurrence.registered is None

    @property
    def gate_count(self) -> int:
        """How many gate blocks are stacked in each weight: 1 (RNN), 3 (GRU), 4 (LSTM)."""
        return self.recurrence.gates

    @property
    def num_states(self) -> int:
        """1 for RNN and GRU (h), 2 for LSTM (h, c); a registered cell says which."""
        return self.recurrence.states

    @property
    def result_names(self) -> tuple[str, ...]:
        """``("output", "h_n", "c_n")`` (LSTM), ``("output", "h_n")``, or a cell's ``("h_1", "c_1")``."""
        return self.recurrence.result_names

    # ----------------------------------------------------------------- derived sizes
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_hidden_size(self) -> int:
        """Width of h (and of each direction's output): proj_size when projecting, else hidden_size."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def extra_weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """A registered cell's own per-layer weights: base name -> shape (empty for torch.nn's modes)."""
        registered = self.recurrence.registered
        if registered is None:
            return {}
        return {name: tuple(shape(self.hidden_size)) for name, shape in registered.extra_weights.items()}

    # ----------------------------------------------------------------- parameters
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Each parameter's shape, keyed by torch.nn's name, in torch's registration order."""
        if self.single_step:
            return layer_parameter_shapes(self.gate_count, self.input_size, self.hidden_size, bias=self.bias)
        shapes = parameter_shapes(self.recurrence.family, self.input_size, self.hidden_size, self.num_layers,
                                  bias=self.bias, bidirectional=self.bidirectional, proj_size=self.proj_size,
                                  gates=self.gate_count)
        extra = self.extra_weight_shapes()
        if not extra:
            return shapes
        by_layer: dict[str, dict] = {}  # a registered cell's own weights follow each layer's torch.nn ones
        for name, shape in shapes.items():
            by_layer.setdefault(name[name.index("_l"):], {})[name] = shape
        return {name: shape for suffix, layer in by_layer.items()
                for name, shape in {**layer, **{base + suffix: value for base, value in extra.items()}}.items()}

    def param_names(self) -> list[str]:
        """All parameter names in torch's registration (and `_flat_weights`) order."""
        return list(self.param_shapes())

    def layer_param_names(self, layer: int, direction: int = 0) -> list[str]:
        """torch.nn's names of one layer's weights for one direction, in torch's order."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return [name for name in self.param_names() if name.endswith(suffix)
                and name[name.index("_l"):] == suffix]

    # ----------------------------------------------------------------- tensor shapes
    def input_shape(self, time: int, batch: int | None) -> tuple[int, ...]:
        """Shape of the input; `batch=None` means unbatched (time, features), or (features,) for a cell."""
        if self.single_step:
            return (self.input_size,) if batch is None else (batch, self.input_size)
        if batch is None:
            return (time, self.input_size)
        return (batch, time, self.input_size) if self.batch_first else (time, batch, self.input_size)

    def state_shapes(self, batch: int | None) -> tuple[tuple[int, ...], ...]:
        """Shapes of h0/h_n (and c0/c_n for LSTM). States are never batch-first; a cell's have no
        layer dimension."""
        leading = () if self.single_step else (self.num_directions * self.num_layers,)
        leading += () if batch is None else (batch,)
        shapes = [leading + (self.output_hidden_size,)]
        if self.num_states == 2:
            shapes.append(leading + (self.hidden_size,))
        return tuple(shapes)

    def output_shape(self, time: int, batch: int | None) -> tuple[int, ...]:
        width = self.num_directions * self.output_hidden_size
        if batch is None:
            return (time, width)
        return (batch, time, width) if self.batch_first else (time, batch, width)

    # ----------------------------------------------------------------- torch.nn
    def torch_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for torch.nn's constructor of this mode."""
        family = self.recurrence.family
        kwargs: dict[str, Any] = dict(input_size=self.input_size, hidden_size=self.hidden_size, bias=self.bias)
        if not self.single_step:
            kwargs.update(num_layers=self.num_layers, batch_first=self.batch_first, dropout=self.dropout,
                          bidirectional=self.bidirectional)
        if family == "lstm" and not self.single_step:
            kwargs["proj_size"] = self.proj_size
        if family == "rnn":
            kwargs["nonlinearity"] = self.nonlinearity
        return kwargs

    def build_module(
        self,
        params: dict[str, torch.Tensor] | None = None,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> torch.nn.Module:
        """The matching torch.nn module, holding `params` (copied) when given."""
        import torch

        name = self.recurrence.torch_class_name
        if name is None:
            raise TypeError(f"torch.nn has no module for the registered cell {self.mode!r}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the dropout-with-one-layer warning is the spec's to give
            module = getattr(torch.nn, name)(**self.torch_kwargs(), dtype=dtype, device=device)
        if params is not None:
            with torch.no_grad():
                for parameter_name, value in module.named_parameters():
                    value.copy_(params[parameter_name])
        return module

    def replace(self, **changes: Any) -> RNNSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_module(cls, module: torch.nn.Module) -> RNNSpec:
        """The spec of an existing torch.nn.RNN / LSTM / GRU or one of their cells."""
        import torch

        for name in ("LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"):
            if isinstance(module, getattr(torch.nn, name)):
                break
        else:
            raise TypeError(f"expected a torch.nn RNN, LSTM, GRU or one of their cells, got {type(module).__name__}")
        mode = name.lower().replace("cell", "_cell")
        if mode.endswith("_cell"):
            return cls(mode, module.input_size, module.hidden_size, bias=module.bias,
                       nonlinearity=getattr(module, "nonlinearity", "tanh"))
        return cls(mode=mode, input_size=module.input_size, hidden_size=module.hidden_size,
                   num_layers=module.num_layers, bias=module.bias, batch_first=module.batch_first,
                   dropout=module.dropout, bidirectional=module.bidirectional, proj_size=module.proj_size,
                   nonlinearity=getattr(module, "nonlinearity", "tanh"))

    def describe(self) -> str:
        """A short human description: 'LSTM 3->5, 2 layers, bidirectional, batch_first, proj 2'."""
        title = f"RNN({self.nonlinearity})" if self.mode == "rnn" else self.recurrence.title
        if self.mode == "rnn_cell":
            title = f"RNNCell({self.nonlinearity})"
        parts = [f"{title} {self.input_size}->{self.hidden_size}"]
        if not self.single_step:
            parts.append(f"{self.num_layers} layer" + ("s" if self.num_layers > 1 else ""))
            parts.append("bidirectional" if self.bidirectional else "one direction")
            parts.append("batch_first" if self.batch_first else "seq-first")
        if not self.bias:
            parts.append("no bias")
        if self.proj_size:
            parts.append(f"proj {self.proj_size}")
        if self.dropout:
            parts.append(f"dropout {self.dropout}")
        return ", ".join(parts)


def _validate(spec: RNNSpec) -> None:
    """Raise what torch.nn's constructor raises for these arguments, in torch.nn's order."""
    try:
        recurrence = modes.get(spec.mode)
    except (KeyError, TypeError):
        raise ValueError(f"Unrecognized RNN mode: {spec.mode!r}; expected one of {', '.join(modes.all_modes())}") \
            from None
    if recurrence.family != "lstm" and spec.proj_size != 0:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if recurrence.family == "rnn" and spec.nonlinearity not in NONLINEARITIES:
        raise ValueError(f"Unknown nonlinearity '{spec.nonlinearity}'. Select from 'tanh' or 'relu'.")
    if recurrence.family != "rnn" and spec.nonlinearity != "tanh":
        raise TypeError("RNNBase.__init__() got an unexpected keyword argument 'nonlinearity'")
    if recurrence.single_step:
        for name, default in (("num_layers", 1), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False),
                              ("proj_size", 0)):
            if getattr(spec, name) != default:
                raise TypeError(f"{recurrence.title}.__init__() got an unexpected keyword argument '{name}'")
    dropout = spec.dropout
    float(dropout)  # torch.nn converts first: a string or None fails here, with Python's own message
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
        )
    if dropout > 0 and spec.num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
            f"num_layers greater than 1, but got dropout={dropout} and num_layers={spec.num_layers}",
            stacklevel=4,
        )
    for name in ("bias", "batch_first"):
        value = getattr(spec, name)
        if not isinstance(value, bool):
            raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    for name in ("input_size", "hidden_size"):
        value = getattr(spec, name)
        if not isinstance(value, int):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if spec.num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if spec.proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if spec.proj_size >= spec.hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    operator.index(spec.num_layers)  # torch fails in range(num_layers): same TypeError, same text
    if not isinstance(spec.proj_size, int):  # torch fails creating weight_hh with this shape
        raise TypeError(
            "empty(): argument 'size' failed to unpack the object at pos 2 with error "
            f"\"type must be tuple of ints,but got {type(spec.proj_size).__name__}\"")
