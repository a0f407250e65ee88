"""An Elman RNN forward pass (any layers, both directions).

Bug (catalogue id ``wrong_nonlinearity``): the activation is hard-coded to ``torch.tanh``;
``spec.nonlinearity`` is never consulted, so a module built with ``nonlinearity='relu'`` is run
with tanh.  Everything with the default tanh is right.

Calling convention: canonical, RNN only (the function's name says so)::

    rnn_forward(input, hx, params, spec)

Seq-first, batch-first or unbatched (2-D) input; ``hx`` may be None.  Packed sequences raise
NotImplementedError.
"""
import torch


def rnn_forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences are not supported")
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(1)
    if batched and spec.batch_first:
        x = x.transpose(0, 1)
    seq_len, batch, _ = x.shape
    num_directions = 2 if spec.bidirectional else 1
    if hx is None:
        hx = x.new_zeros(spec.num_layers * num_directions, batch, spec.hidden_size)
    elif not batched:
        hx = hx.unsqueeze(1)

    activation = torch.tanh
    h_n = []
    for layer in range(spec.num_layers):
        results = []
        for direction in range(num_directions):
            suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
            w_ih = params["weight_ih" + suffix]
            w_hh = params["weight_hh" + suffix]
            bias = params["bias_ih" + suffix] + params["bias_hh" + suffix] if spec.bias else None
            # the input projection of all steps at once
            xw = x @ w_ih.T
            if bias is not None:
                xw = xw + bias
            h = hx[layer * num_directions + direction]
            ys = []
            steps = range(seq_len - 1, -1, -1) if direction == 1 else range(seq_len)
            for t in steps:
                h = activation(xw[t] + h @ w_hh.T)
                ys.append(h)
            if direction == 1:
                ys = ys[::-1]
            results.append(torch.stack(ys))
            h_n.append(h)
        x = torch.cat(results, dim=-1)

    h_n = torch.stack(h_n)
    if not batched:
        return x.squeeze(1), h_n.squeeze(1)
    if spec.batch_first:
        x = x.transpose(0, 1)
    return x, h_n
