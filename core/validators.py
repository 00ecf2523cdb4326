"""Validators shared by models, serializers and importers."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible


def validate_latitude(value: float | Decimal) -> None:
    if value is None or not (-90 <= float(value) <= 90):
        raise ValidationError("Latitude must be between -90 and 90.", code="latitude")


def validate_longitude(value: float | Decimal) -> None:
    if value is None or not (-180 <= float(value) <= 180):
        raise ValidationError("Longitude must be between -180 and 180.", code="longitude")


def validate_non_negative(value: float | Decimal | int) -> None:
    if value is None or value < 0:
        raise ValidationError("Quantity must not be negative.", code="negative")


@deconstructible
class BoundedInteger:
    """An integer in ``[minimum, maximum]``; a bool is not an integer here."""

    def __init__(self, minimum: int, maximum: int):
        self.minimum = minimum
        self.maximum = maximum

    def __call__(self, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be an integer.", code="integer")
        if not (self.minimum <= value <= self.maximum):
            raise ValidationError(
                f"Must be between {self.minimum} and {self.maximum}.", code="out_of_range"
            )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BoundedInteger)
            and self.minimum == other.minimum
            and self.maximum == other.maximum
        )

    def __hash__(self) -> int:
        return hash((self.minimum, self.maximum))
