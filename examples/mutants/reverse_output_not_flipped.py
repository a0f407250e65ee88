"""RNN / LSTM / GRU forward pass for any number of layers and directions.

Bug (catalogue id ``reverse_output_not_flipped``): the reverse direction walks the sequence from
the last step to the first and appends each hidden state to a list as it goes -- and that list is
stacked as it is, so the reverse half of the output is in *visiting* order (its entry 0 belongs to
time step T-1).  It should be re-reversed so that ``output[t]`` holds the reverse state at time t.
The final states are right (the last state visited is the reverse h_n), so for one layer only
the reverse half of the output is wrong; with more layers every layer above the first consumes the
scrambled sequence, so its outputs and states are all wrong.  One direction is unaffected, and
so is T == 1.

Calling convention: canonical, all three modes::

    forward(input, hx, params, spec)

Seq-first, batch-first or unbatched (2-D) input; ``hx`` may be None.  Packed sequences raise
NotImplementedError.
"""
import torch


def rnn_cell(x, state, w, spec):
    pre = x @ w["ih"].t() + state @ w["hh"].t()
    if "b_ih" in w:
        pre = pre + w["b_ih"] + w["b_hh"]
    return torch.relu(pre) if spec.nonlinearity == "relu" else torch.tanh(pre)


def lstm_cell(x, state, w, spec):
    h, c = state
    gates = x @ w["ih"].t() + h @ w["hh"].t()
    if "b_ih" in w:
        gates = gates + w["b_ih"] + w["b_hh"]
    i, f, g, o = gates.chunk(4, -1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if "hr" in w:
        h = h @ w["hr"].t()
    return h, c


def gru_cell(x, state, w, spec):
    gi = x @ w["ih"].t()
    gh = state @ w["hh"].t()
    if "b_ih" in w:
        gi = gi + w["b_ih"]
        gh = gh + w["b_hh"]
    ir, iz, inn = gi.chunk(3, -1)
    hr, hz, hn = gh.chunk(3, -1)
    r = torch.sigmoid(ir + hr)
    z = torch.sigmoid(iz + hz)
    n = torch.tanh(inn + r * hn)
    return (1 - z) * n + z * state


CELLS = {"rnn": rnn_cell, "lstm": lstm_cell, "gru": gru_cell}


def _weights(params, layer, reverse):
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    w = {"ih": params["weight_ih" + suffix], "hh": params["weight_hh" + suffix]}
    if "bias_ih" + suffix in params:
        w["b_ih"] = params["bias_ih" + suffix]
        w["b_hh"] = params["bias_hh" + suffix]
    if "weight_hr" + suffix in params:
        w["hr"] = params["weight_hr" + suffix]
    return w


def forward(input, hx, params, spec):
    if not torch.is_tensor(input):
        raise NotImplementedError("PackedSequence input")
    is_lstm = spec.mode == "lstm"
    cell = CELLS[spec.mode]
    batched = input.dim() == 3
    if not batched:
        input = input.unsqueeze(1)
    elif spec.batch_first:
        input = input.transpose(0, 1)
    seq_len, batch = input.shape[0], input.shape[1]
    dirs = 2 if spec.bidirectional else 1
    out_size = spec.proj_size if (is_lstm and spec.proj_size) else spec.hidden_size

    if hx is None:
        h0 = input.new_zeros(spec.num_layers * dirs, batch, out_size)
        states = (h0, input.new_zeros(spec.num_layers * dirs, batch, spec.hidden_size)) if is_lstm else h0
    else:
        states = hx
        if not batched:
            states = tuple(s.unsqueeze(1) for s in hx) if is_lstm else hx.unsqueeze(1)

    x = input
    finals = []
    for layer in range(spec.num_layers):
        results = []
        for d in range(dirs):
            k = layer * dirs + d
            state = (states[0][k], states[1][k]) if is_lstm else states[k]
            w = _weights(params, layer, d == 1)
            time_steps = range(seq_len - 1, -1, -1) if d == 1 else range(seq_len)
            outputs = []
            for t in time_steps:
                state = cell(x[t], state, w, spec)
                outputs.append(state[0] if is_lstm else state)
            results.append(torch.stack(outputs))
            finals.append(state)
        x = torch.cat(results, dim=-1)

    output = x
    if is_lstm:
        h_n = torch.stack([s[0] for s in finals])
        c_n = torch.stack([s[1] for s in finals])
    else:
        h_n = torch.stack(finals)
    if not batched:
        output, h_n = output.squeeze(1), h_n.squeeze(1)
        if is_lstm:
            c_n = c_n.squeeze(1)
    elif spec.batch_first:
        output = output.transpose(0, 1)
    return (output, (h_n, c_n)) if is_lstm else (output, h_n)
