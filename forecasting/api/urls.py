from django.urls import path
from rest_framework.routers import SimpleRouter

from forecasting.api import views

router = SimpleRouter()
router.register("forecast-runs", views.ForecastRunViewSet, basename="forecast-run")
router.register("method-overrides", views.MethodOverrideViewSet, basename="method-override")
router.register("model-registry", views.ModelRegistryViewSet, basename="model-registry")
router.register("model-versions", views.ModelVersionViewSet, basename="model-version")
router.register("scenarios", views.ScenarioViewSet, basename="scenario")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
urlpatterns = [
    path("forecasts/aggregate/", views.ForecastAggregateView.as_view(), name="forecast-aggregate"),
    path("forecasts/explain/", views.ForecastExplanationView.as_view(), name="forecast-explain"),
    path("forecasts/", views.ForecastSeriesView.as_view(), name="forecast-series"),
    path("test-bed/leaderboard/", views.LeaderboardView.as_view(), name="test-bed-leaderboard"),
    path("forecast-settings/", views.ForecastSettingsView.as_view(), name="forecast-settings"),
    path("test-bed/summary/", views.TestBedSummaryView.as_view(), name="test-bed-summary"),
    path("test-bed/roi/", views.TestBedRoiView.as_view(), name="test-bed-roi"),
    path("live-accuracy/", views.LiveAccuracyView.as_view(), name="live-accuracy"),
    path(
        "live-accuracy/series/",
        views.LiveAccuracySeriesView.as_view(),
        name="live-accuracy-series",
    ),
    path("challengers/", views.ChallengerTrialsView.as_view(), name="challenger-trials"),
    *router.urls,
]
