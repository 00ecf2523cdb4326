from django.apps import AppConfig


class DemoConfig(AppConfig):
    """``seed_demo`` and the demo data of every domain: the top of the layers (ADR 19)."""

    name = "demo"
    verbose_name = "Demo data"
