"""One LSTM step as the sequence-models course writes it (numpy, column-major).

Every gate's weight is applied to the rows of ``a_prev`` stacked on those of ``xt``:
``concat`` is (n_a + n_x, m) and ``Wf``, ``Wi``, ``Wc``, ``Wo`` are (n_a, n_a + n_x), each bias
(n_a, 1); ``Wy`` (n_y, n_a) and ``by`` (n_y, 1) make the prediction. Returns
(a_next, c_next, yt_pred, cache).

    pytest --rnn-impl examples/courses/coursera_lstm_cell.py:lstm_cell_forward \
      --rnn-bind "xt=input.T,a_prev=h0.T,c_prev=c0.T,parameters={Wf:cat(weight_hh[f],weight_ih[f]),bf:(bias_ih[f]+bias_hh[f]).reshape(H,1),Wi:cat(weight_hh[i],weight_ih[i]),bi:(bias_ih[i]+bias_hh[i]).reshape(H,1),Wc:cat(weight_hh[g],weight_ih[g]),bc:(bias_ih[g]+bias_hh[g]).reshape(H,1),Wo:cat(weight_hh[o],weight_ih[o]),bo:(bias_ih[o]+bias_hh[o]).reshape(H,1),Wy:eye,by:zeros.reshape(H,1)}" \
      --rnn-returns "h_1.T,c_1.T,yt_pred,cache"
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    shifted = np.exp(z - z.max(axis=0, keepdims=True))
    return shifted / shifted.sum(axis=0, keepdims=True)


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    forget = sigmoid(p["Wf"] @ concat + p["bf"])
    update = sigmoid(p["Wi"] @ concat + p["bi"])
    candidate = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = forget * c_prev + update * candidate
    out = sigmoid(p["Wo"] @ concat + p["bo"])
    a_next = out * np.tanh(c_next)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, forget, update, candidate, out, xt, p)
