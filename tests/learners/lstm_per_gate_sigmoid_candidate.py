"""LSTM with one (in, out) weight per gate and d2l-style names W_xi, W_hi, b_i, ..., seq-first, x/h0/c0.
Bug: the candidate cell uses sigmoid where tanh belongs (copy-paste from the other three gates).
"""
import torch


def lstm_forward(x, h0, c0, W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xc, W_hc, b_c, W_xo, W_ho, b_o):
    h, c = h0, c0
    outputs = []
    for x_t in x:
        i = torch.sigmoid(x_t @ W_xi + h @ W_hi + b_i)
        f = torch.sigmoid(x_t @ W_xf + h @ W_hf + b_f)
        c_hat = torch.sigmoid(x_t @ W_xc + h @ W_hc + b_c)
        o = torch.sigmoid(x_t @ W_xo + h @ W_ho + b_o)
        c = f * c + i * c_hat
        h = o * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
