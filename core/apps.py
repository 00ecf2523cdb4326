from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: jobs, audit log, uploads"

    def ready(self) -> None:
        from core import audit, tasks  # noqa: F401  (tasks registers the job kinds)

        audit.connect_signals()
        audit.track_configured()
