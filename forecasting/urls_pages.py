from django.urls import path

from forecasting import pages

urlpatterns = [
    path("test-bed/", pages.test_bed, name="test-bed-page"),
    path("test-bed/run/", pages.forecast_run_start, name="forecast-run-start-page"),
    path(
        "test-bed/promote/<int:entry_id>/",
        pages.challenger_promote,
        name="challenger-promote-page",
    ),
    path(
        "test-bed/challenge/<int:entry_id>/",
        pages.challenger_nominate,
        name="challenger-nominate-page",
    ),
]
