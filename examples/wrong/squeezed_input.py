"""WRONG on purpose: a GRU that starts with ``input = input.squeeze()`` "to drop stray dimensions".

For the sizes one usually tries (time, batch and features all above one) the squeeze does nothing
and every value is right. But it removes *every* dimension of size 1: with a single time step the
(1, B, I) input becomes (B, I) and the loop runs over the batch as if it were time, so the results
are wrong (in shape and value); with input_size 1 the features vanish and the matmul fails. (A
batch of one happens to survive: (T, I) steps broadcast back to (1, H).)

No known catalogue mistake matches: nothing in the recurrence is wrong, the input is reshaped
before it starts, so the suite must fail it (edge_cases: time 1) without naming a cause.

    pytest --rnn-impl examples/wrong/squeezed_input.py:gru_forward     # fails: edge_cases

Calling convention: by-name, one layer, one direction, seq-first, h0 of shape (B, H):
``gru_forward(input, h0, w_ih, w_hh, b_ih, b_hh)``.
"""
import torch


def gru_forward(input, h0, w_ih, w_hh, b_ih, b_hh):
    input = input.squeeze()  # (T, B, I): drop any stray singleton dimensions
    h, outputs = h0, []
    for t in range(input.shape[0]):
        i_r, i_z, i_n = (input[t] @ w_ih.T + b_ih).chunk(3, dim=-1)
        h_r, h_z, h_n = (h @ w_hh.T + b_hh).chunk(3, dim=-1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs), h
