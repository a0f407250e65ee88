"""One LSTM layer whose step is compiled with ``torch.compile``, as a kernel author would fuse it.

inductor's compile workers and exit handlers are torch's, not the implementation's: the suite must
not call them tampering. Sizes are drawn from a few shape buckets, so only a handful of graphs are built.

    pytest --rnn-impl examples/kernels/compiled_lstm.py:lstm_forward
"""
import torch


@torch.compile(dynamic=True)
def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of torch.nn.LSTM (gates i, f, g, o)."""
    i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh):
    """input (time, batch, features); initial_states (h0, c0), each (batch, hidden)."""
    h, c = initial_states
    outputs = []
    for x in input:
        h, c = lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
