"""Bills of materials, work centres and operations, working orders, the master production
schedule, and MRP runs with their planned orders, pegs and exceptions (ADR 21).

Planned orders and pegs are written by binary COPY (``core.pgcopy``): their columns are
fixed-width (kinds are small integers) and their product / location references carry no
database constraint, like sales history: the run validated them while loading.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from catalog.models import MONEY, QUANTITY

RATIO = {"max_digits": 18, "decimal_places": 6}
ZERO = Decimal("0")


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday (date.weekday())


class BillOfMaterials(models.Model):
    """One version of a product's recipe; at most one version per product is active."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="boms")
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "bill of materials"
        verbose_name_plural = "bills of materials"
        ordering = ("product_id", "-version")
        constraints = [
            models.UniqueConstraint(fields=("product", "version"), name="bom_unique_version"),
            models.UniqueConstraint(
                fields=("product",),
                condition=models.Q(is_active=True),
                name="bom_one_active_per_product",
            ),
        ]

    def __str__(self) -> str:
        return f"BOM {self.product_id} v{self.version}"


class BomLine(models.Model):
    """``quantity`` of ``component`` per unit of the parent, in unit ``uom`` (the component's
    stock unit when empty); ``factor`` converts it to stock units (resolved on save)."""

    bom = models.ForeignKey(BillOfMaterials, on_delete=models.CASCADE, related_name="lines")
    component = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**RATIO, validators=[MinValueValidator(Decimal("0.000001"))])
    scrap_pct = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    uom = models.CharField(max_length=16, blank=True)
    factor = models.DecimalField(**RATIO, default=Decimal("1"))

    class Meta:
        ordering = ("bom_id", "id")
        constraints = [
            models.UniqueConstraint(fields=("bom", "component"), name="bom_line_unique_component")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.uom or ''} of {self.component_id}".replace("  ", " ")

    @property
    def quantity_in_stock_units(self) -> Decimal:
        return self.quantity * self.factor


