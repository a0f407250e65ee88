"""The names people give an RNN's parameters, and what each one means.

Implementations are bound by the *names* of their parameters, so a learner's
``lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)`` or a module built as
``MyLSTM(input_dim, hidden_dim)`` runs as written. Each known name maps to a *role*: a tensor of the
check (``input``, the state, one of torch.nn's weights), a setting (``num_layers``...), or a whole
collection (torch.nn's ``params`` dict, ``flat_weights``, the ``spec``). The lists grew from the
code learners write: course homework, book follow-alongs, "from scratch" posts, d2l-style functions.
Names not listed here can be declared with ``--rnn-bind`` (see `declared`).
"""
from __future__ import annotations

from typing import Optional

ROLE_NAMES = {
    "input": ("input", "x", "inputs", "X", "input_seq", "sequence", "seq", "x_t", "xt", "X_t", "x_seq",
              "input_sequence", "inputs_seq", "xs"),
    "hx": ("hx", "h0", "h_prev", "prev_h", "initial_states", "initial_state", "state", "states", "hidden", "h_0",
           "init_state", "h", "a0", "a_prev", "h_t", "ht", "h_t_1", "hidden_state", "initial_hidden_state",
           "init_hidden", "h_init", "H", "hc", "prev_state", "hprev", "h_prev_t", "init_states", "H_C", "h_c",
           "hidden_cell", "H_prev", "h_tm1", "H_t"),
    "cx": ("c0", "c_prev", "prev_c", "c_0", "cx", "c", "c_t", "ct", "cell_state", "initial_cell_state", "c_init",
           "init_cell", "C", "C_prev", "c_tm1", "C_t", "prev_c_t"),
    "weight_ih": ("weight_ih", "w_ih", "W_ih"),
    "weight_hh": ("weight_hh", "w_hh", "W_hh"),
    "bias_ih": ("bias_ih", "b_ih"),
    "bias_hh": ("bias_hh", "b_hh"),
    "weight_hr": ("weight_hr", "w_hr", "W_hr"),
    "params": ("params", "weights", "state_dict", "parameters"),
    "flat_weights": ("flat_weights", "all_weights"),
    "spec": ("spec", "config"),
    "num_layers": ("num_layers", "n_layers", "layers", "nlayers"),
    "bidirectional": ("bidirectional",),
    "batch_first": ("batch_first",),
    "bias": ("bias", "has_biases", "use_bias"),
    "dropout": ("dropout",),
    "train": ("train", "training"),
    "proj_size": ("proj_size",),
    "hidden_size": ("hidden_size", "hidden_sz", "hidden_dim", "num_hiddens", "n_hidden", "hidden_units", "n_hiddens",
                    "num_hidden", "hid_dim", "hidden", "h_dim", "n_h", "hiddens", "nhid", "n_hid", "units"),
    "input_size": ("input_size", "input_sz", "input_dim", "num_inputs", "n_input", "n_inputs", "in_dim", "in_features",
                   "x_dim", "n_x", "input_features", "vocab_size", "n_in", "ninp", "nin"),
    "nonlinearity": ("nonlinearity",),
    "device": ("device",),  # a module built where the check runs, in its dtype (as torch.nn's factory kwargs)
    "dtype": ("dtype",),
    "mode": ("mode",),
}
#: Roles that exist once per direction: a ``_reverse`` suffix names the second direction's.
PER_DIRECTION_ROLES = ("hx", "cx", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
WEIGHT_ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
SETTING_ROLES = ("num_layers", "bidirectional", "batch_first", "bias", "dropout", "train", "proj_size",
                 "hidden_size", "input_size", "nonlinearity", "mode", "device", "dtype")
REVERSE_SUFFIXES = ("_reverse", "_rev", "_backward", "_bwd")
#: State names that say "h" alone: in an LSTM without a c0 parameter they get h0 (the cell state then
#: starts at zero, as in CS231n's ``lstm_forward(x, h0, Wx, Wh, b)``); the other state names
#: (``hx``, ``state``, ``hidden``, and ``h``, which code uses both ways) get the pair (h0, c0), as
#: torch.nn passes it.
H_ALONE = ("h0", "h_0", "h_prev", "prev_h", "a0", "a_prev", "initial_hidden_state", "h_init", "hprev", "H_prev",
           "h_tm1")
#: Names that mean a size in a constructor but a tensor in a function (``hidden``).
CONSTRUCTOR_ONLY = {"hidden": "hidden_size"}

_NAME_TO_ROLE = {name: role for role, names in ROLE_NAMES.items() for name in names
                 if name not in CONSTRUCTOR_ONLY or role != "hidden_size"}


_LOWER_TO_ROLE = {name.lower(): role for name, role in _NAME_TO_ROLE.items()}


def role_of(name: str, *, constructor: bool = False) -> tuple[Optional[str], bool]:
    """(role, reverse) of a parameter name: ``'w_ih_reverse'`` -> ``('weight_ih', True)``.

    In a constructor, size names win over tensor names (``hidden`` is the hidden size there).
    """
    if constructor and name in CONSTRUCTOR_ONLY:
        return CONSTRUCTOR_ONLY[name], False
    if constructor and name in ROLE_NAMES["hidden_size"]:
        return "hidden_size", False
    if name in _NAME_TO_ROLE:
        return _NAME_TO_ROLE[name], False
    if name.lower() in _LOWER_TO_ROLE:  # C0, H_prev, X_seq: the same names in capitals
        return _LOWER_TO_ROLE[name.lower()], False
    for suffix in REVERSE_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in _NAME_TO_ROLE:
            role = _NAME_TO_ROLE[name[: -len(suffix)]]
            if role in PER_DIRECTION_ROLES:
                return role, True
    return None, False


def known_names() -> str:
    """The short list of names a usage error quotes."""
    return ("input/x, hx/h0/h_prev/initial_states, c0/c_prev, weight_ih/w_ih, weight_hh, bias_ih, bias_hh, "
            "weight_hr, params, flat_weights, spec and torch.nn's settings")
