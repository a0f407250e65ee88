"""params_list.py with one mistake: relu where the recurrence uses tanh.

    pytest --rnn-impl examples/as_written/wrong/params_list.py:rnn \
        --rnn-bind "state=(hx,),params=[weight_ih.T,weight_hh.T,bias_ih+bias_hh,eye,zeros]" \
        --rnn-returns "output_cat,(h_n,)"
"""
import torch


def rnn(inputs, state, params):
    """inputs: (T, B, D); state: (H,) with H (B, hidden). Returns (outputs (T * B, q), (H,))."""
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = torch.relu(torch.matmul(X, W_xh) + torch.matmul(H, W_hh) + b_h)
        Y = torch.matmul(H, W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)