class WorkCentre(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    hours_per_day = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("8"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("24"))],
    )
    cost_per_hour = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    # Days of the week it works (0 = Monday … 6 = Sunday, as ``date.weekday()``).
    working_days = ArrayField(models.PositiveSmallIntegerField(), default=default_working_days)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Operation(models.Model):
    """A routing step of a BOM: ``setup_minutes`` once per order, ``run_minutes`` per unit."""

    bom = models.ForeignKey(BillOfMaterials, on_delete=models.CASCADE, related_name="operations")
    sequence = models.PositiveIntegerField()
    work_centre = models.ForeignKey(WorkCentre, on_delete=models.PROTECT, related_name="operations")
    setup_minutes = models.DecimalField(
        max_digits=10, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    run_minutes = models.DecimalField(
        max_digits=10, decimal_places=3, default=ZERO, validators=[MinValueValidator(ZERO)]
    )

    class Meta:
        ordering = ("bom_id", "sequence")
        constraints = [
            models.UniqueConstraint(fields=("bom", "sequence"), name="operation_unique_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.sequence} on {self.work_centre_id}"


class MrpRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class Source(models.TextChoices):
        FORECAST = "forecast"
        MPS = "mps"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.FORECAST)
    horizon_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    plan_date = models.DateField(null=True, blank=True)  # day 0 of the buckets
    job_id = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"MRP run {self.pk} ({self.status})"


class WorkingOrder(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned"
        RELEASED = "released"
        IN_PROGRESS = "in_progress"
        DONE = "done"
        CANCELLED = "cancelled"

    reference = models.CharField(max_length=64, unique=True)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("catalog.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    due_date = models.DateField()
    start_date = models.DateField(null=True, blank=True)
    # A subcontracted order names a supplier of kind ``subcontract`` (purchasing's code).
    subcontract_supplier_code = models.CharField(max_length=64, blank=True)
    actual_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    scrap_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    mrp_run = models.ForeignKey(
        MrpRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="working_orders"
    )
    firmed = models.BooleanField(default=False)  # made by firming an MRP planned order
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("due_date", "id")
        indexes = [models.Index(fields=("status", "due_date"), name="working_order_status_due")]

    def __str__(self) -> str:
        return f"{self.reference} {self.status}"


class WorkingOrderComponent(models.Model):
    order = models.ForeignKey(WorkingOrder, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    required_quantity = models.DecimalField(**QUANTITY)
    reserved_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    consumed_quantity = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        ordering = ("order_id", "id")
        constraints = [
            models.UniqueConstraint(fields=("order", "component"), name="wo_component_unique")
        ]

    def __str__(self) -> str:
        return f"{self.required_quantity} of {self.component_id}"


class MasterProductionSchedule(models.Model):
    """A row of the MPS: ``quantity`` of a finished product wanted at a location on a date."""

    date = models.DateField()
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("catalog.Location", on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(ZERO)])

    class Meta:
        verbose_name = "MPS row"
        ordering = ("date", "product_id", "location_id")
        constraints = [
            models.UniqueConstraint(
                fields=("product", "location", "date"), name="mps_unique_product_location_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.product_id}@{self.location_id}: {self.quantity}"


class PlannedOrder(models.Model):
    """A planned order of an MRP run (see ``manufacturing.mrp.plan`` for the conventions)."""

    class Kind(models.IntegerChoices):
        BUY = 0, "buy"
        MAKE = 1, "make"

    # Exception flags (bit mask): the per-order exceptions, also listed in ``MrpException``.
    LATE, NO_SUPPLIER, NO_BOM = 1, 2, 4
    FLAG_NAMES = ((LATE, "late"), (NO_SUPPLIER, "no_supplier"), (NO_BOM, "no_bom"))

    # No database constraint: hundreds of thousands of rows are COPied per run, and a per-row
    # check would cost more than the write (ARCHITECTURE §7); the run is created first.
    run = models.ForeignKey(
        MrpRun,
        on_delete=models.CASCADE,
        db_index=False,
        db_constraint=False,
        related_name="planned_orders",
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    location = models.ForeignKey(
        "catalog.Location",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    kind = models.SmallIntegerField(choices=Kind.choices)
    quantity = models.FloatField()
    release_date = models.DateField()
    due_date = models.DateField()
    low_level_code = models.SmallIntegerField(default=0)
    exception_flags = models.SmallIntegerField(default=0)
    firmed = models.BooleanField(default=False)
    working_order = models.ForeignKey(
        WorkingOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("run_id", "low_level_code", "product_id", "due_date", "id")
        indexes = [models.Index(fields=("run", "product"), name="planned_order_run_product")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} of {self.product_id} due {self.due_date}"

    @property
    def exceptions(self) -> list[str]:
        return self.exception_names(self.exception_flags)

    @classmethod
    def exception_names(cls, flags: int) -> list[str]:
        return [name for flag, name in cls.FLAG_NAMES if flags & flag]


class Peg(models.Model):
    """One demand a planned order serves. ``demand_kind``: forecast (the forecast of
    ``product`` at ``location`` on ``demand_date``), mps (MPS row ``demand_ref``) or order
    (the parent planned order ``demand_ref``, due to release on ``demand_date``)."""

    class DemandKind(models.IntegerChoices):
        FORECAST = 0, "forecast"
        MPS = 1, "mps"
        ORDER = 2, "order"

    run_id = models.BigIntegerField(db_index=False)
    planned_order = models.ForeignKey(
        PlannedOrder, on_delete=models.DO_NOTHING, db_constraint=False, related_name="pegs"
    )
    demand_kind = models.SmallIntegerField(choices=DemandKind.choices)
    demand_ref = models.BigIntegerField(default=0)
    product_id = models.BigIntegerField()  # the demand's product (parent's for an order)
    location_id = models.BigIntegerField()
    demand_date = models.DateField()
    quantity = models.FloatField()

    class Meta:
        ordering = ("planned_order_id", "id")

    def __str__(self) -> str:
        return f"{self.planned_order_id} → {self.get_demand_kind_display()} {self.demand_ref}"


class MrpException(models.Model):
    class Kind(models.TextChoices):
        LATE = "late"
        OVERLOADED = "overloaded"
        NO_SUPPLIER = "no_supplier"
        NO_BOM = "no_bom"
        COMPONENT_SHORT = "component_short"

    run = models.ForeignKey(MrpRun, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    location_id = models.BigIntegerField(null=True, blank=True)
    planned_order_id = models.BigIntegerField(null=True, blank=True)
    working_order_id = models.BigIntegerField(null=True, blank=True)
    work_centre_id = models.BigIntegerField(null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ("run_id", "kind", "date", "id")
        indexes = [models.Index(fields=("run", "kind"), name="mrp_exception_run_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
