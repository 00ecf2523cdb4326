from django.urls import path

from forecasting import pages, scenario_pages

urlpatterns = [
    path("scenarios/", scenario_pages.scenario_list_page, name="scenario-list-page"),
    path(
        "scenarios/<int:scenario_id>/",
        scenario_pages.scenario_detail_page,
        name="scenario-detail-page",
    ),
    path(
        "scenarios/<int:scenario_id>/delete/",
        scenario_pages.scenario_delete_page,
        name="scenario-delete-page",
    ),
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
