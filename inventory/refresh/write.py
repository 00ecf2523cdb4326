"""Step 3 of the metrics refresh: write the rows. ``write_rows`` makes a table hold exactly the
given rows with binary COPY and three set-based statements; ``product_summary`` groups the pair
rows into one summary row per product."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Model

from core.pgcopy import copy_to_table
from inventory.models import ProductInventorySummary

SEVERITY = np.array(ProductInventorySummary.STATUS_SEVERITY, dtype=object)


ABC_ORDER = np.array(["A", "B", "C", ""])


XYZ_ORDER = np.array(["X", "Y", "Z"])


def product_summary(
    pair_product: np.ndarray, *, every_product: np.ndarray, **values: np.ndarray
) -> dict[str, tuple[str, np.ndarray]]:
    """Group the pair rows (sorted by product) into one row per product, plus a ``no_data``
    row for each other product of ``every_product`` (so lists ordered by an inventory column
    can join the summary as an inner join and walk its indexes); see
    ``ProductInventorySummary`` for what is summed and what is the worst or best."""
    grouped = _group_pairs(pair_product, **values)
    others = np.setdiff1d(every_product, grouped["product_id"][1])
    blank = {
        "product_id": others,
        "locations": np.zeros(others.size, np.int32),
        "status": np.full(others.size, "no_data", dtype=object),
        "abc_class": np.full(others.size, "", dtype=object),
        "xyz_class": np.full(others.size, "", dtype=object),
    }
    summary = {}
    for name, (kind, array) in grouped.items():
        default = {"float8": np.nan, "text": ""}.get(kind, 0)
        extra = blank.get(name, np.full(others.size, default))
        if name in ("on_hand", "inventory_position", "inventory_value", "recommended_order_qty"):
            extra = np.zeros(others.size)
        summary[name] = (kind, np.concatenate([np.asarray(array, dtype=extra.dtype), extra]))
    return summary


def _group_pairs(pair_product: np.ndarray, **values: np.ndarray) -> dict[str, tuple[str, Any]]:
    if pair_product.size == 0:
        empty_float = np.zeros(0)
        empty_text = np.zeros(0, dtype=object)
        return {
            "product_id": ("int8", np.zeros(0, np.int64)),
            "locations": ("int4", np.zeros(0, np.int32)),
            **{
                name: ("float8", empty_float)
                for name in (
                    "on_hand",
                    "inventory_position",
                    "inventory_value",
                    "mean_daily_demand",
                    "days_of_cover",
                    "stockout_risk",
                    "recommended_order_qty",
                )
            },
            "status": ("text", empty_text),
            "abc_class": ("text", empty_text),
            "xyz_class": ("text", empty_text),
        }
    starts = np.flatnonzero(np.r_[True, pair_product[1:] != pair_product[:-1]])
    counts = np.diff(np.r_[starts, pair_product.size])

    def total(array: np.ndarray) -> np.ndarray:
        return np.add.reduceat(np.nan_to_num(array, posinf=0.0), starts)

    demand = values["demand"]
    demand_known = np.maximum.reduceat(np.isfinite(demand), starts)
    demand_total = np.where(demand_known, total(demand), np.nan)
    position = total(values["position"])
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(demand_total > 0, np.maximum(position, 0.0) / demand_total, np.nan)
    risk = values["risk"]
    risk_max = np.fmax.reduceat(np.where(np.isfinite(risk), risk, np.nan), starts)
    rank = {name: i for i, name in enumerate(SEVERITY)}
    status_rank = np.vectorize(rank.__getitem__, otypes=[np.int64])(values["status"])
    abc_rank = np.searchsorted(ABC_ORDER[:3], values["abc"].astype("<U1"))
    abc_rank = np.where(values["abc"] == "", 3, abc_rank)
    xyz_rank = np.searchsorted(XYZ_ORDER, values["xyz"].astype("<U1"))
    return {
        "product_id": ("int8", pair_product[starts]),
        "locations": ("int4", counts.astype(np.int32)),
        "on_hand": ("float8", total(values["on_hand"])),
        "inventory_position": ("float8", position),
        "inventory_value": ("float8", total(values["value"])),
        "mean_daily_demand": ("float8", demand_total),
        "days_of_cover": ("float8", cover),
        "stockout_risk": ("float8", risk_max),
        "status": ("text", SEVERITY[np.minimum.reduceat(status_rank, starts)]),
        "recommended_order_qty": ("float8", total(values["recommended"])),
        "abc_class": ("text", ABC_ORDER[np.minimum.reduceat(abc_rank, starts)]),
        "xyz_class": ("text", XYZ_ORDER[np.maximum.reduceat(xyz_rank, starts)]),
    }


def refresh_lock() -> None:
    """Serialise metrics writes of the active tenant until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.inventory'))")


