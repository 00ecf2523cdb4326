"""Domain errors of route planning."""

from __future__ import annotations

from core.exceptions import ValidationFailed


class RoutingInputError(ValidationFailed):
    """The day's orders or the fleet cannot be turned into a routing problem; ``details``
    names the order, vehicle or depot."""
