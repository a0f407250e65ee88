"""The names learners give an RNN's parts, grouped by what they hold, for the generator to draw from.

Each pool is taken from a way of writing RNNs people copy: torch.nn's own names, d2l's ``W_xh``,
CS231n's ``Wx``/``prev_h``, Keras' ``kernel``/``recurrent_kernel``, Cho et al.'s ``W``/``U`` per gate,
torch's LSTM documentation's ``W_ii``/``W_hi``, karpathy's ``Wxh``/``Whh``/``bh``, Andrew Ng's ``a0``.
The names are drawn without regard to what the plugin knows: a generated implementation is a new
user, not a test of the plugin's own table.
"""
from __future__ import annotations

INPUTS = ("input", "x", "X", "inputs", "xs", "seq")
HIDDEN_STATES = ("hx", "h0", "h_prev", "prev_h", "a0", "hprev", "h_init")
CELL_STATES = ("c0", "c_prev", "prev_c", "cx", "C0")
#: One parameter holding an LSTM's (h0, c0).
STATE_PAIRS = ("hx", "initial_states", "state", "hc", "hidden")
INPUT_SIZES = ("input_size", "n_in", "input_dim", "num_inputs", "in_features")
HIDDEN_SIZES = ("hidden_size", "n_hidden", "num_hiddens", "hidden_dim", "units")

#: (input-side, hidden-side) weight names for one matrix each, by storage.
TORCH_WEIGHTS = (("weight_ih", "weight_hh"), ("w_ih", "w_hh"), ("W_ih", "W_hh"), ("Wxh", "Whh"),
                 ("W_xh", "W_hh"), ("W", "U"), ("W_x", "W_h"))
TRANSPOSED_WEIGHTS = (("Wx", "Wh"), ("kernel", "recurrent_kernel"), ("W_xh", "W_hh"), ("Wxh", "Whh"),
                      ("W_x", "W_h"), ("w_ih", "w_hh"), ("W", "U"))
LIST_WEIGHTS = (("Wx", "Wh"), ("W_x", "W_h"), ("gate_weights_x", "gate_weights_h"))
CONCAT_WEIGHTS = ("W", "W_cat", "W_hx", "Wcat")
#: One bias for both sides, or the two of torch.nn.
SUMMED_BIASES = ("b", "bias", "b_h", "bh", "bias_hh", "b_hh")
TWO_BIASES = (("bias_ih", "bias_hh"), ("b_ih", "b_hh"), ("bx", "bh"), ("b_x", "b_h"))


def per_gate_names(scheme: str, letter: str) -> dict:
    """The names of one gate's parts under a per-gate naming `scheme` (`letter` is the scheme's own
    name for the gate): its input weight, hidden weight, summed bias, and two biases."""
    if scheme == "torch_docs":  # W_ii, W_hi, b_ii, b_hi (torch.nn.LSTM's documentation)
        return {"x": f"W_i{letter}", "h": f"W_h{letter}", "b": f"b_{letter}", "bx": f"b_i{letter}",
                "bh": f"b_h{letter}"}
    if scheme == "d2l":  # W_xi, W_hi, b_i (d2l.ai from scratch)
        return {"x": f"W_x{letter}", "h": f"W_h{letter}", "b": f"b_{letter}", "bx": f"b_x{letter}",
                "bh": f"b_h{letter}"}
    # cho: Wz, Uz, bz; the candidate's are plain W, U, b (Cho et al. 2014)
    return {"x": f"W{letter}", "h": f"U{letter}", "b": f"b{letter}", "bx": f"bw{letter}", "bh": f"bu{letter}"}


#: Each per-gate scheme's letters for torch's gates (LSTM i, f, g, o; GRU r, z, n), and whether its
#: matrices are stored (out, in) as torch's are, or (in, out).
PER_GATE_SCHEMES = {
    "torch_docs": {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "out_in": True},
    "d2l": {"lstm": ("i", "f", "c", "o"), "gru": ("r", "z", "h"), "out_in": False},
    "cho": {"lstm": ("i", "f", "c", "o"), "gru": ("r", "z", ""), "out_in": True},
}
#: Entry names that say the mode, as learners name them.
FUNCTION_NAMES = {"rnn": ("rnn_forward", "rnn"), "lstm": ("lstm_forward", "lstm"), "gru": ("gru_forward", "gru")}
CELL_NAMES = {"rnn": ("rnn_cell", "rnn_step"), "lstm": ("lstm_cell", "lstm_step"), "gru": ("gru_cell", "gru_step")}
CLASS_NAMES = {"rnn": ("MyRNN", "SimpleRNN"), "lstm": ("MyLSTM", "ScratchLSTM"), "gru": ("MyGRU", "ScratchGRU")}
METHOD_NAMES = ("run", "forward_sequence", "unroll")
