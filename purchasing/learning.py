"""Lead times learned from receipts: one set-based statement per commit.

Per supplier × product: mean and sample standard deviation (``stddev_samp``: n − 1) of the
receipts' lead times in days, the share received on time and the number of receipts. The
statement recomputes the affected pairs from every receipt they have (imported history and
receipts made in the app) and upserts ``LeadTimeStats``; it runs inside the transaction that
wrote the receipts, so the figures are current as soon as that commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from purchasing.models import LeadTimeStats, Receipt

# Fewer receipts than this: the typed-in lead time is used, with σ = 0 (ISSUE 13).
MIN_LEARNED_RECEIPTS = 3

_STATS = LeadTimeStats._meta.db_table
_RECEIPTS = Receipt._meta.db_table


def lead_times_learn(*, pairs: Iterable[tuple[int, int]] | None = None) -> int:
    """Recompute ``LeadTimeStats`` for the (supplier id, product id) ``pairs`` (None: every
    pair that has receipts). Returns the number of rows written."""
    upsert = f"""
        INSERT INTO {_STATS} AS s (supplier_id, product_id, mean_days, std_days, on_time_rate,
                                   receipts_count, updated_at)
        SELECT r.supplier_id, r.product_id, avg(r.lead_time_days)::float8,
               coalesce(stddev_samp(r.lead_time_days), 0)::float8,
               avg(r.on_time::int)::float8, count(*), now()
        FROM {_RECEIPTS} r
        {{where}}
        GROUP BY r.supplier_id, r.product_id
        ON CONFLICT (supplier_id, product_id) DO UPDATE
           SET mean_days = EXCLUDED.mean_days, std_days = EXCLUDED.std_days,
               on_time_rate = EXCLUDED.on_time_rate, receipts_count = EXCLUDED.receipts_count,
               updated_at = EXCLUDED.updated_at
    """  # noqa: S608 (table names from the models)
    with connection.cursor() as cursor:
        if pairs is None:
            if connection.in_atomic_block:
                cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(upsert.format(where=""))
            return int(cursor.rowcount)
        keys = sorted(set(pairs))
        if not keys:
            return 0
        cursor.execute(
            upsert.format(
                where="JOIN unnest(%s::bigint[], %s::bigint[]) AS k(supplier_id, product_id) "
                "ON k.supplier_id = r.supplier_id AND k.product_id = r.product_id"
            ),
            [[k[0] for k in keys], [k[1] for k in keys]],
        )
        return int(cursor.rowcount)
