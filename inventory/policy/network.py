"""Demand roll-up on the supply network (pure NumPy, no Django).

A location may be replenished from another (``Location.replenished_from``: store → DC → plant).
What an upstream location must cover is its own demand plus the demand of every location it
replenishes, directly or further down. ``roll_up`` adds each product × location row's own values
to the rows of the same product at every ancestor location, one vectorised step per level of the
network (the loop is over levels, a handful, never over rows).

Independent demands add in mean and in variance, so callers roll up means and variances (not
standard deviations). Cycles in a malformed network are cut: a walk stops when it comes back to
its starting location or after as many steps as there are locations.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


def pair_keys(product: IntArray, location: IntArray) -> IntArray:
    """One sortable int64 key per product × location (ids below 2³¹)."""
    return (np.asarray(product, np.int64) << 32) | np.asarray(location, np.int64)


def roll_up(
    keys: IntArray,
    location_ids: IntArray,
    parent_ids: IntArray,
    sums: list[np.ndarray],
    maxima: list[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Values of each row plus those of the same product at every descendant location.

    ``keys`` (rows,) sorted unique ``pair_keys``; ``location_ids`` / ``parent_ids`` (locations,)
    the network, parent −1 where a location is replenished from nowhere; ``sums`` arrays with
    rows on axis 0 that add up (mean demand, variance, weekly buckets, revenue); ``maxima``
    arrays that take the maximum (e.g. the last sale day). Only rows that exist receive values:
    an ancestor that neither stocks nor sells the product gets no row of its own.
    """
    maxima = maxima or []
    rolled_sums = [np.array(values, dtype=float, copy=True) for values in sums]
    rolled_max = [np.array(values, copy=True) for values in maxima]
    if keys.size == 0 or location_ids.size == 0:
        return rolled_sums, rolled_max
    order = np.argsort(location_ids)
    sorted_ids = np.asarray(location_ids, np.int64)[order]
    sorted_parents = np.asarray(parent_ids, np.int64)[order]

    product = keys >> 32
    start = keys & 0xFFFFFFFF
    current = start.copy()
    rows = np.arange(keys.size)
    for _ in range(sorted_ids.size):
        at = np.searchsorted(sorted_ids, current)
        at = np.minimum(at, sorted_ids.size - 1)
        known = sorted_ids[at] == current
        parent = np.where(known, sorted_parents[at], -1)
        alive = (parent >= 0) & (parent != start)
        if not alive.any():
            break
        rows, product, start, current = rows[alive], product[alive], start[alive], parent[alive]
        target_key = pair_keys(product, current)
        target = np.minimum(np.searchsorted(keys, target_key), keys.size - 1)
        found = keys[target] == target_key
        for rolled, own in zip(rolled_sums, sums, strict=True):
            np.add.at(rolled, target[found], np.asarray(own, dtype=float)[rows[found]])
        for rolled, own in zip(rolled_max, maxima, strict=True):
            np.maximum.at(rolled, target[found], np.asarray(own)[rows[found]])
    return rolled_sums, rolled_max
