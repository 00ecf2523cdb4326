"""Models of the routing domain: the fleet, the day's delivery orders and the plans made for
them. Times of day are local to the plan date; the solver counts seconds from its midnight."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from core.validators import validate_latitude, validate_longitude, validate_non_negative


class Vehicle(models.Model):
    """A vehicle and its driver's shift. It leaves ``start_depot`` no earlier than
    ``shift_start`` and is back at ``end_depot`` (or its start depot) by ``shift_end``.

    Two load dimensions: ``capacity`` (weight, kg) and ``volume_capacity`` (m³, empty means
    no volume limit). The driver's break of ``break_minutes`` starts between ``break_start``
    and ``break_end`` − ``break_minutes`` (it lies inside that window). ``skills`` are what
    the vehicle (or driver) offers: an order needing skills goes only to a vehicle having
    them all."""

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
        "catalog.Location", on_delete=models.PROTECT, related_name="vehicles_starting"
    )
    end_depot = models.ForeignKey(
        "catalog.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vehicles_ending",
    )
    shift_start = models.TimeField()
    shift_end = models.TimeField()
    max_duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    max_distance_km = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, validators=[validate_non_negative]
    )
    break_start = models.TimeField(null=True, blank=True)
    break_end = models.TimeField(null=True, blank=True)
    break_minutes = models.PositiveIntegerField(null=True, blank=True)
    skills = ArrayField(models.CharField(max_length=32), default=list, blank=True)
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
            models.CheckConstraint(
                condition=models.Q(
                    break_start__isnull=True, break_end__isnull=True, break_minutes__isnull=True
                )
                | models.Q(
                    break_start__isnull=False,
                    break_end__gt=models.F("break_start"),
                    break_minutes__gt=0,
                ),
                name="vehicle_break_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        errors = vehicle_rule_errors(
            shift_start=self.shift_start,
            shift_end=self.shift_end,
            break_start=self.break_start,
            break_end=self.break_end,
            break_minutes=self.break_minutes,
        )
        if errors:
            raise ValidationError(errors)


def _minutes(value: dt.time) -> float:
    return value.hour * 60 + value.minute + value.second / 60


def vehicle_rule_errors(
    *,
    shift_start: dt.time | None,
    shift_end: dt.time | None,
    break_start: dt.time | None,
    break_end: dt.time | None,
    break_minutes: int | None,
) -> dict[str, str]:
    """The cross-field rules of a vehicle (model, serializer and import share them)."""
    errors: dict[str, str] = {}
    if shift_start and shift_end and shift_end <= shift_start:
        errors["shift_end"] = "The shift must end after it starts."
    given = [x is not None for x in (break_start, break_end, break_minutes)]
    if any(given) and not all(given):
        errors["break_minutes"] = "A break needs break_start, break_end and break_minutes."
    elif all(given):
        if break_end <= break_start:
            errors["break_end"] = "The break window must end after it starts."
        elif not 0 < break_minutes <= _minutes(break_end) - _minutes(break_start):
            errors["break_minutes"] = "The break must be positive and fit in its window."
    return errors


class DeliveryOrder(models.Model):
    """One drop on ``date``: where, how much (``demand`` in kg, ``volume`` in m³), when it
    may be served and for how long. Service starts inside ``window_start``–``window_end`` or
    inside the optional second window ``window2_start``–``window2_end`` (which comes after the
    first); no window means any time in the shift. ``skills`` must all be on the vehicle."""

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
    window2_start = models.TimeField(null=True, blank=True)
    window2_end = models.TimeField(null=True, blank=True)
    skills = ArrayField(models.CharField(max_length=32), default=list, blank=True)
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
            models.CheckConstraint(
                condition=models.Q(window2_start__isnull=True, window2_end__isnull=True)
                | models.Q(
                    window_end__isnull=False,
                    window2_start__gt=models.F("window_end"),
                    window2_end__gt=models.F("window2_start"),
                ),
                name="delivery_order_second_window_after_first",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        errors = order_window_errors(
            self.window_start, self.window_end, self.window2_start, self.window2_end
        )
        if errors:
            raise ValidationError(errors)


def order_window_errors(
    start: dt.time | None,
    end: dt.time | None,
    start2: dt.time | None,
    end2: dt.time | None,
) -> dict[str, str]:
    """The window rules of an order (model and serializer share them). A first window may be
    open on one side ("by 10:00"); the second needs both ends and comes after the first."""
    errors: dict[str, str] = {}
    if start and end and end <= start:
        errors["window_end"] = "The time window must end after it starts."
    if (start2 is None) != (end2 is None):
        errors["window2_end"] = "The second window needs both its start and its end."
    elif start2 and end2:
        if end is None:
            errors["window2_start"] = "A second window needs a first one."
        elif start2 <= end:
            errors["window2_start"] = "The second window must start after the first ends."
        elif end2 <= start2:
            errors["window2_end"] = "The second window must end after it starts."
    return errors


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
    volume_start = models.FloatField(default=0.0)
    break_start = models.TimeField(null=True, blank=True)
    break_after_stop = models.PositiveIntegerField(
        null=True, blank=True, help_text="Stops served before the break (0: before the first)."
    )
    break_minutes = models.FloatField(default=0.0)
    lateness_minutes = models.FloatField(default=0.0)

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
    volume_after = models.FloatField(default=0.0)
    distance_km = models.FloatField(default=0.0)
    lateness_minutes = models.FloatField(default=0.0)

    class Meta:
        ordering = ("route", "sequence")
        constraints = [
            models.UniqueConstraint(
                fields=("route", "sequence"), name="route_stop_route_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} #{self.sequence}"
