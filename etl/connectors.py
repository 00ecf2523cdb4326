"""Readers for data sources: each writes the source's rows as a contract CSV into a temporary
file, streaming (server-side cursors), so the import pipeline can load it like an upload.

SQL sources run their query in a read-only transaction with a statement timeout. With a
watermark column the query is wrapped to read only rows newer than the last sync, and the
highest value read becomes the next watermark.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.db import connection

from core.exceptions import ValidationFailed

FETCH_ROWS = 5000


class SourceUnavailable(Exception):
    """The source could not be reached or read (network, credentials, bad query)."""


@dataclass
class Extract:
    stream: IO[bytes]
    size: int
    rows: int
    watermark: str


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def drop_folder() -> Path:
    return Path(settings.ETL_DROP_ROOT) / connection.schema_name


def drop_file(path: str) -> Path:
    """The file ``path`` inside the tenant's drop folder; anything outside it is refused."""
    root = drop_folder().resolve()
    candidate = (root / path).resolve()
    if not path or root not in candidate.parents:
        raise ValidationFailed(
            "The file must be inside the tenant's drop folder.", details={"path": path}
        )
    return candidate


def read_csv_drop(path: str) -> Extract:
    target = drop_file(path)
    try:
        stream = open(target, "rb")  # noqa: SIM115 (closed by the caller)
    except OSError as exc:
        raise SourceUnavailable(f"Cannot open {path}: {exc.strerror}") from exc
    size = target.stat().st_size
    return Extract(stream=stream, size=size, rows=-1, watermark="")


def _wrapped_query(query: str, watermark_column: str, placeholder: str, watermark: str) -> str:
    """The source query, limited to rows past the watermark (all rows on the first sync)
    and ordered by the watermark column."""
    query = query.strip().rstrip(";")
    if not watermark_column:
        return query
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", watermark_column):
        raise ValidationFailed("The watermark column must be a plain column name.")
    # The query is the tenant admin's own, run read-only against their own database.
    where = f"WHERE {watermark_column} > {placeholder} " if watermark else ""
    return (
        f"SELECT * FROM ({query}) AS source_rows "  # noqa: S608
        f"{where}ORDER BY {watermark_column}"
    )


def _spool(cursor, watermark_column: str, watermark: str) -> Extract:
    header = [column[0] for column in cursor.description]
    if watermark_column and watermark_column not in header:
        raise SourceUnavailable(f"The query has no column {watermark_column!r}.")
    index = header.index(watermark_column) if watermark_column else None
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it after the import)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    rows = 0
    highest = watermark
    while batch := cursor.fetchmany(FETCH_ROWS):
        for row in batch:
            writer.writerow([_cell(value) for value in row])
        rows += len(batch)
        if index is not None:  # rows come ordered by the watermark: the last is the highest
            highest = _cell(batch[-1][index])
    text.flush()
    text.detach()
    size = spool.tell()
    spool.seek(0)
    return Extract(stream=spool, size=size, rows=rows, watermark=highest)


def read_postgresql(url: str, query: str, watermark_column: str, watermark: str) -> Extract:
    import psycopg

    timeout_ms = settings.SQL_SOURCE_TIMEOUT_SECONDS * 1000
    try:
        with psycopg.connect(
            url, connect_timeout=10, options=f"-c statement_timeout={timeout_ms}"
        ) as source:
            source.read_only = True
            with source.cursor(name="dp_extract") as cursor:  # server-side: streams
                sql_text = _wrapped_query(query, watermark_column, "%s", watermark)
                cursor.execute(sql_text, [watermark] if watermark_column and watermark else None)
                return _spool(cursor, watermark_column, watermark)
    except psycopg.Error as exc:
        raise SourceUnavailable(f"PostgreSQL source: {str(exc).strip()}") from exc


def read_mysql(url: str, query: str, watermark_column: str, watermark: str) -> Extract:
    import pymysql
    import pymysql.cursors

    parsed = urlparse(url)
    try:
        source = pymysql.connect(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 3306,
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            database=parsed.path.lstrip("/"),
            connect_timeout=10,
            read_timeout=settings.SQL_SOURCE_TIMEOUT_SECONDS,
            cursorclass=pymysql.cursors.SSCursor,  # unbuffered: streams
        )
    except pymysql.MySQLError as exc:
        raise SourceUnavailable(f"MySQL source: {exc}") from exc
    try:
        with source.cursor() as cursor:
            cursor.execute("START TRANSACTION READ ONLY")
            sql_text = _wrapped_query(query, watermark_column, "%s", watermark)
            cursor.execute(sql_text, [watermark] if watermark_column and watermark else None)
            extract = _spool(cursor, watermark_column, watermark)
            cursor.execute("ROLLBACK")
            return extract
    except pymysql.MySQLError as exc:
        raise SourceUnavailable(f"MySQL source: {exc}") from exc
    finally:
        source.close()


def validate_url(kind: str, url: str) -> None:
    parsed = urlparse(url or "")
    schemes = {"postgresql": {"postgresql", "postgres"}, "mysql": {"mysql", "mariadb"}}
    if parsed.scheme not in schemes.get(kind, set()) or not parsed.hostname:
        raise ValidationFailed(
            f"A {kind} source needs a {kind}:// URL with a host.", details={"url": "invalid"}
        )
