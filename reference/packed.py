"""Packed sequences: a batch of sequences of different lengths, stored without padding.

A `PackedSequence` stores the batch sorted by decreasing length and time-major: first the step-0
rows of every sequence, then the step-1 rows of those that are still running, and so on;
``batch_sizes[t]`` says how many sequences are still running at step t. ``sorted_indices`` maps that
sorted order back to the caller's batch order (None when the caller's batch was already sorted).

The reference handles packed input by unpacking it into a padded (time, batch, features) tensor
plus per-row lengths, running the layers with those lengths (each row stops at its own end, the
reverse direction starts at it), and packing the output the same way the input was packed.
States stay in the caller's batch order throughout, as torch.nn presents them.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence


def _positions(batch_sizes: Tensor) -> tuple[Tensor, Tensor]:
    """For each row of a packed ``data``: its time step and its row in the sorted batch."""
    steps = torch.arange(len(batch_sizes))
    time_index = torch.repeat_interleave(steps, batch_sizes)
    offsets = torch.cumsum(batch_sizes, 0) - batch_sizes
    row_index = torch.arange(int(batch_sizes.sum())) - torch.repeat_interleave(offsets, batch_sizes)
    return time_index, row_index


def unpack(packed: PackedSequence) -> tuple[Tensor, Tensor]:
    """Padded (time, batch, features) tensor in the caller's batch order, and each row's length."""
    data, batch_sizes = packed.data, packed.batch_sizes
    time_index, row_index = _positions(batch_sizes)
    padded = data.new_zeros((len(batch_sizes), int(batch_sizes[0])) + data.shape[1:])
    padded = padded.index_put((time_index.to(data.device), row_index.to(data.device)), data)
    lengths = (batch_sizes.unsqueeze(0) > torch.arange(int(batch_sizes[0])).unsqueeze(1)).sum(1)
    if packed.unsorted_indices is not None:
        padded = padded[:, packed.unsorted_indices]
        lengths = lengths[packed.unsorted_indices.cpu()]
    return padded, lengths


def pack_like(padded: Tensor, like: PackedSequence) -> PackedSequence:
    """Pack a padded (time, batch, ...) tensor in the caller's order exactly as `like` was packed."""
    if like.sorted_indices is not None:
        padded = padded[:, like.sorted_indices]
    time_index, row_index = _positions(like.batch_sizes)
    data = padded[time_index.to(padded.device), row_index.to(padded.device)]
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)