def write_rows(
    model: type[Model],
    columns: dict[str, tuple[str, np.ndarray]],
    computed_at: datetime,
    key: tuple[str, ...],
) -> int:
    """Make ``model``'s table hold exactly these rows: binary COPY into a temporary table, one
    ``UPDATE … FROM`` of the rows whose values changed (an unchanged row keeps its
    ``computed_at`` and costs no index writes), one ``INSERT`` of the new keys and one
    ``DELETE`` of the keys no longer there (anti-joins). Returns the rows deleted. The caller
    holds ``refresh_lock`` so concurrent refreshes of a tenant cannot insert the same key.

    Kinds: int8, int4, float8 (NaN/±inf → NULL), date (NaT → NULL), text (sent as codes into
    a label array). Call inside a transaction (the temporary table is dropped on commit)."""
    table = model._meta.db_table
    temp = f"refresh_{table}"
    wire: dict[str, tuple[str, np.ndarray]] = {}
    select: list[str] = []
    params: dict[str, Any] = {"computed_at": computed_at}
    for name, (kind, values) in columns.items():
        if kind == "text":
            labels, codes = np.unique(np.asarray(values).astype(str), return_inverse=True)
            wire[name] = ("int4", codes.astype(np.int32) + 1)
            params[f"labels_{name}"] = labels.tolist()
            select.append(f"(%(labels_{name})s::text[])[{name}]")
        elif kind == "float8":
            values = np.asarray(values, dtype=float)
            wire[name] = (kind, np.where(np.isfinite(values), values, np.nan))
            select.append(f"NULLIF({name}, 'NaN'::float8)")
        elif kind == "date":
            wire[name] = (kind, values)
            select.append(f"NULLIF({name}, 'infinity'::date)")
        else:
            wire[name] = (kind, np.asarray(values))
            select.append(name)
    names = list(columns)
    updated = [name for name in names if name not in key]
    incoming = ", ".join(
        f"{expression} AS {name}" for expression, name in zip(select, names, strict=True)
    )
    same_key = " AND ".join(f"t.{name} = s.{name}" for name in key)
    with connection.cursor() as cursor:
        definition = ", ".join(f"{name} {kind}" for name, (kind, _) in wire.items())
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({definition}) ON COMMIT DROP")
        copy_to_table(cursor, temp, wire)
        # Three set-based statements (hash joins) instead of one probe of the unique index per
        # row; the caller holds the tenant's refresh lock, so no one inserts in between.
        cursor.execute(
            f"""
            UPDATE {table} t
            SET {", ".join(f"{name} = s.{name}" for name in updated)},
                computed_at = %(computed_at)s
            FROM (SELECT {incoming} FROM {temp}) s
            WHERE {same_key}
              AND ({", ".join(f"t.{name}" for name in updated)})
                  IS DISTINCT FROM ({", ".join(f"s.{name}" for name in updated)})
            """,  # noqa: S608 (identifiers from the model, values bound)
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO {table} ({", ".join(names)}, computed_at)
            SELECT s.*, %(computed_at)s FROM (SELECT {incoming} FROM {temp}) s
            WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same_key})
            """,  # noqa: S608 (identifiers from the model, values bound)
            params,
        )
        cursor.execute(
            f"DELETE FROM {table} t WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {temp} s WHERE {same_key})"
        )
        deleted = int(cursor.rowcount)
        cursor.execute(f"DROP TABLE {temp}")
    return deleted
