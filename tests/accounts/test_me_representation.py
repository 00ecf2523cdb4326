"""``/me`` builds its answer directly (ADR 37); it must stay what DRF's ModelSerializer gives."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from accounts.api.serializers import MeSerializer
from accounts.models import User
from tests.conftest import HOST_A, client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [User.Role.ADMIN, User.Role.VIEWER])
def test_me_is_what_the_model_serializer_gives(role):
    user = UserFactory(role=role, first_name="Zoë", last_name="")
    fast = MeSerializer(user).data
    drf = serializers.ModelSerializer.to_representation(MeSerializer(user), user)
    assert fast == drf
    assert list(fast) == list(drf)


def test_me_over_http(tenant_admin):
    body = client_for(HOST_A, tenant_admin).get("/api/v1/me").json()
    assert body == {
        "id": tenant_admin.pk,
        "email": tenant_admin.email,
        "first_name": tenant_admin.first_name,
        "last_name": tenant_admin.last_name,
        "role": "admin",
        "tenant": "t_alpha",
    }
