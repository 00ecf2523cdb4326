"""The slow "auto" tier: statsmodels ETS fitted by maximum likelihood, one series at a time,
choosing per series among ETS(A,N,N), (A,Ad,N), (A,N,A) and (A,Ad,A) by AICc.

About 0.4 CPU-s per model on a 2-year daily series on this machine (so ~1.6 s per series for
the four candidates), against well under a millisecond for the vectorised family: for the few
series a tenant asks about, or to check the fast family's accuracy in ``benchmarks/``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .forecast import Forecast, ForecastSpec, as_history, check_origins, make_forecast

# ETSModel keyword arguments of each candidate model.
Candidate = dict[str, str | bool | None]

CANDIDATES: tuple[Candidate, ...] = (
    {"trend": None, "damped_trend": False, "seasonal": None},
    {"trend": "add", "damped_trend": True, "seasonal": None},
    {"trend": None, "damped_trend": False, "seasonal": "add"},
    {"trend": "add", "damped_trend": True, "seasonal": "add"},
)


def auto_ets(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """AICc-selected additive-error ETS per series; variance from the model's own forecast
    variance."""
    import pandas as pd  # here, not at module level: it costs every process ~1 s at start
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    values = as_history(history)
    forecasts = []
    for origin in check_origins(values.shape[1], origins):
        seen = values[:, :origin]
        point = np.zeros((len(seen), spec.horizon))
        variance = np.zeros_like(point)
        chosen = np.empty(len(seen), dtype=object)
        for row, series in enumerate(seen):
            best = None
            for candidate in _admissible(spec.season_length, origin):
                with warnings.catch_warnings():
                    # Convergence chatter from the optimiser; a poor fit loses on AICc anyway.
                    warnings.simplefilter("ignore")
                    model = ETSModel(
                        pd.Series(series),
                        error="add",
                        seasonal_periods=spec.season_length if candidate["seasonal"] else None,
                        **candidate,
                    )
                    fit = model.fit(disp=False)
                if best is None or fit.aicc < best[0].aicc:
                    best = (fit, candidate)
            assert best is not None
            prediction = best[0].get_prediction(start=origin, end=origin + spec.horizon - 1)
            point[row] = np.asarray(prediction.predicted_mean)
            variance[row] = np.asarray(prediction.var_pred_mean)
            chosen[row] = _label(best[1])
        forecasts.append(make_forecast("auto_ets", point, variance, spec, seen, {"model": chosen}))
    return forecasts


def _admissible(season_length: int, periods: int) -> list[Candidate]:
    seasonal_ok = season_length > 1 and periods >= 2 * season_length + 2
    return [c for c in CANDIDATES if c["seasonal"] is None or seasonal_ok]


def _label(candidate: Candidate) -> str:
    trend = "Ad" if candidate["trend"] else "N"
    season = "A" if candidate["seasonal"] else "N"
    return f"ETS(A,{trend},{season})"
