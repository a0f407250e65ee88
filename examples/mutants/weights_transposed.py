"""A one-layer GRU, batch-first, that computes ``x @ W`` with the weights laid out (in, out).

Bug (catalogue id ``weights_transposed``): torch.nn stores ``weight_ih`` as (3H, I) and
``weight_hh`` as (3H, H) and computes ``x @ W.T``.  The author wanted the (in, out) layout and
wrote ``W.reshape(in_features, 3H)`` instead of ``W.T``.  A reshape keeps the memory order, so the
shapes line up for every size and it runs, but the matrix's entries land in the wrong places:
every gate pre-activation is scrambled and the result is wrong from t=0.

Calling convention: by-name, one layer, one direction, batch-first; torch.nn's own names, so the
weights are torch.nn's tensors as it stores them (an abbreviation such as ``W_ih`` would leave the
storage open, and (in, out) weights would make this code right)::

    gru_forward(inputs, hidden, weight_ih, weight_hh, b_ih, b_hh)

``inputs`` is (B, T, I), ``hidden`` is (B, H).  Returns ``(output (B, T, H), h_n (B, H))``.
"""
import torch


def gru_forward(inputs, hidden, weight_ih, weight_hh, b_ih, b_hh):
    input_size = inputs.shape[-1]
    hidden_size = hidden.shape[-1]
    # (in, out) layout so that we can write x @ W
    U = weight_ih.reshape(input_size, 3 * hidden_size)
    V = weight_hh.reshape(hidden_size, 3 * hidden_size)

    h = hidden
    outputs = []
    for t in range(inputs.shape[1]):
        x_proj = inputs[:, t] @ U + b_ih
        h_proj = h @ V + b_hh
        x_r, x_z, x_n = torch.split(x_proj, hidden_size, dim=-1)
        h_r, h_z, h_n = torch.split(h_proj, hidden_size, dim=-1)
        reset = torch.sigmoid(x_r + h_r)
        update = torch.sigmoid(x_z + h_z)
        candidate = torch.tanh(x_n + reset * h_n)
        h = (1 - update) * candidate + update * h
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
