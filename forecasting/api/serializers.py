from __future__ import annotations

import math
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Category, Location, Product
from core.api.serializers import JobSerializer, JobStartFields
from core.serializers import FastRepresentationMixin
from forecasting.engine.methods import METHODS
from forecasting.models import (
    MAX_HORIZON_DAYS,
    Campaign,
    ForecastRun,
    MethodOverride,
    ModelRegistryEntry,
    Scenario,
)
from forecasting.selectors import INTERVALS, LEVELS, RECONCILIATIONS
from forecasting.services import MAX_FOLDS

METHOD_CHOICES = sorted(METHODS)


class ForecastRunInputSerializer(serializers.Serializer):
    horizon = serializers.IntegerField(min_value=1, max_value=MAX_HORIZON_DAYS, required=False)
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=METHOD_CHOICES), required=False, allow_empty=True
    )
    folds = serializers.IntegerField(min_value=1, max_value=MAX_FOLDS, required=False)
    history_days = serializers.IntegerField(min_value=14, max_value=3660, required=False)
    all_methods = serializers.BooleanField(required=False, default=False)


class ForecastRunSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    job_url = serializers.SerializerMethodField()
    job = JobSerializer(read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.email", read_only=True, allow_null=True)

    class Meta:
        model = ForecastRun
        fields = (
            "id",
            "url",
            "status",
            "trigger",
            "horizon",
            "methods",
            "folds",
            "store_all_methods",
            "parameters",
            "data_start",
            "data_end",
            "series_count",
            "chunk_count",
            "summary",
            "error",
            "started_at",
            "finished_at",
            "duration_seconds",
            "created_by",
            "created_at",
            "job",
            "job_url",
        )
        read_only_fields = fields

    def get_url(self, run: ForecastRun) -> str:
        return f"/api/v1/forecast-runs/{run.pk}/"

    def get_job_url(self, run: ForecastRun) -> str | None:
        return f"/api/v1/jobs/{run.job_id}/" if run.job_id else None


class ForecastRunStartSerializer(JobStartFields, ForecastRunSerializer):
    """The 202 body of a forecast run start: the run, with the common block of every job start
    (ADR 43)."""

    class Meta(ForecastRunSerializer.Meta):
        fields = (*ForecastRunSerializer.Meta.fields, "job_id")
        read_only_fields = fields


class SeriesQuerySerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    location = serializers.CharField(max_length=64, required=False)
    run = serializers.IntegerField(min_value=1, required=False)
    interval = serializers.ChoiceField(choices=INTERVALS, default="day")


class AggregateQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVELS)
    sku = serializers.CharField(max_length=64, required=False)
    category = serializers.CharField(max_length=120, required=False)
    run = serializers.IntegerField(min_value=1, required=False)
    interval = serializers.ChoiceField(choices=INTERVALS, default="day")
    reconciliation = serializers.ChoiceField(choices=RECONCILIATIONS, default="bottom_up")


class LeaderboardQuerySerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    location = serializers.CharField(max_length=64, required=False)
    run = serializers.IntegerField(min_value=1, required=False)


class RunQuerySerializer(serializers.Serializer):
    run = serializers.IntegerField(min_value=1, required=False)


class RoiQuerySerializer(RunQuerySerializer):
    current = serializers.CharField(max_length=40, required=False, default="seasonal_naive")
    service_level = serializers.FloatField(min_value=0.5, max_value=0.9999, required=False)
    holding_rate = serializers.FloatField(min_value=0, max_value=10, required=False)


class RoiSeriesSerializer(serializers.Serializer):
    sku = serializers.CharField()
    location = serializers.CharField()
    method = serializers.CharField()
    safety_stock_current = serializers.FloatField()
    safety_stock_recommended = serializers.FloatField()
    value_saved = serializers.FloatField()


class TestBedRoiSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    current_method = serializers.CharField()
    service_level = serializers.FloatField()
    z = serializers.FloatField()
    holding_rate = serializers.FloatField()
    series = serializers.IntegerField()
    safety_stock_current_units = serializers.FloatField()
    safety_stock_recommended_units = serializers.FloatField()
    units_saved = serializers.FloatField()
    value_current = serializers.FloatField()
    value_saved = serializers.FloatField()
    share_saved = serializers.FloatField()
    holding_cost_saved_per_year = serializers.FloatField(allow_null=True)
    top_series = RoiSeriesSerializer(many=True)


