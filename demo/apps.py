from django.apps import AppConfig


class DemoConfig(AppConfig):
    """``seed_demo``, ``setup_demo`` and the demo data of every domain: the top of the layers
    (ADR 19, ADR 29)."""

    name = "demo"
    verbose_name = "Demo data"

    def ready(self) -> None:
        from demo import tasks  # noqa: F401 (registers the demo_prepare job kind)
