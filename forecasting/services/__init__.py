"""Writes of the forecasting domain, split by concern (Zulip's ``actions`` style):

- ``runs``: settings, start / execute / chunk / fail / finish a run, pruning, ABC of a run;
- ``chunks``: a chunk's history load, Test Bed and bulk storage of values, scores and classes;
- ``registry``: the model registry and its versions, upserted when a run finishes;
- ``live``: live accuracy, stored forecasts scored against actuals as they arrive (ADR 38);
- ``champions``: champion / challenger evidence, automatic and planner promotion (ADR 38);
- ``retraining``: drift checks and scheduled retraining;
- ``overrides``: planners' method pins;
- ``scenarios``: what-if scenarios;
- ``campaigns``: promotions and campaigns that the runs model (ADR 32).

Callers import from here (``from forecasting import services``); the modules are the layout.
A run reads the sales history of its data window with one query per chunk (binary COPY into a
dense ``(series × days)`` array), calls the engine's Test Bed and writes its results with
binary COPY and ``INSERT … SELECT FROM unnest``. Quantities are units per day.
"""

from forecasting.services.campaigns import campaign_delete, campaign_save
from forecasting.services.champions import (
    ChallengerDecision,
    ChallengerEvidence,
    challenger_evidence,
    challenger_nominate,
    challenger_promote,
    challengers_decide,
)
from forecasting.services.chunks import (
    SEASON_LENGTH,
    SeriesBlock,
    chunk_products,
    forecast_chunk_compute,
    history_load,
)
from forecasting.services.live import live_scores_update
from forecasting.services.overrides import method_override_delete, method_override_save
from forecasting.services.registry import registry_upsert
from forecasting.services.retraining import (
    DriftResult,
    forecast_drift_check,
    forecast_retrain_due,
)
from forecasting.services.runs import (
    MAX_FOLDS,
    forecast_run_active,
    forecast_run_chunk,
    forecast_run_execute,
    forecast_run_execute_parallel,
    forecast_run_fail,
    forecast_run_finish,
    forecast_run_plan_chunks,
    forecast_run_start,
    forecast_runs_prune,
    forecast_settings_get,
    forecast_settings_update,
)
from forecasting.services.scenarios import scenario_create, scenario_delete

__all__ = [
    "MAX_FOLDS",
    "SEASON_LENGTH",
    "ChallengerDecision",
    "ChallengerEvidence",
    "DriftResult",
    "SeriesBlock",
    "campaign_delete",
    "campaign_save",
    "challenger_evidence",
    "challenger_nominate",
    "challenger_promote",
    "challengers_decide",
    "chunk_products",
    "forecast_chunk_compute",
    "forecast_drift_check",
    "forecast_retrain_due",
    "forecast_run_active",
    "forecast_run_chunk",
    "forecast_run_execute",
    "forecast_run_execute_parallel",
    "forecast_run_fail",
    "forecast_run_finish",
    "forecast_run_plan_chunks",
    "forecast_run_start",
    "forecast_runs_prune",
    "forecast_settings_get",
    "forecast_settings_update",
    "history_load",
    "live_scores_update",
    "method_override_delete",
    "method_override_save",
    "registry_upsert",
    "scenario_create",
    "scenario_delete",
]