class QuantilesSerializer(serializers.Serializer):
    period = serializers.DateField()
    forecast = serializers.FloatField()
    p05 = serializers.FloatField()
    p10 = serializers.FloatField()
    p50 = serializers.FloatField()
    p90 = serializers.FloatField()
    p95 = serializers.FloatField()
    lower_90 = serializers.FloatField(
        help_text="90% prediction interval, lower bound: p05 (0 where p05 is below half a unit)"
    )
    upper_90 = serializers.FloatField(
        help_text="90% prediction interval, upper bound: p95, or p90 where p05 is below half a "
        "unit (nothing lies below zero, so all 10% of the miss is in the upper tail)"
    )


class HistoryPointSerializer(serializers.Serializer):
    period = serializers.DateField()
    quantity = serializers.FloatField()


class ForecastSeriesSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    sku = serializers.CharField()
    location = serializers.CharField(allow_null=True)
    interval = serializers.CharField()
    methods = serializers.ListField(child=serializers.CharField())
    history = HistoryPointSerializer(many=True)
    forecast = QuantilesSerializer(many=True)


class ExplanationQuerySerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    location = serializers.CharField(max_length=64, required=False)
    run = serializers.IntegerField(min_value=1, required=False)
    scenario = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Explain this what-if scenario's forecast (on its base run) instead",
    )


class ExplainedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    forecast = serializers.FloatField(help_text="The served point forecast (units)")
    level = serializers.FloatField(help_text="Baseline on the first forecast day")
    trend = serializers.FloatField(help_text="Change of the baseline since the first day")
    weekly = serializers.FloatField(help_text="Day-of-week effect")
    yearly = serializers.FloatField(help_text="Effect of the time of year")
    promotion = serializers.FloatField(help_text="Uplift of a campaign on this day")
    other = serializers.FloatField(
        help_text="The rest: forecast minus the other parts (a damped trend's bend, lag effects)"
    )


class FeatureImportanceSerializer(serializers.Serializer):
    feature = serializers.CharField()
    share = serializers.FloatField(help_text="Share of the permutation importance, sums to 1")


class CampaignSpanSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    expected_uplift = serializers.FloatField(allow_null=True)


class ScenarioCampaignSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        allow_null=True, help_text="Null: a campaign only the scenario adds (ADR 46)"
    )
    name = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    multiplier = serializers.FloatField(help_text="The factor the scenario lifts this SKU by")


class ExplainedScenarioSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    campaigns = ScenarioCampaignSerializer(
        many=True, help_text="The campaigns the scenario adds that lift this SKU"
    )


class ForecastExplanationSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    sku = serializers.CharField()
    location = serializers.CharField(allow_null=True)
    scenario = ExplainedScenarioSerializer(
        allow_null=True, help_text="The what-if explained (null: the served forecast)"
    )
    components = serializers.ListField(child=serializers.CharField())
    methods = serializers.ListField(child=serializers.CharField())
    days = ExplainedDaySerializer(many=True)
    importance = FeatureImportanceSerializer(many=True)
    campaigns = CampaignSpanSerializer(many=True)


class AggregateRowSerializer(QuantilesSerializer):
    key = serializers.CharField(allow_null=True)


class MethodScoreSerializer(serializers.Serializer):
    method = serializers.CharField()
    rank = serializers.IntegerField()
    mae = serializers.FloatField(allow_null=True)
    rmse = serializers.FloatField(allow_null=True)
    wape = serializers.FloatField(allow_null=True)
    bias = serializers.FloatField(allow_null=True)
    mase = serializers.FloatField(allow_null=True)
    rmsse = serializers.FloatField(allow_null=True)
    pinball = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    wape_week = serializers.FloatField(allow_null=True)
    wape_month = serializers.FloatField(allow_null=True)
    bias_pct = serializers.FloatField(allow_null=True)


class LeaderboardSeriesSerializer(serializers.Serializer):
    location = serializers.CharField(allow_null=True)
    method = serializers.CharField()
    reason = serializers.CharField()
    pattern = serializers.CharField()
    xyz = serializers.CharField()
    abc = serializers.CharField()
    new_item = serializers.BooleanField()
    methods = MethodScoreSerializer(many=True)


class LeaderboardSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    sku = serializers.CharField()
    series = LeaderboardSeriesSerializer(many=True)


class ClassCountSerializer(serializers.Serializer):
    value = serializers.CharField()
    series = serializers.IntegerField()
    mean_rmsse = serializers.FloatField(allow_null=True)


class MethodSummarySerializer(serializers.Serializer):
    method = serializers.CharField()
    selected_series = serializers.IntegerField()
    wins = serializers.IntegerField()
    mean_rmsse = serializers.FloatField(allow_null=True)
    mean_wape = serializers.FloatField(allow_null=True)
    mean_mase = serializers.FloatField(allow_null=True)
    mean_bias = serializers.FloatField(allow_null=True)
    mean_coverage = serializers.FloatField(allow_null=True)
    mean_wape_week = serializers.FloatField(allow_null=True)
    mean_wape_month = serializers.FloatField(allow_null=True)
    mean_bias_pct = serializers.FloatField(allow_null=True)


