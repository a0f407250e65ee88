"""WRONG: it cannot run. A numpy LSTM step class whose constructor is spelt ``__init``, so Python never
calls it: ``StepLSTM()`` takes no weights and ``StepLSTM(Wx, Wh, b)`` raises TypeError. Found on public
code: refused with "is its constructor named __init__?", a question; it must say what the class defines,
and with a declaration it fails (constructing it raises), as the code does."""
import numpy as np


class StepLSTM:
    def __init(self, Wx, Wh, b):
        self.params = (Wx, Wh, b)

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        a = x @ Wx + h_prev @ Wh + b
        i, f, g, o = np.split(a, 4, axis=1)
        c = f * c_prev + i * np.tanh(g)
        return o * np.tanh(c), c
