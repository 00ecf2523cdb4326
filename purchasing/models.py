"""Suppliers, their terms, purchase orders, receipts, learned lead times and the cart.

Money is in the tenant's currency (``PurchasingSettings.currency``) unless a row says otherwise
(a supplier's prices and a purchase order are in the supplier's currency). Quantities in product
units, times in days. Header totals of a purchase order are derived from its lines (selectors),
never stored.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from catalog.models import MONEY, QUANTITY, Location, Product
from core.validators import validate_non_negative

PRICE = {"max_digits": 16, "decimal_places": 4}


class PurchasingSettings(models.Model):
    """The tenant's purchasing settings: one row per tenant schema (id 1)."""

    currency = models.CharField(max_length=3, default="EUR", help_text="The tenant's currency")
    # Orders worth more than this (in the tenant currency) need an admin to approve them;
    # empty: planners approve every order.
    approval_threshold = models.DecimalField(**MONEY, null=True, blank=True)
    over_receipt_tolerance_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="How much more than ordered may be received, in % of the line quantity",
    )
    # The budget of the last cart build (None: none given), shown against the cart's total.
    cart_budget = models.DecimalField(**MONEY, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "purchasing settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="purchasing_settings_singleton")
        ]

    def __str__(self) -> str:
        return "Purchasing settings"


class Supplier(models.Model):
    class Kind(models.TextChoices):
        BUY = "buy"
        SUBCONTRACT = "subcontract"

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BUY)
    currency = models.CharField(max_length=3, default="EUR")
    contact_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=64, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    min_order_value = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[validate_non_negative]
    )
    order_cycle_days = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierProduct(models.Model):
    """A supplier's terms for a product. At most one preferred supplier per product."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="products")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="supplier_terms")
    supplier_sku = models.CharField(max_length=64, blank=True)
    unit_price = models.DecimalField(
        **PRICE, default=Decimal("0"), validators=[validate_non_negative]
    )
    pack_size = models.DecimalField(
        **QUANTITY, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.001"))]
    )
    moq = models.DecimalField(**QUANTITY, default=Decimal("0"), validators=[validate_non_negative])
    lead_time_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    is_preferred = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("supplier_id", "product_id")
        constraints = [
            models.UniqueConstraint(fields=("supplier", "product"), name="supplier_product_unique"),
            models.UniqueConstraint(
                fields=("product",),
                condition=models.Q(is_preferred=True),
                name="supplier_product_one_preferred",
            ),
        ]
        indexes = [models.Index(fields=("product",), name="supplier_product_product")]

    def __str__(self) -> str:
        return f"{self.supplier_id}:{self.product_id}"


class ExchangeRate(models.Model):
    """How many units of the tenant's currency one unit of ``currency`` is worth."""

    currency = models.CharField(max_length=3, unique=True)
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("currency",)

    def __str__(self) -> str:
        return f"{self.currency} {self.rate}"


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        APPROVED = "approved"
        SENT = "sent"
        PARTIALLY_RECEIVED = "partially_received"
        RECEIVED = "received"
        CANCELLED = "cancelled"
        CLOSED = "closed"

    class Source(models.TextChoices):
        APP = "app"
        IMPORT = "import"

    reference = models.CharField(max_length=64, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="orders")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    currency = models.CharField(max_length=3, default="EUR")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.APP)
    # The date the order was placed: the sent date, else the approval date, or the imported
    # ``ordered_on``. Receipts' lead times count from it.
    ordered_on = models.DateField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(
        max_length=255, blank=True, help_text="Why the order was cancelled or short-closed"
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("supplier", "status"), name="purchase_order_supplier")]

    def __str__(self) -> str:
        return self.reference


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])
    received_quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))
    unit_price = models.DecimalField(**PRICE, default=Decimal("0"))
    expected_date = models.DateField(null=True, blank=True)
    confirmed_date = models.DateField(null=True, blank=True)
    confirmed_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)

    class Meta:
        ordering = ("order_id", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("order", "product", "location"), name="purchase_order_line_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(received_quantity__gte=0), name="po_line_received_non_negative"
            ),
        ]
        indexes = [models.Index(fields=("product", "location"), name="po_line_product_location")]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.product_id}@{self.location_id} × {self.quantity}"

    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.received_quantity, Decimal("0"))


