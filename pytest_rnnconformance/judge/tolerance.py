"""The tolerance policy: a candidate may be as wrong as torch.nn is, times a documented multiple.

Both the candidate and torch.nn (same device, same dtype) are measured against the reference run
in float64 on the CPU. A tensor passes when

    error(candidate) <= MULTIPLE * max(error(torch.nn), sensitivity) + floor(dtype) * max(1, max|expected|)

so float16 on CUDA is judged exactly as fairly as float64 on the CPU: by what the dtype and the
hardware allow torch.nn itself. `sensitivity` is how far the reference moves when its inputs are
nudged by one rounding of the dtype (an ill-conditioned input amplifies rounding, whoever rounds).
The floor keeps a correct implementation that rounds differently from failing where torch.nn
happens to be (nearly) exact. Calibration: docs/tolerance.md and
``bench/tolerance_calibration.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

#: How many times torch.nn's own error a candidate may have (see docs/tolerance.md).
MULTIPLE = 8.0

#: Floors in units of the dtype's machine epsilon, per element magnitude.
FLOOR_EPS = {
    torch.float64: 2.0**12,  # ~9e-13
    torch.float32: 2.0**7,   # ~1.5e-5
    torch.float16: 2.0**3,   # ~7.8e-3
    torch.bfloat16: 2.0**2,  # ~3.1e-2
}


@dataclass(frozen=True)
class Tolerance:
    multiple: float
    floor: float

    def allowed(self, rounding_error: float, magnitude: float) -> float:
        return self.multiple * rounding_error + self.floor * max(1.0, magnitude)


def tolerance_for(dtype: torch.dtype) -> Tolerance:
    """The default policy for a dtype (the `tolerance` hook may override it)."""
    eps = torch.finfo(dtype).eps
    return Tolerance(MULTIPLE, FLOOR_EPS.get(dtype, 2.0**7) * eps)
