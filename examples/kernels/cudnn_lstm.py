"""An LSTM module that delegates to torch.nn.LSTM, so cuDNN on CUDA: the speed baseline of a kernel.

Its values are torch.nn's by construction; ``no_delegation`` fails unless ``--rnn-allow-builtin``
says wrapping torch's kernel is meant. ``bench/gpu_check.py`` runs it beside the reference and the
compiled example, so each ratio to cuDNN has a known floor (about 1).

    pytest --rnn-impl examples/kernels/cudnn_lstm.py:CudnnLSTM --rnn-allow-builtin
"""
import torch


class CudnnLSTM(torch.nn.LSTM):
    """torch.nn.LSTM as it is: cuDNN's kernel on CUDA, torch's own on the CPU."""
