"""Writing tabular exports safely and in a stream (CSV, XLSX, JSON).

Spreadsheet programs execute a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula,
so such text is prefixed with an apostrophe (OWASP "CSV injection"). Numbers are written as
numbers and never escaped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(safe_cell(value))


def csv_stream(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """CSV bytes, a few hundred rows per chunk, cells escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for index, row in enumerate(rows, start=1):
        writer.writerow([_text(value) for value in row])
        if index % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_stream(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """A JSON array of objects, streamed row by row."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    yield b"["
    for index, row in enumerate(rows):
        prefix = b"," if index else b""
        yield prefix + json.dumps(dict(zip(header, row, strict=True)), default=default).encode()
    yield b"]"


def xlsx_bytes(header: list[str], rows: Iterable[Iterable[Any]], title: str = "export") -> bytes:
    """An XLSX workbook written in openpyxl's write-only (streaming) mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(
            [
                float(v) if isinstance(v, Decimal) else safe_cell(v) if isinstance(v, str) else v
                for v in row
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
