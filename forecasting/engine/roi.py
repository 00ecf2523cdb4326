"""What a better forecast is worth: the safety stock (and the money tied up in it) that the
recommended method saves against the method a tenant uses today, at the same service level.

Safety stock per series (the textbook cycle-service-level formula, e.g. Silver, Pyke &
Thomas, *Inventory and Production Management in Supply Chains*, 4th ed., §7.5, with forecast
error in place of demand variability):

    SS = z · σ_e · √L

- ``z = Φ⁻¹(service level)``, the standard normal quantile of the cycle service level (0.95 →
  1.645): the chance of not running out during a replenishment lead time;
- ``σ_e``: the standard deviation of the forecast error per period, estimated by the
  method's backtest RMSE (units per period);
- ``L``: the replenishment lead time in periods (errors of successive periods taken as
  independent, so their variance adds up over the lead time).

The saving of series i is ``SS_current − SS_recommended = z·√L·(σ_current − σ_recommended)``
units, worth that times the unit cost; with a holding rate (share of value per year, e.g.
0.25) also the yearly holding cost saved. A series whose recommended method backtests worse
than the current one shows a negative saving (it is reported, not hidden).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

DEFAULT_CURRENT_METHOD = "seasonal_naive"


@dataclass(frozen=True)
class RoiEstimate:
    """Per series (arrays): safety stock now and with the recommended method (units), the
    units and value saved; totals over series. ``holding_saving`` is per year, or ``None``
    without a holding rate."""

    safety_stock_current: np.ndarray
    safety_stock_recommended: np.ndarray
    units_saved: np.ndarray
    value_saved: np.ndarray
    total_units_saved: float
    total_value_saved: float
    total_value_current: float
    share_saved: float
    holding_saving: float | None
    z: float


def safety_stock(
    error_sd: np.ndarray, lead_time: np.ndarray | float, service_level: float
) -> np.ndarray:
    """SS = z·σ_e·√L per series (units)."""
    from scipy import stats  # on use: at module level it slowed every start (ADR 27)

    _check_level(service_level)
    sigma = np.asarray(error_sd, dtype=np.float64)
    lead = np.asarray(lead_time, dtype=np.float64)
    if np.any(sigma < 0) or np.any(lead < 0):
        raise ValueError("error spread and lead time must not be negative")
    return float(stats.norm.ppf(service_level)) * sigma * np.sqrt(lead)


def estimate(
    recommended_rmse: np.ndarray,
    current_rmse: np.ndarray,
    unit_cost: np.ndarray | float,
    lead_time: np.ndarray | float,
    service_level: float = 0.95,
    holding_rate: float | None = None,
) -> RoiEstimate:
    """Safety-stock and inventory-value reduction of the recommended method over the
    current one, per series and in total (see the module docstring for the formula)."""
    from scipy import stats  # on use: at module level it slowed every start (ADR 27)

    recommended = np.asarray(recommended_rmse, dtype=np.float64)
    current = np.asarray(current_rmse, dtype=np.float64)
    if recommended.shape != current.shape:
        raise ValueError("recommended and current errors need one value per series each")
    cost = np.broadcast_to(np.asarray(unit_cost, dtype=np.float64), recommended.shape)
    if np.any(cost < 0):
        raise ValueError("unit cost must not be negative")
    if holding_rate is not None and holding_rate < 0:
        raise ValueError("holding rate must not be negative")
    now = safety_stock(np.nan_to_num(current), lead_time, service_level)
    then = safety_stock(np.nan_to_num(recommended), lead_time, service_level)
    units = now - then
    value = units * cost
    value_now = float(np.sum(now * cost))
    total_value = float(np.sum(value))
    return RoiEstimate(
        safety_stock_current=now,
        safety_stock_recommended=then,
        units_saved=units,
        value_saved=value,
        total_units_saved=float(np.sum(units)),
        total_value_saved=total_value,
        total_value_current=value_now,
        share_saved=total_value / value_now if value_now > 0 else 0.0,
        holding_saving=None if holding_rate is None else total_value * holding_rate,
        z=float(stats.norm.ppf(service_level)),
    )


def from_backtest(
    methods: tuple[str, ...],
    rmse: np.ndarray,
    recommended: np.ndarray,
    unit_cost: np.ndarray | float,
    lead_time: np.ndarray | float,
    service_level: float = 0.95,
    current: str | np.ndarray = DEFAULT_CURRENT_METHOD,
    holding_rate: float | None = None,
) -> RoiEstimate:
    """:func:`estimate` from a Test Bed backtest: ``methods`` and ``rmse`` ``(series,
    methods)`` are ``Backtest.methods`` and ``Backtest.scores["rmse"]``, ``recommended`` the
    per-series method names (``Recommendation.method``), ``current`` the tenant's method
    today (one name, or one per series)."""
    column: Mapping[str, int] = {name: i for i, name in enumerate(methods)}
    chosen = np.broadcast_to(np.asarray(current, dtype=object), recommended.shape)
    for names in (recommended, chosen):
        unknown = set(np.unique(names).tolist()) - set(column)
        if unknown:
            raise ValueError(f"methods not in the backtest: {sorted(unknown)}")
    rows = np.arange(len(recommended))
    recommended_rmse = rmse[rows, [column[name] for name in recommended]]
    current_rmse = rmse[rows, [column[name] for name in chosen]]
    return estimate(
        recommended_rmse, current_rmse, unit_cost, lead_time, service_level, holding_rate
    )


def _check_level(service_level: float) -> None:
    if not 0.5 <= service_level < 1.0:
        raise ValueError("service level must lie in [0.5, 1)")
