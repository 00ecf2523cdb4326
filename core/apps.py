from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: jobs, audit log, uploads"

    def ready(self) -> None:
        from core import audit

        audit.connect_signals()
