"""dtype: the results have the input's dtype."""
import torch

from ..judge.catalogue import SENTENCES
from ..judge.failure import Explanation
from ..judge.status import Kind
from .base import Feature


def check(row, inputs) -> None:
    result = row.result(inputs)
    wrong = {name: dtype for name, dtype in result.dtypes.items() if dtype != inputs.dtype}
    if not wrong:
        return
    names = ", ".join(wrong)
    returned = ", ".join(sorted({str(d)[6:] for d in wrong.values()}))
    default = torch.get_default_dtype()
    explanations = ()
    details = ("every other row judged its values at the precision it returned; this is the only row the dtype "
               "fails",)
    if all(d == default for d in wrong.values()) and inputs.dtype != default and not result.arrays:
        explanations = (Explanation("default_dtype_buffer", SENTENCES["default_dtype_buffer"], tuple(wrong), True),)
    elif result.arrays:
        details += ("numpy computes in float64 unless told otherwise: np.zeros(..., dtype=x.dtype), or "
                    "x.astype(...) once at the end",)
    row.fail(Kind.DTYPE, f"returned {names} as {returned}; the inputs were {str(inputs.dtype)[6:]}",
             explanations=explanations, details=details)


FEATURE = Feature(
    "dtype", 140,
    "The results have the input's dtype, in every dtype of the run. A result in another dtype fails this row "
    "once (a float32 buffer under float64 input is named default_dtype_buffer); every other row judges the "
    "values at the precision returned, so a wrong dtype is one finding, not a mask over every row.",
    check, dtypes="all", judges_values=False, example_share=0.2)
