"""Campaigns (promotions, displays, advertising): planners create, change and delete them;
the next forecast run models their past days and lifts their future ones (ADR 32)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from forecasting.exceptions import ForecastInputError
from forecasting.models import Campaign

if TYPE_CHECKING:
    from accounts.models import User


def campaign_save(
    *,
    name: str,
    start: date,
    end: date,
    kind: str = Campaign.Kind.PROMOTION,
    products: Iterable[Any] = (),
    categories: Iterable[Any] = (),
    locations: Iterable[Any] = (),
    expected_uplift: Decimal | None = None,
    note: str = "",
    user: User | None = None,
    campaign: Campaign | None = None,
) -> Campaign:
    """Create ``campaign`` (or change it) with its products, categories and locations (the
    sets replace the old ones). A campaign names at least one product or category, ends on
    or after its start, and a lift above −100 %; names are unique."""
    products, categories, locations = list(products), list(categories), list(locations)
    errors: dict[str, list[str]] = {}
    if end < start:
        errors["end"] = ["The campaign ends before it starts."]
    if not products and not categories:
        errors["products"] = ["Name at least one product or category."]
    if expected_uplift is not None and expected_uplift <= -1:
        errors["expected_uplift"] = ["A lift of −100 % or less leaves no demand."]
    clash = Campaign.objects.filter(name=name)
    if campaign is not None:
        clash = clash.exclude(pk=campaign.pk)
    if clash.exists():
        errors["name"] = ["A campaign with this name exists."]
    if errors:
        raise ForecastInputError("Invalid campaign.", details=errors)
    try:
        with transaction.atomic():
            campaign = campaign or Campaign(created_by=user if getattr(user, "pk", None) else None)
            campaign.name, campaign.kind = name, kind
            campaign.start, campaign.end = start, end
            campaign.expected_uplift, campaign.note = expected_uplift, note
            campaign.save()
            campaign.products.set(products)
            campaign.categories.set(categories)
            campaign.locations.set(locations)
    except IntegrityError:  # a concurrent save of the same name won the race
        raise ForecastInputError(
            "Invalid campaign.", details={"name": ["A campaign with this name exists."]}
        ) from None
    return campaign


def campaign_delete(*, campaign: Campaign) -> None:
    campaign.delete()
