"""Forecasting API: runs (202 + job), forecasts and their aggregates, the Test Bed views,
method overrides, the model registry, scenarios and campaigns. Views validate, call one service or
selector and render."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ModelViewSet, ReadOnlyModelViewSet

from core.api.views import accepted_body
from core.db_routing import ReplicaReadsMixin
from core.permissions import Area, IsTenantAdmin, IsTenantMember
from core.selectors import active_run
from core.serializers import write_mapping_rows
from core.throttling import HEAVY_THROTTLES
from forecasting import selectors, services
from forecasting.api import serializers as s
from forecasting.models import ForecastRun


def _query(serializer_class, request) -> dict:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


class ForecastRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Forecast runs. ``POST`` answers 202 with the queued run (``Location`` is its URL,
    ``job_url`` the job to poll); a viewer may read but not start runs."""

    api_area = Area.FORECASTING
    heavy_work = "forecast_run"
    throttle_classes = HEAVY_THROTTLES
    serializer_class = s.ForecastRunSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("status", "trigger")
    ordering_fields = ("created_at", "finished_at")

    def get_queryset(self):
        return selectors.forecast_run_list(user=self.request.user)

    def get_object(self):
        return selectors.access_forecast_run(user=self.request.user, run_id=self.kwargs["pk"])

    @extend_schema(
        request=s.ForecastRunInputSerializer, responses={202: s.ForecastRunStartSerializer}
    )
    def create(self, request):
        data = s.ForecastRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        # At most one active run per tenant (ARCHITECTURE §11): a second request gets the run
        # already queued or running, so one tenant cannot fill the shared workers. Only a run
        # with a job counts (as for route plans): a command's run has no job to poll (ADR 43).
        active = active_run(ForecastRun.objects.filter(job__isnull=False))
        run = active or services.forecast_run_start(
            horizon=values.get("horizon"),
            methods=values.get("methods"),
            folds=values.get("folds"),
            history_days=values.get("history_days"),
            store_all_methods=values["all_methods"],
            user=request.user,
        )
        run = selectors.access_forecast_run(user=request.user, run_id=run.pk)
        return accepted_body(s.ForecastRunStartSerializer(run).data)


class ForecastSeriesView(APIView):
    """History and forecast (mean, p05…p95 and the 90% interval) of one SKU, at one location
    or summed over its locations, per day, week or month, from a run (default: the latest
    successful)."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]

    @extend_schema(
        parameters=[s.SeriesQuerySerializer], responses={200: s.ForecastSeriesSerializer}
    )
    def get(self, request):
        query = _query(s.SeriesQuerySerializer, request)
        body = selectors.forecast_series(
            user=request.user,
            sku=query["sku"],
            location=query.get("location"),
            run_id=query.get("run"),
            interval=query["interval"],
        )
        return Response(s.ForecastSeriesSerializer(body).data)


class ForecastExplanationView(APIView):
    """Why the forecast of one SKU (at one location, or summed over its locations) is what it
    is: per forecast day the served forecast and its parts — level, trend, weekly, yearly,
    promotion and other — which add up to it (ADR 39); for the gradient-boosting model the
    inputs it leaned on (permutation importance); and the SKU's campaigns from the run's first
    day to the end of its horizon. ``scenario`` explains a what-if's forecast instead: the
    campaigns it adds show in ``promotion``, its other multipliers scale every part."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]

    @extend_schema(
        parameters=[s.ExplanationQuerySerializer], responses={200: s.ForecastExplanationSerializer}
    )
    def get(self, request):
        query = _query(s.ExplanationQuerySerializer, request)
        body = selectors.forecast_explanation(
            user=request.user,
            sku=query["sku"],
            location=query.get("location"),
            run_id=query.get("run"),
            scenario_id=query.get("scenario"),
        )
        return Response(s.ForecastExplanationSerializer(body).data)


