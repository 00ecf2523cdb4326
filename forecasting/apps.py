from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecasting"

    def ready(self) -> None:
        from core.quotas import usage_counter
        from forecasting import tasks  # noqa: F401 (registers the forecast_run job kind)
        from forecasting.services.runs import forecast_runs_today

        usage_counter("forecast_runs_per_day")(forecast_runs_today)
        from core.retention import pruner
        from forecasting.services.runs import forecast_runs_prune_older

        pruner("forecast_runs_days")(forecast_runs_prune_older)
        from django.db.models.signals import post_delete

        from forecasting.models import ForecastRun
        from forecasting.services.runs import forecast_run_deleted

        post_delete.connect(
            forecast_run_deleted, sender=ForecastRun, dispatch_uid="forecasting.run_deleted"
        )
