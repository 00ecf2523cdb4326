"""Demand roll-up on the supply network (pure NumPy, no Django).

A location may be replenished from another (``Location.replenished_from``: store → DC → plant).
What an upstream location must cover is its own demand plus the demand of every location it
replenishes, directly or further down. ``roll_up`` adds each product × location row's own values
to the rows of the same product at every ancestor location, one vectorised step per level of the
network (the loop is over levels, a handful, never over rows).

Independent demands add in mean and in variance, so callers roll up means and variances (not
standard deviations). Cycles in a malformed network are cut: a walk up the network stops at a
location it has already visited.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from catalog.keys import pair_keys

IntArray = NDArray[np.int64]
__all__ = ["ancestor_table", "pair_keys", "roll_up"]


def ancestor_table(location_ids: IntArray, parent_ids: IntArray) -> IntArray:
    """(locations, depth) ancestors of each location, nearest first, −1 padded. A walk stops
    at a location it has already seen, so a cycle in a malformed network counts each location
    once. The loop is over locations (hundreds), never over product × location rows."""
    parent_of = dict(zip(location_ids.tolist(), parent_ids.tolist(), strict=True))
    chains = []
    for location in location_ids.tolist():
        seen, chain, current = {location}, [], parent_of.get(location, -1)
        while current is not None and current >= 0 and current not in seen:
            chain.append(current)
            seen.add(current)
            current = parent_of.get(current, -1)
        chains.append(chain)
    depth = max((len(chain) for chain in chains), default=0)
    table = np.full((len(chains), depth), -1, dtype=np.int64)
    for row, chain in enumerate(chains):
        table[row, : len(chain)] = chain
    return table


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
    location_ids = np.asarray(location_ids, np.int64)
    if keys.size == 0 or location_ids.size == 0:
        return rolled_sums, rolled_max
    order = np.argsort(location_ids)
    sorted_ids = location_ids[order]
    table = ancestor_table(sorted_ids, np.asarray(parent_ids, np.int64)[order])

    product = keys >> 32
    location = keys & 0xFFFFFFFF
    at = np.minimum(np.searchsorted(sorted_ids, location), sorted_ids.size - 1)
    known = sorted_ids[at] == location
    for level in range(table.shape[1]):
        ancestor = np.where(known, table[at, level], -1)
        rows = np.flatnonzero(ancestor >= 0)
        if rows.size == 0:
            break
        target_key = pair_keys(product[rows], ancestor[rows])
        target = np.minimum(np.searchsorted(keys, target_key), keys.size - 1)
        found = keys[target] == target_key
        source, target = rows[found], target[found]
        for rolled, own in zip(rolled_sums, sums, strict=True):
            np.add.at(rolled, target, np.asarray(own, dtype=float)[source])
        for rolled, own in zip(rolled_max, maxima, strict=True):
            np.maximum.at(rolled, target, np.asarray(own)[source])
    return rolled_sums, rolled_max
