"""Pages under ``/app/`` (included from ``config/urls_tenant.py``)."""

from django.urls import path

from etl import pages

urlpatterns = [
    path("imports/", pages.import_list, name="import-list-page"),
    path("imports/start/", pages.import_start_page, name="import-start-page"),
    path("imports/<uuid:batch_id>/", pages.import_batch_page, name="import-batch-page"),
    path("imports/<uuid:batch_id>/errors.csv", pages.import_errors_csv, name="import-errors-page"),
]
