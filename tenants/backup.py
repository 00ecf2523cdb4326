"""Backup and restore of one tenant: a portable zip archive of its schema's rows and files.

The archive (ADR 26) holds ``manifest.json`` (format version, the applied migrations, per
table its columns, row count and the sha256 of its data), one ``tables/<table>.copy`` member per
table (the output of ``COPY (SELECT … ORDER BY pk) TO STDOUT (FORMAT binary)``, streamed chunk by
chunk into the zip: a 10 M row table never sits in memory) and the tenant's uploaded files under
``files/``. A zip rather than a tar: members of unknown size can be streamed in, and the manifest
(written last, when the checksums are known) is read first on restore from the central
directory, so a refused archive is refused before anything is created.

Restore creates the tenant through the normal provisioning path (the template clone), empties
the clone's seed rows and loads every table with binary COPY, all in one transaction with
triggers off (``session_replication_role = replica``; foreign keys are deferred otherwise):
checksums and row counts are verified before commit, so a bad archive leaves nothing behind.

Only raw SQL over ``pg_catalog``: the tenants app may not import the domain apps, and the
backup must cover every table whatever app owns it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import get_tenant_base_schema, schema_context
from psycopg import sql

from core.exceptions import ValidationFailed
from tenants import backup_store
from tenants.exceptions import BackupRefused
from tenants.middleware import forget_tenant_lookups
from tenants.models import Domain, Tenant

FORMAT = "demandplan-tenant-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20
SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: list[str]
    order_by: list[str]


@dataclass
class ExportResult:
    path: str
    tables: int
    rows: int
    files: int
    bytes: int
    manifest: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class ImportResult:
    tenant: Tenant
    tables: int
    rows: int
    files: int
    migrated_forward: list[str]


def _raw(cursor: Any) -> Any:
    return getattr(cursor, "cursor", cursor)


# Derived state, left out of archives and checksums: ``core_tableversion`` holds the versions
# the statement triggers give the tables they watch (ADR 50). A restore's TRUNCATE gives the
# restored tables a fresh version; the archived one would name cached counts of other rows.
DERIVED_TABLES = ["core_tableversion"]


def _schema_tables(cursor: Any, schema: str) -> list[TableInfo]:
    """Every ordinary table of ``schema`` (but ``DERIVED_TABLES``) with its stored columns (in
    order) and primary key."""
    cursor.execute(
        """
        SELECT c.relname,
               array_agg(a.attname::text ORDER BY a.attnum)
                 FILTER (WHERE a.attgenerated = ''),
               coalesce((SELECT array_agg(pa.attname::text ORDER BY k.ord)
                           FROM pg_index i
                           CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                           JOIN pg_attribute pa ON pa.attrelid = i.indrelid
                                               AND pa.attnum = k.attnum
                          WHERE i.indrelid = c.oid AND i.indisprimary), '{}')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname <> ALL(%s)
         GROUP BY c.oid, c.relname ORDER BY c.relname
        """,
        [schema, DERIVED_TABLES],
    )
    return [TableInfo(name, list(columns), list(pk)) for name, columns, pk in cursor.fetchall()]


def _applied_migrations(cursor: Any, schema: str) -> list[list[str]]:
    cursor.execute(
        sql.SQL("SELECT app, name FROM {}.django_migrations ORDER BY app, name").format(
            sql.Identifier(schema)
        )
    )
    return [[app, name] for app, name in cursor.fetchall()]


def _select(schema: str, table: TableInfo) -> sql.Composable:
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in table.columns)
    query = sql.SQL("SELECT {} FROM {}.{}").format(
        columns, sql.Identifier(schema), sql.Identifier(table.name)
    )
    if table.order_by:
        query += sql.SQL(" ORDER BY {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in table.order_by)
        )
    return query


def _copy_out(cursor: Any, schema: str, table: TableInfo) -> Iterator[bytes]:
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(_select(schema, table))
    with _raw(cursor).copy(statement) as copy:
        yield from copy


def _row_count(cursor: Any, schema: str, table: str) -> int:
    cursor.execute(
        sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    )
    return int(cursor.fetchone()[0])


def _upload_root(schema: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "uploads" / schema


@contextmanager
def _snapshot() -> Iterator[Any]:
    """A cursor in one repeatable-read, read-only transaction (or in the caller's transaction
    when one is open: it sees what the caller wrote)."""
    outer = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if not outer:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield cursor


def table_checksums(schema: str) -> dict[str, dict[str, Any]]:
    """``{table: {"rows", "sha256"}}`` of ``schema``, computed exactly as the export does (rows
    in primary key order): two schemas with the same data have the same checksums."""
    result = {}
    with _snapshot() as cursor:
        for table in _schema_tables(cursor, schema):
            digest = hashlib.sha256()
            for chunk in _copy_out(cursor, schema, table):
                digest.update(chunk)
            result[table.name] = {
                "rows": _row_count(cursor, schema, table.name),
                "sha256": digest.hexdigest(),
            }
    return result


# --- export ----------------------------------------------------------------------------------


def export_tenant(tenant: Tenant, target: str | IO[bytes], *, progress: Progress | None = None):
    """Write ``tenant``'s archive to ``target`` (a path or a writable binary file). One
    repeatable-read snapshot: the tables are consistent with each other."""
    schema = tenant.schema_name
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "source": {"slug": tenant.slug, "name": tenant.name, "schema": schema},
        "migrations": [],
        "tables": {},
        "files": {},
    }
    total_rows = 0
    with (
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        _snapshot() as cursor,
    ):
        manifest["migrations"] = _applied_migrations(cursor, schema)
        for table in _schema_tables(cursor, schema):
            digest = hashlib.sha256()
            with archive.open(f"tables/{table.name}.copy", "w", force_zip64=True) as member:
                for chunk in _copy_out(cursor, schema, table):
                    digest.update(chunk)
                    member.write(chunk)
            rows = _row_count(cursor, schema, table.name)
            manifest["tables"][table.name] = {
                "columns": table.columns,
                "rows": rows,
                "sha256": digest.hexdigest(),
            }
            total_rows += rows
            if progress:
                progress(f"{table.name}: {rows} rows")
        root = _upload_root(schema)
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                relative = path.relative_to(root).as_posix()
                digest = hashlib.sha256()
                with path.open("rb") as source, archive.open(f"files/{relative}", "w") as member:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        member.write(chunk)
                manifest["files"][relative] = {"sha256": digest.hexdigest()}
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
    size = os.path.getsize(target) if isinstance(target, str | os.PathLike) else 0
    return ExportResult(
        path=str(target) if isinstance(target, str | os.PathLike) else "",
        tables=len(manifest["tables"]),
        rows=total_rows,
        files=len(manifest["files"]),
        bytes=size,
        manifest=manifest,
    )


# --- import ----------------------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError) as exc:
        raise BackupRefused("Not a tenant archive: no readable manifest.json.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupRefused("Not a tenant archive.", details={"format": manifest.get("format")})
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupRefused(
            "The archive's format is newer than this code.",
            details={"format_version": manifest.get("format_version")},
        )
    return manifest


def _migration_plan(applied: list[list[str]], template_applied: set[tuple[str, str]]):
    """(targets to move the fresh clone back to the archive's state, or None when it is already
    there; the migrations the restore applies forward). Refuses migrations the code lacks."""
    archived = {(app, name) for app, name in applied}
    unknown = sorted(archived - template_applied)
    if unknown:
        raise BackupRefused(
            "The archive was made by newer code: it has migrations this code does not.",
            details={"migrations": [f"{app}.{name}" for app, name in unknown]},
        )
    missing = template_applied - archived
    if not missing:
        return None, []
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    targets = []
    for app in sorted({app for app, _ in template_applied}):
        nodes = [node for node in archived if node[0] == app and node in graph.nodes]
        if nodes:
            targets.append(max(nodes, key=lambda node: len(graph.forwards_plan(node))))
        else:
            targets.append((app, None))
    return targets, sorted(f"{app}.{name}" for app, name in missing)


def _migrate(schema: str, targets: list[tuple[str, str | None]] | None) -> None:
    """Migrate ``schema`` to ``targets`` (every app's latest when None), in the open
    transaction."""
    from django.db.migrations.executor import MigrationExecutor

    connection.set_schema(schema, include_public=False)
    executor = MigrationExecutor(connection)
    if targets is None:
        targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    if plan:
        executor.migrate(targets, plan=plan)
    connection.set_schema_to_public()


def _superuser(cursor: Any) -> bool:
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return bool(cursor.fetchone()[0])


def _reset_sequences(cursor: Any, schema: str) -> None:
    """Every sequence owned by a column of ``schema`` moved past that column's max."""
    cursor.execute(
        """
        SELECT c.relname, a.attname,
               pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                                      a.attname)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = %s AND c.relkind = 'r'
        """,
        [schema],
    )
    for table, column, sequence in cursor.fetchall():
        if not sequence:
            continue
        cursor.execute(
            sql.SQL("SELECT setval({seq}, coalesce(max({col}), 0) + 1, false) FROM {s}.{t}").format(
                seq=sql.Literal(sequence),
                col=sql.Identifier(column),
                s=sql.Identifier(schema),
                t=sql.Identifier(table),
            )
        )


def _copy_in(cursor: Any, archive: zipfile.ZipFile, schema: str, name: str, info: dict) -> None:
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in info["columns"])
    statement = sql.SQL("COPY {}.{} ({}) FROM STDIN (FORMAT binary)").format(
        sql.Identifier(schema), sql.Identifier(name), columns
    )
    digest = hashlib.sha256()
    raw = _raw(cursor)
    try:
        with archive.open(f"tables/{name}.copy") as member:
            try:
                with raw.copy(statement) as copy:
                    while chunk := member.read(CHUNK):
                        digest.update(chunk)
                        copy.write(chunk)
            except psycopg.Error as exc:
                # Damaged data PostgreSQL cannot parse: name it a checksum failure when it is one.
                while chunk := member.read(CHUNK):
                    digest.update(chunk)
                if digest.hexdigest() != info["sha256"]:
                    raise BackupRefused(
                        "A table's checksum does not match.", details={"table": name}
                    ) from exc
                raise BackupRefused(
                    "A table could not be loaded.", details={"table": name, "error": str(exc)}
                ) from exc
    except KeyError:
        raise BackupRefused("A table is missing.", details={"table": name}) from None
    except zipfile.BadZipFile as exc:
        raise BackupRefused("The archive is damaged.", details={"table": name}) from exc
    if digest.hexdigest() != info["sha256"]:
        raise BackupRefused("A table's checksum does not match.", details={"table": name})
    if raw.rowcount != info["rows"]:
        raise BackupRefused(
            "A table's row count does not match.",
            details={"table": name, "expected": info["rows"], "loaded": raw.rowcount},
        )


