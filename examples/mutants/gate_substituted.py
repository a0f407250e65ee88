"""An LSTM forward pass (any layers, both directions, projections), gates read in torch's order.

Bug (catalogue id ``gate_substituted``): the cell update uses the output gate where the forget
gate belongs, ``c = o * c + i * g`` instead of ``c = f * c + i * g`` (a typo between two
sigmoid gates of the same shape).  The gate blocks themselves are read in torch's order
i, f, g, o, and h = o * tanh(c) is right.  The first step from a zero c0 is right (o * 0 == f * 0);
from any non-zero cell state on, c, h and the outputs differ.

Calling convention: canonical, LSTM only::

    lstm_forward(input, hx, params, spec)

Seq-first, batch-first or unbatched (2-D) input; ``hx`` may be None; bias optional; proj_size.
Packed sequences raise NotImplementedError.
"""
import torch


def lstm_forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences")
    unbatched = input.dim() == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if spec.batch_first else input)
    T, B = x.shape[:2]
    D = 2 if spec.bidirectional else 1
    H = spec.hidden_size
    Hout = spec.proj_size or H
    if hx is None:
        h0, c0 = x.new_zeros(spec.num_layers * D, B, Hout), x.new_zeros(spec.num_layers * D, B, H)
    else:
        h0, c0 = hx
        if unbatched:
            h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
    h_n, c_n = [], []
    for layer in range(spec.num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}{'_reverse' if d else ''}"
            w_ih, w_hh = params["weight_ih" + sfx], params["weight_hh" + sfx]
            b = params["bias_ih" + sfx] + params["bias_hh" + sfx] if spec.bias else 0
            w_hr = params.get("weight_hr" + sfx)
            h, c = h0[layer * D + d], c0[layer * D + d]
            ys = [None] * T
            for t in (reversed(range(T)) if d else range(T)):
                gates = x[t] @ w_ih.T + h @ w_hh.T + b
                i = torch.sigmoid(gates[:, :H])
                f = torch.sigmoid(gates[:, H:2 * H])
                g = torch.tanh(gates[:, 2 * H:3 * H])
                o = torch.sigmoid(gates[:, 3 * H:])
                c = o * c + i * g
                h = o * torch.tanh(c)
                if w_hr is not None:
                    h = h @ w_hr.T
                ys[t] = h
            outs.append(torch.stack(ys))
            h_n.append(h)
            c_n.append(c)
        x = torch.cat(outs, dim=2)
    h_n, c_n = torch.stack(h_n), torch.stack(c_n)
    if unbatched:
        return x.squeeze(1), (h_n.squeeze(1), c_n.squeeze(1))
    return (x.transpose(0, 1) if spec.batch_first else x), (h_n, c_n)
