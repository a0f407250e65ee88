"""An LSTM in torch's functional convention (the arguments of ``torch._VF.lstm``), any layers,
both directions, both layouts — written with plain tensor operations.

    pytest --rnn-impl examples/functional_lstm.py:lstm
"""
import torch


def _direction(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
    projected = x @ w_ih.T + (b_ih + b_hh if b_ih is not None else 0)
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outputs = [None] * x.shape[0]
    for t in steps:
        i, f, g, o = (projected[t] + h @ w_hh.T).chunk(4, dim=-1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        if w_hr is not None:
            h = h @ w_hr.T
        outputs[t] = h
    return torch.stack(outputs), h, c


def lstm(input, hx, flat_weights, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """Returns (output, h_n, c_n) like ``torch._VF.lstm``; dropout is not implemented."""
    if train and dropout > 0:
        raise NotImplementedError("training-mode dropout")
    h0, c0 = hx
    directions = 2 if bidirectional else 1
    per_layer = len(flat_weights) // (num_layers * directions)
    x = input.transpose(0, 1) if batch_first else input
    h_n, c_n = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            index = layer * directions + d
            w = flat_weights[index * per_layer:(index + 1) * per_layer]
            w_ih, w_hh = w[0], w[1]
            b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
            w_hr = w[-1] if per_layer in (3, 5) else None
            out, h, c = _direction(x, h0[index], c0[index], w_ih, w_hh, b_ih, b_hh, w_hr, reverse=d == 1)
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        x = torch.cat(outs, dim=-1)
    output = x.transpose(0, 1) if batch_first else x
    return output, torch.stack(h_n), torch.stack(c_n)
