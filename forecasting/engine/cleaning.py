"""Censored demand and outliers in a sales history, before the Test Bed fits and scores.

**Stockouts.** A day without stock sells nothing whatever the demand: its zero is a missing
value, not zero demand. Where the import does not say so, a run of zeros is inferred to be a
stockout when it is implausible for the series: with ``p0`` the chance of a zero day — the
share of zero days since the first sale, or the Poisson chance ``exp(−mean)`` at the mean of
the four weeks before the run, whichever is larger (the cautious one) — a run of ``L`` zeros
has probability ``p0^L``; below :data:`STOCKOUT_PROBABILITY` it is flagged. A run that
reaches the end of the history is the stockout the item is in now while it is at most
:data:`TRAILING_DAYS` long (then the forecast is of the demand, not of the empty shelf); a
longer one is left alone (the item may have stopped selling). Zeros in the first
:data:`SETTLING_DAYS` after the first sale are not judged (a launch ramps up). Weekly or
monthly buckets keep :data:`COARSE_WINDOWS`. Flagged days are filled (:func:`impute`) with
the median of the same weekday in the four weeks either side that were not flagged, so
every method and every backtest fold sees them as demand that existed rather than as zeros.

**Spikes.** Promotions without campaign data and one-off orders are outliers for a model of
the level and the season: :func:`winsorise` caps each day at a robust high band around the
median of the two weeks before it. Only the fitting history is capped; backtests score
against the uncapped one, so spikes still widen the calibrated bands.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from . import kernels

STOCKOUT_PROBABILITY = 1e-4
LOCAL_WINDOW = 28
# A launch ramps up: zeros in the first weeks after the first sale are not judged.
SETTLING_DAYS = 21
IMPUTE_WEEKS = 4
# The longest zero run reaching the end of the history that may still be a stockout.
TRAILING_DAYS = 28
# Weekly or monthly buckets (a season other than 7): a zero bucket says little about the
# shelf, so only long-settled runs inside the history count (car parts, monthly: judging
# sooner or at the end made RMSSE 0.5844 → 0.5853, ADR 32 addendum).
COARSE_WINDOWS = {"settling": 56, "trailing": 0}
# Winsorising: the band is the trailing median plus this many robust standard deviations
# (1.4826 · MAD of the residuals, at least √median: the Poisson spread of counts).
SPIKE_SIGMAS = 5.0
SPIKE_WINDOW = 14
# A launch's ramp-up is no spike: its first weeks after the first sale are not capped.
LAUNCH_SPIKE_DAYS = 56

BoolArray = NDArray[np.bool_]


def infer_stockouts(
    values: np.ndarray,
    probability: float = STOCKOUT_PROBABILITY,
    *,
    settling: int = SETTLING_DAYS,
    trailing: int = TRAILING_DAYS,
) -> BoolArray:
    """``(series, periods)`` mask of the days inside zero runs implausible for the series:
    none in the first ``settling`` periods after the first sale, and a run reaching the end
    only while it is at most ``trailing`` long."""
    n, periods = values.shape
    mask = np.zeros((n, periods), dtype=bool)
    selling = values > 0
    any_sale = selling.any(axis=1)
    first = np.where(any_sale, np.argmax(selling, axis=1), periods)
    active = np.arange(periods)[None, :] >= first[:, None]
    zero = active & ~selling
    padded = np.zeros((n, periods + 2), dtype=np.int8)
    padded[:, 1:-1] = zero
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _rows, ends = np.nonzero(step == -1)  # row-major order: the i-th end closes the i-th start
    if rows.size == 0:
        return mask
    length = ends - starts
    active_days = np.maximum(periods - first, 1)
    share = zero.sum(axis=1) / active_days
    total = np.concatenate([np.zeros((n, 1)), np.cumsum(values, axis=1)], axis=1)
    low = np.maximum(starts - LOCAL_WINDOW, first[rows])
    span = starts - low
    overall_mean = (total[:, -1] - total[np.arange(n), np.minimum(first, periods)]) / active_days
    local = np.where(
        span >= 7,
        (total[rows, starts] - total[rows, low]) / np.maximum(span, 1),
        overall_mean[rows],
    )
    p0 = np.clip(np.maximum(share[rows], np.exp(-local)), 1e-12, 1.0)
    settled = starts - first[rows] >= settling
    # A run still going at the end of the history is judged too while it is short: it is the
    # stockout a planner is in now. A longer one may be an item that stopped selling.
    open_ended = ends >= periods
    flagged = (
        (length * np.log(p0) < np.log(probability)) & (~open_ended | (length <= trailing)) & settled
    )
    for row, start, end in zip(rows[flagged], starts[flagged], ends[flagged], strict=True):
        mask[row, start:end] = True
    return mask


def censor(
    values: np.ndarray,
    stockout: np.ndarray | None = None,
    in_stock: np.ndarray | None = None,
    *,
    infer: bool = True,
    season: int = 7,
) -> tuple[np.ndarray, BoolArray]:
    """``(filled values, censored mask)``: the days the import flags as ``stockout``, and with
    ``infer`` the implausible zero runs (:func:`infer_stockouts`) except on days the import
    says were ``in_stock``, filled by :func:`impute`. Imported flags beat inferred ones."""
    raw = np.asarray(values, dtype=np.float64)
    mask = np.zeros(raw.shape, dtype=bool) if stockout is None else np.asarray(stockout, bool)
    if infer:
        windows = {} if season == 7 else COARSE_WINDOWS
        inferred = infer_stockouts(raw, **windows)
        if in_stock is not None:
            inferred &= ~np.asarray(in_stock, dtype=bool)
        mask = mask | inferred
    return (impute(raw, mask, season) if mask.any() else raw), mask


def impute(values: np.ndarray, mask: np.ndarray, season: int = 7) -> np.ndarray:
    """``values`` with the ``mask``ed days filled by the median of the same season position
    in the :data:`IMPUTE_WEEKS` seasons either side that are not masked (the mean of the
    unmasked days of the series where none is)."""
    filled = np.array(values, dtype=np.float64)
    if not mask.any():
        return filled
    periods = values.shape[1]
    offsets = season * np.concatenate(
        [-np.arange(1, IMPUTE_WEEKS + 1), np.arange(1, IMPUTE_WEEKS + 1)]
    )
    for row in np.flatnonzero(mask.any(axis=1)):
        days = np.flatnonzero(mask[row])
        around = days[:, None] + offsets[None, :]
        inside = (around >= 0) & (around < periods)
        clipped = np.clip(around, 0, periods - 1)
        usable = inside & ~mask[row][clipped]
        neighbours = np.where(usable, values[row][clipped], np.nan)
        kept = ~mask[row]
        fallback = float(values[row][kept].mean()) if kept.any() else 0.0
        with np.errstate(all="ignore"):
            median = np.nanmedian(np.where(usable.any(axis=1)[:, None], neighbours, 0.0), axis=1)
        filled[row, days] = np.where(usable.any(axis=1), median, fallback)
    return filled


def winsorise(values: np.ndarray, rows: np.ndarray, sigmas: float = SPIKE_SIGMAS) -> np.ndarray:
    """``values`` with each day of the ``rows`` series capped at the median of the
    :data:`SPIKE_WINDOW` days before it plus ``sigmas`` robust standard deviations of the
    series' residuals from that median (from :data:`LAUNCH_SPIKE_DAYS` after the first sale)."""
    capped = np.array(values, dtype=np.float64)
    periods = values.shape[1]
    if not rows.any() or periods <= SPIKE_WINDOW:
        return capped
    chosen = np.flatnonzero(rows)
    block = values[chosen]
    # (series, periods − window): the median of the window before each day window…end.
    median = kernels.trailing_medians(np.ascontiguousarray(block, dtype=np.float64), SPIKE_WINDOW)
    later = block[:, SPIKE_WINDOW:]
    residual = later - median
    mad = np.median(np.abs(residual - np.median(residual, axis=1, keepdims=True)), axis=1)
    spread = np.maximum(1.4826 * mad[:, None], np.sqrt(np.maximum(median, 1.0)))
    cap = median + sigmas * spread
    # A launch's ramp-up is no spike: days in the settling weeks after the first sale stay.
    selling = block > 0
    first = np.where(selling.any(axis=1), np.argmax(selling, axis=1), periods)
    day = np.arange(SPIKE_WINDOW, periods)[None, :]
    settled = day >= first[:, None] + LAUNCH_SPIKE_DAYS
    capped[chosen, SPIKE_WINDOW:] = np.where(settled, np.minimum(later, cap), later)
    return capped
