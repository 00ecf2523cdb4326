from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecasting"

    def ready(self) -> None:
        from forecasting import tasks  # noqa: F401 (registers the forecast_run job kind)
