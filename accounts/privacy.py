"""A person's data (GDPR): export it, or erase it (ADR 34).

``user_personal_data`` gathers what the platform holds about one user of the active tenant:
the profile, the metadata of their API keys (never the secrets, which are only hashes), and
the audit entries they made. ``user_erase`` removes the person and keeps the records: personal
fields are replaced by a pseudonym, sessions, refresh tokens and API keys are revoked, audit
entries keep what happened but not who, and finally every text column of the tenant's schema
is searched for the e-mail address and has it replaced — free text (an import's report, a
webhook payload, the back office's change messages) cannot hide a copy.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from accounts.models import ApiKey, User
from core.audit import audit_record
from core.exceptions import Conflict
from core.models import AuditLog

ERASED_LABEL = "erased user"


def user_personal_data(*, user: User) -> dict[str, Any]:
    """The user's profile, API keys' metadata and the audit entries they made, as plain JSON
    values (timestamps ISO-8601 UTC)."""

    def iso(value):
        return value.isoformat() if value else None

    keys = ApiKey.objects.filter(user=user).order_by("created_at")
    entries = AuditLog.objects.filter(actor=user).order_by("created_at", "id")
    return {
        "exported_at": timezone.now().isoformat(),
        "tenant": connection.schema_name,
        "profile": {
            "id": user.pk,
            "email": user.email,
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": user.role,
            "is_active": user.is_active,
            "date_joined": iso(user.date_joined),
            "last_login": iso(user.last_login),
        },
        "api_keys": [
            {
                "name": key.name,
                "prefix": key.prefix,
                "scopes": list(key.scopes),
                "created_at": iso(key.created_at),
                "expires_at": iso(key.expires_at),
                "last_used_at": iso(key.last_used_at),
                "revoked_at": iso(key.revoked_at),
            }
            for key in keys
        ],
        "audit_entries": [
            {
                "created_at": iso(entry.created_at),
                "action": entry.action,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "object_repr": entry.object_repr,
                "changes": entry.changes,
                "request_id": entry.request_id,
            }
            for entry in entries
        ],
    }


def _text_columns(cursor) -> list[tuple[str, str, str]]:
    cursor.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
        "WHERE c.table_schema = current_schema() "
        "AND c.data_type IN ('character varying', 'text', 'jsonb', 'json') "
        "ORDER BY c.table_name, c.column_name"
    )
    return list(cursor.fetchall())


def scrub_text(*, needle: str, replacement: str) -> int:
    """Replace ``needle`` (case-insensitive) in every text and JSON column of the active
    tenant's schema. Returns the number of rows changed. One UPDATE per column that contains
    it; a column's length limit is respected by the replacement being no longer than needed."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    changed = 0
    with connection.cursor() as cursor:
        for table, column, data_type in _text_columns(cursor):
            target = sql.Identifier(column)
            as_text = (
                sql.SQL("{}::text").format(target) if data_type in ("jsonb", "json") else target
            )
            replaced = sql.SQL("regexp_replace({}, {}, {}, 'gi')").format(
                as_text, sql.Literal(_regex_escape(needle)), sql.Literal(replacement)
            )
            if data_type in ("jsonb", "json"):
                replaced = sql.SQL("({})::{}").format(replaced, sql.SQL(data_type))
            update = sql.SQL("UPDATE {table} SET {column} = {value} WHERE {text} ILIKE {pattern}")
            cursor.execute(
                update.format(
                    table=sql.Identifier(table),
                    column=target,
                    value=replaced,
                    text=as_text,
                    pattern=sql.Literal(pattern),
                )
            )
            changed += cursor.rowcount
    return changed


def _regex_escape(text: str) -> str:
    import re

    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _sessions_revoke(user: User) -> int:
    """Delete the user's back-office sessions (a session stores the user id, encoded)."""
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


def _refresh_tokens_revoke(user: User) -> int:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    outstanding = OutstandingToken.objects.filter(user=user)
    for token in outstanding:
        BlacklistedToken.objects.get_or_create(token=token)
    return outstanding.count()


def user_erase(*, user: User, by: User | None = None) -> dict[str, int]:
    """Erase ``user`` as a person and keep the tenant's records. Irreversible. The tenant's
    last active administrator cannot be erased (409). Returns what was done, in counts."""
    from accounts.services import _refuse_losing_last_admin

    if user.username.startswith("erased-"):
        raise Conflict("This user is already erased.", details={"user": user.pk})
    email = user.email
    pseudonym = f"erased-{user.pk}-{secrets.token_hex(4)}"
    with transaction.atomic():
        _refuse_losing_last_admin(user=user, stays_admin=False)
        sessions = _sessions_revoke(user)
        tokens = _refresh_tokens_revoke(user)
        keys = ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        ApiKey.objects.filter(user=user).update(name=ERASED_LABEL)
        audit = AuditLog.objects.filter(actor=user).update(actor=None, actor_label=ERASED_LABEL)
        user.email = f"{pseudonym}@erased.invalid"
        user.username = user.email
        user.first_name = user.last_name = ""
        user.password = make_password(None)  # unusable
        user.is_active = False
        user.last_login = None
        user.save()
        # An address stays an address (columns hold e-mails: recipients, contacts), pseudonymous.
        scrubbed = scrub_text(needle=email, replacement=user.email) if email else 0
        audit_record(
            action="action",
            object_type="accounts.user",
            object_id=user.pk,
            object_repr=f"user #{user.pk} erased",
            changes={"erased": True},
            actor=by,
        )
    return {
        "sessions": sessions,
        "refresh_tokens": tokens,
        "api_keys": keys,
        "audit_entries": audit,
        "rows_scrubbed": scrubbed,
    }
