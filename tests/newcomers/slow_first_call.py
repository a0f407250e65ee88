"""RIGHT. The first call takes a long time (a warm-up, a lazy build, torch.compile); later calls are
quick. Issue 20: under a call timeout shorter than the warm-up (20 s against 10 s), the probe gave up,
the state fell back to "with the layer dimension" and shape failed a correct file; isolated, every row
was "not run: hung". The delay (2 s unless RNN_WARMUP_S says) is twice the tests' 1 s timeout."""
import os
import time

import torch

_warm = []


def rnn_forward(x, h_prev, w_ih, w_hh, b_ih, b_hh):
    if not _warm:
        time.sleep(float(os.environ.get("RNN_WARMUP_S", "2")))
        _warm.append(True)
    h = h_prev
    outs = []
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outs.append(h)
    return torch.stack(outs), h
