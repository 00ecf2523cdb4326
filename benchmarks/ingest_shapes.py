"""Plain-SQL shapes of the sales-history table (ADR 28): N new rows, then the same rows again
(UPDATE of differing rows + INSERT anti-join, as ``catalog.bulk.sales_write``), per shape.

    python benchmarks/ingest_shapes.py [ROWS] [ROUNDS]

Uses a throw-away database ``<DATABASE_URL name>_shapes``; prints one JSON object on its last
line: shape -> [[first load s, again s], ...] per round.
"""

from __future__ import annotations

import json
import os
import sys
import time

import psycopg

BASE = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/demandplan")
SERVER = BASE.rsplit("/", 1)[0]
NAME = BASE.rsplit("/", 1)[1] + "_shapes"

COLUMNS = (
    "product_id bigint NOT NULL, location_id bigint NOT NULL, date date NOT NULL, "
    "quantity numeric(14,3) NOT NULL, revenue numeric(14,2), stockout boolean, "
    "on_promotion boolean NOT NULL, import_batch uuid"
)
SURROGATE = f"CREATE TABLE h (id bigserial PRIMARY KEY, {COLUMNS}); "
UNIQUE = "CREATE UNIQUE INDEX hu ON h (product_id, location_id, date); "
COMPOSITE = f"CREATE TABLE h ({COLUMNS}, PRIMARY KEY (product_id, location_id, date)); "
SHAPES = {
    "S1 id + unique + btree date": SURROGATE + UNIQUE + "CREATE INDEX hd ON h (date)",
    "S2 id + unique": SURROGATE + UNIQUE,
    "S3 composite pk + btree date": COMPOSITE + "CREATE INDEX hd ON h (date)",
    "S4 composite pk": COMPOSITE,
    "S5 id + unique + brin date": SURROGATE + UNIQUE + "CREATE INDEX hd ON h USING brin (date)",
}
INSERT = (
    "INSERT INTO h (product_id, location_id, date, quantity, revenue, on_promotion, "
    "import_batch) SELECT s.product_id, s.location_id, s.date, s.quantity, s.revenue, false, "
    "'8c5e0a4e-1111-4a4a-9999-000000000001' FROM src s WHERE NOT EXISTS (SELECT 1 FROM h "
    "WHERE h.product_id = s.product_id AND h.location_id = s.location_id AND h.date = s.date)"
)
UPDATE = (
    "UPDATE h SET quantity = s.quantity, revenue = s.revenue FROM src s "
    "WHERE h.product_id = s.product_id AND h.location_id = s.location_id AND h.date = s.date "
    "AND (h.quantity, h.revenue) IS DISTINCT FROM (s.quantity, s.revenue)"
)
SOURCE = (
    "CREATE UNLOGGED TABLE src AS SELECT (g / 14600) + 1 AS product_id, "
    "((g / 730) %% 20) + 1 AS location_id, date '2024-01-01' + (g %% 730) AS date, "
    "(g %% 41)::numeric(14,3) AS quantity, ((g %% 41) * 2.5)::numeric(14,2) AS revenue "
    "FROM generate_series(0, %s - 1) g"
)


def timed(conn, *statements: str) -> float:
    started = time.perf_counter()
    with conn.transaction():
        for statement in statements:
            conn.execute(statement)
    return round(time.perf_counter() - started, 2)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{NAME}"')
    results: dict[str, list[tuple[float, float]]] = {}
    with psycopg.connect(f"{SERVER}/{NAME}", autocommit=True) as conn:
        conn.execute(SOURCE, [rows])
        conn.execute("ANALYZE src")
        for _ in range(rounds):
            for name, ddl in SHAPES.items():
                conn.execute("DROP TABLE IF EXISTS h")
                for statement in ddl.split("; "):
                    conn.execute(statement)
                conn.execute("CHECKPOINT")
                first = timed(conn, INSERT)
                conn.execute("ANALYZE h")
                again = timed(conn, UPDATE, INSERT)
                results.setdefault(name, []).append((first, again))
                print(name, first, again, flush=True)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    print(json.dumps({"benchmark": "ingest_shapes", "rows": rows, "shapes": results}))


if __name__ == "__main__":
    main()
