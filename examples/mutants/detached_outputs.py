"""RNN / LSTM / GRU forward pass (any layers, both directions, projections) whose values are
all right but which cannot be trained.

Bug (no catalogue id: the ``backward`` row must fail, and no cause be named): the whole
computation runs under ``with torch.no_grad():`` (kept from an evaluation script), so output,
h_n and c_n carry no grad_fn and no gradient reaches the input, the states or the weights.
Every value, shape and dtype matches torch.nn.

Calling convention: canonical, all three modes::

    forward(input, hx, params, spec)

Seq-first, batch-first or unbatched (2-D) input; ``hx`` may be None.  Packed sequences raise
NotImplementedError.
"""
import torch


def _cell(mode, nonlinearity, x, h, c, w):
    gates_x = x @ w["weight_ih"].T
    gates_h = h @ w["weight_hh"].T
    if "bias_ih" in w:
        gates_x, gates_h = gates_x + w["bias_ih"], gates_h + w["bias_hh"]
    if mode == "rnn":
        return (torch.relu(gates_x + gates_h) if nonlinearity == "relu" else torch.tanh(gates_x + gates_h)), c
    if mode == "gru":
        xr, xz, xn = gates_x.chunk(3, -1)
        hr, hz, hn = gates_h.chunk(3, -1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        return (1 - z) * torch.tanh(xn + r * hn) + z * h, c
    i, f, g, o = (gates_x + gates_h).chunk(4, -1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return (h @ w["weight_hr"].T if "weight_hr" in w else h), c


def forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences")
    with torch.no_grad():
        lstm = spec.mode == "lstm"
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if spec.batch_first else input)
        T, B = x.shape[:2]
        D = 2 if spec.bidirectional else 1
        Hout = spec.proj_size if lstm and spec.proj_size else spec.hidden_size
        if hx is None:
            h0 = x.new_zeros(spec.num_layers * D, B, Hout)
            c0 = x.new_zeros(spec.num_layers * D, B, spec.hidden_size)
        else:
            h0, c0 = hx if lstm else (hx, x.new_zeros(spec.num_layers * D, B, spec.hidden_size))
            if unbatched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        hs, cs = [], []
        for layer in range(spec.num_layers):
            outs = []
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                w = {name: params[name + sfx] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
                     if name + sfx in params}
                h, c = h0[layer * D + d], c0[layer * D + d]
                ys = [None] * T
                for t in (range(T - 1, -1, -1) if d else range(T)):
                    h, c = _cell(spec.mode, spec.nonlinearity, x[t], h, c, w)
                    ys[t] = h
                outs.append(torch.stack(ys))
                hs.append(h)
                cs.append(c)
            x = torch.cat(outs, -1)
        h_n, c_n = torch.stack(hs), torch.stack(cs)
        if unbatched:
            x, h_n, c_n = x.squeeze(1), h_n.squeeze(1), c_n.squeeze(1)
        elif spec.batch_first:
            x = x.transpose(0, 1)
    return (x, (h_n, c_n)) if lstm else (x, h_n)
