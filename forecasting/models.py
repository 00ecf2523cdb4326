"""Models of the forecasting domain: runs, their stored forecasts, Test Bed scores and series
classes, the model registry, planners' method overrides, scenarios and per-tenant settings.

The per-series tables (values, scores, classifications) are written in bulk with PostgreSQL
COPY and read in bulk; like the sales history they carry no database foreign-key constraints
on product and location (per-row checks would slow the COPY several times, ARCHITECTURE §7).
Deleting a run deletes its rows through Django's collector (one DELETE per table).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

MAX_HORIZON_DAYS = 365
QUANTILE_FIELDS = ("p05", "p10", "p50", "p90", "p95")
QUANTILE_LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)


def _series_fk(model: str) -> models.ForeignKey:
    return models.ForeignKey(
        model, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )


def _run_fk() -> models.ForeignKey:
    return models.ForeignKey(
        "forecasting.ForecastRun",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class ForecastSettings(models.Model):
    """The tenant's forecasting defaults (one row): what a scheduled or drift-triggered run
    uses, how often to retrain, and when recent error counts as drift."""

    horizon_days = models.PositiveSmallIntegerField(
        default=28, validators=[MinValueValidator(1), MaxValueValidator(MAX_HORIZON_DAYS)]
    )
    history_days = models.PositiveSmallIntegerField(
        default=730, validators=[MinValueValidator(14), MaxValueValidator(3660)]
    )
    folds = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    retrain_interval_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # Drift: recent RMSE above this multiple of the backtest RMSE flags the series.
    drift_threshold = models.FloatField(default=2.0, validators=[MinValueValidator(1.0)])
    drift_min_days = models.PositiveSmallIntegerField(default=7)
    chunk_size = models.PositiveIntegerField(
        default=1000, validators=[MinValueValidator(10), MaxValueValidator(100_000)]
    )
    # Successful runs kept with their stored values; older ones are pruned by the schedule.
    keep_runs = models.PositiveSmallIntegerField(default=8, validators=[MinValueValidator(1)])
    # Champion / challenger (ADR 38): a challenger runs in shadow and is promoted once it has
    # beaten the champion's live WAPE by ``challenger_margin`` (relative) over this many weeks.
    challenger_weeks = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    challenger_margin = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(0.9)]
    )
    challenger_auto_promote = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "forecast settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="forecast_settings_singleton")
        ]

    def __str__(self) -> str:
        return "Forecast settings"


class ForecastRun(models.Model):
    """One Test Bed run over the tenant's sales history: its parameters, data window,
    timings, outcome and summary metrics. Forecasts start the day after ``data_end``."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        SCHEDULE = "schedule"
        DRIFT = "drift"

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    horizon = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_HORIZON_DAYS)]
    )
    methods = models.JSONField(default=list, blank=True)
    folds = models.PositiveSmallIntegerField(default=3)
    store_all_methods = models.BooleanField(default=False)
    parameters = models.JSONField(default=dict, blank=True)
    data_start = models.DateField(null=True, blank=True)
    data_end = models.DateField(null=True, blank=True)
    series_count = models.PositiveIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    # Indexes of the chunks already stored: a redelivered chunk task is not counted twice.
    done_chunks = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("status", "-finished_at"), name="forecast_run_latest")]

    def __str__(self) -> str:
        return f"Forecast run {self.pk} ({self.status})"


class ForecastValue(models.Model):
    """One forecast day of one series by one method: the mean (``forecast``) and quantiles
    (units per day). ``selected`` marks the method the run chose (or a planner pinned)."""

    run = _run_fk()
    product = _series_fk("catalog.Product")
    location = _series_fk("catalog.Location")
    date = models.DateField()
    method = models.CharField(max_length=40)
    selected = models.BooleanField(default=True)
    forecast = models.FloatField()
    p05 = models.FloatField()
    p10 = models.FloatField()
    p50 = models.FloatField()
    p90 = models.FloatField()
    p95 = models.FloatField()

    class Meta:
        indexes = [
            models.Index(fields=("run", "product", "location", "date"), name="forecast_value_key")
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id} {self.date} {self.method}"


class BacktestScore(models.Model):
    """Rolling-origin backtest scores of one method on one series in one run, averaged over
    the folds; ``rank`` 1 is the best by mean pinball loss
    (the selection score). NaN where a scaled score is undefined is
    stored as NULL."""

    run = _run_fk()
    product = _series_fk("catalog.Product")
    location = _series_fk("catalog.Location")
    method = models.CharField(max_length=40)
    rank = models.PositiveSmallIntegerField()
    mae = models.FloatField(null=True)
    rmse = models.FloatField(null=True)
    wape = models.FloatField(null=True)
    bias = models.FloatField(null=True)
    mase = models.FloatField(null=True)
    rmsse = models.FloatField(null=True)
    pinball = models.FloatField(null=True)
    coverage = models.FloatField(null=True)
    # Planner terms (ADR 30): WAPE of weekly (7-day) and monthly (28-day) sums from the
    # origin, and the bias as a share of demand, Σ(f − y) / Σy. Accuracy % = 1 − WAPE.
    wape_week = models.FloatField(null=True)
    wape_month = models.FloatField(null=True)
    bias_pct = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=("run", "product", "location"), name="backtest_score_key")]

    def __str__(self) -> str:
        return f"{self.method} on {self.product_id}@{self.location_id} (run {self.run_id})"


