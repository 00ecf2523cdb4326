"""Demand classification per series: Syntetos–Boylan pattern, XYZ variability, new items.

Syntetos, Boylan & Croston (2005): the average inter-demand interval (ADI) and the squared
coefficient of variation of the non-zero demand sizes (CV²) split series into smooth
(ADI < 1.32, CV² < 0.49), erratic (ADI < 1.32, CV² ≥ 0.49), intermittent (ADI ≥ 1.32,
CV² < 0.49) and lumpy (both at or above). Series without any sale are ``no_demand``.
History counts from a series' first sale, so a product launched last month is judged on its
own month, not on the zeros before it existed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catalog.classification import xyz_from_cv

from .forecast import ADI_CUTOFF, as_history

CV2_CUTOFF = 0.49
XYZ_CUTOFFS = (0.5, 1.0)
DEFAULT_NEW_ITEM_PERIODS = 56

SMOOTH = "smooth"
ERRATIC = "erratic"
INTERMITTENT = "intermittent"
LUMPY = "lumpy"
NO_DEMAND = "no_demand"
PATTERNS = (SMOOTH, ERRATIC, INTERMITTENT, LUMPY, NO_DEMAND)


@dataclass(frozen=True)
class Classification:
    """Per series (arrays of length ``series``): pattern name, ADI (periods per demand), CV² of
    non-zero sizes, XYZ class and the CV of per-period demand behind it, periods since the
    first sale, and whether that is too short to judge (new item)."""

    pattern: np.ndarray
    adi: np.ndarray
    cv2: np.ndarray
    xyz: np.ndarray
    cv: np.ndarray
    active_periods: np.ndarray
    new_item: np.ndarray


def classify(
    history: np.ndarray,
    *,
    adi_cutoff: float = ADI_CUTOFF,
    cv2_cutoff: float = CV2_CUTOFF,
    xyz_cutoffs: tuple[float, float] = XYZ_CUTOFFS,
    new_item_periods: int = DEFAULT_NEW_ITEM_PERIODS,
) -> Classification:
    """Classify every series of ``history`` ``(series, periods)``."""
    values = as_history(history)
    periods = values.shape[1]
    selling = values > 0
    any_sale = selling.any(axis=1)
    first_sale = np.where(any_sale, np.argmax(selling, axis=1), periods)
    active_periods = periods - first_sale
    active = np.arange(periods)[None, :] >= first_sale[:, None]

    demand_periods = selling.sum(axis=1)
    adi = np.where(any_sale, active_periods / np.maximum(demand_periods, 1), np.inf)
    sizes_sum = np.where(selling, values, 0.0).sum(axis=1)
    size_mean = sizes_sum / np.maximum(demand_periods, 1)
    size_var = np.where(selling, (values - size_mean[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(
        demand_periods, 1
    )
    cv2 = np.where(size_mean > 0, size_var / np.where(size_mean > 0, size_mean, 1.0) ** 2, 0.0)

    frequent = adi < adi_cutoff
    steady = cv2 < cv2_cutoff
    pattern = np.select(
        [~any_sale, frequent & steady, frequent & ~steady, ~frequent & steady],
        [NO_DEMAND, SMOOTH, ERRATIC, INTERMITTENT],
        default=LUMPY,
    )

    count = np.maximum(active_periods, 1)
    mean = np.where(active, values, 0.0).sum(axis=1) / count
    var = np.where(active, (values - mean[:, None]) ** 2, 0.0).sum(axis=1) / count
    cv = np.where(mean > 0, np.sqrt(var) / np.where(mean > 0, mean, 1.0), np.inf)
    xyz = xyz_from_cv(cv, xyz_cutoffs)

    return Classification(
        pattern=pattern,
        adi=adi,
        cv2=cv2,
        xyz=xyz,
        cv=cv,
        active_periods=active_periods,
        new_item=active_periods < new_item_periods,
    )
