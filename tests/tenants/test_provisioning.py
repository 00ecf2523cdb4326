import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from core.exceptions import Conflict, ValidationFailed
from tenants import services
from tenants.models import Domain, Tenant
from tests.conftest import HOST_A, PASSWORD, PUBLIC_HOST, assert_error, client_for, tokens_for

pytestmark = pytest.mark.django_db


def test_provision_clones_template_with_tables_and_migration_state():
    result = services.tenant_provision(
        slug="gamma", name="Gamma", admin_email="Boss@Gamma.example", admin_password=PASSWORD
    )
    assert result.created
    assert result.tenant.schema_name == "t_gamma"
    assert schema_exists("t_gamma")
    assert Domain.objects.get(tenant=result.tenant).domain == "gamma.localhost"
    with schema_context("t_gamma"):
        admin = User.objects.get()
        assert admin.email == "boss@gamma.example"
        assert admin.role == User.Role.ADMIN
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'core'")
            assert cursor.fetchone()[0] >= 1
            cursor.execute("SELECT count(*) FROM core_job")
            assert cursor.fetchone()[0] == 0


def test_provision_is_idempotent_and_generates_password_once():
    first = services.tenant_provision(slug="delta", name="Delta", admin_email="a@delta.example")
    assert first.generated_password
    again = services.tenant_provision(slug="delta", name="Delta", admin_email="a@delta.example")
    assert not again.created
    assert again.generated_password is None
    assert Tenant.objects.filter(slug="delta").count() == 1
    with schema_context("t_delta"):
        assert User.objects.count() == 1


def test_provision_refuses_bad_slug_and_taken_domain():
    with pytest.raises(ValidationFailed):
        services.tenant_provision(slug="Bad Slug!", name="x")
    with pytest.raises(ValidationFailed):
        services.tenant_provision(slug="public", name="x")
    with pytest.raises(Conflict):
        services.tenant_provision(slug="epsilon", name="x", domain=HOST_A)
    assert not Tenant.objects.filter(slug="epsilon").exists()


def test_template_is_migrated_and_never_served(tenant_a):
    template = Tenant.objects.get(is_template=True)
    assert not template.is_active
    assert not template.domains.exists()


def test_staff_api_creates_lists_and_deactivates(tenant_a):
    with schema_context("public"):
        staff = User.objects.create_superuser(
            "staff@platform.example", "staff@platform.example", PASSWORD
        )
        client = client_for(PUBLIC_HOST, staff)
    response = client.post(
        "/api/v1/tenants/", {"slug": "zeta", "name": "Zeta", "admin_email": "z@zeta.example"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["schema_name"] == "t_zeta"
    assert body["domains"] == ["zeta.localhost"]
    assert body["admin_password"]

    listed = client.get("/api/v1/tenants/").json()
    slugs = [row["slug"] for row in listed["results"]]
    assert {"alpha", "beta", "zeta"} <= set(slugs)
    assert "public" not in slugs and "tenant-template" not in slugs

    response = client.post("/api/v1/tenants/zeta/deactivate/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_error(client_for("zeta.localhost").get("/api/v1/me"), 403, "tenant_inactive")

    client.post("/api/v1/tenants/zeta/activate/")
    assert client_for("zeta.localhost").get("/api/v1/me").status_code == 401


def test_tenant_api_refuses_non_staff_and_tenant_hosts(planner):
    # A tenant user's token is refused on the platform host (wrong tenant claim) ...
    access, _ = tokens_for(planner, HOST_A)
    response = client_for(PUBLIC_HOST).get(
        "/api/v1/tenants/", HTTP_AUTHORIZATION=f"Bearer {access}"
    )
    assert_error(response, 401, "authentication_failed")
    # ... and the tenants API does not exist on a tenant host at all.
    assert client_for(HOST_A, planner).get("/api/v1/tenants/").status_code == 404
    with schema_context("public"):
        plain = User.objects.create_user(
            "plain@platform.example", "plain@platform.example", PASSWORD
        )
        response = client_for(PUBLIC_HOST, plain).get("/api/v1/tenants/")
    assert_error(response, 403, "permission_denied")


def test_provision_command_prints_password(capsys, monkeypatch):
    from django.core.management import call_command

    monkeypatch.delenv("TENANT_ADMIN_PASSWORD", raising=False)
    call_command("provision_tenant", "eta", "--name", "Eta", "--admin-email", "a@eta.example")
    out = capsys.readouterr().out
    assert "Created tenant eta" in out
    assert "Admin password (shown once):" in out


def test_staff_provisioning_is_audited_in_the_tenant_without_a_foreign_actor():
    from core.models import AuditLog

    with schema_context("public"):
        staff = User.objects.create_superuser(
            "ops@platform.example", "ops@platform.example", PASSWORD
        )
    response = client_for(PUBLIC_HOST, staff).post(
        "/api/v1/tenants/", {"slug": "theta", "name": "Theta", "admin_email": "a@theta.example"}
    )
    assert response.status_code == 201, response.content
    with schema_context("t_theta"):
        entry = AuditLog.objects.get(object_type="accounts.user")
        assert entry.actor is None
        assert entry.actor_label == "public:ops@platform.example"
