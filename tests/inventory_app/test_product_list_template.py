"""The products list's queryset without a location is built once per process and cloned per
request (inventory.selectors, issue 17, ADR 37): each clone is exactly a fresh build, for any
user, and reads only the requesting tenant's rows."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from catalog.selectors import product_list
from inventory import selectors
from tests.conftest import HOST_A, HOST_B, client_for, make_user, schema_for_host
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_clone_is_a_fresh_build_for_any_user(tenant_admin, viewer):
    assert str(product_list(user=tenant_admin).query) == str(product_list(user=viewer).query)
    for metrics_only in (False, True):
        fresh = selectors._with_inventory(
            product_list(user=viewer), "inventory_summary__", metrics_only
        )
        for user in (tenant_admin, viewer):
            cloned = selectors.product_inventory_list(user=user, with_metrics_only=metrics_only)
            assert str(cloned.query) == str(fresh.query)


def test_clones_share_no_state(tenant_admin):
    ProductFactory(sku="ONLY-THIS")
    ProductFactory(sku="NOT-THIS")
    narrowed = selectors.product_inventory_list(user=tenant_admin).filter(sku="ONLY-THIS")
    assert [p.sku for p in narrowed] == ["ONLY-THIS"]
    every = selectors.product_inventory_list(user=tenant_admin).order_by("sku")
    assert [p.sku for p in every] == ["NOT-THIS", "ONLY-THIS"]
    template = selectors._SUMMARY_TEMPLATES[(False, None)]
    assert template._result_cache is None and "ONLY-THIS" not in str(template.query)


def test_each_tenant_reads_its_own_products_through_the_template(tenant_admin):
    ProductFactory(sku="ALPHA-1")
    with schema_context(schema_for_host(HOST_B)):
        beta_admin = make_user("admin")
        ProductFactory(sku="BETA-1")
    for host, user, own, other in (
        (HOST_A, tenant_admin, "ALPHA-1", "BETA-1"),
        (HOST_B, beta_admin, "BETA-1", "ALPHA-1"),
        (HOST_A, tenant_admin, "ALPHA-1", "BETA-1"),
    ):
        with schema_context(schema_for_host(host)):
            client = client_for(host, user)
        skus = {
            row["sku"] for row in client.get("/api/v1/products/?page_size=1000").json()["results"]
        }
        assert own in skus and other not in skus


def test_the_values_template_is_a_fresh_build_read_as_values(tenant_admin, viewer):
    from catalog.models import Location

    Location.objects.create(code="TPL-LOC", name="Template location")
    columns = ("id", "sku", "category__name", "on_hand", "excluded")
    for metrics_only in (False, True):
        fresh = selectors._with_inventory(
            product_list(user=viewer), "inventory_summary__", metrics_only
        ).values(*columns)
        for user in (tenant_admin, viewer):
            cloned = selectors.product_inventory_list(
                user=user, with_metrics_only=metrics_only, values=columns
            )
            assert str(cloned.query) == str(fresh.query)
            assert cloned._fields == columns
    at = selectors.product_inventory_list(user=viewer, location_code="TPL-LOC", values=columns)
    assert at._fields == columns and "TPL-LOC" not in str(at.query)
    ProductFactory(sku="V-1")
    narrowed = selectors.product_inventory_list(user=viewer, values=columns).filter(sku="V-1")
    assert [row["sku"] for row in narrowed] == ["V-1"]
    assert "V-1" not in str(selectors._SUMMARY_TEMPLATES[(False, columns)].query)
