from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: jobs, audit log, uploads"

    def ready(self) -> None:
        from core import audit, pgloaders, retention, tasks  # noqa: F401  (job kinds, pruners)

        pgloaders.install()

        audit.connect_signals()
        audit.track_configured()
