from django.apps import AppConfig


class EtlConfig(AppConfig):
    name = "etl"
    verbose_name = "Data ingestion"

    def ready(self) -> None:
        from etl import tasks  # noqa: F401  (registers the import job kind)
