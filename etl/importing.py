"""The import pipeline: file → staging table (COPY) → validation in SQL → one bulk write.

1. The header is read and checked (required columns present; unknown columns ignored with a
   warning). A temporary staging table gets one text column per file column.
2. The file streams into it with PostgreSQL COPY (CSV as it is; XLSX rows re-encoded as CSV
   on the fly), so memory stays flat whatever the file size.
3. Every rule is checked in SQL over the whole staging table at once — types, ISO dates,
   ranges, choices, lengths, duplicate keys inside the file, unknown SKUs or locations — and
   every violation becomes a row of the report: (row, column, value, why).
4. Only a file with no violation is written, by the owning app's bulk writer
   (``catalog.bulk``), inside the same transaction. A rejected file writes nothing.

Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

import psycopg
from django.conf import settings
from django.db import DataError, connection, transaction
from django.utils.module_loading import import_string
from psycopg import sql

from core import quotas
from core.exceptions import ImportRowsRejected
from core.jobs import ProgressFn
from core.uploads import sniff_kind
from etl.specs import SPECS, Column, ImportSpec

MAX_REPORTED_ERRORS = 1000
COPY_CHUNK_BYTES = 1 << 20
XLSX_BATCH_ROWS = 5000
STAGE = "etl_stage"


_NUMBER_RE = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_INTEGER_RE = r"^[+-]?[0-9]{1,9}$"
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_BOOLEAN_TRUE = "('true', '1', 'yes')"
_BOOLEAN_FALSE = "('false', '0', 'no')"


class FileRejected(Exception):
    """Raised inside the transaction to roll back everything when the file has errors."""


@dataclass
class ImportReport:
    kind: str
    status: str = "rejected"  # imported, validated (dry run), rejected
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    created: dict[str, int] = field(default_factory=dict)
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # The writes were tagged with the batch and what they overwrote kept (ADR 28).
    revertible: bool = False

    def reject(self, row: int | None, column: str, value: Any, why: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "column": column, "value": _clip(value), "why": why})

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "created": self.created,
            "error_count": self.error_count,
            "errors": self.errors,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
        }


def _clip(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _normalise_header(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip().lower())


# --- Reading ------------------------------------------------------------------------------------


@dataclass
class SourceFile:
    header: list[str]
    chunks: Iterator[bytes]  # CSV bytes of the data rows (no header), ready for COPY
    size: int


def _open_csv(stream: IO[bytes], size: int) -> SourceFile:
    first = b""
    while b"\n" not in first:
        block = stream.read(65536)
        if not block:
            break
        first += block
    header_bytes, _, rest = first.partition(b"\n")
    try:
        header_line = header_bytes.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        raise _FileError("The header row is not valid UTF-8 text.") from None
    header = next(csv.reader([header_line]), [])

    def chunks() -> Iterator[bytes]:
        if rest:
            yield rest
        while block := stream.read(COPY_CHUNK_BYTES):
            yield block

    return SourceFile(header=header, chunks=chunks(), size=size)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _FileError(Exception):
    """A problem with the file as a whole, or one that stops reading it (row 1 unless the
    reader knows the row)."""

    def __init__(self, message: str, *, row: int | None = 1, column: str = ""):
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class ImportLimits:
    """Caps on what a file may make the importer read (ADR 25). Settings by default; the
    command's ``--max-rows`` raises ``max_rows``."""

    max_rows: int
    max_cell_chars: int
    max_uncompressed_bytes: int
    max_compression_ratio: int

    @classmethod
    def from_settings(cls, *, max_rows: int | None = None) -> ImportLimits:
        return cls(
            max_rows=max_rows or settings.IMPORT_MAX_ROWS,
            max_cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        )


# A member this small cannot hurt whatever its ratio (a few repeated styles compress 1000×).
_RATIO_CHECK_FROM_BYTES = 1 << 20


