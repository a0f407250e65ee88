"""RNN / LSTM / GRU forward pass for stacked, bidirectional networks.

Bug (catalogue id ``state_layout_direction_major``): the initial and final states are indexed
``direction * num_layers + layer`` (all forward layers first, then all reverse layers), as if
h0 were laid out (num_directions, num_layers, B, H).  torch.nn lays them out layer-major,
``layer * num_directions + direction``.  The two indexings agree unless there are both several
layers and two directions: then the wrong initial state starts the middle directions (every
output differs when h0 is not zero) and h_n/c_n come back with their middle rows swapped.

Calling convention: canonical, all three modes::

    forward(input, hx, params, spec)

Seq-first or batch-first 3-D input and unbatched 2-D input; ``hx`` may be None.  Packed
sequences raise NotImplementedError.
"""
import torch


def _step(mode, spec, x, h, c, W):
    if mode == "gru":
        gi = torch.nn.functional.linear(x, W["weight_ih"], W.get("bias_ih"))
        gh = torch.nn.functional.linear(h, W["weight_hh"], W.get("bias_hh"))
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return (1 - z) * n + z * h, None
    pre = torch.nn.functional.linear(x, W["weight_ih"], W.get("bias_ih")) \
        + torch.nn.functional.linear(h, W["weight_hh"], W.get("bias_hh"))
    if mode == "rnn":
        return (torch.relu(pre) if spec.nonlinearity == "relu" else torch.tanh(pre)), None
    i, f, g, o = pre.chunk(4, -1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if "weight_hr" in W:
        h = torch.nn.functional.linear(h, W["weight_hr"])
    return h, c


def forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed input")
    mode = spec.mode
    squeeze = input.dim() == 2
    if squeeze:
        input = input.unsqueeze(1)
        if hx is not None:
            hx = tuple(s.unsqueeze(1) for s in hx) if mode == "lstm" else hx.unsqueeze(1)
    elif spec.batch_first:
        input = input.transpose(0, 1)
    T, B = input.shape[:2]
    L = spec.num_layers
    D = 2 if spec.bidirectional else 1
    H = spec.hidden_size
    Hout = spec.proj_size if mode == "lstm" and spec.proj_size > 0 else H

    if hx is None:
        h0 = input.new_zeros(L * D, B, Hout)
        c0 = input.new_zeros(L * D, B, H) if mode == "lstm" else None
    else:
        h0, c0 = hx if mode == "lstm" else (hx, None)
    h_n = input.new_empty(L * D, B, Hout)
    c_n = input.new_empty(L * D, B, H) if mode == "lstm" else None

    x = input
    for layer in range(L):
        outs = []
        for direction in range(D):
            index = direction * L + layer  # the state of (layer, direction)
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            W = {k[: -len(suffix)]: v for k, v in params.items() if k.endswith(suffix)}
            h = h0[index]
            c = c0[index] if mode == "lstm" else None
            ys = [None] * T
            for t in (range(T - 1, -1, -1) if direction else range(T)):
                h, c = _step(mode, spec, x[t], h, c, W)
                ys[t] = h
            outs.append(torch.stack(ys))
            h_n[index] = h
            if mode == "lstm":
                c_n[index] = c
        x = torch.cat(outs, dim=2)

    output = x
    if squeeze:
        output, h_n = output.squeeze(1), h_n.squeeze(1)
        c_n = c_n.squeeze(1) if c_n is not None else None
    elif spec.batch_first:
        output = output.transpose(0, 1)
    return (output, (h_n, c_n)) if mode == "lstm" else (output, h_n)
