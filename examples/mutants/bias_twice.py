"""An LSTM (any layers, both directions, projection) that hoists the input projection out of the
time loop for speed.

Bug (catalogue id ``bias_twice``): the author folded both biases, ``bias_ih + bias_hh``, into the
input projection computed once for all time steps (a common optimisation: for an LSTM only the
sum of the two biases matters), and then kept the generic ``linear(h, W_hh, b_hh)`` for the
recurrent term inside the loop.  So ``bias_hh`` is added twice at every step.  Wrong from t=0
whenever the module has biases; right with ``bias=False``.

Calling convention: canonical, LSTM only (the function's name says so)::

    lstm_forward(input, hx, params, spec)

Seq-first or batch-first 3-D input; ``hx`` is None or ``(h0, c0)``.  Returns
``(output, (h_n, c_n))`` as torch.nn.LSTM does.  Unbatched (2-D) input and packed sequences raise
NotImplementedError.
"""
import torch


def linear(x, weight, bias=None):
    y = x.matmul(weight.t())
    if bias is not None:
        y = y + bias
    return y


def lstm_forward(input, hx, params, spec):
    if not isinstance(input, torch.Tensor) or input.dim() != 3:
        raise NotImplementedError("only batched 3-D tensors are supported")
    x = input.transpose(0, 1) if spec.batch_first else input
    T, B, _ = x.shape
    D = 2 if spec.bidirectional else 1
    H = spec.hidden_size
    P = spec.proj_size
    if hx is None:
        h0 = x.new_zeros(spec.num_layers * D, B, P or H)
        c0 = x.new_zeros(spec.num_layers * D, B, H)
    else:
        h0, c0 = hx

    h_last, c_last = [], []
    for layer in range(spec.num_layers):
        per_direction = []
        for d in range(D):
            name = f"l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = params[f"weight_ih_{name}"], params[f"weight_hh_{name}"]
            if spec.bias:
                b_ih, b_hh = params[f"bias_ih_{name}"], params[f"bias_hh_{name}"]
                # only b_ih + b_hh matters for an LSTM: merge them into the input projection
                xw = linear(x, w_ih, b_ih + b_hh)
            else:
                b_hh = None
                xw = linear(x, w_ih)
            w_hr = params.get(f"weight_hr_{name}") if P > 0 else None

            h, c = h0[layer * D + d], c0[layer * D + d]
            out = [None] * T
            order = reversed(range(T)) if d else range(T)
            for t in order:
                gates = xw[t] + linear(h, w_hh, b_hh)
                i, f, g, o = gates.chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                if w_hr is not None:
                    h = linear(h, w_hr)
                out[t] = h
            per_direction.append(torch.stack(out))
            h_last.append(h)
            c_last.append(c)
        x = torch.cat(per_direction, dim=-1)

    output = x.transpose(0, 1) if spec.batch_first else x
    return output, (torch.stack(h_last), torch.stack(c_last))
