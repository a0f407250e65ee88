"""A one-layer LSTM written with a plain time loop.

Bug (catalogue id ``gate_order``): the four gate blocks stacked in ``w_ih``/``w_hh`` are read in
the order input, forget, output, cell candidate (i, f, o, g) -- the order used by many tutorials
("the first three blocks are the sigmoid gates, the last one is the tanh candidate").  torch.nn
stacks them as i, f, g, o, so here the tanh is taken over the output-gate block and the sigmoid
over the candidate block.  Every output and state is wrong from the first step on.

Calling convention: by-name, one layer, one direction, seq-first::

    lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)

``input`` is (T, B, I); ``initial_states`` is ``(h0, c0)`` with h0 (B, Hout) and c0 (B, H), without
the layer dimension; ``w_hr`` (P, H) is the optional LSTMP projection.  Returns
``(output (T, B, Hout), (h_n (B, Hout), c_n (B, H)))``.
"""
import torch


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    h, c = initial_states
    hidden_size = w_hh.shape[0] // 4
    outputs = []
    for t in range(input.shape[0]):
        gates = input[t] @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh
        # the first three blocks are the sigmoid gates, the last one is the candidate
        i = torch.sigmoid(gates[:, :hidden_size])
        f = torch.sigmoid(gates[:, hidden_size:2 * hidden_size])
        o = torch.sigmoid(gates[:, 2 * hidden_size:3 * hidden_size])
        g = torch.tanh(gates[:, 3 * hidden_size:])
        c = f * c + i * g
        h = o * torch.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.t()
        outputs.append(h)
    return torch.stack(outputs), (h, c)
