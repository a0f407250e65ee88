"""The reference RNN, LSTM and GRU: what torch.nn computes, written to be read.

Read it in this order, one idea per file:

1. ``cells.py``      one time step of each cell: the equations.
2. ``direction.py``  one cell run over time, forwards or backwards.
3. ``stack.py``      layers on top of each other, two directions side by side, dropout between.
4. ``packed.py``     sequences of different lengths in one batch.
5. ``forward.py``    torch.nn's interface (batch_first, unbatched input, hx=None) around all that.
6. ``one_step.py``   a cell alone, as ``nn.LSTMCell`` runs it.
7. ``parameters.py`` the names and shapes of torch.nn's weights.
8. ``modules.py``    the same as drop-in nn.Modules.

It imports nothing but torch, and never calls torch's own recurrent kernels (nn.RNN/LSTM/GRU,
their cells, ``torch._VF``): only matrix products and element-wise functions. That is what makes it
an oracle the conformance suite can check implementations, torch.nn's included, against.
"""
from .cells import Cell, LayerWeights, cell_for
from .forward import forward
from .modules import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .one_step import cell_step
from .parameters import parameter_shapes

__all__ = ["forward", "cell_step", "parameter_shapes", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
           "Cell", "LayerWeights", "cell_for"]
