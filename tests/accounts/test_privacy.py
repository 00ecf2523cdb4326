"""GDPR: one person's data exported as JSON; erasure leaves no trace of their e-mail in any
text column of the tenant schema, revokes every way in, and keeps the records."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context
from psycopg import sql

from accounts.models import ApiKey, User
from accounts.services import api_key_create
from catalog.models import Product
from core.models import AuditLog
from tests.conftest import (
    HOST_A,
    PASSWORD,
    assert_error,
    client_for,
    make_user,
    schema_for_host,
    tokens_for,
)

pytestmark = pytest.mark.django_db


def _occurrences(needle: str) -> list[str]:
    """Every text/JSON column of the active schema that contains ``needle`` (any case)."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
            "WHERE c.table_schema = current_schema() AND c.data_type IN "
            "('character varying', 'text', 'jsonb', 'json', 'character')"
        )
        for table, column in cursor.fetchall():
            cursor.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE {}::text ILIKE {}").format(
                    sql.Identifier(table), sql.Identifier(column), sql.Literal(f"%{needle}%")
                )
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def _sessions_of(user: User) -> int:
    from django.contrib.sessions.models import Session

    return sum(
        1
        for session in Session.objects.all()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    )


@pytest.fixture
def person():
    email = f"Jane.Doe-{uuid.uuid4().hex[:6]}@example.com"
    user = make_user(User.Role.PLANNER, email=email, first_name="Jane", last_name="Doe")
    return user


def test_personal_data_export(person, tenant_admin):
    key, _ = api_key_create(user=person, name="ERP sync", scopes=["read"])
    client = client_for(HOST_A, person)
    client.post("/api/v1/products/", {"sku": "GDPR-1", "name": "Made by Jane"}, format="json")
    response = client_for(HOST_A, tenant_admin).get(f"/api/v1/users/{person.pk}/personal-data/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["profile"]["email"] == person.email
    assert body["profile"]["first_name"] == "Jane"
    assert body["api_keys"] == [
        {
            "name": "ERP sync",
            "prefix": key.prefix,
            "scopes": key.scopes,
            "created_at": key.created_at.isoformat(),
            "expires_at": None,
            "last_used_at": None,
            "revoked_at": None,
        }
    ]
    assert "key_hash" not in str(body) and key.key_hash not in str(body)
    made = [e for e in body["audit_entries"] if e["object_type"] == "catalog.product"]
    assert made and made[0]["action"] == "create"


def test_personal_data_and_erasure_are_for_admins_in_person(person, planner):
    assert_error(client_for(HOST_A, planner).get(f"/api/v1/users/{person.pk}/personal-data/"), 403)
    assert_error(client_for(HOST_A, planner).post(f"/api/v1/users/{person.pk}/erase/"), 403)


def test_erasure_leaves_no_email_in_the_tenant_schema(person, tenant_admin):
    email = person.email
    _, raw_key = api_key_create(user=person, name=f"key of {email}", scopes=["read", "write"])
    access, refresh = tokens_for(person, HOST_A)
    client = client_for(HOST_A, HTTP_AUTHORIZATION=f"Bearer {access}")
    created = client.post(
        "/api/v1/products/",
        {"sku": "GDPR-2", "name": f"Requested by {email.upper()}"},
        format="json",
    )
    assert created.status_code == 201, created.content
    browser = Client(HTTP_HOST=HOST_A)
    assert browser.login(username=person.username, password=PASSWORD)
    assert _sessions_of(person) == 1
    assert _occurrences(email), "the set-up should have put the e-mail somewhere"

    response = client_for(HOST_A, tenant_admin).post(f"/api/v1/users/{person.pk}/erase/")
    assert response.status_code == 200, response.content
    done = response.json()
    assert done["api_keys"] == 1 and done["refresh_tokens"] >= 1 and done["rows_scrubbed"] >= 1

    with schema_context(schema_for_host(HOST_A)):
        assert _occurrences(email) == []
        person.refresh_from_db()
        assert not person.is_active and not person.has_usable_password()
        assert person.first_name == person.last_name == ""
        # The records stay, without the person.
        entries = AuditLog.objects.filter(object_type="catalog.product", object_id__isnull=False)
        made = entries.filter(actor_label="erased user")
        assert made.exists() and not made.filter(actor__isnull=False).exists()
        assert Product.objects.filter(sku="GDPR-2").exists()
        assert ApiKey.objects.get(user=person).revoked_at is not None

    # Every way in is closed: access token, refresh token, API key, back-office session.
    assert_error(client.get("/api/v1/me"), 401)
    refreshed = client_for(HOST_A).post(
        "/api/v1/auth/token/refresh", {"refresh": refresh}, format="json"
    )
    assert refreshed.status_code == 401
    assert_error(client_for(HOST_A, HTTP_AUTHORIZATION=f"Api-Key {raw_key}").get("/api/v1/me"), 401)
    with schema_context(schema_for_host(HOST_A)):
        assert _sessions_of(person) == 0
    # Twice is a conflict, not a second erasure.
    again = client_for(HOST_A, tenant_admin).post(f"/api/v1/users/{person.pk}/erase/")
    assert_error(again, 409)


def test_the_last_administrator_cannot_be_erased(tenant_admin):
    from accounts.privacy import user_erase
    from core.exceptions import Conflict

    User.objects.exclude(pk=tenant_admin.pk).filter(role=User.Role.ADMIN).update(is_active=False)
    with pytest.raises(Conflict):
        user_erase(user=tenant_admin)


def test_erasure_is_per_tenant(tenant_admin):
    """An id from tenant beta names nobody (or somebody else) on alpha's host."""
    with schema_context("t_beta"):
        other = make_user(User.Role.VIEWER, email=f"beta-{uuid.uuid4().hex[:6]}@example.com")
    if not User.objects.filter(pk=other.pk).exists():
        assert_error(client_for(HOST_A, tenant_admin).post(f"/api/v1/users/{other.pk}/erase/"), 404)
    with schema_context("t_beta"):
        other.refresh_from_db()
        assert other.is_active and other.email.startswith("beta-")
