"""Domain errors of forecasting."""

from __future__ import annotations

from core.exceptions import ValidationFailed


class ForecastInputError(ValidationFailed):
    """A run, override or scenario cannot be made from this input (unknown method, horizon
    out of range, too little history for the backtest); ``details`` names the field."""
