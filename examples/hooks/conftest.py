"""Examples of pytest-rnnconformance's extension hooks.

* ``pytest_rnnconformance_adapt``: test an object the binder does not know (here a numpy LSTM).
* ``pytest_rnnconformance_tolerance``: loosen the policy for one feature and dtype.
* ``pytest_rnnconformance_report``: receive the final report (here: a one-line summary file).
"""
import json
from pathlib import Path

import numpy as np
import torch

from pytest_rnnconformance import implements
from pytest_rnnconformance.judge.tolerance import Tolerance, tolerance_for


def pytest_rnnconformance_adapt(obj, name, mode):
    if getattr(obj, "__name__", "") != "NumpyLSTM":
        return None

    @implements(modes=["lstm"], layers=1, bidirectional=False, batch_first=[False], unbatched=False,
                bias=[True], proj=False, packed=False, differentiable=False, dtypes=["float64", "float32"])
    def forward(input, hx, params, spec):
        as_numpy = (lambda t: t.detach().cpu().numpy())
        h0, c0 = (hx if hx is not None else (torch.zeros(1, input.shape[1], spec.hidden_size, dtype=input.dtype),) * 2)
        weights = {"w_ih": as_numpy(params["weight_ih_l0"]), "w_hh": as_numpy(params["weight_hh_l0"]),
                   "b": as_numpy(params["bias_ih_l0"] + params["bias_hh_l0"])}
        out, h, c = obj.apply(weights, as_numpy(input), as_numpy(h0[0]), as_numpy(c0[0]))
        back = (lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(input.dtype))
        return back(out), (back(h)[None], back(c)[None])

    return forward


def pytest_rnnconformance_tolerance(feature, dtype, device):
    if feature == "edge_cases" and dtype == torch.float32:
        default = tolerance_for(dtype)
        return Tolerance(multiple=default.multiple * 2, floor=default.floor)
    return None


def pytest_rnnconformance_report(report, config):
    score = report["score"]
    Path(config.invocation_params.dir, "rnn-summary.txt").write_text(
        f"{report['impl']}: {score['passed']} passed, {score['failed']} failed\n" + json.dumps(score) + "\n")
