"""Catalogue, locations, the stock ledger, sales history and product exclusions.

The tables keep the names they had under ``inventory`` (ADR 19): the models moved, no row did.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
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

    # The import batch that last wrote this row (ADR 28: imports are revertible). No foreign
    # key: catalog sits below etl, and the bulk writers set it in the same statement.
    import_batch = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "inventory_category"
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
    # σ_L, the spread of the supplier lead time in days (0 = a lead time that never varies).
    lead_time_std_days = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        db_default=Decimal("0"),  # bulk loads that name no such column get 0 too
        validators=[validate_non_negative, MaxValueValidator(Decimal("365"))],
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
    # Variants: a product may have a parent (the model) and attribute values
    # ({"size": "L", "colour": "red"}); a variant without its own BOM uses its parent's.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="variants"
    )
    attributes = models.JSONField(default=dict, db_default={}, blank=True)
    is_active = models.BooleanField(default=True)
    launch_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The import batch that last wrote this row (ADR 28: imports are revertible). No foreign
    # key: catalog sits below etl, and the bulk writers set it in the same statement.
    import_batch = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "inventory_product"
        ordering = ("sku",)
        indexes = [models.Index(fields=("category",)), models.Index(fields=("is_active",))]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class ProductUnit(models.Model):
    """Another unit of measure of a product: ``factor`` stock units make one (1 box = 12 units).
    A BOM line or a supplier product may count in it; quantities are converted to the stock
    unit (``uom``) on the way in."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(max_length=16)
    factor = models.DecimalField(
        max_digits=14, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))]
    )

    class Meta:
        ordering = ("product_id", "name")
        constraints = [
            models.UniqueConstraint(fields=("product", "name"), name="product_unit_unique"),
            models.CheckConstraint(
                condition=models.Q(factor__gt=0), name="product_unit_factor_gt0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.factor} × {self.product_id}"


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

    # The import batch that last wrote this row (ADR 28: imports are revertible). No foreign
    # key: catalog sits below etl, and the bulk writers set it in the same statement.
    import_batch = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "inventory_location"
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
    product's movements there; only ``catalog.services`` changes it."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.DecimalField(**QUANTITY, default=Decimal("0"))
    reserved = models.DecimalField(**QUANTITY, default=Decimal("0"))
    on_order = models.DecimalField(**QUANTITY, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    # The import batch that last wrote this row (ADR 28: imports are revertible). No foreign
    # key: catalog sits below etl, and the bulk writers set it in the same statement.
    import_batch = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "inventory_stocklevel"
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

    # The import batch that last wrote this row (ADR 28: imports are revertible). No foreign
    # key: catalog sits below etl, and the bulk writers set it in the same statement.
    import_batch = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "inventory_stockmovement"
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

    # The import batch that last wrote this row (ADR 28: imports are revertible). No foreign
    # key: catalog sits below etl, and the bulk writers set it in the same statement.
    import_batch = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "inventory_demandhistory"
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
        # A block-range index on the date (ADR 28): history arrives in date order over time,
        # so date ranges still skip most of the table, and it costs the bulk insert next to
        # nothing where the B-tree on the date cost a third of it.
        indexes = [BrinIndex(fields=("date",), name="demand_history_date_brin")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id} {self.date}: {self.quantity}"


class ProductExclusion(models.Model):
    """A product left out of some features, e.g. a discontinued item kept out of ABC and
    order recommendations. Each feature reads ``selectors.excluded_product_ids(scope=…)``."""

    class Scope(models.TextChoices):
        ABC = "abc", "ABC classification"
        FORECAST = "forecast", "Forecasting"
        ETL = "etl", "Data imports"
        RECOMMENDATIONS = "recommendations", "Order recommendations"

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="exclusion")
    reason = models.CharField(max_length=255)
    scopes = ArrayField(models.CharField(max_length=16, choices=Scope.choices))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "inventory_productexclusion"
        ordering = ("product_id",)

    def __str__(self) -> str:
        return f"{self.product_id}: {', '.join(self.scopes)}"
