"""combined: every supported dimension at once."""
from ..draw.cases import EVERYTHING
from .base import Feature
from .forward import check

FEATURE = Feature(
    "combined", 210,
    "Every dimension the implementation supports, drawn at once (layers, directions, layout, bias, projection, "
    "nonlinearity, unbatched, hx omitted, packed), in every dtype of the run. When a failure here is explained by "
    "one dimension alone, this row is blocked by the row that owns it instead of reporting the defect again; what "
    "fails only when dimensions meet is its own.",
    check, EVERYTHING, dtypes="all")