class AccuracySerializer(serializers.Serializer):
    """The run's chosen methods in planner terms, volume-weighted over series: accuracy % =
    1 − WAPE per day, week (7 days) and month (28 days); bias % = Σ(f − y) / Σy."""

    series = serializers.IntegerField()
    accuracy_day = serializers.FloatField(allow_null=True)
    accuracy_week = serializers.FloatField(allow_null=True)
    accuracy_month = serializers.FloatField(allow_null=True)
    bias_pct = serializers.FloatField(allow_null=True)


class MatrixCellSerializer(serializers.Serializer):
    pattern = serializers.CharField()
    method = serializers.CharField()
    selected_series = serializers.IntegerField()
    mean_rmsse = serializers.FloatField(allow_null=True)


class TestBedSummarySerializer(serializers.Serializer):
    run = serializers.IntegerField()
    series = serializers.IntegerField()
    patterns = ClassCountSerializer(many=True)
    xyz = ClassCountSerializer(many=True)
    abc = ClassCountSerializer(many=True)
    methods = MethodSummarySerializer(many=True)
    matrix = MatrixCellSerializer(many=True)
    accuracy = AccuracySerializer()


class MethodOverrideSerializer(serializers.ModelSerializer):
    sku = serializers.SlugRelatedField(
        source="product", slug_field="sku", queryset=Product.objects.all()
    )
    location = serializers.SlugRelatedField(
        slug_field="code", queryset=Location.objects.all(), required=False, allow_null=True
    )
    method = serializers.ChoiceField(choices=METHOD_CHOICES)
    created_by = serializers.CharField(source="created_by.email", read_only=True, allow_null=True)

    class Meta:
        model = MethodOverride
        fields = (
            "id",
            "sku",
            "location",
            "method",
            "note",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_by", "created_at", "updated_at")
        validators: list = []  # the service checks the one-pin-per-place rule


class ChallengerNominateSerializer(serializers.Serializer):
    """A planner's challenger for one series (ADR 38): a method of the engine, forecast in
    shadow from the next run on. The engine takes no per-method parameters: method only."""

    method = serializers.ChoiceField(choices=METHOD_CHOICES)
    replace = serializers.BooleanField(
        default=False, help_text="Replace the challenger on trial (else 409 naming it)."
    )


class ModelRegistrySerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = ModelRegistryEntry
        fields = (
            "id",
            "sku",
            "location",
            "method",
            "challenger",
            "reason",
            "parameters",
            "run",
            "trained_at",
            "data_start",
            "data_end",
            "mae",
            "rmse",
            "rmsse",
            "wape",
            "bias",
            "recent_rmse",
            "drift_ratio",
            "drift_flagged",
            "drift_checked_at",
        )
        read_only_fields = fields


class WhatIfCampaignSerializer(serializers.Serializer):
    """A campaign that exists only in the what-if (ADR 46): no campaign row is written."""

    name = serializers.CharField(max_length=120)
    start = serializers.DateField()
    end = serializers.DateField()
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
    category = serializers.CharField(max_length=120, required=False, allow_blank=True)
    uplift = serializers.FloatField(
        min_value=-0.99,
        max_value=99.0,
        required=False,
        allow_null=True,
        help_text="Expected relative lift (0.3 = +30 %); else the uplift the base run learned",
    )

    def validate_uplift(self, value):
        if value is not None and not math.isfinite(value):
            raise serializers.ValidationError("Not a number.")
        return value

    def validate(self, attrs):
        if bool(attrs.get("sku")) == bool(attrs.get("category")):
            raise serializers.ValidationError({"sku": "Name one SKU or one category."})
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "The campaign ends before it starts."})
        return attrs


class AdjustmentSerializer(serializers.Serializer):
    """A multiplier where its keys match; or ``campaign`` (an id): the campaign's SKUs over
    its dates, each lifted by ``multiplier`` when given, else by the uplift the base run
    learned for it (else the campaign's expected uplift; ADR 32); or ``new_campaign``, a
    campaign only this what-if adds (alone in its adjustment; ADR 46)."""

    multiplier = serializers.FloatField(min_value=0.0, max_value=100.0, required=False)
    sku = serializers.CharField(max_length=64, required=False)
    category = serializers.CharField(max_length=120, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    campaign = serializers.IntegerField(min_value=1, required=False)
    new_campaign = WhatIfCampaignSerializer(required=False)

    def validate(self, attrs):
        if "new_campaign" in attrs:
            if len(attrs) > 1:
                raise serializers.ValidationError(
                    {"new_campaign": "A new campaign is an adjustment of its own."}
                )
            return attrs
        if "multiplier" not in attrs and "campaign" not in attrs:
            raise serializers.ValidationError({"multiplier": "Required (or name a campaign)."})
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_to"] < attrs["date_from"]
        ):
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return attrs


class ScenarioInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    base_run = serializers.IntegerField(min_value=1, required=False)
    # Each adjustment costs a pass over the run's rows on every uncached read: keep it bounded.
    adjustments = AdjustmentSerializer(many=True, allow_empty=False, max_length=100)

    def validate_adjustments(self, adjustments):
        """Every SKU named must exist: one query for all adjustments."""
        new = [a["new_campaign"] for a in adjustments if a.get("new_campaign")]
        named = {a["sku"] for a in [*adjustments, *new] if a.get("sku")}
        known = set(Product.objects.filter(sku__in=named).values_list("sku", flat=True))
        if named - known:
            raise serializers.ValidationError(f"No such SKU: {', '.join(sorted(named - known))}.")
        kinds = {c["category"] for c in new if c.get("category")}
        if kinds:
            found_kinds = set(
                Category.objects.filter(name__in=kinds).values_list("name", flat=True)
            )
            if kinds - found_kinds:
                missing = ", ".join(sorted(kinds - found_kinds))
                raise serializers.ValidationError(f"No such category: {missing}.")
        campaigns = {a["campaign"] for a in adjustments if a.get("campaign")}
        found = set(Campaign.objects.filter(pk__in=campaigns).values_list("pk", flat=True))
        if campaigns - found:
            missing = ", ".join(map(str, sorted(campaigns - found)))
            raise serializers.ValidationError(f"No such campaign: {missing}.")
        return adjustments


class ScenarioSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.email", read_only=True, allow_null=True)

    class Meta:
        model = Scenario
        fields = (
            "id",
            "url",
            "name",
            "description",
            "base_run",
            "adjustments",
            "created_by",
            "created_at",
        )
        read_only_fields = fields

    def get_url(self, scenario: Scenario) -> str:
        return f"/api/v1/scenarios/{scenario.pk}/"


class ScenarioPeriodSerializer(serializers.Serializer):
    period = serializers.DateField()
    base = serializers.FloatField()
    scenario = serializers.FloatField()


class ScenarioDetailSerializer(ScenarioSerializer):
    periods = serializers.SerializerMethodField()

    class Meta(ScenarioSerializer.Meta):
        fields = (*ScenarioSerializer.Meta.fields, "periods")
        read_only_fields = fields

    @extend_schema_field(ScenarioPeriodSerializer(many=True))
    def get_periods(self, scenario: Scenario) -> list[dict]:
        from forecasting.selectors import scenario_comparison

        interval = self.context.get("interval", "day")
        return ScenarioPeriodSerializer(
            scenario_comparison(scenario=scenario, interval=interval), many=True
        ).data


class ForecastSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        from forecasting.models import ForecastSettings

        model = ForecastSettings
        fields = (
            "horizon_days",
            "history_days",
            "folds",
            "retrain_interval_days",
            "drift_threshold",
            "drift_min_days",
            "chunk_size",
            "keep_runs",
            "challenger_weeks",
            "challenger_margin",
            "challenger_auto_promote",
            "updated_at",
        )
        read_only_fields = ("updated_at",)


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign: ``skus`` and ``categories`` (ids; a category covers its sub-categories)
    say what it promotes, at least one of them; ``locations`` (codes) where, every location
    when empty; ``expected_uplift`` the relative lift expected (0.3 = +30 %), optional."""

    skus = serializers.SlugRelatedField(
        source="products",
        slug_field="sku",
        queryset=Product.objects.all(),
        many=True,
        required=False,
    )
    categories = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), many=True, required=False
    )
    locations = serializers.SlugRelatedField(
        slug_field="code", queryset=Location.objects.all(), many=True, required=False
    )
    expected_uplift = serializers.DecimalField(
        max_digits=8,
        decimal_places=4,
        min_value=Decimal("-0.9999"),
        max_value=Decimal("1000"),
        required=False,
        allow_null=True,
    )
    created_by = serializers.CharField(source="created_by.email", read_only=True, allow_null=True)

    class Meta:
        model = Campaign
        fields = (
            "id",
            "name",
            "kind",
            "start",
            "end",
            "skus",
            "categories",
            "locations",
            "expected_uplift",
            "note",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_by", "created_at", "updated_at")
        validators: list = []  # the service checks names, dates and scope
        extra_kwargs = {"name": {"validators": []}}


# --- live accuracy and champion / challenger (ADR 38) -------------------------------------


class LiveQuerySerializer(serializers.Serializer):
    weeks = serializers.IntegerField(min_value=1, max_value=104, required=False, default=8)


class LiveSeriesQuerySerializer(LiveQuerySerializer):
    sku = serializers.CharField(max_length=64, required=False)
    location = serializers.CharField(max_length=64, required=False)


class LiveMetricsSerializer(serializers.Serializer):
    """Ratios of sums over the scored days: ``wape`` Σ|e|/Σy, ``bias`` Σe/Σy (+ over-forecast),
    ``mae`` per day, ``fva`` forecast value added over seasonal naive, 1 − Σ|e|/Σ|e_naive|
    (+ better than naive); null where the denominator is zero."""

    days = serializers.IntegerField()
    actual = serializers.FloatField()
    wape = serializers.FloatField(allow_null=True)
    bias = serializers.FloatField(allow_null=True)
    mae = serializers.FloatField(allow_null=True)
    fva = serializers.FloatField(allow_null=True)


class LiveGroupSerializer(LiveMetricsSerializer):
    series = serializers.IntegerField()


class LiveClassSerializer(LiveGroupSerializer):
    pattern = serializers.CharField()


class LiveMethodSerializer(LiveGroupSerializer):
    method = serializers.CharField()


class TrialsCountSerializer(serializers.Serializer):
    on_trial = serializers.IntegerField()
    promoted = serializers.IntegerField()
    rejected = serializers.IntegerField()


class LiveSummarySerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    since = serializers.DateField(allow_null=True)
    through = serializers.DateField(allow_null=True)
    series = serializers.IntegerField()
    tenant = LiveMetricsSerializer()
    by_class = LiveClassSerializer(many=True)
    by_method = LiveMethodSerializer(many=True)
    trials = TrialsCountSerializer()


class LiveSeriesSerializer(LiveMetricsSerializer):
    """One SKU × location's served forecast scored live over the window."""

    sku = serializers.CharField()
    location = serializers.CharField()
    pattern = serializers.CharField()
    through = serializers.DateField()

    def to_representation(self, instance):
        from forecasting.selectors import live_metrics

        return {
            "sku": instance["product__sku"],
            "location": instance["location__code"],
            "pattern": instance["pattern"] or "",
            "through": instance["through"].isoformat() if instance["through"] else None,
            **live_metrics(
                days=instance["days"],
                actual=instance["actual"],
                abs_error=instance["abs_error"],
                error=instance["error"],
                naive_abs_error=instance["naive_abs_error"],
            ),
        }


class EvidenceSideSerializer(serializers.Serializer):
    method = serializers.CharField()
    wape = serializers.FloatField(allow_null=True)
    bias = serializers.FloatField(allow_null=True)
    mae = serializers.FloatField(allow_null=True)
    fva = serializers.FloatField(allow_null=True)


class EvidenceSerializer(serializers.Serializer):
    """Live scores of champion and challenger on the same days (runs since the challenger
    was created)."""

    runs = serializers.IntegerField()
    days = serializers.IntegerField()
    weeks = serializers.FloatField()
    actual = serializers.FloatField(allow_null=True)
    champion = EvidenceSideSerializer()
    challenger = EvidenceSideSerializer()
    to = serializers.DateField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(allow_null=True)  # a keyword in Python
        return fields


class ChallengerTrialSerializer(EvidenceSerializer):
    id = serializers.IntegerField(help_text="The model registry entry (promote it there).")
    sku = serializers.CharField()
    location = serializers.CharField()
    weeks_needed = serializers.IntegerField()
    mature = serializers.BooleanField()
    improvement = serializers.FloatField(
        allow_null=True, help_text="1 − challenger WAPE / champion WAPE (+ is better)."
    )


class ModelVersionSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)
    promoted_by = serializers.CharField(source="promoted_by.email", read_only=True, allow_null=True)

    class Meta:
        from forecasting.models import ModelVersion

        model = ModelVersion
        fields = (
            "id",
            "sku",
            "location",
            "method",
            "status",
            "parameters",
            "run",
            "last_run_id",
            "mae",
            "rmse",
            "rmsse",
            "wape",
            "bias",
            "created_at",
            "promoted_at",
            "promotion",
            "promoted_by",
            "retired_at",
            "retired_reason",
            "evidence",
        )
        read_only_fields = fields