class SeriesClassification(models.Model):
    """One series in one run: its demand classes, the method used and why, that method's
    backtest error, and the volume behind ABC."""

    class Reason(models.TextChoices):
        BACKTEST = "backtest"
        FALLBACK = "fallback"
        OVERRIDE = "override"
        # The registry's champion kept serving while the backtest prefers another method,
        # which runs in shadow as the challenger until live accuracy decides (ADR 38).
        CHAMPION = "champion"

    run = _run_fk()
    product = _series_fk("catalog.Product")
    location = _series_fk("catalog.Location")
    pattern = models.CharField(max_length=16)
    xyz = models.CharField(max_length=1)
    abc = models.CharField(max_length=1, blank=True)
    new_item = models.BooleanField(default=False)
    adi = models.FloatField(null=True)
    cv2 = models.FloatField(null=True)
    cv = models.FloatField(null=True)
    method = models.CharField(max_length=40)
    runner_up = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    parameters = models.JSONField(default=dict, blank=True)
    # The method stored in shadow for this series (never served) and its fitted parameters.
    challenger = models.CharField(max_length=40, blank=True, default="", db_default="")
    challenger_parameters = models.JSONField(default=dict, blank=True)
    mae = models.FloatField(null=True)
    rmse = models.FloatField(null=True)
    rmsse = models.FloatField(null=True)
    wape = models.FloatField(null=True)
    bias = models.FloatField(null=True)
    quantity_total = models.FloatField(default=0.0)
    revenue_total = models.FloatField(default=0.0)

    class Meta:
        indexes = [
            models.Index(fields=("run", "product", "location"), name="series_class_key"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.pattern}/{self.xyz}"


class ForecastExplanation(models.Model):
    """Why one series' served forecast is what it is (ADR 39): ``components`` maps level,
    trend, weekly, yearly and promotion to one value per forecast day (units, rounded to
    0.001; ``forecasting.engine.explain``), ``other`` being the stored forecast minus their
    sum, so the parts add up to it exactly; ``importance`` the gradient-boosting model's
    permutation importance per feature (empty for other methods)."""

    run = _run_fk()
    product = _series_fk("catalog.Product")
    location = _series_fk("catalog.Location")
    method = models.CharField(max_length=40)
    components = models.JSONField(default=dict)
    importance = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=("run", "product", "location"), name="forecast_explain_key"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id} {self.method}"


