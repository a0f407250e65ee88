"""The wire between the pytest process and an isolated worker: plain data only.

Tensors travel as (dtype, shape, raw bytes), specs and recipes as dicts, and the message is a
pickle of builtin containers read back by an unpickler that refuses every global. Whatever the
untrusted worker sends, the pytest process can only get tensors, numbers, strings and containers
out of it: no code runs on load and no custom class arrives. The worker has already made the
result plain (`results.plain`); anything else arrives as a `Foreign` description of what it was.
"""
from __future__ import annotations

import dataclasses
import io
import pickle
import socket
import struct
from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence

MAX_MESSAGE = 1 << 31
_HEADER = struct.Struct(">Q")


class WireError(Exception):
    """The other side sent something that is not a message (or hung up)."""


def encode(value: Any) -> Any:
    """Plain data for `value`: tensors, packed sequences, inputs, specs and recipes included."""
    from ..draw.inputs import InputRecipe, RNNInputs
    from ..spec import RNNSpec
    from .results import Foreign

    if isinstance(value, RNNInputs):
        return {"__RNNInputs__": {"spec": encode(value.spec), "recipe": encode(value.recipe),
                                  "input": encode(value.input), "hx": encode(value.hx), "params": encode(value.params)}}
    if type(value) is torch.Tensor or type(value) is torch.nn.Parameter:
        tensor = value.detach().cpu().contiguous()
        return {"__tensor__": str(tensor.dtype).replace("torch.", ""), "shape": list(tensor.shape),
                "device": str(value.device), "data": _raw_bytes(tensor)}
    if isinstance(value, PackedSequence):
        return {"__packed__": [encode(v) for v in value]}
    if isinstance(value, (RNNSpec, InputRecipe)):
        return {"__" + type(value).__name__ + "__": dataclasses.asdict(value)}
    if isinstance(value, Foreign):
        return {"__foreign__": value.description}
    if isinstance(value, tuple):
        return ("__tuple__", [encode(v) for v in value])
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    module = type(value).__module__.split(".")[0]
    return {"__foreign__": f"a {'' if module == 'builtins' else module + '.'}{type(value).__name__}"}


def _raw_bytes(tensor: torch.Tensor) -> bytes:
    """The tensor's elements as bytes, copied by torch into a buffer of exactly their size (not
    `bytes(storage)`, which walks the storage one Python int at a time: 37 ms for 2,000 floats)."""
    raw = bytearray(tensor.numel() * tensor.element_size())
    if raw:
        torch.frombuffer(raw, dtype=torch.uint8).copy_(tensor.reshape(-1).view(torch.uint8))
    return bytes(raw)


def decode(value: Any, device: Any = None) -> Any:
    """The inverse of `encode`; tensors go to `device` when given, else to the device they named."""
    from ..draw.inputs import InputRecipe, RNNInputs
    from ..spec import RNNSpec
    from .results import Foreign

    if isinstance(value, dict):
        if "__RNNInputs__" in value:
            return RNNInputs(**{k: decode(v, device) for k, v in value["__RNNInputs__"].items()})
        if "__tensor__" in value:
            dtype = getattr(torch, value["__tensor__"])
            flat = torch.frombuffer(bytearray(value["data"]), dtype=torch.uint8) if value["data"] \
                else torch.empty(0, dtype=torch.uint8)
            tensor = flat.view(dtype).reshape(value["shape"])
            return tensor.to(device if device is not None else value["device"])
        if "__packed__" in value:
            data, batch_sizes, sorted_indices, unsorted_indices = (decode(v, device) for v in value["__packed__"])
            return PackedSequence(data, batch_sizes.cpu(), sorted_indices, unsorted_indices)
        if "__RNNSpec__" in value:
            return RNNSpec(**value["__RNNSpec__"])
        if "__InputRecipe__" in value:
            fields = dict(value["__InputRecipe__"])
            fields["lengths"] = tuple(fields["lengths"]) if fields["lengths"] is not None else None
            return InputRecipe(**fields)
        if "__foreign__" in value:
            return Foreign(str(value["__foreign__"]))
        return {k: decode(v, device) for k, v in value.items()}
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__tuple__":
        return tuple(decode(v, device) for v in value[1])
    if isinstance(value, list):
        return [decode(v, device) for v in value]
    return value


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise WireError(f"refused a {module}.{name} on the wire: only plain data may cross")


def send(sock: socket.socket, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise WireError("the other side hung up")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if size > MAX_MESSAGE:
        raise WireError(f"a message of {size} bytes is too large")
    try:
        return _PlainUnpickler(io.BytesIO(_read_exactly(sock, size))).load()
    except WireError:
        raise
    except Exception as error:  # noqa: BLE001 - garbage on the wire
        raise WireError(f"unreadable message: {error}") from None
