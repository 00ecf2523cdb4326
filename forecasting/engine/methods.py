"""The method registry: every fast method by the name planners see and the registry stores.

A method is ``fn(history, spec, origins) -> list[Forecast]`` (one forecast per origin, see
:func:`forecast.check_origins`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol

import numpy as np

from . import baselines, gbm, intermittent, profiled, smoothing, theta
from .forecast import Forecast, ForecastSpec

Method = Callable[[np.ndarray, ForecastSpec, Sequence[int] | None], list[Forecast]]


class GlobalMethod(Protocol):
    """A global method (:data:`GLOBAL_METHODS`): a :data:`Method` that also takes the
    promotions and the date of the first period as keyword arguments."""

    def __call__(
        self,
        history: np.ndarray,
        spec: ForecastSpec,
        origins: Sequence[int] | None = None,
        *,
        promo: np.ndarray | None = None,
        start_date: date | None = None,
    ) -> list[Forecast]: ...


METHODS: dict[str, Method] = {
    "naive": baselines.naive,
    "seasonal_naive": baselines.seasonal_naive,
    "moving_average": baselines.moving_average,
    "ses": smoothing.ses,
    "holt": smoothing.holt,
    "damped": smoothing.damped,
    "holt_winters_additive": smoothing.holt_winters_additive,
    "holt_winters_multiplicative": smoothing.holt_winters_multiplicative,
    "ets": smoothing.ets,
    "theta": theta.theta,
    "croston": intermittent.croston,
    "sba": intermittent.sba,
    "tsb": intermittent.tsb,
    "adida": intermittent.adida,
    "imapa": intermittent.imapa,
    "ses_profiled": profiled.ses_profiled,
    "imapa_profiled": profiled.imapa_profiled,
    "ses_lead_profiled": profiled.ses_lead_profiled,
    "gbm": gbm.gbm,
}

# The vectorised family the Test Bed runs by default.
FAST_METHODS: tuple[str, ...] = (
    "naive",
    "seasonal_naive",
    "moving_average",
    "ses",
    "holt",
    "damped",
    "holt_winters_additive",
    "holt_winters_multiplicative",
    "theta",
    "croston",
    "sba",
    "tsb",
    "adida",
    "imapa",
    "ses_profiled",
    "imapa_profiled",
    "ses_lead_profiled",
)
# Methods a planner may run or pin (``--methods``, the API) that the default Test Bed does not
# rank: the estimated ETS competed and did not improve the selection on the mixed generator
# (ADR 40 addendum 2); it runs there for new series, as a member of the launch forecast.
OPTIONAL_METHODS: tuple[str, ...] = ("ets",)
# Global models learn across all series: opt-in (slower), they take the promotions and the
# calendar as keyword arguments and see the raw history (they model the year themselves).
GLOBAL_METHODS: tuple[str, ...] = ("gbm",)
_GLOBAL: dict[str, GlobalMethod] = {"gbm": gbm.gbm}


def method_named(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown forecasting method {name!r}; known: {sorted(METHODS)}") from None


def global_method_named(name: str) -> GlobalMethod:
    """The global method ``name`` with its keyword arguments (``promo``, ``start_date``)."""
    if name not in _GLOBAL:
        raise ValueError(f"unknown global forecasting method {name!r}; known: {GLOBAL_METHODS}")
    return _GLOBAL[name]


def forecast(history: np.ndarray, method: str, spec: ForecastSpec) -> Forecast:
    """``method``'s forecast of the ``spec.horizon`` periods after the end of ``history``."""
    return method_named(method)(history, spec, None)[0]
