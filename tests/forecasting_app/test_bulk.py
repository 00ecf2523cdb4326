"""Binary COPY round trips through PostgreSQL, and chunking that only cuts between products."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from forecasting import bulk
from forecasting.services import chunk_products

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(-(2**62), 2**62), finite, st.integers(-3000, 30000), st.booleans()),
        min_size=0,
        max_size=40,
    ),
    text=st.text(alphabet="abcdefghij_", min_size=1, max_size=12),
)
def test_binary_copy_round_trips_every_value(rows, text):
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    values = np.array([r[1] for r in rows], dtype=np.float64)
    days = np.array([r[2] for r in rows], dtype=np.int64)
    flags = np.array([r[3] for r in rows], dtype=bool)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bulk_probe "
            "(id int8, value float8, day date, flag bool, name text)"
        )
        cursor.execute("TRUNCATE bulk_probe")
        block = bulk.encode_block(
            [("int8", ids), ("float8", values), ("date", days), ("bool", flags), ("text", text)],
            len(rows),
        )
        bulk.copy_in(cursor, "bulk_probe", ["id", "value", "day", "flag", "name"], [block])
        cursor.execute("SELECT count(*) FROM bulk_probe WHERE name = %s", [text])
        assert cursor.fetchone()[0] == len(rows)
        back = bulk.copy_out(
            cursor,
            sql.SQL(
                "SELECT id, value, (day - DATE '2000-01-01')::int4, flag::int::int2 FROM bulk_probe"
            ),
            ["int8", "float8", "int4", "int2"],
        )
    assert back["v0"].tolist() == ids.tolist()
    assert back["v1"].tolist() == values.tolist()
    assert back["v2"].tolist() == days.tolist()
    assert back["v3"].astype(bool).tolist() == flags.tolist()


@given(
    counts=st.lists(st.integers(1, 30), min_size=0, max_size=60),
    size=st.integers(1, 100),
)
def test_chunks_partition_products_and_stay_near_the_size(counts, size):
    product = np.repeat(np.arange(10, 10 + len(counts)), counts)
    chunks = chunk_products(product, size)
    joined = np.concatenate(chunks) if chunks else np.array([], dtype=np.int64)
    assert joined.tolist() == sorted(set(product.tolist()))  # every product once, in order
    per_product = dict(zip(np.arange(10, 10 + len(counts)).tolist(), counts, strict=True))
    for chunk in chunks:
        series = sum(per_product[p] for p in chunk.tolist())
        # a chunk holds its first product plus whatever started within the same size band
        assert series <= size + max(per_product[p] for p in chunk.tolist())
