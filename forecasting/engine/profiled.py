"""Level methods on a seasonally adjusted history: a fixed seasonal profile (weekday of daily
data, month of monthly data) estimated over a long window and shrunk toward flat, a level
method (SES, iMAPA) on the history divided by it, the forecast multiplied back (classical
decomposition, ADR 40).

Holt-Winters learns its season recursively and, on noisy demand, its seasonal states follow
the noise; a profile averaged over up to :data:`PROFILE_SEASONS` seasons and shrunk by how
much of its spread the noise explains does not. Erratic and intermittent series with a weekly
pattern are where it wins: the level methods alone ignore the pattern, Holt-Winters overfits it.

Each origin gets the profile of the history before it (no look-ahead), so the level method
runs once per origin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import intermittent, smoothing
from .forecast import Forecast, ForecastSpec, as_history, check_origins

PROFILE_SEASONS = 100
MIN_SEASONS = 4
_BOUNDS = (0.05, 20.0)

LevelMethod = Callable[[np.ndarray, ForecastSpec, Sequence[int] | None], list[Forecast]]


def seasonal_profile(values: np.ndarray, m: int, seasons: int = PROFILE_SEASONS) -> np.ndarray:
    """``(series, m)`` multiplicative factors by phase (``t % m``) of ``values`` ``(series,
    periods)``: each phase's mean over the last ``seasons`` whole seasons from the first sale,
    over the overall mean, shrunk toward 1 by the share of their spread the sampling noise
    explains (James-Stein); 1 where a series has sold for fewer than :data:`MIN_SEASONS`
    seasons or not at all. Factors average 1."""
    n, periods = values.shape
    profile = np.ones((n, m))
    if m < 2 or periods < MIN_SEASONS * m:
        return profile
    selling = values > 0
    first = np.where(selling.any(axis=1), np.argmax(selling, axis=1), periods)
    window = min(seasons * m, periods)
    start = periods - window
    block = values[:, start:]
    phase = np.arange(start, periods) % m
    counted = np.arange(start, periods)[None, :] >= first[:, None]
    sums = np.zeros((n, m))
    counts = np.zeros((n, m))
    squares = np.zeros((n, m))
    for d in range(m):
        cols = phase == d
        mask = counted[:, cols]
        part = np.where(mask, block[:, cols], 0.0)
        sums[:, d] = part.sum(axis=1)
        squares[:, d] = (part**2).sum(axis=1)
        counts[:, d] = mask.sum(axis=1)
    enough = counts.min(axis=1) >= MIN_SEASONS
    safe_counts = np.maximum(counts, 1.0)
    means = sums / safe_counts
    overall = sums.sum(axis=1) / np.maximum(counts.sum(axis=1), 1.0)
    usable = enough & (overall > 0)
    scale = np.where(usable, overall, 1.0)
    raw = means / scale[:, None]
    within = np.maximum(squares / safe_counts - means**2, 0.0)  # per-phase variance
    noise = (within / safe_counts).mean(axis=1) / scale**2  # variance of a factor's estimate
    spread = raw.var(axis=1, ddof=1)
    signal = np.maximum(spread - noise, 0.0)
    weight = signal / np.where(signal > 0, signal + noise, 1.0)
    shrunk = 1.0 + weight[:, None] * (raw - 1.0)
    shrunk = np.clip(shrunk, *_BOUNDS)
    shrunk = shrunk / shrunk.mean(axis=1, keepdims=True)
    return np.where(usable[:, None], shrunk, 1.0)


def profiled(base: LevelMethod, name: str) -> LevelMethod:
    """``base`` on the seasonally adjusted history, its forecasts re-seasoned; the method is
    called ``name``."""

    def method(
        history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
    ) -> list[Forecast]:
        values = as_history(history)
        wanted = check_origins(values.shape[1], origins)
        m = spec.season_length
        out = []
        for origin in wanted:
            seen = values[:, :origin]
            profile = seasonal_profile(seen, m)
            past = profile[:, np.arange(origin) % m]
            future = profile[:, np.arange(origin, origin + spec.horizon) % m]
            fc = base(seen / past, spec, None)[0]
            out.append(
                Forecast(
                    name,
                    fc.point * future,
                    fc.quantiles * future[:, None, :],
                    fc.levels,
                    fc.params,
                )
            )
        return out

    method.__name__ = name
    method.__doc__ = f"{base.__name__} on the seasonally adjusted history (:mod:`profiled`)."
    return method


ses_profiled = profiled(smoothing.ses, "ses_profiled")
imapa_profiled = profiled(intermittent.imapa, "imapa_profiled")
ses_lead_profiled = profiled(smoothing.ses_lead, "ses_lead_profiled")
