"""Reads of the forecasting domain, split by concern (``runs``, ``series`` and aggregates,
``hierarchy`` reconciliation, the ``testbed``, the ``registry`` and pins, ``scenarios``, and
the forecast the inventory ``policy`` reads). Callers import from here
(``from forecasting import selectors``). Heavy reads are cached per tenant for an hour in the
``forecasts`` namespace; a finished run, a changed pin or a new scenario bumps it."""

from forecasting.selectors.campaigns import (
    CampaignDays,
    access_campaign,
    campaign_days,
    campaign_export_rows,
    campaign_list,
)
from forecasting.selectors.explain import (
    explanation_of,
    forecast_explanation,
    product_campaigns,
    scenario_product_view,
)
from forecasting.selectors.hierarchy import (
    MAX_RECONCILED_SERIES,
    RECONCILIATIONS,
    reconciled_bottom,
)
from forecasting.selectors.live import (
    DEFAULT_WEEKS,
    access_model_registry_entry,
    challenger_trials,
    live_accuracy_series,
    live_accuracy_summary,
    live_metrics,
    live_window,
    model_version_list,
    product_live_panel,
)
from forecasting.selectors.policy import PolicyForecast, latest_forecast_for_policy
from forecasting.selectors.registry import (
    access_method_override,
    method_override_list,
    model_registry_list,
)
from forecasting.selectors.runs import (
    _location_by_code,
    _product_by_sku,
    access_forecast_run,
    forecast_run_list,
    latest_successful_run,
    resolve_run,
)
from forecasting.selectors.scenarios import (
    access_scenario,
    scenario_comparison,
    scenario_list,
    scenario_multipliers,
)
from forecasting.selectors.series import (
    HISTORY_DAYS_SHOWN,
    INTERVALS,
    LEVELS,
    ROWS_FORMAT,
    forecast_aggregate,
    forecast_export_rows,
    forecast_series,
)
from forecasting.selectors.testbed import (
    test_bed_leaderboard,
    test_bed_roi,
    test_bed_summary,
    test_bed_worst_series,
)

__all__ = [
    "DEFAULT_WEEKS",
    "HISTORY_DAYS_SHOWN",
    "INTERVALS",
    "LEVELS",
    "MAX_RECONCILED_SERIES",
    "RECONCILIATIONS",
    "ROWS_FORMAT",
    "CampaignDays",
    "PolicyForecast",
    "_location_by_code",
    "_product_by_sku",
    "access_campaign",
    "access_forecast_run",
    "access_method_override",
    "access_model_registry_entry",
    "access_scenario",
    "campaign_days",
    "campaign_export_rows",
    "campaign_list",
    "challenger_trials",
    "explanation_of",
    "forecast_aggregate",
    "forecast_explanation",
    "forecast_export_rows",
    "forecast_run_list",
    "forecast_series",
    "latest_forecast_for_policy",
    "latest_successful_run",
    "live_accuracy_series",
    "live_accuracy_summary",
    "live_metrics",
    "live_window",
    "method_override_list",
    "model_registry_list",
    "model_version_list",
    "product_campaigns",
    "product_live_panel",
    "reconciled_bottom",
    "resolve_run",
    "scenario_comparison",
    "scenario_list",
    "scenario_multipliers",
    "scenario_product_view",
    "test_bed_leaderboard",
    "test_bed_roi",
    "test_bed_summary",
    "test_bed_worst_series",
]
