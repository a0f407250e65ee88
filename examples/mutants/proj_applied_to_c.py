"""An LSTM with optional projection (LSTMP), any layers, both directions.

Bug (catalogue id ``proj_applied_to_c``): the author read "the projection maps the cell to
proj_size" and applied ``W_hr`` to the (output-gated) cell state, squashing afterwards:
``h = tanh((o * c) @ W_hr^T)``.  torch.nn projects the cell *output* after the squashing:
``h = (o * tanh(c)) @ W_hr^T``.  Projecting c itself and carrying it would not even run (the
recurrence needs c at hidden_size, and c_n must stay (L*D, B, H)), so c is carried unprojected and
only the hidden state is built from the projected cell -- the shape-consistent form of this
mistake.  Without projection (proj_size=0) the result is right; with it every step is wrong.

Calling convention: canonical, LSTM only (the function's name says so)::

    lstm_forward(input, hx, params, spec)

Seq-first or batch-first 3-D input and unbatched 2-D input; ``hx`` may be None.  Packed sequences
raise NotImplementedError.
"""
import torch


def lstm_forward(input, hx, params, spec):
    if not torch.is_tensor(input):
        raise NotImplementedError("packed sequences are not supported")
    unbatched = input.dim() == 2
    if unbatched:
        input = input.unsqueeze(1)
        if hx is not None:
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
    if spec.batch_first and not unbatched:
        input = input.transpose(0, 1)
    T, B, _ = input.shape
    D = 2 if spec.bidirectional else 1
    H, P = spec.hidden_size, spec.proj_size
    if hx is None:
        hx = (input.new_zeros(spec.num_layers * D, B, P if P > 0 else H),
              input.new_zeros(spec.num_layers * D, B, H))
    h0, c0 = hx

    layer_input = input
    hs, cs = [], []
    for layer in range(spec.num_layers):
        both = []
        for d in range(D):
            key = f"_l{layer}_reverse" if d else f"_l{layer}"
            W_ih, W_hh = params["weight_ih" + key], params["weight_hh" + key]
            W_hr = params["weight_hr" + key] if P > 0 else None
            if spec.bias:
                bias = params["bias_ih" + key] + params["bias_hh" + key]
            else:
                bias = 0.0
            h, c = h0[layer * D + d], c0[layer * D + d]
            outs = []
            times = range(T - 1, -1, -1) if d else range(T)
            for t in times:
                gates = layer_input[t] @ W_ih.T + h @ W_hh.T + bias
                i, f, g, o = gates.chunk(4, dim=1)
                i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                c = f * c + i * g
                if W_hr is not None:
                    # project the (gated) cell down to proj_size, then squash it
                    h = torch.tanh((o * c) @ W_hr.T)
                else:
                    h = o * torch.tanh(c)
                outs.append(h)
            if d:
                outs.reverse()
            both.append(torch.stack(outs))
            hs.append(h)
            cs.append(c)
        layer_input = torch.cat(both, dim=2)

    output, h_n, c_n = layer_input, torch.stack(hs), torch.stack(cs)
    if unbatched:
        return output.squeeze(1), (h_n.squeeze(1), c_n.squeeze(1))
    if spec.batch_first:
        output = output.transpose(0, 1)
    return output, (h_n, c_n)