class ForecastAggregateView(GenericAPIView):
    """Forecasts of product, category or tenant level per period (paginated rows of
    ``key, period, forecast, p05…p95, lower_90, upper_90``). ``reconciliation=bottom_up``
    (default) sums the stored product × location forecasts; ``ols`` and ``mint_shrink``
    reconcile them with base forecasts of every product, category and the total (runs of at
    most 3,000 series, else 400). The levels agree either way. Reconciled rows carry the
    bottom-up quantile band shifted by the reconciled-minus-bottom-up mean (clipped at
    zero)."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]
    serializer_class = s.AggregateRowSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[s.AggregateQuerySerializer],
        responses={200: s.AggregateRowSerializer(many=True)},  # many: the page envelope
    )
    def get(self, request):
        query = _query(s.AggregateQuerySerializer, request)
        rows = selectors.forecast_aggregate(
            user=request.user,
            level=query["level"],
            sku=query.get("sku"),
            category=query.get("category"),
            run_id=query.get("run"),
            interval=query["interval"],
            reconciliation=query["reconciliation"],
        )
        page = self.paginate_queryset(rows)  # the page's rows only, from the cached columns
        return self.get_paginated_response(write_mapping_rows(self.get_serializer(), page))


class LeaderboardView(APIView):
    """The Test Bed of one SKU: per location every backtested method ranked by
    mean pinball loss (the score the recommendation uses)."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]

    @extend_schema(
        parameters=[s.LeaderboardQuerySerializer], responses={200: s.LeaderboardSerializer}
    )
    def get(self, request):
        query = _query(s.LeaderboardQuerySerializer, request)
        body = selectors.test_bed_leaderboard(
            user=request.user,
            sku=query["sku"],
            location=query.get("location"),
            run_id=query.get("run"),
        )
        return Response(s.LeaderboardSerializer(body).data)


class TestBedSummaryView(ReplicaReadsMixin, APIView):
    """Totals of a run per demand class and per method."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]

    @extend_schema(parameters=[s.RunQuerySerializer], responses={200: s.TestBedSummarySerializer})
    def get(self, request):
        query = _query(s.RunQuerySerializer, request)
        body = selectors.test_bed_summary(user=request.user, run_id=query.get("run"))
        return Response(s.TestBedSummarySerializer(body).data)


class TestBedRoiView(APIView):
    """What the recommended methods save in safety stock and inventory value against the
    tenant's current method (seasonal naive by default) at the same service level."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]

    @extend_schema(parameters=[s.RoiQuerySerializer], responses={200: s.TestBedRoiSerializer})
    def get(self, request):
        query = _query(s.RoiQuerySerializer, request)
        body = selectors.test_bed_roi(
            user=request.user,
            run_id=query.get("run"),
            current=query["current"],
            service_level=query.get("service_level"),
            holding_rate=query.get("holding_rate"),
        )
        return Response(s.TestBedRoiSerializer(body).data)


class MethodOverrideViewSet(ModelViewSet):
    """Planners pin a method per SKU (and location); runs honour pins. Viewers read."""

    api_area = Area.FORECASTING
    serializer_class = s.MethodOverrideSerializer
    permission_classes = [IsTenantMember]
    ordering_fields = ("created_at", "updated_at")
    filterset_fields = ("method",)

    def get_queryset(self):
        return selectors.method_override_list(user=self.request.user)

    def get_object(self):
        return selectors.access_method_override(
            user=self.request.user, override_id=self.kwargs["pk"]
        )

    def perform_create(self, serializer):
        serializer.instance = services.method_override_save(
            **serializer.validated_data, user=self.request.user
        )

    def perform_update(self, serializer):
        values = {
            "product": serializer.instance.product,
            "location": serializer.instance.location,
            "method": serializer.instance.method,
            "note": serializer.instance.note,
            **serializer.validated_data,
        }
        serializer.instance = services.method_override_save(
            **values, user=self.request.user, override=serializer.instance
        )

    def perform_destroy(self, instance):
        services.method_override_delete(override=instance)


