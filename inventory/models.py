"""Inventory planning: settings, metrics, the per-product summary and the 12-month replay."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from catalog.models import MONEY, Location, Product


class ServiceLevelAllocation(models.TextChoices):
    ITEM = "item", "Every item its class target"
    AGGREGATE = (
        "aggregate",
        ("Each class target met on average over its cycles, the stock where it serves most units"),
    )


class InventorySettings(models.Model):
    """The tenant's inventory-policy settings: one row per tenant schema (id 1)."""

    Allocation = ServiceLevelAllocation

    class AbcMeasure(models.TextChoices):
        REVENUE = "revenue"
        QUANTITY = "quantity"

    class ServiceLevelKind(models.TextChoices):
        CYCLE = "cycle", "Cycle service level (no stockout in a cycle)"
        FILL_RATE = "fill_rate", "Fill rate (share of demand served from stock)"

    LOOKBACK_CHOICES = ((30, "30 days"), (60, "60 days"), (90, "90 days"), (365, "365 days"))
    SERVICE_LEVEL = {"max_digits": 4, "decimal_places": 3, "default": Decimal("0.950")}

    # Service level targets per ABC class, of the kind ``service_level_kind``.
    service_level_kind = models.CharField(
        max_length=16, choices=ServiceLevelKind.choices, default=ServiceLevelKind.CYCLE
    )
    service_level_a = models.DecimalField(**SERVICE_LEVEL)
    service_level_b = models.DecimalField(**SERVICE_LEVEL)
    service_level_c = models.DecimalField(**SERVICE_LEVEL)
    review_period_days = models.PositiveSmallIntegerField(default=1)
    holding_cost_rate = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0.25"), help_text="Per year, of unit cost"
    )
    ordering_cost = models.DecimalField(**MONEY, default=Decimal("50"))
    # Per unit short; when set, the cost-optimal service level Cu/(Cu+Co) replaces the targets.
    stockout_cost = models.DecimalField(**MONEY, null=True, blank=True)
    abc_share_a = models.PositiveSmallIntegerField(default=80)
    abc_share_b = models.PositiveSmallIntegerField(default=15)
    abc_share_c = models.PositiveSmallIntegerField(default=5)
    abc_measure = models.CharField(
        max_length=16, choices=AbcMeasure.choices, default=AbcMeasure.REVENUE
    )
    lookback_days = models.PositiveSmallIntegerField(default=90, choices=LOOKBACK_CHOICES)
    # XYZ cut-offs on the coefficient of variation of weekly demand: X ≤ x < Y ≤ y < Z.
    xyz_x_limit = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.50"))
    xyz_y_limit = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("1.00"))
    # How the class targets become per-item cycle service levels (ADR 17): "aggregate" keeps
    # each class's target on average over its cycles and gives cheap, often-ordered items more.
    service_level_allocation = models.CharField(
        max_length=16,
        choices=ServiceLevelAllocation.choices,
        default=ServiceLevelAllocation.AGGREGATE,
    )
    # Lot cap: an order never buys more than this many days of mean demand (MOQ and pack size
    # still round it up); NULL = the plain EOQ. Used by the replay (ADR 14, follow-up).
    max_cover_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Largest order in days of mean demand (empty: no cap)",
    )
    updated_at = models.DateTimeField(auto_now=True)
    # When the last refresh finished (a metrics row's ``computed_at`` is when it last changed).
    metrics_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "inventory settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="inventory_settings_singleton"),
        ]

    def __str__(self) -> str:
        return "Inventory settings"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.abc_share_a + self.abc_share_b + self.abc_share_c != 100:
            errors["abc_share_a"] = "ABC shares must sum to 100."
        if self.xyz_x_limit > self.xyz_y_limit:
            errors["xyz_x_limit"] = "The X cut-off must not exceed the Y cut-off."
        for name in ("service_level_a", "service_level_b", "service_level_c"):
            if not Decimal("0.5") < getattr(self, name) <= Decimal("0.999"):
                errors[name] = "Must be above 0.5 and at most 0.999."
        if errors:
            raise ValidationError(errors)


