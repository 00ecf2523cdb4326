"""Models of the routing domain: the fleet, the day's delivery orders and the plans made for
them. Times of day are local to the plan date; the solver counts seconds from its midnight."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from core.validators import validate_latitude, validate_longitude, validate_non_negative


class Vehicle(models.Model):
    """A vehicle and its driver's shift. It leaves ``start_depot`` no earlier than
    ``shift_start`` and is back at ``end_depot`` (or its start depot) by ``shift_end``."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, blank=True)
    capacity = models.DecimalField(
        max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    volume_capacity = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    start_depot = models.ForeignKey(
        "inventory.Location", on_delete=models.PROTECT, related_name="vehicles_starting"
    )
    end_depot = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vehicles_ending",
    )
    shift_start = models.TimeField()
    shift_end = models.TimeField()
    max_duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    cost_per_km = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("1.00"), validators=[validate_non_negative]
    )
    cost_per_hour = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), validators=[validate_non_negative]
    )
    fixed_cost = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), validators=[validate_non_negative]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shift_end__gt=models.F("shift_start")),
                name="vehicle_shift_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=0), name="vehicle_capacity_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.shift_start and self.shift_end and self.shift_end <= self.shift_start:
            raise ValidationError({"shift_end": "The shift must end after it starts."})


class DeliveryOrder(models.Model):
    """One drop on ``date``: where, how much, when it may be served and for how long."""

    reference = models.CharField(max_length=64, unique=True)
    date = models.DateField(db_index=True)
    customer = models.CharField(max_length=255, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, validators=[validate_latitude])
    longitude = models.DecimalField(max_digits=9, decimal_places=6, validators=[validate_longitude])
    demand = models.DecimalField(
        max_digits=12, decimal_places=3, validators=[validate_non_negative]
    )
    volume = models.DecimalField(
        max_digits=12, decimal_places=3, null=True, blank=True, validators=[validate_non_negative]
    )
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    service_minutes = models.PositiveIntegerField(default=5)
    priority = models.SmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("date", "reference")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90),
                name="delivery_order_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180),
                name="delivery_order_longitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(demand__gte=0), name="delivery_order_demand_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_end__isnull=True)
                | models.Q(window_end__gt=models.F("window_start")),
                name="delivery_order_window_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValidationError({"window_end": "The time window must end after it starts."})


class RoutePlan(models.Model):
    """One solver run for a date: its settings, outcome and the routes it produced."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    date = models.DateField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    time_limit_seconds = models.FloatField(default=10.0)
    settings = models.JSONField(default=dict, blank=True)
    objective = models.JSONField(default=dict, blank=True)
    statistics = models.JSONField(default=dict, blank=True)
    input_hash = models.CharField(max_length=64, blank=True, db_index=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Route plan {self.pk} for {self.date}"


class Route(models.Model):
    """One vehicle's tour in a plan; times are seconds from the plan date's midnight."""

    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="routes")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="routes")
    sequence = models.PositiveIntegerField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    distance_km = models.FloatField()
    duration_minutes = models.FloatField()
    cost = models.FloatField(default=0.0)
    load_start = models.FloatField(default=0.0)

    class Meta:
        ordering = ("plan", "sequence")
        constraints = [
            models.UniqueConstraint(fields=("plan", "sequence"), name="route_plan_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} in plan {self.plan_id}"


class RouteStop(models.Model):
    """A delivery on a route. ``distance_km`` is the leg driven to reach it."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    order = models.ForeignKey(DeliveryOrder, on_delete=models.PROTECT, related_name="stops")
    sequence = models.PositiveIntegerField()
    arrival = models.TimeField()
    service_start = models.TimeField()
    departure = models.TimeField()
    waiting_minutes = models.FloatField(default=0.0)
    load_after = models.FloatField()
    distance_km = models.FloatField(default=0.0)

    class Meta:
        ordering = ("route", "sequence")
        constraints = [
            models.UniqueConstraint(
                fields=("route", "sequence"), name="route_stop_route_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} #{self.sequence}"
