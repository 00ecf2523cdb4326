"""Catalogue, locations, the stock ledger and sales history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.validators import validate_latitude, validate_longitude, validate_non_negative

QUANTITY = {"max_digits": 14, "decimal_places": 3}
MONEY = {"max_digits": 14, "decimal_places": 2}


class Category(models.Model):
    """A node of the product category tree."""

    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name_plural = "categories"
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=("parent", "name"), name="category_unique_in_parent"),
            models.UniqueConstraint(
                fields=("name",),
                condition=models.Q(parent__isnull=True),
                name="category_unique_root_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    class Type(models.TextChoices):
        FINISHED = "finished"
        RAW = "raw"
        BOTH = "both"

    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    uom = models.CharField("unit of measure", max_length=16, default="unit")
    unit_cost = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[validate_non_negative]
    )
    unit_price = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[validate_non_negative]
    )
    product_type = models.CharField(max_length=16, choices=Type.choices, default=Type.FINISHED)
    # Replenishment defaults until purchasing brings supplier-specific terms.
    supplier_code = models.CharField(max_length=64, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(
        default=7, validators=[MaxValueValidator(365)]
    )
    moq = models.DecimalField(
        "minimum order quantity",
        **QUANTITY,
        default=Decimal("0"),
        validators=[validate_non_negative],
    )
    pack_size = models.DecimalField(
        **QUANTITY, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.001"))]
    )
    is_active = models.BooleanField(default=True)
    launch_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("sku",)
        indexes = [models.Index(fields=("category",)), models.Index(fields=("is_active",))]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Location(models.Model):
    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse"
        STORE = "store"
        PLANT = "plant"

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.WAREHOUSE)
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, validators=[validate_latitude]
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, validators=[validate_longitude]
    )
    # The supply network: a store replenished from a DC (multi-echelon policy later).
    replenished_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supplies"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StockLevel(models.Model):
    """Current stock of a product at a location. ``on_hand`` always equals the sum of the
    product's movements there; only ``inventory.services`` changes it."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.DecimalField(**QUANTITY, default=Decimal("0"))
    reserved = models.DecimalField(**QUANTITY, default=Decimal("0"))
    on_order = models.DecimalField(**QUANTITY, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("product_id", "location_id")
        constraints = [
            models.UniqueConstraint(fields=("product", "location"), name="stock_level_unique"),
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0) & models.Q(on_order__gte=0),
                name="stock_level_non_negative_reserved_on_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.on_hand}"


class StockMovement(models.Model):
    """One change of on-hand stock (the ledger). Positive adds stock, negative removes it."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt"
        SALE = "sale"
        ADJUSTMENT = "adjustment"
        TRANSFER_IN = "transfer_in"
        TRANSFER_OUT = "transfer_out"
        PRODUCTION_CONSUME = "production_consume"
        PRODUCTION_PRODUCE = "production_produce"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    quantity = models.DecimalField(**QUANTITY)
    reference = models.CharField(max_length=128, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-occurred_at", "-id")
        indexes = [models.Index(fields=("product", "location", "occurred_at"))]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.product_id}@{self.location_id}"


class DemandHistory(models.Model):
    """Sales history: one row per product × location × date.

    The product and location references carry no database foreign-key constraint: bulk loads
    validate keys in their staging step (one join), and per-row constraint checks would cut
    the upsert rate by more than 3× (ARCHITECTURE.md §7).
    """

    # No separate indexes either: the unique key (product, location, date) serves per-SKU
    # reads, and every extra index slows the bulk upsert.
    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    date = models.DateField()
    quantity = models.DecimalField(**QUANTITY)
    revenue = models.DecimalField(**MONEY, null=True, blank=True)
    stockout = models.BooleanField(null=True, blank=True, help_text="True when known out of stock")
    on_promotion = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "demand history"
        ordering = ("product_id", "location_id", "date")
        constraints = [
            models.UniqueConstraint(
                fields=("product", "location", "date"), name="demand_history_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="demand_history_quantity_non_negative"
            ),
        ]
        indexes = [models.Index(fields=("date",), name="demand_history_date")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id} {self.date}: {self.quantity}"


class InventorySettings(models.Model):
    """The tenant's inventory-policy settings: one row per tenant schema (id 1)."""

    class AbcMeasure(models.TextChoices):
        REVENUE = "revenue"
        QUANTITY = "quantity"

    SERVICE_LEVEL = {"max_digits": 4, "decimal_places": 3, "default": Decimal("0.950")}

    # Cycle service level targets per ABC class.
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
    lookback_days = models.PositiveSmallIntegerField(default=90)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "inventory settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="inventory_settings_singleton"),
        ]

    def __str__(self) -> str:
        return "Inventory settings"


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

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="metrics")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="metrics")
    mean_daily_demand = models.FloatField(null=True)
    demand_std = models.FloatField(null=True)
    lead_time_days = models.FloatField()
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
    abc_class = models.CharField(max_length=1)
    xyz_class = models.CharField(max_length=1)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "inventory metrics"
        ordering = ("product_id", "location_id")
        constraints = [
            models.UniqueConstraint(
                fields=("product", "location"), name="inventory_metrics_unique"
            ),
        ]
        indexes = [
            models.Index(fields=("location",), name="inventory_metrics_location"),
            models.Index(fields=("status",), name="inventory_metrics_status"),
            models.Index(fields=("abc_class", "xyz_class"), name="inventory_metrics_abc_xyz"),
            models.Index(fields=("stockout_risk",), name="inventory_metrics_risk"),
            models.Index(fields=("days_of_cover",), name="inventory_metrics_cover"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.status}"


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