class ModelRegistryEntry(models.Model):
    """The current model of one SKU × location: the champion method (the one served: first
    by backtest, then kept until a challenger beats it live, or pinned), the challenger in
    shadow (blank when none), the champion's parameters and backtest metrics, when and on
    what data it was trained, and the last drift check. ``ModelVersion`` keeps the history."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("catalog.Location", on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=40)
    challenger = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=16, choices=SeriesClassification.Reason.choices)
    parameters = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey(
        ForecastRun, null=True, on_delete=models.SET_NULL, db_constraint=False, related_name="+"
    )
    trained_at = models.DateTimeField()
    data_start = models.DateField()
    data_end = models.DateField()
    mae = models.FloatField(null=True)
    rmse = models.FloatField(null=True)
    rmsse = models.FloatField(null=True)
    wape = models.FloatField(null=True)
    bias = models.FloatField(null=True)
    recent_rmse = models.FloatField(null=True, blank=True)
    drift_ratio = models.FloatField(null=True, blank=True)
    drift_flagged = models.BooleanField(default=False)
    drift_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "model registry entry"
        verbose_name_plural = "model registry"
        ordering = ("product_id", "location_id")
        constraints = [
            models.UniqueConstraint(fields=("product", "location"), name="model_registry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.method}"


class ModelVersion(models.Model):
    """One version of the model of a SKU × location (ADR 38): a method with its parameters and
    backtest scores (of its latest fit), created by a run as the first champion, a planner's pin
    or a challenger in shadow; promoted (automatically on live evidence, by a planner, or as
    the first or pinned model) and retired (beaten, replaced or rejected). ``evidence`` keeps the
    live scores of both sides when a challenger was promoted or rejected."""

    class Status(models.TextChoices):
        CHAMPION = "champion"
        CHALLENGER = "challenger"
        RETIRED = "retired"

    class Promotion(models.TextChoices):
        INITIAL = "initial"  # the first model of the series, by backtest
        OVERRIDE = "override"  # a planner's pin
        AUTOMATIC = "automatic"  # beat the champion over the live window
        PLANNER = "planner"  # promoted by a planner

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("catalog.Location", on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=40)
    status = models.CharField(max_length=16, choices=Status.choices)
    parameters = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey(
        ForecastRun, null=True, on_delete=models.SET_NULL, db_constraint=False, related_name="+"
    )
    last_run_id = models.BigIntegerField(null=True, blank=True)
    mae = models.FloatField(null=True)
    rmse = models.FloatField(null=True)
    rmsse = models.FloatField(null=True)
    wape = models.FloatField(null=True)
    bias = models.FloatField(null=True)
    created_at = models.DateTimeField()
    promoted_at = models.DateTimeField(null=True, blank=True)
    promotion = models.CharField(max_length=16, choices=Promotion.choices, blank=True)
    promoted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_reason = models.CharField(max_length=32, blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("product_id", "location_id", "-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("product", "location", "status"),
                # Two equalities, not IN: PostgreSQL prints an IN list back in a form that
                # re-parses differently, and the template clone compares index definitions.
                condition=models.Q(status="champion") | models.Q(status="challenger"),
                name="model_version_one_active",
            )
        ]
        indexes = [
            models.Index(fields=("product", "location", "-created_at"), name="model_version_key")
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.method} ({self.status})"


class LiveScore(models.Model):
    """Live accuracy of one method's stored forecast of one series in one run, over the days
    that run was the current one (after its ``origin``, until the next run's origin, the
    horizon or the newest actual), as sums so that any grouping adds up: WAPE = Σ|e| / Σy,
    bias = Σe / Σy, value added over seasonal naive = 1 − Σ|e| / Σ|e_naive|. ``served`` is
    true for the method served (the champion), false for a challenger in shadow. Kept when
    the run is pruned (no cascade), so the evidence outlives the stored values (ADR 38).
    ``first_date`` … ``last_date`` is the window scored; ``days`` the days counted in it (a
    day flagged as a stockout is censored)."""

    run = models.ForeignKey(
        ForecastRun, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    product = _series_fk("catalog.Product")
    location = _series_fk("catalog.Location")
    method = models.CharField(max_length=40)
    served = models.BooleanField()
    pattern = models.CharField(max_length=16, blank=True)
    origin = models.DateField()
    first_date = models.DateField()
    last_date = models.DateField()
    days = models.PositiveIntegerField()
    actual = models.FloatField()
    abs_error = models.FloatField()
    error = models.FloatField()
    squared_error = models.FloatField()
    naive_abs_error = models.FloatField()
    scored_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("run", "product", "location", "method"), name="live_score_unique"
            )
        ]
        indexes = [
            models.Index(fields=("product", "location", "origin"), name="live_score_series"),
            models.Index(fields=("origin",), name="live_score_origin"),
        ]

    def __str__(self) -> str:
        return f"{self.method} on {self.product_id}@{self.location_id} (run {self.run_id})"


class MethodOverride(models.Model):
    """A planner's pin: forecast this SKU (at one location, or at every location when blank)
    with ``method``, whatever the backtest prefers. Kept across runs until deleted."""

    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="forecast_overrides"
    )
    location = models.ForeignKey(
        "catalog.Location",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="forecast_overrides",
    )
    method = models.CharField(max_length=40)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("product_id", "location_id")
        constraints = [
            models.UniqueConstraint(
                fields=("product", "location"),
                name="method_override_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id or '*'} → {self.method}"


class Scenario(models.Model):
    """A what-if on a run: its selected forecast with multipliers applied. ``adjustments`` is
    a list of ``{"multiplier", "sku"?, "category"?, "date_from"?, "date_to"?}``; an adjustment
    applies where every key it names matches, and the multipliers of all matching adjustments
    multiply."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    base_run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="scenarios")
    adjustments = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A promotion or marketing campaign: ``start``…``end`` (inclusive) on its products and the
    products of its categories (with their sub-categories), at its locations (every location
    when none). Past campaign days are modelled, future ones lift the forecast (ADR 32);
    ``expected_uplift`` is the planner's relative lift (0.3 = +30 %), the prior of SKUs whose
    history has too few campaigns to learn their own."""

    class Kind(models.TextChoices):
        PROMOTION = "promotion", "Promotion (price)"
        DISPLAY = "display", "In-store display"
        ADVERTISING = "advertising", "Advertising"
        OTHER = "other", "Other"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PROMOTION)
    start = models.DateField()
    end = models.DateField()
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="campaigns")
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="campaigns")
    locations = models.ManyToManyField("catalog.Location", blank=True, related_name="campaigns")
    expected_uplift = models.DecimalField(
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Expected relative lift of demand: 0.3 = +30 %",
    )
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-start", "name")
        indexes = [models.Index(fields=("start", "end"), name="campaign_dates")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="campaign_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(expected_uplift__isnull=True) | models.Q(expected_uplift__gt=-1),
                name="campaign_uplift_above_minus_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start}…{self.end})"