def _check_archive(stream: IO[bytes], limits: ImportLimits) -> None:
    """Refuse a workbook before parsing it when its members would expand past the caps.
    ``zipfile`` never yields more than a member's declared ``file_size`` (a lying header
    fails its CRC), so the declared sizes bound what the parser can be made to read."""
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _FileError(f"The workbook cannot be read: {exc}") from None
    finally:
        stream.seek(0)
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise _FileError(
            f"The workbook expands to {total} bytes; the limit is "
            f"{limits.max_uncompressed_bytes} bytes (IMPORT_MAX_UNCOMPRESSED_BYTES)."
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= _RATIO_CHECK_FROM_BYTES and ratio > limits.max_compression_ratio:
            raise _FileError(
                f"The workbook member {member.filename} expands {ratio:.0f} times; the limit "
                f"is {limits.max_compression_ratio} (IMPORT_MAX_COMPRESSION_RATIO): not a "
                "plausible spreadsheet."
            )


def _rows_cap_error(max_rows: int, row: int = 1) -> _FileError:
    return _FileError(
        f"The file has more than {max_rows} data rows (IMPORT_MAX_ROWS; "
        "`import_data --max-rows N` raises it).",
        row=row,
    )


def _cell_cap_error(limits: ImportLimits, row: int, cells: list[str], header: list[str]):
    index = next(i for i, cell in enumerate(cells) if len(cell) > limits.max_cell_chars)
    column = header[index] if index < len(header) else ""
    return _FileError(
        f"A cell holds {len(cells[index])} characters; the limit is {limits.max_cell_chars} "
        "(IMPORT_MAX_CELL_CHARS).",
        row=row,
        column=column,
    )


def _open_xlsx(stream: IO[bytes], size: int, limits: ImportLimits) -> SourceFile:
    from openpyxl import load_workbook

    _check_archive(stream, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _FileError(f"The workbook cannot be read: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        # The sheet's <dimension> (may be absent or lie: rows are counted while reading too).
        declared_rows = getattr(sheet, "max_row", None)
        if isinstance(declared_rows, int) and declared_rows - 1 > limits.max_rows:
            raise _rows_cap_error(limits.max_rows)
        # Read what is there, not what the dimension claims (openpyxl would stop at a lying
        # dimension and drop the rest silently); the row cap bounds the reading instead.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None) or ()
        header = [_cell(value) for value in header_row]
    except _FileError:
        workbook.close()
        raise
    except Exception as exc:  # a damaged header cell, XML or zip member
        workbook.close()
        raise _FileError(f"The workbook cannot be read: {type(exc).__name__}: {exc}") from None
    while header and header[-1] == "":
        header.pop()
    if header and max(map(len, header)) > limits.max_cell_chars:
        workbook.close()
        raise _cell_cap_error(limits, 1, header, header)
    width = len(header)

    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        count = 0
        row_no = 1  # spreadsheet row (read-only iteration yields gaps as empty rows)
        try:
            while True:
                row_no += 1  # before reading: a damaged cell raises while its row is read
                row = next(rows, None)
                if row is None:
                    break
                cells = [_cell(value) for value in row[:width]]
                if not any(cells):
                    continue  # spreadsheets end with formatted but empty rows
                count += 1
                if count > limits.max_rows:
                    raise _rows_cap_error(limits.max_rows, row_no)  # stop reading here
                if max(map(len, cells)) > limits.max_cell_chars:
                    raise _cell_cap_error(limits, row_no, cells, header)
                writer.writerow(cells + [""] * (width - len(cells)))
                if count % XLSX_BATCH_ROWS == 0:
                    yield buffer.getvalue().encode()
                    buffer.seek(0)
                    buffer.truncate()
            if buffer.tell():
                yield buffer.getvalue().encode()
        except _FileError:
            raise
        except Exception as exc:  # a damaged cell (ValueError), zip member, XML …
            raise _FileError(
                f"The workbook cannot be read here: {type(exc).__name__}: {exc}", row=row_no
            ) from None
        finally:
            workbook.close()

    return SourceFile(header=header, chunks=chunks(), size=size)


def _looks_like_csv_with_bad_bytes(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    first_line = head.split(b"\n", 1)[0]
    try:
        return "," in first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False


def open_source(stream: IO[bytes], size: int, limits: ImportLimits | None = None) -> SourceFile:
    limits = limits or ImportLimits.from_settings()
    head = stream.read(64 * 1024)
    stream.seek(0)
    kind = sniff_kind(head, stream)
    if kind == "xlsx":
        return _open_xlsx(stream, size, limits)
    if kind == "csv" or _looks_like_csv_with_bad_bytes(head):
        # Invalid bytes further down are reported by COPY with their row.
        return _open_csv(stream, size)
    raise _FileError("The file is neither UTF-8 CSV (comma-separated) nor an XLSX workbook.")


# --- Staging and validation ---------------------------------------------------------------------


def _stage_columns(header: list[str]) -> dict[str, str]:
    """Map each file column to its staging column name (c0, c1 …), by normalised header."""
    return {_normalise_header(name): f"c{index}" for index, name in enumerate(header)}


def _trimmed(stage_column: str) -> sql.Composable:
    return sql.SQL("NULLIF(btrim({}), '')").format(sql.Identifier(stage_column))


def _range_cases(column: Column, number: sql.Composable) -> list[sql.Composable]:
    """CASE branches for a numeric column's bounds, ``number`` being its numeric value."""
    cases: list[sql.Composable] = []
    if column.positive:
        cases.append(sql.SQL("WHEN {n} <= 0 THEN 'must be greater than zero'").format(n=number))
    if column.minimum is not None:
        why = (
            "must not be negative" if column.minimum == 0 else f"must be at least {column.minimum}"
        )
        cases.append(
            sql.SQL("WHEN {n} < {m} THEN {w}").format(
                n=number, m=sql.Literal(column.minimum), w=sql.Literal(why)
            )
        )
    if column.maximum is not None:
        cases.append(
            sql.SQL("WHEN {n} > {m} THEN {w}").format(
                n=number,
                m=sql.Literal(column.maximum),
                w=sql.Literal(f"must be at most {column.maximum:f}"),
            )
        )
    return cases


def _text_cases_and_case(
    column: Column,
    choice_value: sql.Composable,
    value: sql.Composable,
    cases: list[sql.Composable],
) -> sql.Composable:
    """Add the choice and length branches, and wrap all branches in one CASE (or NULL)."""
    if column.type == "choice":
        cases.append(
            sql.SQL("WHEN {v} NOT IN ({choices}) THEN {w}").format(
                v=choice_value,
                choices=sql.SQL(", ").join(sql.Literal(c) for c in column.choices),
                w=sql.Literal(f"not one of: {', '.join(column.choices)}"),
            )
        )
    if column.pattern:
        cases.append(
            sql.SQL("WHEN {v} !~ {re} THEN {w}").format(
                v=value, re=sql.Literal(column.pattern), w=sql.Literal(column.pattern_why)
            )
        )
    if column.max_length:
        cases.append(
            sql.SQL("WHEN length({v}) > {n} THEN {w}").format(
                v=value,
                n=sql.Literal(column.max_length),
                w=sql.Literal(f"longer than {column.max_length} characters"),
            )
        )
    if not cases:
        return sql.SQL("NULL::text")
    return sql.SQL("CASE {} END").format(sql.SQL(" ").join(cases))


def _why_expression(column: Column, value: sql.Composable) -> sql.Composable:
    """A CASE giving the first rule ``value`` breaks for ``column``, or NULL."""
    cases: list[sql.Composable] = []
    if column.required:
        cases.append(sql.SQL("WHEN {v} IS NULL THEN 'required'").format(v=value))
    if column.type == "decimal":
        cases.append(
            sql.SQL("WHEN {v} !~ {re} THEN 'not a number'").format(
                v=value, re=sql.Literal(_NUMBER_RE)
            )
        )
        number = sql.SQL("{v}::numeric").format(v=value)
    elif column.type == "integer":
        cases.append(
            sql.SQL("WHEN {v} !~ {re} THEN 'not a whole number'").format(
                v=value, re=sql.Literal(_INTEGER_RE)
            )
        )
        number = sql.SQL("{v}::bigint").format(v=value)
    else:
        number = None
    if number is not None:
        cases.extend(_range_cases(column, number))
    if column.type == "boolean":
        cases.append(
            sql.SQL(
                "WHEN lower({v}) NOT IN {yes} AND lower({v}) NOT IN {no} "
                "THEN 'not a boolean (true/false, 1/0, yes/no)'"
            ).format(v=value, yes=sql.SQL(_BOOLEAN_TRUE), no=sql.SQL(_BOOLEAN_FALSE))
        )
    if column.type == "date":
        year = sql.SQL("substr({v}, 1, 4)::int").format(v=value)
        month = sql.SQL("substr({v}, 6, 2)::int").format(v=value)
        day = sql.SQL("substr({v}, 9, 2)::int").format(v=value)
        cases.append(
            sql.SQL("WHEN {v} !~ {re} THEN 'not an ISO date (YYYY-MM-DD)'").format(
                v=value, re=sql.Literal(_DATE_RE)
            )
        )
        cases.append(
            sql.SQL(
                "WHEN {y} < 1 OR {m} NOT BETWEEN 1 AND 12 OR {d} < 1 OR {d} > extract(day FROM "
                "make_date({y}, {m}, 1) + interval '1 month' - interval '1 day') "
                "THEN 'not a valid calendar date'"
            ).format(y=year, m=month, d=day)
        )
    return _text_cases_and_case(column, sql.SQL("lower({})").format(value), value, cases)


def _typed_expression(column: Column, stage_column: str | None) -> sql.Composable:
    casts = {
        "date": "::date",
        "decimal": "::numeric",
        "integer": "::integer",
        "boolean": "::boolean",
    }
    if stage_column is None:  # absent from the file: a typed NULL
        return sql.SQL("NULL{}").format(sql.SQL(casts.get(column.type, "::text")))
    value = _trimmed(stage_column)
    if column.type == "boolean":
        # Only the contract's spellings; anything else fails the cast ('x!' is never a
        # boolean), so the row-by-row checks name the cell.
        return sql.SQL(
            "(CASE WHEN lower({v}) IN {yes} THEN true WHEN lower({v}) IN {no} THEN false "
            "ELSE ({v} || '!')::boolean END)"
        ).format(v=value, yes=sql.SQL(_BOOLEAN_TRUE), no=sql.SQL(_BOOLEAN_FALSE))
    if column.type == "choice":
        return sql.SQL("lower({})").format(value)
    return sql.SQL("{}{}").format(value, sql.SQL(casts.get(column.type, "")))


def _build_typed(cursor, spec: ImportSpec, mapping: dict[str, str]) -> bool:
    """Cast the whole staging table at once into ``etl_typed`` (typed columns named as in the
    spec, plus the trimmed text of date columns). True when every value casts: the fast path
    for clean files. On a cast error the savepoint is rolled back and False is returned: the
    row-by-row checks then say exactly which cells are wrong."""
    columns = [
        sql.SQL("{} AS {}").format(
            _typed_expression(column, mapping.get(column.name)), sql.Identifier(column.name)
        )
        for column in spec.columns
    ] + [
        sql.SQL("{} AS {}").format(
            _trimmed(mapping[column.name]), sql.Identifier(f"raw_{column.name}")
        )
        for column in spec.columns
        if column.type == "date" and column.name in mapping
    ]
    # The cheap checks run in the same pass (ADR 28): ``etl_wrong`` is true on a row that
    # breaks one; the per-cell report reads the rows again only when some row does.
    present = [column for column in spec.columns if column.name in mapping]
    wrong = sql.SQL(" OR ").join(
        [sql.SQL("({} IS NOT NULL)").format(_typed_why(column)) for column in present]
        or [sql.SQL("false")]
    )
    try:
        with transaction.atomic():
            cursor.execute(
                sql.SQL(
                    "CREATE TEMP TABLE etl_typed ON COMMIT DROP AS "
                    "SELECT typed.*, coalesce({wrong}, false) AS etl_wrong "
                    "FROM (SELECT row_no, {cols} FROM {stage} OFFSET 0) typed"
                ).format(wrong=wrong, cols=sql.SQL(", ").join(columns), stage=sql.Identifier(STAGE))
            )
    except (psycopg.errors.DataError, DataError):
        return False
    return True


def _typed_why(column: Column) -> sql.Composable:
    """Cheap checks on an already typed column (no regular expressions)."""
    value = sql.Identifier(column.name)
    cases: list[sql.Composable] = []
    if column.required:
        cases.append(sql.SQL("WHEN {v} IS NULL THEN 'required'").format(v=value))
    if column.type == "decimal":
        cases.append(
            sql.SQL(
                "WHEN {v} IN ('NaN'::numeric, 'Infinity'::numeric, '-Infinity'::numeric) "
                "THEN 'not a number'"
            ).format(v=value)
        )
    if column.type in {"decimal", "integer"}:
        cases.extend(_range_cases(column, value))
    if column.type == "date":
        # ::date also accepts 01/02/2026 and "Jan 2 2026"; the contract says ISO only.
        # After a successful cast, 10 characters with dashes at 5 and 8 means YYYY-MM-DD.
        cases.append(
            sql.SQL(
                "WHEN length({raw}) <> 10 OR substr({raw}, 5, 1) <> '-' "
                "OR substr({raw}, 8, 1) <> '-' THEN 'not an ISO date (YYYY-MM-DD)'"
            ).format(raw=sql.Identifier(f"raw_{column.name}"))
        )
    return _text_cases_and_case(column, value, value, cases)


def _collect_errors(
    cursor, spec: ImportSpec, mapping: dict[str, str], create_missing: bool, typed: bool
) -> None:
    """Fill ``etl_errors`` with every violation (row, column, value, why). With ``typed``
    the checks run on ``etl_typed`` (cheap comparisons); otherwise on the raw text."""
    cursor.execute(
        "CREATE TEMP TABLE etl_errors (row_no bigint, col text, value text, why text) "
        "ON COMMIT DROP"
    )
    present = [c for c in spec.columns if c.name in mapping]
    if typed:
        checks = [
            sql.SQL("({name}, s.{raw}::text, {why})").format(
                name=sql.Literal(column.name),
                raw=sql.Identifier(f"raw_{column.name}" if column.type == "date" else column.name),
                why=_typed_why(column),
            )
            for column in present
        ]
        # The cast computed "is anything wrong?"; the per-cell report runs only if so.
        cursor.execute("SELECT 1 FROM etl_typed WHERE etl_wrong LIMIT 1")
        if cursor.fetchone() is None:
            _collect_key_errors(cursor, spec, mapping, create_missing)
            return
        cursor.execute(
            sql.SQL(
                "INSERT INTO etl_errors SELECT s.row_no, v.col, v.raw, v.why FROM etl_typed s, "
                "LATERAL (VALUES {checks}) AS v(col, raw, why) WHERE v.why IS NOT NULL"
            ).format(checks=sql.SQL(", ").join(checks))
        )
        _collect_key_errors(cursor, spec, mapping, create_missing)
        return
    checks = [
        sql.SQL("({name}, {raw}, {why})").format(
            name=sql.Literal(column.name),
            raw=sql.Identifier(mapping[column.name]),
            why=_why_expression(column, _trimmed(mapping[column.name])),
        )
        for column in present
    ]
    cursor.execute(
        sql.SQL(
            "INSERT INTO etl_errors SELECT s.row_no, v.col, v.raw, v.why FROM {stage} s, "
            "LATERAL (VALUES {checks}) AS v(col, raw, why) WHERE v.why IS NOT NULL"
        ).format(stage=sql.Identifier(STAGE), checks=sql.SQL(", ").join(checks))
    )
    _collect_key_errors(cursor, spec, mapping, create_missing, source=STAGE)


def _collect_key_errors(
    cursor, spec: ImportSpec, mapping: dict[str, str], create_missing: bool, source: str = ""
) -> None:
    """Duplicate keys inside the file and unknown references, on the typed table (fast) or
    on the raw staging table (``source=STAGE``). A spec without a key checks duplicates in
    its row rules."""
    if spec.key:
        _collect_duplicate_keys(cursor, spec, mapping, source)
    if create_missing:
        return
    _collect_reference_errors(cursor, spec, mapping, source)


def _collect_duplicate_keys(cursor, spec: ImportSpec, mapping: dict[str, str], source: str) -> None:
    if source == STAGE:
        keys = [_trimmed(mapping[name]) for name in spec.key]
        relation = sql.Identifier(STAGE)
    else:
        keys = [sql.SQL("{}::text").format(sql.Identifier(name)) for name in spec.key]
        relation = sql.Identifier("etl_typed")
    present = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(k) for k in keys)
    # Cheap existence test first (on the typed values: hashing a date is cheaper than its
    # text); the window query that names the rows runs only on need.
    probe_keys = keys if source == STAGE else [sql.Identifier(name) for name in spec.key]
    if (source == STAGE or not _keys_strictly_sorted(cursor, spec)) and _has_duplicates(
        cursor, relation, present, probe_keys
    ):
        cursor.execute(
            sql.SQL(
                "INSERT INTO etl_errors SELECT row_no, {cols}, label, "
                "'duplicate key: same as row ' || (first_row + 1) FROM ("
                "  SELECT row_no, {key_text} AS label, "
                "         min(row_no) OVER (PARTITION BY {keys}) AS first_row "
                "  FROM {rel} WHERE {present}) d WHERE row_no <> first_row"
            ).format(
                cols=sql.Literal(", ".join(spec.key)),
                key_text=sql.SQL(" || ' / ' || ").join(keys),
                keys=sql.SQL(", ").join(keys),
                rel=relation,
                present=present,
            )
        )


def _collect_reference_errors(
    cursor, spec: ImportSpec, mapping: dict[str, str], source: str
) -> None:
    relation = sql.Identifier(STAGE if source == STAGE else "etl_typed")
    for reference in spec.references:
        if reference.column not in mapping:  # an optional column the file does not have
            continue
        if source == STAGE:
            value = sql.SQL("NULLIF(btrim(s.{}), '')").format(
                sql.Identifier(mapping[reference.column])
            )
        else:
            value = sql.SQL("s.{}").format(sql.Identifier(reference.column))
        cursor.execute(
            sql.SQL(
                "INSERT INTO etl_errors SELECT s.row_no, {col}, {v}, {why} FROM {rel} s "
                "WHERE {v} IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM {table} t WHERE t.{lookup} = {v})"
            ).format(
                col=sql.Literal(reference.column),
                v=value,
                why=sql.Literal(f"unknown {reference.label} (use --create-missing to add it)"),
                rel=relation,
                table=sql.Identifier(reference.table),
                lookup=sql.Identifier(reference.lookup),
            )
        )


def _has_duplicates(cursor, relation, present, keys) -> bool:
    cursor.execute(
        sql.SQL(
            "SELECT 1 FROM {rel} WHERE {present} GROUP BY {keys} HAVING count(*) > 1 LIMIT 1"
        ).format(rel=relation, present=present, keys=sql.SQL(", ").join(keys))
    )
    return cursor.fetchone() is not None


def _keys_strictly_sorted(cursor, spec: ImportSpec) -> bool:
    """True when the typed rows, as they are stored, have strictly increasing keys (by the
    key's own column order, or with its last column first: per series or per day). Then no
    key repeats, whatever the order the rows were read in: proven in one streaming pass with
    no sort and no hash of a million keys (ADR 28). Each pass stops at the first row that
    breaks the order, so an unsorted file costs next to nothing before the grouping probe.
    A NULL key part breaks the order (the grouping probe handles it)."""
    orders = [list(spec.key)]
    if len(spec.key) > 1:
        orders.append([spec.key[-1], *spec.key[:-1]])
    for order in orders:
        cursor.execute(
            sql.SQL(
                "SELECT 1 FROM (SELECT lag(row_no) OVER w AS previous_row, "
                "({cur}) > ({prev}) AS up FROM etl_typed WINDOW w AS ()) s "
                "WHERE previous_row IS NOT NULL AND up IS NOT TRUE LIMIT 1"
            ).format(
                cur=sql.SQL(", ").join(sql.Identifier(n) for n in order),
                prev=sql.SQL(", ").join(
                    sql.SQL("lag({}) OVER w").format(sql.Identifier(n)) for n in order
                ),
            )
        )
        if cursor.fetchone() is None:
            return True
    return False


def _collect_row_errors(cursor, spec: ImportSpec) -> None:
    """Rules across the columns of a row (``spec.row_checks``), once every cell is valid:
    their SQL may then cast freely."""
    cursor.execute("SELECT 1 FROM etl_errors LIMIT 1")
    if cursor.fetchone():
        return
    for check in spec.row_checks:
        value = sql.SQL("s.{}::text").format(sql.Identifier(check.column))
        cursor.execute(
            sql.SQL(
                "INSERT INTO etl_errors SELECT s.row_no, {col}, {v}, {why} FROM etl_typed s "
                "WHERE coalesce({wrong}, false)"
            ).format(
                col=sql.Literal(check.column),
                v=value,
                why=sql.Literal(check.why),
                wrong=sql.SQL(check.wrong),
            )
        )


def _report_errors(cursor, report: ImportReport) -> None:
    cursor.execute("SELECT count(*) FROM etl_errors")
    report.error_count = cursor.fetchone()[0]
    cursor.execute(
        "SELECT row_no + 1, col, value, why FROM etl_errors ORDER BY row_no, col LIMIT %s",
        [MAX_REPORTED_ERRORS],
    )
    report.errors = [
        {"row": row, "column": column, "value": _clip(value), "why": why}
        for row, column, value, why in cursor.fetchall()
    ]


# --- The pipeline -------------------------------------------------------------------------------


def run_import(
    *,
    kind: str,
    stream: IO[bytes],
    size: int,
    dry_run: bool = False,
    create_missing: bool = False,
    progress: ProgressFn | None = None,
    max_rows: int | None = None,
    batch_id: str | None = None,
) -> ImportReport:
    """Validate and (unless ``dry_run``) write one file of ``kind``. Never raises for bad
    data, however hostile (ADR 25's caps; ``max_rows`` raises ``IMPORT_MAX_ROWS``): the
    report says what is wrong. All or nothing: one transaction.

    With ``batch_id`` (an existing ``ImportBatch``) a kind whose writer is versioned tags its
    rows with the batch and keeps what it overwrote, so the batch can be reverted (ADR 28)."""
    from catalog import bulk

    started = time.perf_counter()
    spec = SPECS[kind]
    # A tenant over its plan's storage adds no more data (403 quota_exceeded).
    if not dry_run:
        quotas.storage_enforce()
    report = ImportReport(kind=kind)
    progress = progress or (lambda percent, message: None)
    try:
        with transaction.atomic():
            limits = ImportLimits.from_settings(max_rows=max_rows)
            _run(
                spec,
                stream,
                size,
                dry_run,
                create_missing,
                progress,
                report,
                bulk,
                limits,
                batch_id,
            )
            if dry_run:
                raise FileRejected  # validated: roll back the staging work
    except FileRejected:
        pass
    except _FileError as exc:
        report.reject(exc.row, exc.column, "", str(exc))
    report.seconds = time.perf_counter() - started
    if report.error_count:
        report.status = "rejected"
        report.revertible = False
        report.inserted = report.updated = report.unchanged = 0
        report.created = {}
    elif dry_run:
        report.status = "validated"
        report.revertible = False
    else:
        report.status = "imported"
    return report


def _run(
    spec, stream, size, dry_run, create_missing, progress, report, bulk, limits, batch_id=None
) -> None:
    source = open_source(stream, size, limits)
    mapping = _stage_columns(source.header)
    missing = [name for name in spec.required if name not in mapping]
    if missing:
        for name in missing:
            report.reject(1, name, "", "required column missing from the header")
        raise FileRejected
    known = {c.name for c in spec.columns}
    extra = [name for name in mapping if name not in known]
    if extra:
        report.warnings.append(f"Ignored columns: {', '.join(extra)}.")
    if len(mapping) != len(source.header):
        report.reject(1, "", ",".join(source.header), "duplicate column names in the header")
        raise FileRejected

    with connection.cursor() as cursor:
        # ON COMMIT DROP only fires at the outermost commit; inside a caller's transaction
        # the tables of an earlier import would still be there.
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}, etl_errors, etl_typed")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        columns = [sql.Identifier(f"c{i}") for i in range(len(source.header))]
        cursor.execute(
            sql.SQL(
                "CREATE TEMP TABLE {stage} (row_no bigint GENERATED ALWAYS AS IDENTITY, {cols}) "
                "ON COMMIT DROP"
            ).format(
                stage=sql.Identifier(STAGE),
                cols=sql.SQL(", ").join(sql.SQL("{} text").format(c) for c in columns),
            )
        )
        progress(5, "reading")
        _copy(cursor, source, columns, progress, report)
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(STAGE)))
        report.rows = cursor.fetchone()[0]
        if report.rows == 0:
            report.reject(2, "", "", "the file has no data rows")
            raise FileRejected
        if report.rows > limits.max_rows:  # CSV (a workbook stops at the cap while read)
            raise _rows_cap_error(limits.max_rows)
        _check_cell_lengths(cursor, len(columns), limits)
        progress(60, "validating")
        typed = _build_typed(cursor, spec, mapping)
        _collect_errors(cursor, spec, mapping, create_missing, typed)
        if typed and spec.row_checks:
            _collect_row_errors(cursor, spec)
        _report_errors(cursor, report)
        if not typed and not report.error_count:
            # The cast failed on something the row checks accept: report it as it is.
            report.reject(None, "", "", "a value could not be read (check the file's types)")
        if report.error_count:
            raise FileRejected
        progress(80, "writing")
        present = {column.name for column in spec.columns if column.name in mapping}
        writer = import_string(spec.writer) if spec.writer else bulk.WRITERS[spec.kind]
        versioned = batch_id is not None and not spec.writer and spec.kind in bulk.VERSIONED_TABLES
        extra = {"batch_id": batch_id} if versioned else {}
        if versioned:
            bulk.overwritten_table_create(cursor)
        try:
            counts = writer(
                cursor,
                relation="etl_typed",
                present=present,
                create_missing=create_missing,
                **extra,
            )
        except ImportRowsRejected as exc:
            for error in exc.errors:
                report.reject(error["row"], error["column"], error["value"], error["why"])
            raise FileRejected from None
        if versioned:
            _keep_overwritten(cursor, batch_id, bulk.OVERWRITTEN)
            report.revertible = True
        cursor.execute(f"DROP TABLE {STAGE}, etl_errors, etl_typed")
    report.inserted, report.updated = counts.inserted, counts.updated
    report.unchanged = report.rows - counts.inserted - counts.updated - counts.skipped
    if counts.skipped:
        report.warnings.append(
            f"{counts.skipped} rows of products excluded from data imports were not written."
        )
    report.created = counts.created
    progress(100, "done")


