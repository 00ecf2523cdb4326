"""Stockout risk: the probability (0–1) of running out before the next replenishment can arrive.

An order placed today arrives after the lead time, and at periodic review the next chance to
order comes one review period later, so stock must last ``L + R`` days. With inventory position
``IP`` (on hand + on order due within the lead time − reserved) the risk is

    P(D_{L+R} > IP)

with lead-time demand normal (``μ_LT``, ``σ_LT`` as in ``safety_stock.lead_time_demand``) or, for
slow movers, Poisson / negative binomial. Nothing on hand against positive demand is a risk of 1:
the item has already run out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inventory.policy.safety_stock import _discrete_survival, lead_time_demand


def stockout_risk(
    inventory_position: ArrayLike,
    mean_daily_demand: ArrayLike,
    demand_std_daily: ArrayLike,
    lead_time_days: ArrayLike,
    lead_time_std_days: ArrayLike = 0.0,
    review_period_days: ArrayLike = 0.0,
    *,
    discrete: ArrayLike = False,
) -> NDArray[np.float64]:
    """Probability in [0, 1] that demand over ``L + R`` days exceeds the inventory position.

    ``discrete`` (bool, per item or one for all) selects the Poisson / negative-binomial model;
    otherwise the normal approximation is used. NaN inputs give NaN.
    """
    from scipy import special  # on use: at module level it slowed every start (ADR 27)

    position = np.asarray(inventory_position, dtype=float)
    mean, std = lead_time_demand(
        mean_daily_demand, demand_std_daily, lead_time_days, lead_time_std_days, review_period_days
    )
    position, mean, std, discrete = np.broadcast_arrays(
        position, mean, std, np.asarray(discrete, dtype=bool)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        normal = special.ndtr((mean - position) / std)
    # No spread: demand is exactly the mean, so stock either lasts or it does not.
    normal = np.where(std > 0, normal, (mean > position).astype(float))
    risk = normal.copy()
    risk[discrete] = _discrete_survival(
        np.floor(position[discrete]), mean[discrete], std[discrete] ** 2
    )
    risk = np.where((position <= 0) & (mean > 0), 1.0, risk)
    risk = np.clip(risk, 0.0, 1.0)
    return np.where(np.isnan(position) | np.isnan(mean) | np.isnan(std), np.nan, risk)