class ModelRegistryViewSet(ReadOnlyModelViewSet):
    """The current model per SKU × location: champion method (the one served), the
    challenger in shadow, parameters, backtest metrics, training window and drift. A planner
    ``POST``s ``promote`` to make the challenger the champion now, or ``challenge`` to
    nominate a challenger (ADR 38)."""

    api_area = Area.FORECASTING
    serializer_class = s.ModelRegistrySerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("method", "reason", "drift_flagged", "challenger")
    ordering_fields = ("rmsse", "wape", "drift_ratio", "trained_at")

    def get_queryset(self):
        queryset = selectors.model_registry_list(user=self.request.user)
        sku = self.request.query_params.get("sku")
        return queryset.filter(product__sku=sku) if sku else queryset

    def get_object(self):
        return selectors.access_model_registry_entry(
            user=self.request.user, entry_id=self.kwargs["pk"]
        )

    @extend_schema(request=None, responses={200: s.ModelRegistrySerializer})
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        """Promote this series' challenger to champion now; the live evidence so far is
        kept on both versions. 409 when no challenger is on trial."""
        entry = services.challenger_promote(entry=self.get_object(), user=request.user)
        return Response(s.ModelRegistrySerializer(entry).data)

    @extend_schema(
        request=s.ChallengerNominateSerializer, responses={200: s.ModelRegistrySerializer}
    )
    @action(detail=True, methods=["post"])
    def challenge(self, request, pk=None):
        """Nominate a challenger for this series: the next run forecasts it in shadow and
        scores it live like any challenger. 400 for an unknown method or the champion; 409
        for a pinned series, or while another challenger is on trial unless ``replace``."""
        entry = self.get_object()
        serializer = s.ChallengerNominateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.challenger_nominate(
            entry=entry, user=request.user, **serializer.validated_data
        )
        return Response(s.ModelRegistrySerializer(entry).data)


class ModelVersionViewSet(ReadOnlyModelViewSet):
    """Every version of the model per SKU × location: champion, challenger or retired, with
    created, promoted (how, by whom, on what evidence) and retired times (ADR 38)."""

    api_area = Area.FORECASTING
    serializer_class = s.ModelVersionSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("status", "method", "promotion")
    ordering_fields = ("created_at", "promoted_at", "retired_at")

    def get_queryset(self):
        queryset = selectors.model_version_list(user=self.request.user)
        sku = self.request.query_params.get("sku")
        return queryset.filter(product__sku=sku) if sku else queryset


