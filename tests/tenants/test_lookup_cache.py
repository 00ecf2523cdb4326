"""The per-process host → tenant cache follows changes made in other processes (ADR 37).

Two caches stand for two web processes (and one test runs a real second interpreter): both
share Redis's generation number, a change of a tenant's domain in one is served by the other
at its next check, and a Redis that does not answer means database reads, never an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django_tenants.utils import schema_context

from tenants.lookup import TenantLookupCache, bump_generation
from tenants.models import Domain
from tests.conftest import HOST_A, HOST_B

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture
def cached_lookups(settings):
    settings.TENANT_LOOKUP_CACHE_SECONDS = 30
    settings.TENANT_LOOKUP_CHECK_SECONDS = 0


def _load(host: str):
    return Domain.objects.select_related("tenant__plan").get(domain=host).tenant


def _counting(loads: list[str]):
    def load(host: str):
        loads.append(host)
        return _load(host)

    return load


def test_a_domain_moved_in_one_process_is_seen_by_the_other(cached_lookups):
    first, second = TenantLookupCache(), TenantLookupCache()
    with schema_context("public"):
        tenant_a = Domain.objects.get(domain=HOST_A).tenant
        tenant_b = Domain.objects.get(domain=HOST_B).tenant
        extra = Domain.objects.create(domain="moving.localhost", tenant=tenant_a, is_primary=False)
        loads: list[str] = []
        assert second.get("moving.localhost", _counting(loads)).pk == tenant_a.pk
        assert second.get("moving.localhost", _counting(loads)).pk == tenant_a.pk
        assert loads == ["moving.localhost"]  # the second answer came from the map
        first.get("moving.localhost", _load)

        extra.tenant = tenant_b  # saved in the "first" process: the signal bumps
        extra.save()
        assert second.get("moving.localhost", _counting(loads)).pk == tenant_b.pk
        extra.delete()
        with pytest.raises(Domain.DoesNotExist):
            second.get("moving.localhost", _load)
        with pytest.raises(Domain.DoesNotExist):
            first.get("moving.localhost", _load)


def test_a_deactivated_tenant_is_seen_within_the_check_interval(settings):
    settings.TENANT_LOOKUP_CACHE_SECONDS = 30
    settings.TENANT_LOOKUP_CHECK_SECONDS = 1
    other = TenantLookupCache()
    with schema_context("public"):
        assert other.get(HOST_A, _load).is_active
        tenant = Domain.objects.get(domain=HOST_A).tenant
        tenant.is_active = False
        tenant.save()
        time.sleep(1.1)
        assert not other.get(HOST_A, _load).is_active


def test_without_redis_every_lookup_reads_the_database(cached_lookups):
    down = TenantLookupCache(
        client=lambda: redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    )
    loads: list[str] = []
    with schema_context("public"):
        for _ in range(3):
            assert down.get(HOST_A, _counting(loads)).schema_name
    assert loads == [HOST_A] * 3
    bump_generation(lambda: redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))


def test_the_middleware_answers_when_redis_is_down(cached_lookups, tenant_admin, monkeypatch):
    from tenants import lookup
    from tests.conftest import client_for

    down = TenantLookupCache(
        client=lambda: redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    )
    monkeypatch.setattr(lookup, "lookups", down)
    monkeypatch.setattr("tenants.middleware.lookups", down)
    response = client_for(HOST_A, tenant_admin).get("/api/v1/me")
    assert response.status_code == 200


CHILD = textwrap.dedent(
    """
    import os, sys
    import django
    from django.conf import settings
    django.setup()
    settings.CACHES["default"]["KEY_PREFIX"] = os.environ["PARENT_KEY_PREFIX"]
    settings.TENANT_LOOKUP_CACHE_SECONDS = 30
    settings.TENANT_LOOKUP_CHECK_SECONDS = 0
    from tenants.lookup import TenantLookupCache
    cache = TenantLookupCache()
    loads = []
    def load(host):
        loads.append(host)
        return f"tenant-{len(loads)}"
    for line in sys.stdin:
        print(cache.get("child.localhost", load), flush=True)
    """
)


def test_a_second_process_drops_its_map_when_the_generation_moves():
    child = subprocess.Popen(  # the project's interpreter, a fixed script
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env={**os.environ, "PARENT_KEY_PREFIX": django_settings.CACHES["default"]["KEY_PREFIX"]},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:

        def ask() -> str:
            child.stdin.write("get\n")
            child.stdin.flush()
            return child.stdout.readline().strip()

        assert ask() == "tenant-1"
        assert ask() == "tenant-1"  # from the child's map
        bump_generation()  # a change in this process
        assert ask() == "tenant-2"
        assert ask() == "tenant-2"
    finally:
        child.stdin.close()
        child.wait(timeout=30)
