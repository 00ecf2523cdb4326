"""Synthetic plant for tests and benchmarks: a 3-level BOM with demand and stock (no Django).

``synthetic_plant`` is shared by ``benchmarks/mrp_core.py`` (pure core) and the Django
benchmark, which loads the same arrays into the database.
"""

from __future__ import annotations

import numpy as np

from manufacturing.mrp.plan import MrpInputs


def _bom_lines(
    rng: np.random.Generator, parents: np.ndarray, children_from: int, children_to: int
) -> tuple[np.ndarray, np.ndarray]:
    """2–5 distinct-looking lines per parent, components drawn from ``[from, to)``."""
    lines = rng.integers(2, 6, parents.size)
    parent = np.repeat(parents, lines)
    component = rng.integers(children_from, children_to, parent.size)
    return parent, component


def synthetic_plant(items: int = 10_000, horizon_days: int = 90, seed: int = 1) -> MrpInputs:
    """Generate MRP inputs: a quarter finished goods, half intermediates, a quarter raw.

    Finished goods (LLC 0) use 2–5 intermediates, and one line in five goes straight to a raw
    material; intermediates (LLC 1) use 2–5 raw materials (LLC 2). Finished goods carry a daily
    Poisson forecast on every day of the horizon (one demand record per item × day,
    ``demand_id`` = record index). On-hand covers 0–15 days of usage, safety stock 0–3 days on
    half the items; MOQ and pack sizes on purchased items; lead times 1–5 / 2–10 / 5–30 days
    (finished / intermediate / raw); one open purchase order on a third of the raw materials.
    Output: ``MrpInputs`` (quantities in units, days from today).
    """
    rng = np.random.default_rng(seed)
    n_finished = items // 4
    n_raw = items // 4
    n_mid = items - n_finished - n_raw
    finished = np.arange(n_finished)
    mid = np.arange(n_finished, n_finished + n_mid)
    raw_from = n_finished + n_mid

    fg_parent, fg_component = _bom_lines(rng, finished, mid[0], mid[-1] + 1)
    straight_to_raw = rng.random(fg_parent.size) < 0.2
    fg_component[straight_to_raw] = rng.integers(raw_from, items, int(straight_to_raw.sum()))
    mid_parent, mid_component = _bom_lines(rng, mid, raw_from, items)
    bom_parent = np.concatenate((fg_parent, mid_parent))
    bom_component = np.concatenate((fg_component, mid_component))
    bom_qty_per = rng.choice([1.0, 1.0, 2.0, 4.0, 0.5, 0.25], bom_parent.size)
    bom_scrap_pct = np.where(rng.random(bom_parent.size) < 0.3, rng.uniform(0.5, 5.0), 0.0)

    level = np.full(items, 2)
    level[finished] = 0
    level[mid] = 1
    mean_daily = rng.lognormal(1.0, 1.0, n_finished)  # units/day of finished goods
    forecast = rng.poisson(mean_daily[:, None], (n_finished, horizon_days)).astype(float)
    demand_item = np.repeat(finished, horizon_days)
    demand_day = np.tile(np.arange(horizon_days), n_finished)
    demand_qty = forecast.ravel()
    present = demand_qty > 0
    demand_item, demand_day, demand_qty = (
        demand_item[present],
        demand_day[present],
        demand_qty[present],
    )

    # Rough daily usage of every item (finished demand pushed once through the BOM) sets
    # realistic stock levels and lot sizes for the intermediates and raw materials.
    usage = np.zeros(items)
    usage[finished] = mean_daily
    for _ in range(2):
        pushed = np.bincount(
            bom_component, weights=usage[bom_parent] * bom_qty_per, minlength=items
        )
        usage = np.where(level == 0, usage, pushed)
    on_hand = np.round(usage * rng.uniform(0.0, 15.0, items))
    safety_stock = np.where(rng.random(items) < 0.5, np.round(usage * rng.uniform(0, 3, items)), 0)
    lead_time_days = np.select(
        [level == 0, level == 1],
        [rng.integers(1, 6, items), rng.integers(2, 11, items)],
        rng.integers(5, 31, items),
    )
    purchased = level == 2
    moq = np.where(purchased, np.round(usage * rng.uniform(0, 10, items)), 0.0)
    pack_size = np.where(purchased, rng.choice([0.0, 1.0, 6.0, 12.0, 25.0, 100.0], items), 0.0)
    has_bom = level < 2

    raw = np.arange(raw_from, items)
    with_po = raw[rng.random(raw.size) < 1 / 3]
    supply_qty = np.round(usage[with_po] * rng.uniform(5, 20, with_po.size)) + 1

    return MrpInputs(
        horizon_days=horizon_days,
        on_hand=on_hand,
        safety_stock=safety_stock.astype(float),
        lead_time_days=lead_time_days,
        moq=moq,
        pack_size=pack_size,
        has_bom=has_bom,
        bom_parent=bom_parent,
        bom_component=bom_component,
        bom_qty_per=bom_qty_per,
        bom_scrap_pct=bom_scrap_pct,
        demand_item=demand_item,
        demand_day=demand_day,
        demand_qty=demand_qty,
        demand_id=np.arange(demand_item.size),
        supply_item=with_po,
        supply_day=rng.integers(0, 21, with_po.size),
        supply_qty=supply_qty,
        labels=None,
    )
