"""A complete RNN / LSTM / GRU forward pass (any layers, both directions, LSTM projection).

Bug (catalogue id ``missing_bias_hh``): only the input-side bias ``bias_ih_l*`` is added; the
recurrent-side bias ``bias_hh_l*`` is read from nowhere.  The author treated the two biases as one
("a linear layer has one bias").  torch.nn adds both, and for the GRU the hidden-side bias of the
new gate, b_hn, is even scaled by r -- it is missing here too.  Wrong from t=0 whenever the module
has biases; with ``bias=False`` the result is right.

Calling convention: canonical::

    forward(input, hx, params, spec)

``params`` holds torch.nn's parameters by name, ``spec`` the module's settings.  Seq-first,
batch-first and unbatched (2-D) input; ``hx`` may be None.  Returns ``(output, h_n)`` or
``(output, (h_n, c_n))`` exactly as torch.nn does.  Packed sequences raise NotImplementedError.
"""
import torch


def _cell(mode, nonlinearity, x, h, c, w_ih, w_hh, b_ih, w_hr):
    gi = x @ w_ih.T
    gh = h @ w_hh.T
    if b_ih is not None:
        gi = gi + b_ih
    if mode == "rnn":
        pre = gi + gh
        return (torch.relu(pre) if nonlinearity == "relu" else torch.tanh(pre)), None
    if mode == "lstm":
        i, f, g, o = (gi + gh).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        return h, c
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h, None


def forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences are not supported")
    mode = spec.mode
    unbatched = input.dim() == 2
    if unbatched:
        input = input.unsqueeze(1)
        if hx is not None:
            hx = tuple(s.unsqueeze(1) for s in hx) if mode == "lstm" else hx.unsqueeze(1)
    elif spec.batch_first:
        input = input.transpose(0, 1)

    seq_len, batch, _ = input.shape
    num_dirs = 2 if spec.bidirectional else 1
    hidden = spec.hidden_size
    proj = spec.proj_size if mode == "lstm" else 0
    out_size = proj if proj > 0 else hidden
    if hx is None:
        h0 = input.new_zeros(spec.num_layers * num_dirs, batch, out_size)
        c0 = input.new_zeros(spec.num_layers * num_dirs, batch, hidden)
    elif mode == "lstm":
        h0, c0 = hx
    else:
        h0, c0 = hx, None

    layer_input = input
    final_h, final_c = [], []
    for layer in range(spec.num_layers):
        direction_outputs = []
        for direction in range(num_dirs):
            sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
            w_ih = params["weight_ih" + sfx]
            w_hh = params["weight_hh" + sfx]
            b_ih = params.get("bias_ih" + sfx) if spec.bias else None
            w_hr = params.get("weight_hr" + sfx) if proj > 0 else None
            idx = layer * num_dirs + direction
            h = h0[idx]
            c = c0[idx] if mode == "lstm" else None
            steps = range(seq_len - 1, -1, -1) if direction == 1 else range(seq_len)
            outs = [None] * seq_len
            for t in steps:
                h, c = _cell(mode, spec.nonlinearity, layer_input[t], h, c, w_ih, w_hh, b_ih, w_hr)
                outs[t] = h
            direction_outputs.append(torch.stack(outs))
            final_h.append(h)
            final_c.append(c)
        layer_input = torch.cat(direction_outputs, dim=2)

    output = layer_input
    h_n = torch.stack(final_h)
    c_n = torch.stack(final_c) if mode == "lstm" else None
    if unbatched:
        output = output.squeeze(1)
        h_n = h_n.squeeze(1)
        c_n = c_n.squeeze(1) if c_n is not None else None
    elif spec.batch_first:
        output = output.transpose(0, 1)
    return (output, (h_n, c_n)) if mode == "lstm" else (output, h_n)
