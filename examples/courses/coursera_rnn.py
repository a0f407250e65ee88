"""A vanilla RNN as the sequence-models course writes it (numpy, column-major, time last).

One step takes ``xt`` of shape (n_x, m) and ``a_prev`` of (n_a, m); a sequence ``x`` is
(n_x, m, T_x). The weights come in a dict with the course's keys: ``Wax`` (n_a, n_x), ``Waa``
(n_a, n_a), ``ba`` (n_a, 1), and an output layer ``Wya`` (n_y, n_a), ``by`` (n_y, 1) whose softmax
is the prediction. The step returns (a_next, yt_pred, cache); the sequence (a, y_pred, caches).

    pytest --rnn-impl examples/courses/coursera_rnn.py:rnn_forward \
      --rnn-bind "x=input.permute(2,1,0),a0=hx.reshape(B,H).T,parameters={Wax:weight_ih,Waa:weight_hh,ba:(bias_ih+bias_hh).reshape(H,1),Wya:eye,by:zeros.reshape(H,1)}" \
      --rnn-returns "output.permute(2,1,0),y_pred,caches"
"""
import numpy as np


def softmax(z):
    shifted = np.exp(z - z.max(axis=0, keepdims=True))
    return shifted / shifted.sum(axis=0, keepdims=True)


def rnn_cell_forward(xt, a_prev, parameters):
    """One time step: the new hidden state, the prediction, and what backprop would need."""
    pre_activation = parameters["Wax"] @ xt + parameters["Waa"] @ a_prev + parameters["ba"]
    a_next = np.tanh(pre_activation)
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    """Every time step of x (n_x, m, T_x), from the initial state a0 (n_a, m)."""
    states, predictions, caches = [], [], []
    a_t = a0
    for t in range(x.shape[2]):
        a_t, y_t, cache = rnn_cell_forward(x[:, :, t], a_t, parameters)
        states.append(a_t)
        predictions.append(y_t)
        caches.append(cache)
    return np.stack(states, axis=2), np.stack(predictions, axis=2), (caches, x)
