"""RNN / LSTM / GRU forward pass (any layers, both directions, LSTM projection).

Bug (catalogue id ``hn_batch_first``): with ``batch_first=True`` the author transposes every
returned tensor back to batch-first -- the output *and* the final states -- so h_n (and c_n) come
back as (B, L*D, H).  torch.nn's batch_first applies to input and output only; h_n and c_n are
always (L*D, B, H).  The values are right, the layout of the states is not: a shape error, except
when B == L*D, where the transposed states have the right shape and wrong values.  With
``batch_first=False`` everything is right.

Calling convention: canonical, all three modes::

    forward(input, hx, params, spec)

Seq-first or batch-first 3-D input, unbatched 2-D input; ``hx`` may be None (h0 is read in
torch.nn's layout).  Packed sequences raise NotImplementedError.
"""
import torch
import torch.nn.functional as F


def _lstm_step(x, h, c, p, s):
    gates = F.linear(x, p["weight_ih" + s], p.get("bias_ih" + s)) + F.linear(h, p["weight_hh" + s], p.get("bias_hh" + s))
    i, f, g, o = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if "weight_hr" + s in p:
        h = F.linear(h, p["weight_hr" + s])
    return h, c


def _gru_step(x, h, p, s):
    gi = F.linear(x, p["weight_ih" + s], p.get("bias_ih" + s))
    gh = F.linear(h, p["weight_hh" + s], p.get("bias_hh" + s))
    ir, iz, i_n = gi.chunk(3, dim=-1)
    hr, hz, h_n = gh.chunk(3, dim=-1)
    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
    return (1 - z) * torch.tanh(i_n + r * h_n) + z * h


def _rnn_step(x, h, p, s, nonlinearity):
    pre = F.linear(x, p["weight_ih" + s], p.get("bias_ih" + s)) + F.linear(h, p["weight_hh" + s], p.get("bias_hh" + s))
    return torch.relu(pre) if nonlinearity == "relu" else torch.tanh(pre)


def forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences are not supported")
    mode = spec.mode
    batched = input.dim() == 3
    if not batched:
        input = input.unsqueeze(1)
        if hx is not None:
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if mode == "lstm" else hx.unsqueeze(1)
    batch_first = spec.batch_first and batched
    if batch_first:
        input = input.transpose(0, 1)
    T, B, _ = input.shape
    D = 2 if spec.bidirectional else 1
    H = spec.hidden_size
    Hout = spec.proj_size if mode == "lstm" and spec.proj_size > 0 else H
    if hx is None:
        hx = input.new_zeros(spec.num_layers * D, B, Hout)
        if mode == "lstm":
            hx = (hx, input.new_zeros(spec.num_layers * D, B, H))
    h0, c0 = hx if mode == "lstm" else (hx, None)

    x = input
    h_list, c_list = [], []
    for layer in range(spec.num_layers):
        outs = []
        for d in range(D):
            s = f"_l{layer}" + ("_reverse" if d else "")
            h = h0[layer * D + d]
            c = c0[layer * D + d] if c0 is not None else None
            ys = [None] * T
            for t in (reversed(range(T)) if d else range(T)):
                if mode == "lstm":
                    h, c = _lstm_step(x[t], h, c, params, s)
                elif mode == "gru":
                    h = _gru_step(x[t], h, params, s)
                else:
                    h = _rnn_step(x[t], h, params, s, spec.nonlinearity)
                ys[t] = h
            outs.append(torch.stack(ys))
            h_list.append(h)
            c_list.append(c)
        x = torch.cat(outs, dim=-1)

    output, h_n = x, torch.stack(h_list)
    c_n = torch.stack(c_list) if mode == "lstm" else None
    if not batched:
        output, h_n = output.squeeze(1), h_n.squeeze(1)
        c_n = c_n.squeeze(1) if c_n is not None else None
    elif batch_first:
        # back to batch-first
        output = output.transpose(0, 1)
        h_n = h_n.transpose(0, 1)
        c_n = c_n.transpose(0, 1) if c_n is not None else None
    return (output, (h_n, c_n)) if mode == "lstm" else (output, h_n)
