"""A faster ``to_representation`` for wide read lists, with exactly DRF's output (ADR 27).

DRF spends most of a 50-row page in its per-field machinery: ``field.get_attribute`` (a
generic walk with exception handling for every field of every row) and the
``to_representation`` of types whose value the database already gives in the right form. On
the products list that was half the request. :class:`FastRepresentationMixin` plans each
serializer's fields once (per serializer instance: once per page with ``many=True``) and then
reads plain model fields with one ``getattr``, related ids without the ``PKOnlyObject``
wrapper, and ``product.sku``-style paths through ``select_related`` objects directly. A field
it does not recognise keeps DRF's own path, and a path through a missing object falls back
to DRF's handling (its default or null) for that row, so the JSON is the same: tests compare
both on real rows.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

from rest_framework import ISO_8601, relations, serializers
from rest_framework.fields import SkipField
from rest_framework.settings import api_settings

_MISSING = object()
# Field types whose to_representation is the identity (or a cheap cast) for a database value.
_CASTS: dict[type[serializers.Field], Callable[[Any], Any]] = {
    serializers.CharField: str,
    serializers.SlugField: str,
    serializers.EmailField: str,
    serializers.IntegerField: int,
    serializers.FloatField: float,
}


def _decimal_writer(field: serializers.DecimalField) -> Callable[[Any], Any]:
    """DRF's DecimalField output (quantized, ``{:f}``) without building a decimal context per
    value: the context is made once per page."""
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.decimal_places is None:
        return field.to_representation
    exponent = decimal.Decimal(".1") ** field.decimal_places
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    rounding = field.rounding

    def write(value: Any) -> Any:
        if not isinstance(value, decimal.Decimal):
            return field.to_representation(value)
        return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

    return write


def _datetime_writer(field: serializers.DateTimeField) -> Callable[[Any], Any]:
    """DRF's ISO 8601 DateTimeField output, the time zone looked up once per page instead of
    per value (it is the request's current time zone, which a page does not change)."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if output_format is None or output_format.lower() != ISO_8601 or zone is None:
        return field.to_representation

    def write(value: Any) -> Any:
        if isinstance(value, str) or value.tzinfo is None or value.utcoffset() is None:
            return field.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return field.to_representation(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def _attribute_reader(attrs: list[str]) -> Callable[[Any], Any]:
    if len(attrs) == 1:
        name = attrs[0]

        def read_one(instance: Any) -> Any:
            return getattr(instance, name, _MISSING)

        return read_one

    def read_path(instance: Any) -> Any:
        for name in attrs:
            if instance is None:
                return _MISSING  # DRF's own path decides (default, null or skip)
            instance = getattr(instance, name, _MISSING)
            if instance is _MISSING or callable(instance):
                return _MISSING
        return instance

    return read_path


def _concrete_names(model: Any) -> set[str]:
    names: set[str] = set()
    for field in model._meta.concrete_fields:
        names.add(field.attname)
        if not field.is_relation:
            names.add(field.name)
    return names


Plan = list[tuple[str, serializers.Field, Callable[[Any], Any] | None, Callable[[Any], Any]]]


def _plan(serializer: serializers.Serializer) -> Plan:
    """(name, field, reader or None for DRF's path, representation) per readable field."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    concrete = _concrete_names(model) if model is not None else set()
    plan: Plan = []
    for field in serializer._readable_fields:
        name = field.field_name
        kind = type(field)
        if kind is serializers.SerializerMethodField:
            method = getattr(serializer, field.method_name)  # type: ignore[attr-defined]
            plan.append((name, field, lambda instance: instance, method))
            continue
        attrs = list(field.source_attrs)
        if (
            kind is relations.PrimaryKeyRelatedField
            and field.pk_field is None  # type: ignore[attr-defined]
            and len(attrs) == 1
            and f"{attrs[0]}_id" in concrete
        ):
            plan.append((name, field, _attribute_reader([f"{attrs[0]}_id"]), lambda v: v))
            continue
        simple = len(attrs) > 1 or (len(attrs) == 1 and attrs[0] in concrete)
        if not attrs or field.source == "*" or not simple:
            plan.append((name, field, None, field.to_representation))
            continue
        write = _CASTS.get(kind) or field.to_representation
        if kind is serializers.DecimalField:
            write = _decimal_writer(field)  # type: ignore[arg-type]
        elif kind is serializers.DateTimeField:
            write = _datetime_writer(field)  # type: ignore[arg-type]
        plan.append((name, field, _attribute_reader(attrs), write))
    return plan


def _drf_value(field: serializers.Field, instance: Any) -> Any:
    """What DRF's ``Serializer.to_representation`` writes for ``field``; raises SkipField."""
    attribute = field.get_attribute(instance)
    check = attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
    return None if check is None else field.to_representation(attribute)


# Put before ``serializers.ModelSerializer`` on read-heavy list serializers. (No docstring:
# drf-spectacular would show it as the description of every serializer that uses the mixin.)
class FastRepresentationMixin:
    def to_representation(self, instance: Any) -> dict[str, Any]:
        plan: Plan | None = self.__dict__.get("_fast_plan")
        if plan is None:
            plan = self.__dict__["_fast_plan"] = _plan(self)  # type: ignore[arg-type]
        out: dict[str, Any] = {}
        for name, field, read, represent in plan:
            if read is not None:
                value = read(instance)
                if value is not _MISSING:
                    out[name] = None if value is None else represent(value)
                    continue
            try:
                out[name] = _drf_value(field, instance)
            except SkipField:
                continue
        return out