def _keep_overwritten(cursor, batch_id, overwritten: str) -> None:
    """The writer's list of overwritten rows becomes the batch's change log (ADR 28)."""
    from etl.models import ImportChange

    cursor.execute(
        sql.SQL(
            "INSERT INTO {log} (batch_id, table_name, row_id, old_batch, old) "
            "SELECT %s, table_name, row_id, old_batch, old FROM {o}"
        ).format(log=sql.Identifier(ImportChange._meta.db_table), o=sql.Identifier(overwritten)),
        [str(batch_id)],
    )
    cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(overwritten)))


def _check_cell_lengths(cursor, width: int, limits: ImportLimits) -> None:
    """No cell longer than ``IMPORT_MAX_CELL_CHARS`` (CSV; a workbook is checked as read)."""
    longest = sql.SQL("greatest({})").format(
        sql.SQL(", ").join(
            sql.SQL("coalesce(length({}), 0)").format(sql.Identifier(f"c{i}")) for i in range(width)
        )
    )
    cursor.execute(
        sql.SQL("SELECT row_no, {n} FROM {stage} WHERE {n} > %s ORDER BY row_no LIMIT 1").format(
            n=longest, stage=sql.Identifier(STAGE)
        ),
        [limits.max_cell_chars],
    )
    found = cursor.fetchone()
    if found:
        raise _FileError(
            f"A cell holds {found[1]} characters; the limit is {limits.max_cell_chars} "
            "(IMPORT_MAX_CELL_CHARS).",
            row=found[0] + 1,
        )


def _copy(cursor, source: SourceFile, columns, progress: ProgressFn, report: ImportReport) -> None:
    statement = sql.SQL(
        "COPY {stage} ({cols}) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')"
    ).format(stage=sql.Identifier(STAGE), cols=sql.SQL(", ").join(columns))
    sent = 0
    try:
        with cursor.copy(statement) as copy:
            for chunk in source.chunks:
                copy.write(chunk)
                sent += len(chunk)
                if source.size:
                    progress(5 + int(55 * min(sent / source.size, 1)), "reading")
    except psycopg.errors.DataError as exc:
        # COPY names the line (1 = first data row); make it a spreadsheet row.
        context = getattr(exc.diag, "context", "") or ""
        match = re.search(r"line (\d+)", context)
        row = int(match.group(1)) + 1 if match else None
        message = (exc.diag.message_primary or str(exc)).strip()
        if "invalid byte sequence" in message:
            message = f"not valid UTF-8 text ({message})"
        elif "extra data" in message or "missing data" in message:
            message = f"wrong number of columns ({message})"
        report.reject(row, "", "", message)
        raise FileRejected from None
