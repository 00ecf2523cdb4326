"""One sortable int64 key per product × location, shared by every app that joins arrays by pair
(pure NumPy, so compute cores may import it)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

IntArray = NDArray[np.int64]


def pair_keys(product: ArrayLike, location: ArrayLike) -> IntArray:
    """One sortable int64 key per product × location (ids below 2³¹)."""
    return (np.asarray(product, np.int64) << 32) | np.asarray(location, np.int64)
