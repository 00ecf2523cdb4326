"""Set-based writers for the ``vehicles`` and ``delivery-orders`` imports.

``etl.importing`` has already streamed the file into a typed relation and validated every cell
and every row rule (``etl.specs``: times as HH:MM, depots that exist with coordinates, breaks
and second windows complete and in order). Each writer is one ``INSERT … SELECT …
ON CONFLICT (natural key) DO UPDATE`` and changes only rows that differ. Columns absent from
the file keep their stored values on existing rows and take the defaults on new ones; the
break columns (and the window columns) travel together, so a file that has any of them
replaces all of them and a row never ends up half old, half new.

CSV columns:
- vehicles: ``code,depot,capacity_weight,shift_start,shift_end`` required, then
  ``name,end_depot,capacity_volume,max_duration_minutes,max_distance_km,cost_per_km,
  cost_per_hour,fixed_cost,break_start,break_end,break_minutes,skills``
- delivery-orders: ``reference,date,latitude,longitude,demand_weight`` required, then
  ``customer,demand_volume,window_start,window_end,window2_start,window2_end,service_minutes,
  priority,skills``. Skills are separated by ``;``.
"""

from __future__ import annotations

from catalog.bulk import CREATED, WriteCounts, natural_upsert
from routing.models import DeliveryOrder, Vehicle

_SKILLS = (
    "CASE WHEN t.skills IS NULL THEN '{}'::varchar(32)[] "
    "ELSE regexp_split_to_array(btrim(t.skills), '\\s*;\\s*')::varchar(32)[] END"
)

# file column -> (database column, value from the typed row ``t``, default for new rows)
VEHICLE_COLUMNS: dict[str, tuple[str, str, str]] = {
    "name": ("name", "coalesce(t.name, '')", "''"),
    "depot": ("start_depot_id", "d.id", "NULL"),
    "end_depot": ("end_depot_id", "e.id", "NULL"),
    "capacity_weight": ("capacity", "t.capacity_weight", "0"),
    "capacity_volume": ("volume_capacity", "t.capacity_volume", "NULL"),
    "shift_start": ("shift_start", "t.shift_start::time", "NULL"),
    "shift_end": ("shift_end", "t.shift_end::time", "NULL"),
    "max_duration_minutes": ("max_duration_minutes", "t.max_duration_minutes", "NULL"),
    "max_distance_km": ("max_distance_km", "t.max_distance_km", "NULL"),
    "cost_per_km": ("cost_per_km", "coalesce(t.cost_per_km, 1)", "1"),
    "cost_per_hour": ("cost_per_hour", "coalesce(t.cost_per_hour, 0)", "0"),
    "fixed_cost": ("fixed_cost", "coalesce(t.fixed_cost, 0)", "0"),
    "break_start": ("break_start", "t.break_start::time", "NULL"),
    "break_end": ("break_end", "t.break_end::time", "NULL"),
    "break_minutes": ("break_minutes", "t.break_minutes", "NULL"),
    "skills": ("skills", _SKILLS, "'{}'::varchar(32)[]"),
}
ORDER_COLUMNS: dict[str, tuple[str, str, str]] = {
    "date": ("date", "t.date", "NULL"),
    "customer": ("customer", "coalesce(t.customer, '')", "''"),
    "latitude": ("latitude", "t.latitude", "NULL"),
    "longitude": ("longitude", "t.longitude", "NULL"),
    "demand_weight": ("demand", "t.demand_weight", "0"),
    "demand_volume": ("volume", "t.demand_volume", "NULL"),
    "window_start": ("window_start", "t.window_start::time", "NULL"),
    "window_end": ("window_end", "t.window_end::time", "NULL"),
    "window2_start": ("window2_start", "t.window2_start::time", "NULL"),
    "window2_end": ("window2_end", "t.window2_end::time", "NULL"),
    "service_minutes": ("service_minutes", "coalesce(t.service_minutes, 5)", "5"),
    "priority": ("priority", "coalesce(t.priority, 0)", "0"),
    "skills": ("skills", _SKILLS, "'{}'::varchar(32)[]"),
}
BREAK = {"break_start", "break_end", "break_minutes"}
WINDOWS = {"window_start", "window_end", "window2_start", "window2_end"}


def _together(present: set[str], group: set[str]) -> set[str]:
    return present | group if present & group else present


def vehicles_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """Upsert vehicles by code; depots are looked up by location code (validated to exist)."""
    inserted, updated = natural_upsert(
        cursor,
        relation=relation,
        table=Vehicle._meta.db_table,
        key="code",
        columns={**CREATED, **VEHICLE_COLUMNS},
        present=_together(present, BREAK) | {"is_active"},  # a re-imported vehicle is active
        joins="JOIN inventory_location d ON d.code = t.depot "
        "LEFT JOIN inventory_location e ON e.code = t.end_depot",
    )
    return WriteCounts(inserted, updated)


def delivery_orders_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """Upsert delivery orders by reference."""
    inserted, updated = natural_upsert(
        cursor,
        relation=relation,
        table=DeliveryOrder._meta.db_table,
        key="reference",
        columns={"created_at": CREATED["created_at"], **ORDER_COLUMNS},
        present=_together(present, WINDOWS),
    )
    return WriteCounts(inserted, updated)
