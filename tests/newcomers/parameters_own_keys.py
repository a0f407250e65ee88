"""RIGHT, in its own convention. An LSTM step whose `parameters` is a dict of the learner's own keys
(Wf, bf, ...), applied to [h, x]. Issue 20: bound silently as torch.nn's named-parameter dict, then
'raised KeyError: Wf', a crash blamed on correct code. Those keys are the sequence-models course's:
its convention is read whole, and the solver proves its column-major layout (it returns no prediction:
the course's result form, its first items)."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    Wf, bf = parameters["Wf"], parameters["bf"]
    Wi, bi = parameters["Wi"], parameters["bi"]
    Wc, bc = parameters["Wc"], parameters["bc"]
    Wo, bo = parameters["Wo"], parameters["bo"]
    concat = np.concatenate([a_prev, xt], axis=0)
    f = sigmoid(Wf @ concat + bf)
    i = sigmoid(Wi @ concat + bi)
    g = np.tanh(Wc @ concat + bc)
    c_next = f * c_prev + i * g
    a_next = sigmoid(Wo @ concat + bo) * np.tanh(c_next)
    return a_next, c_next
