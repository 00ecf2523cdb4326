"""The compiled inner loops (numba) of the smoothing family and the intermittent methods, loaded
on first use.

The kernels themselves live in :mod:`forecasting.engine.compiled`. Importing numba costs about
two seconds, which every process that merely imports the engine (``manage.py check``, a worker
starting, the web server) used to pay: this module keeps the constants and array types that
callers need at import time and resolves a kernel (``kernels.smooth_states``) by importing the
compiled module the first time one is asked for (PEP 562 module ``__getattr__``). See
docs/adr/0027-start-up-and-api-speed.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .compiled import (
        autocorrelations,
        count_ppf,
        croston_states,
        ets_candidates,
        lead_ses_states,
        ses_states,
        smooth_states,
        theta_states,
        trailing_medians,
        tsb_states,
    )

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

SEASON_NONE_CODE = 0
SEASON_ADDITIVE_CODE = 1
SEASON_MULTIPLICATIVE_CODE = 2

KERNELS = frozenset(
    {
        "autocorrelations",
        "count_ppf",
        "croston_states",
        "ets_candidates",
        "lead_ses_states",
        "ses_states",
        "smooth_states",
        "theta_states",
        "trailing_medians",
        "tsb_states",
    }
)

__all__ = [
    "F64",
    "I64",
    "KERNELS",
    "SEASON_ADDITIVE_CODE",
    "SEASON_MULTIPLICATIVE_CODE",
    "SEASON_NONE_CODE",
    "autocorrelations",
    "count_ppf",
    "croston_states",
    "ets_candidates",
    "lead_ses_states",
    "ses_states",
    "smooth_states",
    "theta_states",
    "trailing_medians",
    "tsb_states",
]


def __getattr__(name: str) -> Any:
    if name not in KERNELS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import compiled

    kernel = getattr(compiled, name)
    globals()[name] = kernel  # later look-ups skip this function
    return kernel
