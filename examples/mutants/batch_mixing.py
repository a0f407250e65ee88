"""A one-layer LSTM that takes batch-first input and loops over time.

Bug (catalogue id ``batch_mixing``): to get a time-major tensor the author wrote
``input.reshape(seq_len, batch, features)`` instead of ``input.transpose(0, 1)`` (and, to go
back, ``reshape(batch, seq_len, hidden)`` on the stacked outputs).  A reshape keeps the memory
order, so the "time step" t the loop sees is a slice of flattened (batch, time) rows: steps of
different batch elements are fed into the same sequence.  With batch 1 (or T == 1) the reshape
equals the transpose and the result is right; with a batch of several sequences each sample's
result depends on the others.

Calling convention: by-name, one layer, one direction, batch-first::

    lstm_forward(input, state, weight_ih, weight_hh, bias_ih, bias_hh)

``input`` is (B, T, I); ``state`` is ``(h0, c0)`` each (B, H).  Returns
``(output (B, T, H), (h_n (B, H), c_n (B, H)))``.
"""
import torch


def lstm_forward(input, state, weight_ih, weight_hh, bias_ih, bias_hh):
    batch, seq_len, features = input.shape
    x = input.reshape(seq_len, batch, features)  # time-major
    h, c = state
    outputs = []
    for t in range(seq_len):
        gates = torch.nn.functional.linear(x[t], weight_ih, bias_ih) \
            + torch.nn.functional.linear(h, weight_hh, bias_hh)
        in_gate, forget_gate, cell_gate, out_gate = gates.chunk(4, 1)
        c = torch.sigmoid(forget_gate) * c + torch.sigmoid(in_gate) * torch.tanh(cell_gate)
        h = torch.sigmoid(out_gate) * torch.tanh(c)
        outputs.append(h)
    output = torch.stack(outputs).reshape(batch, seq_len, -1)  # back to batch-first
    return output, (h, c)