class Receipt(models.Model):
    """One delivery against a purchase order line. ``supplier`` and ``product`` repeat the
    line's so that lead-time learning groups one table (1 M rows in seconds)."""

    Source = PurchaseOrder.Source

    line = models.ForeignKey(PurchaseOrderLine, on_delete=models.CASCADE, related_name="receipts")
    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    quantity = models.DecimalField(**QUANTITY)
    received_on = models.DateField()
    # Calendar days from the order's ordered_on to received_on.
    lead_time_days = models.IntegerField()
    on_time = models.BooleanField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.APP)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("received_on", "id")
        constraints = [
            # Imported history is idempotent on reference + sku + location + received_on.
            models.UniqueConstraint(
                fields=("line", "received_on"),
                condition=models.Q(source="import"),
                name="receipt_import_unique",
            )
        ]
        indexes = [models.Index(fields=("supplier", "product"), name="receipt_supplier_product")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.quantity} on {self.received_on}"


class LeadTimeStats(models.Model):
    """Lead times learned from receipts per supplier × product (``purchasing.learning``)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    mean_days = models.FloatField()
    std_days = models.FloatField(help_text="Sample standard deviation (n − 1); 0 for one receipt")
    on_time_rate = models.FloatField(help_text="Share of receipts on or before the expected date")
    receipts_count = models.IntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "lead time stats"
        ordering = ("supplier_id", "product_id")
        constraints = [
            models.UniqueConstraint(fields=("supplier", "product"), name="lead_time_stats_unique")
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id}:{self.product_id} {self.mean_days:.1f}±{self.std_days:.1f}"


class OrderSuggestion(models.Model):
    """A line of the tenant's cart: a purchase (supplier) or a transfer (source location)."""

    class Source(models.TextChoices):
        POLICY = "policy"
        MRP = "mrp"

    class Status(models.TextChoices):
        OPEN = "open"
        CONVERTED = "converted"

    # No database foreign keys: the cart rewrites 100,000 lines at a time and per-row
    # constraint checks would double that (ARCHITECTURE.md §7); the build only writes ids it
    # has just read, and the ORM still cascades deletes.
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    supplier = models.ForeignKey(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    source_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**PRICE, null=True, blank=True)  # tenant currency
    value = models.DecimalField(**MONEY, null=True, blank=True)
    needed_by = models.DateField(null=True, blank=True)
    expected_arrival = models.DateField(null=True, blank=True)
    lead_time_days = models.FloatField(default=0)
    shortage_value = models.FloatField(default=0, help_text="Shortage cost the line avoids")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.POLICY)
    reason = models.CharField(max_length=32, null=True, blank=True)
    # Added by ``fill_minimums`` to bring a supplier up to its minimum order value (a product
    # that did not need ordering yet).
    top_up = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("supplier_id", "location_id", "product_id", "id")
        indexes = [models.Index(fields=("status", "reason"), name="order_suggestion_status")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id} × {self.quantity}"


class PlannedPurchase(models.Model):
    """A buy order planned by MRP (manufacturing hands its run's buy orders over with
    ``purchasing.services.planned_purchases_replace``); the cart takes these quantities for
    their products instead of the inventory policy's."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    needed_by = models.DateField()
    release_date = models.DateField()
    mrp_run_id = models.IntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("release_date", "product_id", "location_id")

    def __str__(self) -> str:
        return f"run {self.mrp_run_id}: {self.product_id}@{self.location_id} × {self.quantity}"


class TransferOrder(models.Model):
    """Stock moving from a DC to a store it replenishes: ``draft → shipped → received``, or
    ``cancelled`` (from draft). Shipping writes ``transfer_out`` at the source and puts the
    quantity on order at the destination; receiving writes ``transfer_in`` and takes it off."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        SHIPPED = "shipped"
        RECEIVED = "received"
        CANCELLED = "cancelled"

    reference = models.CharField(max_length=64, unique=True)
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.reference


class TransferOrderLine(models.Model):
    order = models.ForeignKey(TransferOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])
    shipped_quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))
    received_quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))

    class Meta:
        ordering = ("order_id", "id")
        constraints = [
            models.UniqueConstraint(fields=("order", "product"), name="transfer_order_line_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.product_id} × {self.quantity}"
