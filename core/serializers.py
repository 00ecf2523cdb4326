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

import datetime
import decimal
import weakref
import zoneinfo
from collections.abc import Callable
from typing import Any

import orjson
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections
from django.db.models import F, FileField, ForeignKey, Lookup
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework.fields import SkipField, empty
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


# The names an inline writer's expression may use (``_inlined``, ``rows_writer``).
_INLINE_NAMES: dict[str, Any] = {
    "Decimal": decimal.Decimal,
    "date": datetime.date,
    "datetime": datetime.datetime,
    "UTC": datetime.UTC,
    "dumps": orjson.dumps,
    "UTC_Z": orjson.OPT_UTC_Z,
}


def _inlined(inline: str, fallback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A writer whose common case is the expression ``inline`` (``{v}`` the value, ``{w}``
    the writer of every other value, ``fallback``): compiled from that one text for calls,
    and written as it is into a compiled row writer (``rows_writer``), so the test is stated
    once. Only our own expressions and integers of a field's definition go into it."""
    namespace = {**_INLINE_NAMES, "fallback": fallback}
    source = f"def write(v):\n    return {inline.format(v='v', w='fallback')}\n"
    exec(compile(source, "<inlined writer>", "exec"), namespace)  # noqa: S102
    write = namespace["write"]
    write.inline = inline
    write.fallback = fallback
    return write  # type: ignore[no-any-return]


def _decimal_writer(field: serializers.DecimalField) -> Callable[[Any], Any]:
    """DRF's DecimalField output (quantized, ``{:f}``) without building a decimal context per
    value: the context is made once per page. ``normalize_output`` (trailing zeros dropped)
    keeps DRF's own path."""
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if (
        not coerce
        or field.localize
        or field.decimal_places is None
        or getattr(field, "normalize_output", False)
    ):
        return field.to_representation
    exponent = decimal.Decimal(".1") ** field.decimal_places
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    rounding = field.rounding

    places = field.decimal_places
    # The quantize's precision: ``max_digits``, else the context's (DRF's quantize of a value
    # with more digits than that raises, and so does the writer's).
    limit = context.prec

    def quantized(value: Any) -> Any:
        if not isinstance(value, decimal.Decimal):
            return field.to_representation(value)
        return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

    if places == 0:
        return quantized
    # A value already at the field's scale (every value of a numeric column of that scale)
    # quantizes to itself, and its plain text is what ``{:f}`` writes: its one dot exactly
    # ``places`` from the end, no exponent, and no more digits than the precision allows (so
    # the quantize could not have raised; a negative value of exactly that many digits is
    # left to the quantize, which answers the same). Anything else: the quantize.
    return _inlined(
        f"(t if {{v}}.__class__ is Decimal"
        f' and (t := str({{v}}))[{-places - 1}:{-places}] == "."'
        f' and "E" not in t and "e" not in t and len(t) <= {limit + 1} else {{w}}({{v}}))',
        quantized,
    )


def _datetime_writer(field: serializers.DateTimeField) -> Callable[[Any], Any]:
    """DRF's ISO 8601 DateTimeField output, the time zone looked up once per page instead of
    per value (it is the request's current time zone, which a page does not change)."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if output_format is None or output_format.lower() != ISO_8601 or zone is None:
        return field.to_representation
    in_utc = _always_utc(zone)

    def write(value: Any) -> Any:
        if isinstance(value, str) or value.tzinfo is None or value.utcoffset() is None:
            return field.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return field.to_representation(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    if not in_utc:
        return write
    # What PostgreSQL gives in a UTC session: ``astimezone`` to a zone at offset 0 keeps
    # every field, and DRF writes that ``isoformat()``'s ``+00:00`` as ``Z``. orjson writes
    # that text (``OPT_UTC_Z``: the ``Z``) in a third of isoformat's time (a property test
    # holds the two equal over the whole range of datetimes).
    return _inlined(
        "(dumps({v}, option=UTC_Z)[1:-1].decode() if {v}.__class__ is datetime"
        " and {v}.tzinfo is UTC else {w}({v}))",
        write,
    )


def _always_utc(zone: Any) -> bool:
    """Whether ``zone`` is UTC at every instant (Django's ``TIME_ZONE = "UTC"`` is a ZoneInfo)."""
    if zone is datetime.UTC:
        return True
    return isinstance(zone, zoneinfo.ZoneInfo) and zone.key in ("UTC", "Etc/UTC")


def _date_writer(field: serializers.DateField) -> Callable[[Any], Any]:
    """DRF's ISO 8601 DateField output (``date.isoformat()``) without its per-value checks."""
    output_format = getattr(field, "format", api_settings.DATE_FORMAT)
    if output_format is None or output_format.lower() != ISO_8601:
        return field.to_representation

    # A string, a datetime: DRF's own answer.
    return _inlined(
        "({v}.isoformat() if {v}.__class__ is date else {w}({v}))", field.to_representation
    )


def _bool_writer(field: serializers.BooleanField) -> Callable[[Any], Any]:
    """DRF's BooleanField output: a database boolean is itself; anything else takes DRF's."""
    represent = field.to_representation

    def write(value: Any) -> Any:
        return value if value is True or value is False else represent(value)

    return write


def _choice_writer(field: serializers.ChoiceField) -> Callable[[Any], Any]:
    """DRF's ChoiceField output for a non-empty string (its choice, else itself); anything
    else (an enum, a number, "") takes DRF's ``to_representation``."""

    def write(value: Any) -> Any:
        if type(value) is str and value:
            return field.choice_strings_to_values.get(value, value)
        return field.to_representation(value)

    return write


_BigIntegerField = getattr(serializers, "BigIntegerField", None)


def _writer(field: serializers.Field) -> Callable[[Any], Any]:
    """What writes a field's (not None) database value exactly as its ``to_representation``."""
    kind = type(field)
    if kind is serializers.DecimalField:
        return _decimal_writer(field)  # type: ignore[arg-type]
    if kind is serializers.DateTimeField:
        return _datetime_writer(field)  # type: ignore[arg-type]
    if kind is serializers.DateField:
        return _date_writer(field)  # type: ignore[arg-type]
    if kind is serializers.BooleanField:
        return _bool_writer(field)  # type: ignore[arg-type]
    if kind is serializers.ChoiceField:
        return _choice_writer(field)  # type: ignore[arg-type]
    if kind is _BigIntegerField and _BigIntegerField is not None:
        coerce = getattr(field, "coerce_to_string", None)
        if coerce is None:
            coerce = getattr(api_settings, "COERCE_BIGINT_TO_STRING", False)
        return str if coerce else int
    return _CASTS.get(kind) or field.to_representation


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
        write = _writer(field)
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


# --- lists read with ``.values()`` (ADR 37, lists) ---------------------------------------------
#
# A 50-row page spent a third of its CPU building model instances (and their select_related
# objects) that the fast representation then reads a handful of attributes from. A values
# plan reads the same columns as a ``.values()`` query, with the same database converters, so
# every value is the one the instance would have held, and writes them with the same writers.
# A serializer qualifies only when every readable field maps to a column (or to an annotation
# its ``values_extra`` names, for method fields); otherwise the view keeps the instance path.

ValuesPlan = list[tuple[str, str | None, str | None, Callable[[Any], Any] | None, Any]]


class _Row:
    """Attribute access to one ``.values()`` row, for ``SerializerMethodField`` methods: the
    row's dict is the object's ``__dict__`` (shared, not copied), so ``getattr``/``hasattr``
    are plain attribute lookups, and a missing name is an ``AttributeError`` as on a model.
    The class defines nothing a column name could shadow."""


def _row_over(values: dict[str, Any]) -> _Row:
    row = _Row.__new__(_Row)
    row.__dict__ = values
    return row


def _identity(value: Any) -> Any:
    return value


def _values_column(model: Any, field: serializers.Field, attrs: list[str]) -> str | None:
    """The ``.values()`` lookup holding exactly what DRF would read for ``field``, or None."""
    current = model
    for position, name in enumerate(attrs):
        try:
            model_field = current._meta.get_field(name)
        except FieldDoesNotExist:  # a property, a method: not a column
            return None
        last = position == len(attrs) - 1
        if last:
            if model_field.many_to_one and name == model_field.attname != model_field.name:
                break  # ``product_id``: the foreign key's own column
            if model_field.is_relation or isinstance(model_field, FileField):
                return None
            if not model_field.concrete:
                return None
        else:
            if not isinstance(model_field, ForeignKey):
                return None
            if model_field.null and not (field.default is empty and field.allow_null):
                return None  # DRF's default or skip for a missing object: instance path
            current = model_field.related_model
    return "__".join(attrs)


class Children:
    """A nested ``many=True`` serializer over a reverse foreign key (``order.lines``), read
    for a whole page in one ``.values()`` query, grouped by parent in the query's order: what
    ``prefetch_related`` and DRF's ``ListSerializer`` give (same rows, same order)."""

    __slots__ = ("accessor", "child", "columns", "fk", "model", "plan", "templates")

    def __init__(self, accessor: str, model: Any, fk: str, child: Any, plan: Any, columns: Any):
        self.accessor = accessor  # the relation's name on the parent (the field's source)
        self.model = model  # the child model
        self.fk = fk  # the child's column holding the parent's id (``order_id``)
        self.child = child  # the child serializer (its method fields, if any)
        self.plan = plan
        self.columns = list(dict.fromkeys([fk, *columns]))  # what a child row reads
        # ``.values(*columns)`` of each source queryset, resolved once while that queryset
        # lives (a parent's per-process values template keeps its Prefetch, so its children
        # query is resolved once per process too: issue 17).
        self.templates: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def _source(self, parent_queryset: Any) -> Any:
        """The parent queryset's ``Prefetch`` queryset of this relation, or None."""
        for lookup in getattr(parent_queryset, "_prefetch_related_lookups", ()):
            prefetched = getattr(lookup, "queryset", None)
            if getattr(lookup, "prefetch_to", lookup) == self.accessor and prefetched is not None:
                return prefetched
        return None

    def fetch(self, parent_queryset: Any, parent_ids: list[Any]) -> dict[Any, list[Any]]:
        """{parent id: [written child rows]} for ``parent_ids``. The rows come from the
        parent queryset's ``Prefetch`` of this relation when it has one (its filters and
        order), else from the child model's default manager (its ``Meta.ordering``)."""
        grouped: dict[Any, list[Any]] = {parent: [] for parent in parent_ids}
        if not parent_ids:
            return grouped
        source = self._source(parent_queryset)
        if source is None:  # the ORM's path: a manager's queryset may differ between calls
            compiled = _CompiledChildren(self.model._default_manager.values(*self.columns), self.fk)
        elif (compiled := self.templates.get(source)) is None:
            compiled = self.templates[source] = _CompiledChildren.of(
                source.values(*self.columns), self.fk
            )
        if compiled.sql is not None:  # the rows as tuples, written by position
            if compiled.writer is None:
                compiled.writer = rows_writer(self.plan, compiled.positions)
            tuples = compiled.tuples(parent_ids)
            at = compiled.positions[self.fk]
            for row, written in zip(tuples, compiled.writer(tuples, (), ()), strict=True):
                grouped[row[at]].append(written)
            return grouped
        rows = compiled.rows(parent_ids)
        for values, written in zip(
            rows, write_values_rows(self.plan, self.child, rows), strict=True
        ):
            grouped[values[self.fk]].append(written)
        return grouped


class _AnyOf(Lookup):  # type: ignore[type-arg]
    """``column = ANY(%s)`` with the whole list as one array parameter: the SQL is the same
    for every list, so it is compiled once (``_CompiledChildren``). Used as an expression in
    ``filter()``, never registered on a field."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


class _CompiledChildren:
    """A children ``.values()`` query filtered by ``fk = ANY(parent ids)``, compiled to SQL
    once per source queryset (issue 17: building and compiling the filter of a page's 50 ids
    cost half of fetching its 340 lines). ``rows(ids)`` runs that SQL with the page's ids in
    place of a marker parameter and reads each row as ``.values()`` does (Django's names, in
    the select's order). Only for a query Django would return unconverted: a column with a
    database converter, or a select with extra columns, keeps the ORM's path."""

    __slots__ = (
        *("alias", "fk", "index", "names", "params"),
        *("positions", "queryset", "sql", "writer"),
    )

    def __init__(self, queryset: Any, fk: str) -> None:
        self.queryset = queryset  # the ``.values()`` template (the ORM path)
        self.fk = fk
        self.alias = queryset.db
        self.sql: str | None = None
        self.names: list[str] = []
        self.params: list[Any] = []
        self.index = -1
        self.positions: dict[str, int] = {}  # each name's place in a row
        self.writer: Callable[..., list[dict[str, Any]]] | None = None  # (by ``Children``)

    @classmethod
    def of(cls, values: Any, fk: str) -> _CompiledChildren:
        compiled = cls(values, fk)
        marker = object()
        query = values.filter(_AnyOf(F(fk), marker)).query
        compiler = query.get_compiler(compiled.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # pragma: no cover - a Prefetch that matches nothing
            return compiled
        fields = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        positions = [i for i, param in enumerate(params) if param is marker]
        if (
            compiler.has_extra_select
            or compiler.get_converters(fields)
            or compiler.has_composite_fields(fields)
            or len(positions) != 1
        ):
            return compiled
        compiled.sql = sql
        compiled.params = list(params)
        compiled.index = positions[0]
        compiled.names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        compiled.positions = {name: at for at, name in enumerate(compiled.names)}
        return compiled

    def tuples(self, ids: list[Any]) -> list[tuple[Any, ...]]:
        """The children of ``ids`` as the database's rows (``names`` in order), in the
        query's order. Only for a compiled query (``sql``)."""
        params = list(self.params)
        params[self.index] = list(ids)
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall()

    def rows(self, ids: list[Any]) -> list[dict[str, Any]]:
        """The children of ``ids`` as ``.values()`` dicts, in the query's order."""
        if self.sql is None:
            return list(self.queryset.filter(_AnyOf(F(self.fk), list(ids))))
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.tuples(ids)]


def _children(model: Any, field: serializers.ListSerializer) -> Children | None:
    """The plan of a nested ``many=True`` field over a plain reverse foreign key, or None."""
    if field.source == "*" or len(field.source_attrs) != 1:
        return None
    try:
        relation = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return None
    if not relation.one_to_many or not relation.auto_created or relation.related_model is None:
        return None
    child = field.child
    planned = values_plan(child)  # type: ignore[arg-type]
    if planned is None or getattr(getattr(child, "Meta", None), "model", None) is not (
        relation.related_model
    ):
        return None
    plan, columns = planned
    if any(isinstance(write, Children) or method for _n, _c, method, write, _f in plan):
        return None  # one level of nesting, and no method fields (their context is the page's)
    fk = relation.field.attname
    return Children(relation.get_accessor_name(), relation.related_model, fk, child, plan, columns)


def values_plan(serializer: serializers.Serializer) -> tuple[ValuesPlan, list[str]] | None:
    """(name, column, method name, writer, field) per readable field and the columns to read,
    or None when a field has no column (the instance path then serves the list).

    ``values_extra`` names annotations the view's queryset provides: method fields read them
    from the row, and a plain field whose source is one of them reads it as a column.
    ``values_columns`` maps a field to ``(column, write)`` for a value DRF reads through a
    model method, a property or a related object (``get_kind_display``, a flags property, a
    slug): ``write`` turns the column's value (not None; None is written as null) into
    exactly what the field writes (the byte-identity tests hold each one to it). A
    nested ``many=True`` serializer over a reverse foreign key is read in one query per page
    (``Children``); its column is the parent's primary key."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None:
        return None
    extra: tuple[str, ...] = tuple(getattr(serializer, "values_extra", ()))
    overrides: dict[str, tuple[str, Callable[[Any], Any]]] = dict(
        getattr(serializer, "values_columns", {})
    )
    plan: ValuesPlan = StepList()
    columns: list[str] = []
    for field in serializer._readable_fields:
        name = field.field_name
        kind = type(field)
        if name in overrides:
            column, write_column = overrides[name]
            plan.append((name, column, None, write_column, field))
            columns.append(column)
            continue
        if kind is serializers.SerializerMethodField:
            if not extra:
                return None
            plan.append((name, None, field.method_name, None, field))  # type: ignore[attr-defined]
            continue
        if isinstance(field, serializers.ListSerializer):
            nested = _children(model, field)
            if nested is None:
                return None
            pk = model._meta.pk.attname
            plan.append((name, pk, None, nested, field))
            columns.append(pk)
            continue
        attrs = list(field.source_attrs)
        if not attrs or field.source == "*":
            return None
        if kind is relations.PrimaryKeyRelatedField:
            if field.pk_field is not None or len(attrs) != 1:  # type: ignore[attr-defined]
                return None
            try:
                relation = model._meta.get_field(attrs[0])
            except FieldDoesNotExist:
                return None
            if not relation.many_to_one:
                return None
            plan.append((name, relation.attname, None, _identity, field))
            columns.append(relation.attname)
            continue
        if isinstance(field, (relations.RelatedField, relations.ManyRelatedField)):
            return None
        if isinstance(field, serializers.BaseSerializer):
            return None
        if len(attrs) == 1 and attrs[0] in extra:
            column: str | None = attrs[0]
        else:
            column = _values_column(model, field, attrs)
        if column is None:
            return None
        write = _writer(field)
        plan.append((name, column, None, write, field))
        columns.append(column)
    for name in extra:
        if name not in columns:
            columns.append(name)
    return plan, list(dict.fromkeys(columns))


def write_values_rows(
    plan: ValuesPlan,
    serializer: serializers.Serializer,
    rows: list[dict[str, Any]],
    queryset: Any = None,
) -> list[dict[str, Any]]:
    """Each row as DRF's ``to_representation`` writes the same model instance. Nested
    children (``Children``) are read for all the rows at once, from ``queryset``'s prefetch
    of them when it has one. The rows are written by the plan's compiled row writer
    (``rows_writer``)."""
    children = []
    methods = []
    for _name, column, method, write, _field in plan:
        if isinstance(write, Children):
            ids = [values[column] for values in rows]  # type: ignore[index]
            children.append(write.fetch(queryset, ids))
        elif method:
            methods.append(getattr(serializer, method))
    return rows_writer(plan)(rows, children, methods)


# The cast writers' common case inline: a value already of the type is itself.
_INLINE_CASTS: tuple[tuple[type, str], ...] = (
    (str, "({v} if {v}.__class__ is str else {w}({v}))"),
    (int, "({v} if {v}.__class__ is int else {w}({v}))"),
    (float, "({v} if {v}.__class__ is float else {w}({v}))"),
)


class StepList(list):  # type: ignore[type-arg]
    """A values plan (a list of steps) that keeps its compiled row writer."""

    rows_writer: Callable[..., list[dict[str, Any]]] | None = None


def rows_writer(
    plan: ValuesPlan, positions: dict[str, int] | None = None
) -> Callable[..., list[dict[str, Any]]]:
    """``write(rows, children, methods)``: the page's rows written by ``plan``, one dict
    display per row in the plan's order (issue 17). ``children`` holds each nested field's
    {parent id: written rows}, ``methods`` each method field's bound method, both in the
    plan's order. Compiled once per plan (a ``StepList`` keeps it). Exactly the generic loop's
    semantics: a step reads its column, None is written as null, anything else goes through
    its writer (an identity writer is left out), a method field gets the row as an object.
    A writer with an ``inline`` expression (the decimal, date and datetime writers, and the
    casts) has its common case written into the row's display, its own call being the
    fallback: the same answer without a call per value. Only ``repr`` literals of the plan's
    own names and indices, and those expressions (integers of the field's own definition),
    go into the source. With ``positions`` ({column: index}) the rows are tuples read by
    index (a database's rows, not ``.values()`` dicts); that writer is the caller's to keep."""
    compiled = None if positions is not None else getattr(plan, "rows_writer", None)
    if compiled is not None:
        return compiled

    if positions is not None and any(isinstance(step[3], Children) or step[2] for step in plan):
        raise ValueError("rows read by position take no method fields or children")

    def read(column: Any) -> str:
        return f"values[{positions[column]}]" if positions is not None else f"values[{column!r}]"

    writers: list[Any] = []
    items = []
    has_method = False
    child = method_index = 0
    for name, column, method, write, _field in plan:
        key = repr(str(name))
        if isinstance(write, Children):
            items.append(f"{key}: c{child}[{read(str(column))}]")
            child += 1
        elif method:
            items.append(f"{key}: m{method_index}(wrapped)")
            method_index += 1
            has_method = True
        elif write is _identity:
            items.append(f"{key}: {read(str(column))}")
        else:
            at = len(writers)
            value = f"(v{at} := {read(str(column))})"
            # A writer's common case written inline (no call per value); every other value
            # goes to its fallback (a cast: itself), a writer without one is called.
            inline = next(
                (text for cast, text in _INLINE_CASTS if cast is write),
                getattr(write, "inline", None),
            )
            writers.append(getattr(write, "fallback", write) if inline else write)
            written = (inline or "{w}({v})").format(v=f"v{at}", w=f"w{at}")
            items.append(f"{key}: None if {value} is None else {written}")
    unpack = "".join(f"    c{i} = children[{i}]\n" for i in range(child))
    unpack += "".join(f"    m{i} = methods[{i}]\n" for i in range(method_index))
    unpack += "".join(f"    w{i} = writers[{i}]\n" for i in range(len(writers)))
    source = (
        "def write(rows, children, methods):\n"
        f"{unpack}"
        "    out = []\n"
        "    append = out.append\n"
        "    for values in rows:\n"
        + ("        wrapped = row_over(values)\n" if has_method else "")
        + "        append({"
        + ", ".join(items)
        + "})\n"
        "    return out\n"
    )
    namespace: dict[str, Any] = {
        **_INLINE_NAMES,
        "writers": tuple(writers),
        "row_over": _row_over,
    }
    exec(compile(source, "<values plan rows writer>", "exec"), namespace)  # noqa: S102
    compiled = namespace["write"]
    if isinstance(plan, StepList) and positions is None:
        plan.rows_writer = compiled
    return compiled


# --- rows that are mappings (a selector's dicts) ----------------------------------------------

MappingPlan = list[tuple[str, Callable[[Any], Any]]]
_NOT_A_KEY = (
    serializers.BaseSerializer,
    serializers.SerializerMethodField,
    relations.RelatedField,
    relations.ManyRelatedField,
)
_MAPPING_PLANS: dict[tuple[type, str], MappingPlan | None] = {}


def _mapping_plan(serializer: serializers.Serializer) -> MappingPlan | None:
    """(key, writer) per field of a plain serializer whose every field reads its own key, or
    None (a dotted or ``*`` source, a method field, a nested serializer, a field that may be
    skipped or default): those keep DRF's path."""
    plan: MappingPlan = []
    for field in serializer._readable_fields:
        if (
            isinstance(field, _NOT_A_KEY)
            or list(field.source_attrs) != [field.field_name]
            or field.default is not empty
        ):
            return None
        plan.append((field.field_name, _writer(field)))
    return plan


def write_mapping_rows(serializer: serializers.Serializer, rows: Any) -> list[dict[str, Any]]:
    """Each mapping row (a selector's dict) exactly as ``serializer.to_representation`` writes
    it, with the field writers of the values plan planned once per serializer class and time
    zone instead of DRF's ``get_attribute`` and ``to_representation`` per value (issue 17: a
    50-row page of forecast aggregates spent 1.5 ms there). A row without one of the fields
    takes DRF's own path (its error), as does a serializer that does not qualify."""
    key = (type(serializer), timezone.get_current_timezone_name())
    try:
        plan = _MAPPING_PLANS[key]
    except KeyError:
        plan = _MAPPING_PLANS[key] = _mapping_plan(serializer)
    if plan is None:
        return [serializer.to_representation(row) for row in rows]
    out = []
    for row in rows:
        try:
            out.append({name: None if (v := row[name]) is None else w(v) for name, w in plan})
        except KeyError:
            out.append(serializer.to_representation(row))
    return out
