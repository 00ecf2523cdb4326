from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The planner's workspace shell: login, logout, ``/``, the navigation and job progress.
    The pages themselves live in the app whose data they show."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workspace"