def _restore_files(archive: zipfile.ZipFile, manifest: dict, schema: str) -> int:
    root = _upload_root(schema)
    for relative, info in manifest.get("files", {}).items():
        target = (root / relative).resolve()
        if not target.is_relative_to(root.resolve()):
            raise BackupRefused(
                "A file path leaves the tenant's directory.", details={"file": relative}
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with archive.open(f"files/{relative}") as source, target.open("wb") as sink:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
        except (KeyError, zipfile.BadZipFile) as exc:
            raise BackupRefused(
                "A file is missing or damaged.", details={"file": relative}
            ) from exc
        if digest.hexdigest() != info["sha256"]:
            raise BackupRefused("A file's checksum does not match.", details={"file": relative})
    return len(manifest.get("files", {}))


def _default_slug(schema: str) -> str:
    return re.sub(r"^t-", "", schema.replace("_", "-")).strip("-")[:40]


def import_tenant(
    source: str | IO[bytes],
    *,
    schema: str,
    domain: str | None = None,
    slug: str | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Restore an archive into a new tenant whose schema is exactly ``schema``. All or
    nothing: a refused or failed restore leaves no tenant, schema, domain or file behind."""
    from tenants.services import template_ensure, validate_slug

    if not SCHEMA_RE.match(schema) or schema in {"public", settings.TENANT_BASE_SCHEMA}:
        raise ValidationFailed(
            "A schema name is lowercase letters, digits and _, not public or the template.",
            details={"schema": schema},
        )
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupRefused("Not a readable zip archive.") from exc
    with archive:
        manifest = read_manifest(archive)
        slug = validate_slug(slug or _default_slug(schema))
        domain = (domain or f"{slug}.{settings.TENANT_DOMAIN_SUFFIX}").strip().lower()
        name = name or f"{manifest['source'].get('name') or manifest['source']['slug']} (restored)"
        with schema_context("public"):
            template_ensure()
            if Tenant.objects.filter(schema_name=schema).exists():
                raise ValidationFailed("That schema exists already.", details={"schema": schema})
            if Tenant.objects.filter(slug=slug).exists():
                raise ValidationFailed("That slug is taken.", details={"slug": slug})
            if Domain.objects.filter(domain=domain).exists():
                raise ValidationFailed("That domain is taken.", details={"domain": domain})
            with connection.cursor() as cursor:
                template_applied = {
                    (app, name_)
                    for app, name_ in _applied_migrations(cursor, get_tenant_base_schema())
                }
            back_to, forward = _migration_plan(manifest["migrations"], template_applied)
            written_files = _upload_root(schema)
            try:
                with transaction.atomic():
                    result = _restore(
                        archive, manifest, schema, slug, name, domain, back_to, progress
                    )
            except BaseException:
                connection.set_schema_to_public()
                shutil.rmtree(written_files, ignore_errors=True)
                raise
    forget_tenant_lookups()
    result.migrated_forward = forward
    return result


def _restore(archive, manifest, schema, slug, name, domain, back_to, progress) -> ImportResult:
    # The normal provisioning path: the tenant row's save clones the template.
    tenant = Tenant(schema_name=schema, slug=slug, name=name)
    tenant.save(verbosity=0)
    Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
    if back_to is not None:
        _migrate(schema, back_to)  # the clone taken back to the archive's migrations
    with connection.cursor() as cursor:
        tables = {t.name: t for t in _schema_tables(cursor, schema)}
        extra = sorted(set(manifest["tables"]) - set(tables))
        if extra:
            raise BackupRefused(
                "The archive has tables this schema lacks.", details={"tables": extra}
            )
        if tables:
            cursor.execute(
                sql.SQL("TRUNCATE {}").format(
                    sql.SQL(", ").join(
                        sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(t))
                        for t in sorted(tables)
                    )
                )
            )
        replica = _superuser(cursor)
        if replica:
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        rows = 0
        for table, info in sorted(manifest["tables"].items()):
            _copy_in(cursor, archive, schema, table, info)
            rows += info["rows"]
            if progress:
                progress(f"{table}: {info['rows']} rows")
        if replica:
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _reset_sequences(cursor, schema)
        files = _restore_files(archive, manifest, schema)
        if files and "core_upload" in tables:
            old = f"uploads/{manifest['source']['schema']}/"
            cursor.execute(
                sql.SQL(
                    "UPDATE {}.core_upload SET file = %s || substr(file, %s) WHERE file LIKE %s"
                ).format(sql.Identifier(schema)),
                [f"uploads/{schema}/", len(old) + 1, old.replace("_", r"\_") + "%"],
            )
    if back_to is not None:
        _migrate(schema, None)
        with connection.cursor() as cursor:
            _reset_sequences(cursor, schema)
    return ImportResult(
        tenant=tenant, tables=len(manifest["tables"]), rows=rows, files=files, migrated_forward=[]
    )


# --- the backup store: nightly exports, staff exports, retention (ADR 26, ADR 41) ------------

BACKUP_NAME_RE = backup_store.BACKUP_NAME_RE


def backup_name(tenant: Tenant) -> str:
    return f"{tenant.slug}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.zip"


def backup_write(tenant: Tenant, name: str | None = None) -> str:
    """Export ``tenant`` into the backup store (``BACKUP_TARGET``: a directory or a bucket),
    streamed; the backup appears only complete. Returns where it was written."""
    name = name or backup_name(tenant)

    def write(sink: IO[bytes]) -> None:
        with schema_context(tenant.schema_name):
            export_tenant(tenant, sink)

    return backup_store.store().write(tenant.slug, name, write)


def backups_list(slug: str) -> list[dict[str, Any]]:
    """The complete backups of a tenant, newest first."""
    return backup_store.store().list(slug)


def backup_open(slug: str, name: str) -> IO[bytes] | None:
    """A readable stream of one backup, or None."""
    return backup_store.store().open(slug, name)


def backups_prune(slug: str, keep: int) -> list[str]:
    """Delete all but the ``keep`` newest backups of a tenant; returns the deleted names."""
    removed = [entry["name"] for entry in backups_list(slug)[max(keep, 1) :]]
    if removed:
        backup_store.store().delete(slug, removed)
    return removed


def backups_bytes(slug: str) -> int:
    return sum(entry["bytes"] for entry in backups_list(slug))


@contextmanager
def archive_source(source: str) -> Iterator[str]:
    """A local path for ``source``: a path, ``file:///path``, ``s3://bucket/key`` (downloaded
    to a temporary file with the ``BACKUP_S3_*`` settings, removed afterwards) or
    ``backup:<slug>/<name>`` (one of the configured store's backups)."""
    if source.startswith("backup:"):
        slug, _, name = source.removeprefix("backup:").partition("/")
        with backup_store.store().fetch(slug, name) as path:
            if path is None:
                raise FileNotFoundError(f"No backup {name!r} of {slug!r} in the backup store.")
            yield str(path)
        return
    if source.startswith("s3://"):
        location = backup_store.parse_s3_url(source)
        if location is None:
            raise FileNotFoundError(f"Not an s3://bucket/key address: {source!r}")
        with backup_store.download(*location) as path:
            if path is None:
                raise FileNotFoundError(f"No such object: {source}")
            yield str(path)
        return
    yield source.removeprefix("file://")
