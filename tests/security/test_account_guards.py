"""Guards on the accounts a tenant depends on: the last administrator stays one, and API keys
never manage users or keys (a leaked partner key is not a takeover)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_key_create, user_set_active, user_set_role
from core.exceptions import Conflict
from tests.conftest import HOST_A, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db


def _only_admin() -> User:
    User.objects.filter(role=User.Role.ADMIN).update(role=User.Role.VIEWER, is_staff=False)
    return make_user(User.Role.ADMIN)


def test_the_last_admin_cannot_be_demoted_or_deactivated():
    admin = _only_admin()
    with pytest.raises(Conflict):
        user_set_role(user=admin, role=User.Role.PLANNER)
    with pytest.raises(Conflict):
        user_set_active(user=admin, is_active=False)
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (User.Role.ADMIN, True)
    # With a second administrator either may step down.
    make_user(User.Role.ADMIN)
    assert user_set_role(user=admin, role=User.Role.PLANNER).role == User.Role.PLANNER


def test_the_last_admin_cannot_demote_themselves_through_the_api():
    admin = _only_admin()
    response = client_for(HOST_A, admin).post(
        f"/api/v1/users/{admin.pk}/role/", {"role": "viewer"}, format="json"
    )
    assert_error(response, 409, "conflict")
    admin.refresh_from_db()
    assert admin.role == User.Role.ADMIN


def test_the_last_admin_cannot_demote_themselves_in_the_back_office():
    admin = _only_admin()
    admin.is_superuser = True
    admin.save()
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{admin.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions")
    }
    data.update(role="viewer", is_active="on", date_joined_0="2026-01-01", date_joined_1="00:00")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/accounts/user/{admin.pk}/change/", data)
    assert response.status_code == 200  # the form again, with the error
    assert b"last administrator" in response.content
    admin.refresh_from_db()
    assert admin.role == User.Role.ADMIN


def test_a_write_api_key_cannot_create_users_or_keys():
    admin = make_user(User.Role.ADMIN)
    _key, raw = api_key_create(user=admin, name="partner", scopes=["read", "write"])
    client = APIClient(HTTP_HOST=HOST_A, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    created = client.post(
        "/api/v1/users/",
        {"email": "mallory@example.com", "password": "x-Very-long-pass-42", "role": "admin"},
        format="json",
    )
    assert_error(created, 403)
    assert not User.objects.filter(email="mallory@example.com").exists()
    assert_error(client.post("/api/v1/api-keys/", {"name": "more", "scopes": ["write"]}), 403)
    assert_error(client.get("/api/v1/users/"), 403)
    # The same admin in person still manages users.
    in_person = client_for(HOST_A, admin).get("/api/v1/users/")
    assert in_person.status_code == 200
