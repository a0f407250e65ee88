"""coursera_lstm_cell.py with one mistake: the hidden state is the output gate times the cell state
itself, without the tanh (a_next = ot * c_next)."""
import numpy as np

from coursera_lstm_cell import sigmoid, softmax


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    forget = sigmoid(p["Wf"] @ concat + p["bf"])
    update = sigmoid(p["Wi"] @ concat + p["bi"])
    candidate = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = forget * c_prev + update * candidate
    out = sigmoid(p["Wo"] @ concat + p["bo"])
    a_next = out * c_next  # mistake: tanh(c_next)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next)
