from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.selectors import get_or_not_found
from etl.models import ImportBatch


def import_batch_list(*, user: Any) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by").all()


def access_import_batch(*, user: Any, batch_id: Any) -> ImportBatch:
    return get_or_not_found(import_batch_list(user=user), "No such import.", pk=batch_id)


def data_source_list(*, user: Any):
    from django.db.models import Prefetch

    from etl.models import DataSource, SyncRun

    return DataSource.objects.prefetch_related(
        Prefetch(
            "runs", queryset=SyncRun.objects.order_by("-started_at", "-id"), to_attr="recent_runs"
        )
    )


def access_data_source(*, user: Any, source_id: Any):
    return get_or_not_found(data_source_list(user=user), "No such data source.", pk=source_id)


# --- Onboarding: what the tenant has, what is missing, what to do next ------------------------

# In the order a new tenant loads its data (sales and stock name products and locations).
ONBOARDING_STEPS = (
    ("products", "import products"),
    ("locations", "import locations"),
    ("sales_history", "import sales history"),
    ("stock_levels", "import stock levels"),
)
_IMPORT_KIND = {
    "products": "products",
    "locations": "locations",
    "sales_history": "sales",
    "stock_levels": "stock",
}


def system_status(*, user: Any) -> dict[str, Any]:
    """Counts per data type of the active tenant, what is missing and the next action (for
    a frontend's empty states). One query: scalar subqueries, so the count stays fixed."""
    from django.db import connection
    from psycopg import sql

    from accounts.models import User
    from catalog.models import DemandHistory, Location, Product, StockLevel

    def table(model) -> sql.Identifier:
        return sql.Identifier(model._meta.db_table)

    statement = sql.SQL(
        "SELECT (SELECT count(*) FROM {product}), "
        "(SELECT count(*) FROM {product} WHERE is_active), "
        "(SELECT count(*) FROM {location}), "
        "(SELECT count(*) FROM {stock}), "
        "(SELECT count(*) FROM {history}), "
        "(SELECT min(date) FROM {history}), (SELECT max(date) FROM {history}), "
        "(SELECT count(*) FROM {user} WHERE is_active), "
        "(SELECT count(*) FROM {batch}), "
        "(SELECT created_at FROM {batch} ORDER BY created_at DESC LIMIT 1), "
        "(SELECT kind FROM {batch} ORDER BY created_at DESC LIMIT 1), "
        "(SELECT status FROM {batch} ORDER BY created_at DESC LIMIT 1)"
    ).format(
        product=table(Product),
        location=table(Location),
        stock=table(StockLevel),
        history=table(DemandHistory),
        user=table(User),
        batch=table(ImportBatch),
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection))
        (
            products,
            active_products,
            locations,
            stock_levels,
            sales_rows,
            first_date,
            last_date,
            users,
            imports,
            last_import_at,
            last_import_kind,
            last_import_status,
        ) = cursor.fetchone()
    counts = {
        "products": products,
        "active_products": active_products,
        "locations": locations,
        "stock_levels": stock_levels,
        "sales_history": sales_rows,
        "users": users,
        "imports": imports,
    }
    schema = connection.schema_name
    missing = [
        {
            "data": data,
            "action": action,
            "method": "POST",
            "endpoint": "/api/v1/imports/",
            "params": {"kind": _IMPORT_KIND[data]},
            "command": f"manage.py import_data {_IMPORT_KIND[data]} FILE --schema {schema}",
        }
        for data, action in ONBOARDING_STEPS
        if not counts[data]
    ]
    return {
        "counts": counts,
        "sales_history": {
            "rows": sales_rows,
            "first_date": first_date.isoformat() if first_date else None,
            "last_date": last_date.isoformat() if last_date else None,
        },
        "last_import": {
            "at": last_import_at.isoformat(),
            "kind": last_import_kind,
            "status": last_import_status,
        }
        if last_import_at
        else None,
        "missing": missing,
        "next_action": missing[0] if missing else None,
        "ready": not missing,
    }
