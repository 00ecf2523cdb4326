"""URL patterns served on every host: API schema and docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.permissions import Area


class SchemaView(SpectacularAPIView):
    api_area = Area.OPEN


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its initialiser served as a script file (no inline script: ADR 31)."""

    api_area = Area.OPEN


api_docs_patterns = [
    path("api/v1/schema/", SchemaView.as_view(), name="api-schema"),
    path(
        "api/v1/docs/",
        DocsView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]
