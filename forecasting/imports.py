"""The ``promotions`` import writer (``etl.specs``): campaigns from
``name,start,end,sku,category[,location,uplift]``, one SKU or one category per row; the rows
of one ``name`` form one campaign (ADR 32).

``etl.importing`` has validated every cell and row rule (one of sku / category, end not before
start, one start, end and uplift per name, known SKUs, categories and locations). The writer
upserts the campaigns by name (kind ``promotion`` on new ones; start, end and the expected
uplift from the file) and replaces the products, categories and locations of the campaigns in
the file with the file's: re-importing a file changes nothing, and a campaign's scope is what
its latest file says. A row's location narrows the campaign to the locations its rows name
(every location when no row names one). A category name covers every category of that name.
"""

from __future__ import annotations

from psycopg import sql

from catalog.bulk import WriteCounts
from catalog.models import Category, Location, Product
from forecasting.models import Campaign

T_CAMPAIGN = sql.Identifier(Campaign._meta.db_table)
LINKS = (
    # (m2m table, its column for the linked row, SQL giving (campaign id, linked id))
    (
        Campaign.products.through._meta.db_table,
        "product_id",
        "SELECT DISTINCT c.id, p.id FROM {r} t JOIN {c} c ON c.name = t.name "
        "JOIN {p} p ON p.sku = t.sku",
    ),
    (
        Campaign.categories.through._meta.db_table,
        "category_id",
        "SELECT DISTINCT c.id, g.id FROM {r} t JOIN {c} c ON c.name = t.name "
        "JOIN {g} g ON g.name = t.category",
    ),
    (
        Campaign.locations.through._meta.db_table,
        "location_id",
        "SELECT DISTINCT c.id, l.id FROM {r} t JOIN {c} c ON c.name = t.name "
        "JOIN {l} l ON l.code = t.location",
    ),
)


def promotions_write(cursor, *, relation: str, **_) -> WriteCounts:
    """Upsert the file's campaigns by name and replace their links; counts are campaigns
    (inserted, updated: dates, uplift or links changed)."""
    r = sql.Identifier(relation)
    names = {
        "r": r,
        "c": T_CAMPAIGN,
        "p": sql.Identifier(Product._meta.db_table),
        "g": sql.Identifier(Category._meta.db_table),
        "l": sql.Identifier(Location._meta.db_table),
    }
    cursor.execute(
        sql.SQL(
            'INSERT INTO {c} AS target (name, kind, start, "end", expected_uplift, note, '
            "created_at, updated_at) SELECT name, 'promotion', min(start), min(\"end\"), "
            "max(uplift), '', now(), now() FROM {r} GROUP BY name "
            'ON CONFLICT (name) DO UPDATE SET start = EXCLUDED.start, "end" = EXCLUDED."end", '
            "expected_uplift = EXCLUDED.expected_uplift, updated_at = now() "
            'WHERE (target.start, target."end", target.expected_uplift) IS DISTINCT FROM '
            '(EXCLUDED.start, EXCLUDED."end", EXCLUDED.expected_uplift) '
            "RETURNING name, (xmax = 0)"
        ).format(**names)
    )
    written = dict(cursor.fetchall())
    new = {name for name, inserted in written.items() if inserted}
    relinked: set[str] = set()
    for table, column, select in LINKS:
        link = sql.Identifier(table)
        wanted = sql.SQL(select).format(**names)
        cursor.execute(
            sql.SQL(
                "WITH wanted(campaign_id, other) AS ({wanted}), gone AS (DELETE FROM {link} x "
                "USING {c} c WHERE x.campaign_id = c.id AND c.name IN (SELECT name FROM {r}) "
                "AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.campaign_id = x.campaign_id "
                "AND w.other = x.{col}) RETURNING c.name), made AS (INSERT INTO {link} "
                "(campaign_id, {col}) SELECT campaign_id, other FROM wanted ON CONFLICT DO "
                "NOTHING RETURNING campaign_id) SELECT name FROM gone UNION SELECT c.name "
                "FROM made m JOIN {c} c ON c.id = m.campaign_id"
            ).format(wanted=wanted, link=link, col=sql.Identifier(column), **names)
        )
        relinked.update(name for (name,) in cursor.fetchall())
    changed = (set(written) | relinked) - new
    return WriteCounts(len(new), len(changed))
