"""NumPy columns in and out of PostgreSQL through binary COPY.

Shared by the inventory metrics refresh and the forecast runs (``forecasting.bulk`` writes
blocks with constant text columns on top of this format). The metrics refresh moves ~100,000
rows × 20 columns each way. Building Python tuples for that
(``fetchall``, or lists bound to ``unnest``) costs seconds; binary COPY of fixed-width columns
is one ``tobytes`` / ``frombuffer`` instead. Only fixed-width types are supported, all NOT NULL
on the wire: callers send NaN for missing floats and ``infinity`` for missing dates and turn them
into NULL in SQL (``NULLIF``), and read back with ``COALESCE``.

Format: PostgreSQL docs, "COPY — Binary Format" (signature, flags, header extension, then per
tuple an int16 field count and per field an int32 length and the big-endian value; a trailer of
int16 −1). Dates are int32 days since 2000-01-01.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from psycopg import sql

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH = np.datetime64("2000-01-01", "D")
DATE_INFINITY = np.int32(2**31 - 1)
COPY_SLICE_ROWS = 65536  # PostgreSQL's 'infinity'::date

# PostgreSQL type -> big-endian wire dtype
WIRE = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "date": ">i4", "bool": "u1"}


def _raw(cursor: Any) -> Any:
    """The psycopg cursor under Django's wrapper: the debug wrapper (DEBUG, query capture in
    tests) has a ``copy`` without parameters."""
    return getattr(cursor, "cursor", cursor)


def _wire_values(kind: str, values: np.ndarray) -> np.ndarray:
    if kind == "date":
        values = np.asarray(values, dtype="datetime64[D]")
        days = (values - PG_EPOCH).astype(np.int64)
        return np.where(np.isnat(values), DATE_INFINITY, days).astype(np.int32)
    return np.asarray(values)


def copy_to_table(cursor: Any, table: str, columns: dict[str, tuple[str, np.ndarray]]) -> int:
    """Write equal-length arrays into ``table`` (``{column: (pg_type, values)}``) with one
    binary COPY; returns the row count. NaN floats arrive as NaN, NaT dates as infinity."""
    kinds = [(name, kind) for name, (kind, _) in columns.items()]
    size = len(next(iter(columns.values()))[1]) if columns else 0
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, (_, kind) in enumerate(kinds):
        fields += [(f"l{i}", ">i4"), (f"v{i}", WIRE[kind])]
    rows = np.empty(size, dtype=fields)
    rows["count"] = len(kinds)
    for i, (name, kind) in enumerate(kinds):
        rows[f"l{i}"] = np.dtype(WIRE[kind]).itemsize
        rows[f"v{i}"] = _wire_values(kind, columns[name][1])
    names = ", ".join(name for name, _ in kinds)
    with _raw(cursor).copy(f"COPY {table} ({names}) FROM STDIN (FORMAT binary)") as copy:
        # In slices: one ``tobytes`` of millions of rows (plus the header) would copy the whole
        # block twice more in memory.
        copy.write(HEADER)
        for start in range(0, size, COPY_SLICE_ROWS):
            copy.write(rows[start : start + COPY_SLICE_ROWS].tobytes())
        copy.write(TRAILER)
    return size


def copy_from_query(
    cursor: Any,
    query: str | sql.Composable,
    params: dict[str, Any] | None,
    columns: list[tuple[str, str]],
) -> np.ndarray:
    """Run ``query`` (its SELECT list must match ``columns``: ``[(name, pg_type)]``, no NULLs)
    and return its rows as a structured array with native-endian fields."""
    body_sql = query if isinstance(query, sql.Composable) else sql.SQL(query)
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(body_sql)
    buffer = bytearray()
    # Without parameters the statement goes through Django's cursor (logged and counted like
    # any query); its debug wrapper cannot pass parameters, so with them it goes underneath.
    raw = _raw(cursor)
    copier = (
        raw.copy(statement, params) if params else cursor.copy(statement.as_string(raw.connection))
    )
    with copier as copy:
        for chunk in copy:
            buffer += chunk
    if not buffer.startswith(SIGNATURE):
        raise ValueError("not a binary COPY stream")
    extension = int.from_bytes(buffer[15:19], "big")
    body = memoryview(buffer)[19 + extension : len(buffer) - len(TRAILER)]
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for name, kind in columns:
        fields += [(f"length_{name}", ">i4"), (name, WIRE[kind])]
    problem = "unexpected field count, type or NULL in a binary COPY stream"
    try:
        wire = np.frombuffer(body, dtype=fields)
    except ValueError:  # the stream does not split into rows of this layout
        raise ValueError(problem) from None
    sizes = [np.dtype(WIRE[kind]).itemsize for _, kind in columns]
    if wire.size and (
        (wire["count"] != len(columns)).any()
        or any(
            (wire[f"length_{name}"] != size).any()
            for (name, _), size in zip(columns, sizes, strict=True)
        )
    ):
        raise ValueError(problem)
    native = [(name, np.dtype(WIRE[kind]).newbyteorder("=")) for name, kind in columns]
    result = np.empty(wire.size, dtype=native)
    for name, _ in columns:
        result[name] = wire[name]
    return result