class LiveAccuracyView(APIView):
    """Live accuracy of the served forecasts over the last ``weeks`` weeks of actuals: the
    tenant's WAPE, bias, MAE and value added over seasonal naive, per demand class and per
    method, and the challenger trials' counts (ADR 38)."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]

    @extend_schema(parameters=[s.LiveQuerySerializer], responses={200: s.LiveSummarySerializer})
    def get(self, request):
        query = _query(s.LiveQuerySerializer, request)
        body = selectors.live_accuracy_summary(user=request.user, weeks=query["weeks"])
        return Response(s.LiveSummarySerializer(body).data)


class LiveAccuracySeriesView(GenericAPIView):
    """Live accuracy per SKU × location (paginated, by SKU and location; ``sku`` and
    ``location`` filter)."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]
    serializer_class = s.LiveSeriesSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[s.LiveSeriesQuerySerializer],
        responses={200: s.LiveSeriesSerializer(many=True)},  # many: the page envelope
    )
    def get(self, request):
        query = _query(s.LiveSeriesQuerySerializer, request)
        rows = selectors.live_accuracy_series(
            user=request.user,
            weeks=query["weeks"],
            sku=query.get("sku"),
            location=query.get("location"),
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ChallengerTrialsView(GenericAPIView):
    """The challengers on trial with their live evidence against the champion, best
    improvement first (paginated)."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]
    serializer_class = s.ChallengerTrialSerializer
    filter_backends: list = []

    @extend_schema(responses={200: s.ChallengerTrialSerializer(many=True)})  # the page envelope
    def get(self, request):
        page = self.paginate_queryset(selectors.challenger_trials(user=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ScenarioViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    GenericViewSet,
):
    """What-if scenarios on a run's forecast; the detail compares base and scenario totals
    per period (``?interval=day|week|month``)."""

    api_area = Area.FORECASTING
    permission_classes = [IsTenantMember]
    ordering_fields = ("created_at", "name")

    def get_serializer_class(self):
        return s.ScenarioDetailSerializer if self.action == "retrieve" else s.ScenarioSerializer

    def get_queryset(self):
        return selectors.scenario_list(user=self.request.user)

    def get_object(self):
        return selectors.access_scenario(user=self.request.user, scenario_id=self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter("interval", str, enum=list(selectors.INTERVALS), required=False)
        ]
    )
    def retrieve(self, request, *args, **kwargs):
        interval = request.query_params.get("interval", "day")
        if interval not in selectors.INTERVALS:
            from forecasting.exceptions import ForecastInputError

            raise ForecastInputError(
                "Unknown interval.", details={"interval": [f"one of {selectors.INTERVALS}"]}
            )
        scenario = self.get_object()
        return Response(s.ScenarioDetailSerializer(scenario, context={"interval": interval}).data)

    @extend_schema(request=s.ScenarioInputSerializer, responses={201: s.ScenarioSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ScenarioInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        base_run = selectors.resolve_run(user=request.user, run_id=values.get("base_run"))
        adjustments = [
            {
                key: (value.isoformat() if hasattr(value, "isoformat") else value)
                for key, value in adjustment.items()
            }
            for adjustment in values["adjustments"]
        ]
        scenario = services.scenario_create(
            name=values["name"],
            description=values["description"],
            base_run=base_run,
            adjustments=adjustments,
            user=request.user,
        )
        return Response(s.ScenarioSerializer(scenario).data, status=201)

    def perform_destroy(self, instance):
        services.scenario_delete(scenario=instance)


class ForecastSettingsView(APIView):
    """The tenant's forecasting defaults, retraining interval and drift threshold: members
    read, administrators write."""

    api_area = Area.SETTINGS

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantMember()]
        return [IsTenantAdmin()]

    @extend_schema(responses={200: s.ForecastSettingsSerializer})
    def get(self, request):
        return Response(s.ForecastSettingsSerializer(services.forecast_settings_get()).data)

    @extend_schema(
        request=s.ForecastSettingsSerializer, responses={200: s.ForecastSettingsSerializer}
    )
    def put(self, request):
        data = s.ForecastSettingsSerializer(
            services.forecast_settings_get(), data=request.data, partial=True
        )
        data.is_valid(raise_exception=True)
        updated = services.forecast_settings_update(**data.validated_data)
        return Response(s.ForecastSettingsSerializer(updated).data)


class CampaignViewSet(ModelViewSet):
    """Promotions and campaigns: planners create, change and delete them, viewers read. The
    next forecast run learns their uplift from past campaign days and lifts future ones."""

    api_area = Area.FORECASTING
    serializer_class = s.CampaignSerializer
    permission_classes = [IsTenantMember]
    ordering_fields = ("start", "end", "name", "created_at")
    filterset_fields = ("kind",)

    def get_queryset(self):
        return selectors.campaign_list(user=self.request.user)

    def get_object(self):
        return selectors.access_campaign(user=self.request.user, campaign_id=self.kwargs["pk"])

    def perform_create(self, serializer):
        serializer.instance = services.campaign_save(
            **serializer.validated_data, user=self.request.user
        )

    def perform_update(self, serializer):
        campaign = serializer.instance
        values = {
            "name": campaign.name,
            "kind": campaign.kind,
            "start": campaign.start,
            "end": campaign.end,
            "products": campaign.products.all(),
            "categories": campaign.categories.all(),
            "locations": campaign.locations.all(),
            "expected_uplift": campaign.expected_uplift,
            "note": campaign.note,
            **serializer.validated_data,
        }
        serializer.instance = services.campaign_save(
            **values, user=self.request.user, campaign=campaign
        )

    def perform_destroy(self, instance):
        services.campaign_delete(campaign=instance)
