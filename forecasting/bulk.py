"""PostgreSQL binary COPY from and to NumPy arrays, without a Python loop over rows.

Binary COPY (PostgreSQL docs, "COPY — File Formats — Binary Format"): a signature, then per
tuple a 16-bit field count and per field a 32-bit byte length and the value in network byte
order, then a 16-bit -1. With fixed-width columns every tuple has the same layout, so a whole
block of tuples is one NumPy structured array and its ``tobytes()``; reading back is one
``np.frombuffer``. Text is allowed as one constant per block (its length is fixed too).

Column kinds: ``int8``, ``int4``, ``int2``, ``float8``, ``bool``, ``date`` (NumPy
``datetime64[D]`` or day numbers since 2000-01-01) and ``text`` (a constant ``str``).
NULLs cannot be written this way (a NULL has no value bytes); callers store NaN and clean up
with one UPDATE where a column is nullable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from psycopg import sql

from core.pgcopy import HEADER, PG_EPOCH, TRAILER, WIRE, copy_from_query


def _layout(kinds: Sequence[str], texts: Sequence[bytes | None]) -> np.dtype:
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for index, (kind, text) in enumerate(zip(kinds, texts, strict=True)):
        value = f"S{len(text)}" if kind == "text" and text is not None else WIRE[kind]
        fields += [(f"l{index}", ">i4"), (f"v{index}", value)]
    return np.dtype(fields)


def encode_block(columns: Sequence[tuple[str, Any]], rows: int) -> bytes:
    """The tuples of one block: ``columns`` is ``[(kind, values)]`` with arrays of ``rows``
    values (or a scalar / a constant text broadcast to every row)."""
    kinds = [kind for kind, _ in columns]
    texts = [str(value).encode() if kind == "text" else None for kind, value in columns]
    layout = _layout(kinds, texts)
    block = np.empty(rows, dtype=layout)
    block["count"] = len(columns)
    for index, (kind, value) in enumerate(columns):
        field = layout.fields[f"v{index}"][0]
        block[f"l{index}"] = field.itemsize
        if kind == "text":
            block[f"v{index}"] = texts[index]
        elif kind == "date":
            days = np.asarray(value)
            if np.issubdtype(days.dtype, np.datetime64):
                days = (days.astype("datetime64[D]") - PG_EPOCH).astype(np.int64)
            block[f"v{index}"] = days
        else:
            block[f"v{index}"] = value
    return block.tobytes()


def copy_in(cursor, table: str, names: Sequence[str], blocks: Iterable[bytes]) -> None:
    """COPY the encoded ``blocks`` into ``table`` (``names`` in the blocks' column order)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with cursor.copy(statement) as copy:
        copy.write(HEADER)
        for block in blocks:
            if block:
                copy.write(block)
        copy.write(TRAILER)


def copy_out(cursor, query: sql.Composable, kinds: Sequence[str]) -> np.ndarray:
    """Run ``query`` (its columns of the fixed-width ``kinds``, none NULL) through binary COPY
    (``core.pgcopy.copy_from_query``) and return a structured array with fields ``v0``, ``v1`` …"""
    return copy_from_query(cursor, query, None, [(f"v{i}", kind) for i, kind in enumerate(kinds)])
