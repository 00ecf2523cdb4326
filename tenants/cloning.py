"""Fast schema cloning: a new tenant schema as an exact copy of the migrated template.

django-tenants ships a general ``clone_schema`` PL/pgSQL function. It handles every kind of
object but walks the catalogue object by object, and it slows down as the database grows
(measured here: 0.4 s per tenant with 10 tenants, 1.9 s on average over 50). This module
reads the template's catalogue in four queries and replays it as one batch of DDL:

* tables with ``CREATE TABLE … (LIKE template.table INCLUDING DEFAULTS, IDENTITY, …)``,
* every constraint (primary, unique, check, exclusion, foreign key) and every index under its
  **original name**, so later migrations that drop or rename them by name work on clones,
* the template's rows (migration history, content types, permissions), and the identity
  sequences moved past them,
* every trigger, after the rows, on the same function (one outside the schema, such as
  ``public.core_bump_table_version``: a function in the template is not reproduced).

When the template holds anything this path does not reproduce (views, functions,
sequences not owned by identity columns, enum types, partitioned or inherited tables, or a
default that names the template schema), it falls back to django-tenants' general clone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from psycopg import sql


@dataclass(frozen=True)
class TemplateCatalog:
    tables: list[str]
    constraints: list[tuple[str, str, str, str]]  # table, name, kind, definition
    indexes: list[str]  # CREATE INDEX statements (not backing a constraint), table unqualified
    identities: list[tuple[str, str]]  # table, column
    triggers: list[str]  # CREATE TRIGGER statements, table unqualified


def _unsupported_objects(cursor, schema: str) -> list[str]:
    cursor.execute(
        """
        SELECT 'relation ' || c.relname || ' (' || c.relkind::text || ')'
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = %(s)s
           AND (c.relkind IN ('v', 'm', 'p', 'f')
                OR (c.relkind = 'r' AND c.relispartition)
                OR (c.relkind = 'S' AND NOT EXISTS (
                      SELECT 1 FROM pg_depend d
                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                         AND d.deptype IN ('a', 'i'))))
        UNION ALL
        SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n
            ON n.oid = p.pronamespace WHERE n.nspname = %(s)s
        UNION ALL
        SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = %(s)s AND t.typtype IN ('e', 'd', 'r', 'm')
        UNION ALL
        SELECT 'inheritance ' || c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(s)s
        UNION ALL
        SELECT 'default naming the schema on ' || c.relname
          FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = %(s)s AND pg_get_expr(d.adbin, d.adrelid) LIKE '%%' || %(s)s || '.%%'
        """,
        {"s": schema},
    )
    return [row[0] for row in cursor.fetchall()]


def _quote_ident(cursor, name: str) -> str:
    cursor.execute("SELECT quote_ident(%s)", [name])
    return cursor.fetchone()[0]


def _unqualified(rows: list[tuple[str, str]], qualified_template: str, kind: str) -> list[str]:
    """``(definition, quoted table)`` rows with ``ON template.table`` made ``ON table``, to be
    run with the target on the search path."""
    statements = []
    for definition, quoted_table in rows:
        needle = f" ON {qualified_template}.{quoted_table} "
        if needle not in definition:
            raise RuntimeError(f"Unexpected {kind} definition: {definition}")
        statements.append(definition.replace(needle, f" ON {quoted_table} ", 1))
    return statements


def read_template(cursor, schema: str) -> TemplateCatalog:
    """The template's tables, constraints, indexes and identity columns, with definitions
    rendered unqualified (the search path is the template while they are read)."""
    cursor.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY c.relname
        """,
        [schema],
    )
    tables = [row[0] for row in cursor.fetchall()]
    # Foreign keys last: they need the referenced unique constraints in place.
    cursor.execute(
        """
        SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = %s AND con.contype IN ('p', 'u', 'c', 'x', 'f')
         ORDER BY CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2
                                   WHEN 'c' THEN 3 ELSE 4 END, c.relname, con.conname
        """,
        [schema],
    )
    constraints = [tuple(row) for row in cursor.fetchall()]
    # pg_get_indexdef always qualifies the table ("ON tenant_template.x"): keep that exact
    # qualified name to swap for the target's.
    qualified_template = _quote_ident(cursor, schema)
    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid), quote_ident(c.relname)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = %s
           AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                                                             AND con.conrelid = i.indrelid)
         ORDER BY 1
        """,
        [schema],
    )
    indexes = _unqualified(cursor.fetchall(), qualified_template, "index")
    cursor.execute(
        """
        SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = %s AND c.relkind = 'r' AND a.attidentity <> '' AND NOT a.attisdropped
        """,
        [schema],
    )
    identities = [tuple(row) for row in cursor.fetchall()]
    # pg_get_triggerdef qualifies the table as pg_get_indexdef does, and the function whenever
    # it is not on the path (only the template is): it names the function's own schema.
    cursor.execute(
        """
        SELECT pg_get_triggerdef(t.oid), quote_ident(c.relname)
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = %s AND NOT t.tgisinternal
         ORDER BY c.relname, t.tgname
        """,
        [schema],
    )
    triggers = _unqualified(cursor.fetchall(), qualified_template, "trigger")
    cursor.execute("SET LOCAL search_path TO public")
    return TemplateCatalog(tables, constraints, indexes, identities, triggers)


def clone_statements(catalog: TemplateCatalog, template: str, target: str) -> list[sql.Composable]:
    t, n = sql.Identifier(template), sql.Identifier(target)
    statements: list[sql.Composable] = [
        sql.SQL("CREATE SCHEMA {}").format(n),
    ]
    for table in catalog.tables:
        statements.append(
            sql.SQL(
                "CREATE TABLE {n}.{tb} (LIKE {t}.{tb} INCLUDING DEFAULTS INCLUDING IDENTITY "
                "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS)"
            ).format(n=n, t=t, tb=sql.Identifier(table))
        )
        statements.append(
            sql.SQL("INSERT INTO {n}.{tb} OVERRIDING SYSTEM VALUE SELECT * FROM {t}.{tb}").format(
                n=n, t=t, tb=sql.Identifier(table)
            )
        )
    # Constraint and index definitions are unqualified: run them with the target on the path.
    statements.append(sql.SQL("SET LOCAL search_path TO {}").format(n))
    for table, name, _kind, definition in catalog.constraints:
        statements.append(
            sql.SQL("ALTER TABLE {tb} ADD CONSTRAINT {name} {definition}").format(
                tb=sql.Identifier(table), name=sql.Identifier(name), definition=sql.SQL(definition)
            )
        )
    statements.extend(sql.SQL(statement) for statement in catalog.indexes)
    for table, column in catalog.identities:
        statements.append(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({qualified}, {col}), "
                "coalesce(max({column}), 0) + 1, false) FROM {tb}"
            ).format(
                qualified=sql.Literal(f'"{target}"."{table}"'),
                col=sql.Literal(column),
                column=sql.Identifier(column),
                tb=sql.Identifier(table),
            )
        )
    # Triggers last: the rows copied above are the template's, written by no one here.
    statements.extend(sql.SQL(statement) for statement in catalog.triggers)
    statements.append(sql.SQL("SET LOCAL search_path TO public"))
    return statements


def clone_schema(template: str, target: str) -> str:
    """Create ``target`` as a copy of ``template`` (structure, names and rows). Returns which
    path was used: ``"fast"`` or ``"general"``. One transaction: all of it or nothing."""
    with transaction.atomic(), connection.cursor() as cursor:
        if _unsupported_objects(cursor, template):
            from django_tenants.clone import CloneSchema

            CloneSchema().clone_schema(template, target, "DATA", set_connection=False)
            return "general"
        catalog = read_template(cursor, template)
        batch = sql.SQL(";\n").join(clone_statements(catalog, template, target))
        cursor.execute(batch.as_string(cursor.connection))
    return "fast"