class InventoryMetrics(models.Model):
    """Policy metrics per product × location, rewritten in bulk by
    ``inventory.metrics.inventory_refresh``. Quantities in units, times in days; NULL where a
    value is undefined (no demand: infinite cover, no order date)."""

    class Status(models.TextChoices):
        OK = "ok"
        REORDER_NOW = "reorder_now"
        CRITICAL = "critical"
        OVERSTOCK = "overstock"
        DEAD_STOCK = "dead_stock"
        NO_DATA = "no_data"
        # The product is excluded from recommendations: no order is suggested.
        EXCLUDED = "excluded"

    # No database foreign keys: the refresh rewrites 100,000 rows at a time and per-row
    # constraint checks would double its write time (ARCHITECTURE.md §7). The refresh writes
    # only pairs of existing products and locations and deletes every other row; the ORM
    # still cascades deletes of products and locations.
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="metrics", db_constraint=False
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        related_name="metrics",
        db_constraint=False,
        db_index=False,  # the (location, …) indexes below lead with it
    )
    mean_daily_demand = models.FloatField(null=True)
    demand_std = models.FloatField(null=True)
    lead_time_days = models.FloatField()
    lead_time_std_days = models.FloatField(default=0)
    on_hand = models.FloatField(default=0)
    inventory_value = models.FloatField(default=0, help_text="On hand × unit cost")
    # The cycle service level (or fill rate) this item's safety stock was set for: its class
    # target, or its share of it under the aggregate allocation.
    service_level = models.FloatField(null=True)
    safety_stock = models.FloatField(null=True)
    reorder_point = models.FloatField(null=True)
    order_up_to = models.FloatField(null=True)
    eoq = models.FloatField(null=True)
    days_of_cover = models.FloatField(null=True)
    inventory_position = models.FloatField()
    stockout_risk = models.FloatField(null=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    recommended_order_qty = models.FloatField(default=0)
    latest_order_date = models.DateField(null=True)
    abc_class = models.CharField(max_length=1, help_text="Blank when excluded from ABC")
    xyz_class = models.CharField(max_length=1)
    computed_at = models.DateTimeField(help_text="When the row's values last changed")

    class Meta:
        verbose_name_plural = "inventory metrics"
        ordering = ("product_id", "location_id")
        constraints = [
            models.UniqueConstraint(
                fields=("product", "location"), name="inventory_metrics_unique"
            ),
        ]
        # Filters at one location (the products list with ``location=``) lead with it; lists
        # over all rows of the tenant use the per-product summary table instead. Every index
        # costs refresh time, so there are no single-column ones.
        indexes = [
            models.Index(fields=("location", "status"), name="inventory_metrics_loc_status"),
            # Riskiest first is the common order: DESC NULLS LAST, as the list sorts.
            models.Index(
                "location",
                models.F("stockout_risk").desc(nulls_last=True),
                name="inventory_metrics_loc_risk",
            ),
            models.Index(fields=("location", "days_of_cover"), name="inventory_metrics_loc_cover"),
            models.Index(fields=("location", "on_hand"), name="inventory_metrics_loc_stock"),
            # "What to order" opens sorted by order-by date (then id, the pager's tie-break):
            # its first pages read this index in order instead of sorting every row (ADR 30).
            models.Index(
                models.F("latest_order_date").asc(nulls_last=True),
                "id",
                name="inventory_metrics_order_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.status}"


class ProductInventorySummary(models.Model):
    """A product's metrics summed over its locations, written by the same refresh as
    ``InventoryMetrics`` so the products list filters one indexed row per product. Every
    product gets a row (``no_data`` where it has no metrics).

    Sums: on hand, position, demand, value, recommended order. Worst over locations: status
    (``STATUS_SEVERITY``), stockout risk (max), XYZ (most variable). Best: ABC (most important
    location). Days of cover = summed position / summed demand."""

    # Most urgent first: the product-level status is the first of these any location has.
    STATUS_SEVERITY = (
        "critical",
        "reorder_now",
        "dead_stock",
        "overstock",
        "ok",
        "excluded",
        "no_data",
    )

    product = models.OneToOneField(
        Product,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="inventory_summary",
        db_constraint=False,
    )
    locations = models.PositiveIntegerField(default=0)
    on_hand = models.FloatField(default=0)
    inventory_position = models.FloatField(default=0)
    inventory_value = models.FloatField(default=0)
    mean_daily_demand = models.FloatField(null=True)
    days_of_cover = models.FloatField(null=True)
    stockout_risk = models.FloatField(null=True)
    status = models.CharField(max_length=16, choices=InventoryMetrics.Status.choices)
    recommended_order_qty = models.FloatField(default=0)
    abc_class = models.CharField(max_length=1)
    xyz_class = models.CharField(max_length=1)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "product inventory summaries"
        # Ordered lists walk these (ending in the product id, the list's tie-break).
        indexes = [
            models.Index(fields=("status", "product"), name="inventory_summary_status"),
            models.Index(
                models.F("stockout_risk").desc(nulls_last=True),
                "product",
                name="inventory_summary_risk",
            ),
            models.Index(fields=("days_of_cover", "product"), name="inventory_summary_cover"),
            models.Index(fields=("on_hand", "product"), name="inventory_summary_stock"),
            models.Index(fields=("abc_class", "xyz_class"), name="inventory_summary_abc_xyz"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.status}"


# --- Simulation (the 12-month replay) -----------------------------------------------------------


class SimulationRun(models.Model):
    """One replay of the proposed policy against the min/max baseline and what happened.

    The parameters are columns (validated on start); ``summary`` holds the totals overall and
    per ABC class, ``daily`` the day-by-day series the page charts.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class DemandMode(models.TextChoices):
        LOST_SALES = "lost_sales"
        BACKORDERS = "backorders"

    class LeadTimeMode(models.TextChoices):
        FIXED = "fixed"
        SAMPLED = "sampled"

    Allocation = ServiceLevelAllocation

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    window_days = models.PositiveSmallIntegerField(default=365)
    # Cycle service level targets per ABC class; NULL: the tenant's InventorySettings.
    service_level_a = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    service_level_b = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    service_level_c = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    demand_mode = models.CharField(
        max_length=16, choices=DemandMode.choices, default=DemandMode.LOST_SALES
    )
    lead_time_mode = models.CharField(
        max_length=16, choices=LeadTimeMode.choices, default=LeadTimeMode.FIXED
    )
    lead_time_cv = models.FloatField(
        default=0.25, help_text="Sampled lead times: spread as a share of the mean lead time"
    )
    refit_every_days = models.PositiveSmallIntegerField(default=7)
    forecast_method = models.CharField(max_length=40, default="ses")
    seed = models.PositiveIntegerField(default=0)
    # Lot cap in days of mean demand; NULL: the tenant's InventorySettings, 0: no cap (EOQ).
    max_cover_days = models.PositiveSmallIntegerField(null=True, blank=True)
    service_level_allocation = models.CharField(
        max_length=16, choices=Allocation.choices, default=Allocation.AGGREGATE
    )
    # Cost of a unit short in the cost comparison (not in the policy): NULL = the tenant's
    # ``InventorySettings.stockout_cost``, or when that is unset each item's margin (ADR 30).
    stockout_cost = models.DecimalField(**MONEY, null=True, blank=True)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    daily = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Simulation {self.pk} ({self.status})"


class SimulationItemResult(models.Model):
    """One product × location of a run: the proposed policy, the baseline and (when the stock
    ledger allows) what really happened. Written in bulk (one unnest insert per run)."""

    run = models.ForeignKey(SimulationRun, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    abc_class = models.CharField(max_length=1)
    service_level_target = models.FloatField()
    demand_units = models.FloatField()
    policy_stockout_days = models.IntegerField()
    policy_stockout_units = models.FloatField()
    policy_fill_rate = models.FloatField(null=True)
    policy_cycle_service_level = models.FloatField()
    policy_average_inventory_value = models.FloatField()
    policy_orders_placed = models.IntegerField()
    policy_holding_cost = models.FloatField()
    policy_ordering_cost = models.FloatField()
    policy_stockout_cost = models.FloatField()
    baseline_stockout_days = models.IntegerField()
    baseline_stockout_units = models.FloatField()
    baseline_fill_rate = models.FloatField(null=True)
    baseline_cycle_service_level = models.FloatField()
    baseline_average_inventory_value = models.FloatField()
    baseline_orders_placed = models.IntegerField()
    baseline_total_cost = models.FloatField()
    actual_stockout_days = models.IntegerField(null=True)
    actual_average_inventory_value = models.FloatField(null=True)

    class Meta:
        ordering = ("run", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("run", "product", "location"), name="simulation_item_unique"
            )
        ]
        indexes = [models.Index(fields=("run", "abc_class"), name="simulation_item_class")]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.product_id}@{self.location_id}"
