"""Blog-tutorial-style LSTM forward in torch (batch-first) that preallocates its output with
torch.zeros(bs, seq_len, hidden): correct in float32, but the buffer has the default dtype, so a
float64 input gives a float32 output (the states stay float64).
"""
import torch


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    bs, seq_len, _ = x.shape
    hidden_size = w_hh.shape[1]
    output = torch.zeros(bs, seq_len, hidden_size)
    h_t, c_t = h0, c0
    for t in range(seq_len):
        gates = x[:, t, :] @ w_ih.T + b_ih + h_t @ w_hh.T + b_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c_t = torch.sigmoid(f) * c_t + torch.sigmoid(i) * torch.tanh(g)
        h_t = torch.sigmoid(o) * torch.tanh(c_t)
        output[:, t, :] = h_t
    return output, (h_t, c_t)
