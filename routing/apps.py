from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Route optimisation"

    def ready(self) -> None:
        from routing import tasks  # noqa: F401  (registers the route_plan job kind)
