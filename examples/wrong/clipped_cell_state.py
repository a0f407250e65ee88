"""WRONG on purpose: an LSTM whose cell state is clamped to [-1, 1] at every step.

"To keep the memory from exploding" each new cell state is clipped, ``c = c.clamp(-1, 1)``.
torch.nn.LSTM does not bound c (only tanh(c) is bounded), so whenever |c| would exceed 1 -- a
large c0, a forget gate near 1 over several steps, saturating inputs -- c_n, and through
tanh(c) also h and the outputs, differ. While |c| stays below 1 every value is right, so the
failure depends on the draw.

No known catalogue mistake matches (the gates, biases, activations and state handling are all
torch's), so the suite must fail it without naming a cause.

    pytest --rnn-impl examples/wrong/clipped_cell_state.py:lstm_forward     # fails: forward; rows built on it blocked

Calling convention: by-name, one layer, one direction, seq-first, separate h0 and c0 of shape
(B, H): ``lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)``.
"""
import torch


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    h, c = h0, c0
    outputs = []
    for t in range(x.shape[0]):
        i, f, g, o = (x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        c = c.clamp(-1.0, 1.0)  # keep the memory bounded
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
