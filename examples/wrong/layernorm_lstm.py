"""WRONG on purpose: a layer-normalized LSTM (Ba et al., 2016) passed off as torch.nn.LSTM.

The gate pre-activations of each step are layer-normalized (``F.layer_norm`` over the 4H gate
features, no learnable gain or bias) before they are split and activated. That is a different
recurrence from nn.LSTM's, and every output and state differs from the first step on, by an amount
that does not come from any single misplaced term. Gate order (i, f, g, o), activations, biases,
the cell update and the state handling are all torch's.

No known catalogue mistake matches: it is not a gate permutation or substitution, a missing or
doubled bias, a wrong activation, a state mix-up or a precision loss, so the suite must fail it
without naming a cause.

    pytest --rnn-impl examples/wrong/layernorm_lstm.py:lstm_forward     # fails: forward; rows built on it blocked

Calling convention: by-name, one layer, one direction, seq-first, state without the layer
dimension: ``lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh)``.
"""
import torch
import torch.nn.functional as F


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh):
    h, c = initial_states
    outputs = []
    for x_t in input:
        gates = x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        gates = F.layer_norm(gates, gates.shape[-1:])  # normalized gates train faster
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
