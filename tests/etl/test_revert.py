"""Import batches are versioned and revertible (ADR 28): a revert restores every table as it
was, refuses (409, writing nothing) when a later batch touched the same rows, stays inside
its tenant, and deletes what the batch inserted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import (
    Category,
    DemandHistory,
    Location,
    Product,
    StockLevel,
    StockMovement,
)
from etl import services
from etl.exceptions import AlreadyReverted, NotRevertible, RevertConflict
from etl.models import ImportBatch, ImportChange
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db

LOCATIONS = (
    "code,name,kind,latitude,longitude\nDC,Main DC,warehouse,52.5,13.4\nS1,Store 1,store,,\n"
)
PRODUCTS = (
    "sku,name,category,uom,unit_cost,unit_price,product_type,supplier,lead_time_days,moq,"
    "pack_size\nA,Apple,Fruit,kg,0.50,1.20,finished,ACME,5,10,6\nB,Banana,Fruit,,,,,,,,\n"
)
SALES = (
    "date,sku,location,quantity,revenue\n2026-01-01,A,S1,3,3.60\n2026-01-02,A,S1,0,0\n"
    "2026-01-01,B,DC,7.5,\n"
)
STOCK = "sku,location,on_hand,as_of\nA,DC,40,2026-01-31\nB,S1,0,\n"

# Per kind: a second file that overwrites some rows, leaves others and inserts new ones.
CHANGES = {
    "locations": "code,name,kind\nDC,Central DC,warehouse\nS1,Store 1,store\nS2,Store 2,store\n",
    "products": (
        "sku,name,category,unit_cost,parent_sku,attributes\nA,Apple,Fruit,0.50,,\n"
        "B,Banana (ripe),Tropical,0.30,A,size=L\nC,Cherry,Stone fruit,2.00,A,\n"
    ),
    "sales": (
        "date,sku,location,quantity,revenue\n2026-01-01,A,S1,3,3.60\n2026-01-02,A,S1,4,4.80\n"
        "2026-01-03,A,S1,1,1.20\n2026-01-01,NEW,DC,2,\n"
    ),
    "stock": "sku,location,on_hand\nA,DC,35\nB,S1,0\nA,S1,12\nNEW,DC,3\n",
}
MODELS = (Category, Product, Location, StockLevel, StockMovement, DemandHistory)


def state() -> dict[str, list[dict]]:
    """Every row of every table an import writes, column by column."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def imp(tmp_path, kind: str, text: str, **options) -> ImportBatch:
    path = tmp_path / f"{kind}-{ImportBatch.objects.count()}.csv"
    path.write_text(text)
    with open(path, "rb") as stream:
        batch = services.import_file(kind=kind, stream=stream, name=str(path), **options)
    assert batch.status == "imported", batch.errors
    return batch


def _base(tmp_path) -> None:
    imp(tmp_path, "locations", LOCATIONS)
    imp(tmp_path, "products", PRODUCTS)
    imp(tmp_path, "sales", SALES)
    imp(tmp_path, "stock", STOCK)


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_revert_restores_every_table_as_it_was(tmp_path, kind):
    _base(tmp_path)
    before = state()
    batch = imp(tmp_path, kind, CHANGES[kind], create_missing=kind in {"sales", "stock"})
    assert batch.revertible and batch.inserted and batch.updated
    assert state() != before
    services.import_batch_revert(batch_id=batch.pk)
    assert state() == before
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REVERTED and batch.reverted_at is not None


def test_products_revert_restores_parent_and_deletes_new_categories(tmp_path):
    _base(tmp_path)
    before = state()
    batch = imp(tmp_path, "products", CHANGES["products"])
    banana = Product.objects.get(sku="B")
    assert (banana.name, banana.parent.sku, banana.category.name) == (
        "Banana (ripe)",
        "A",
        "Tropical",
    )
    assert Category.objects.filter(import_batch=batch.pk).count() == 2
    # Only the overwritten rows are logged: A is unchanged, C is new.
    assert list(ImportChange.objects.filter(batch=batch).values_list("row_id", flat=True)) == [
        banana.pk
    ]
    services.import_batch_revert(batch_id=batch.pk)
    assert state() == before


def test_a_re_import_that_changes_nothing_logs_nothing(tmp_path):
    _base(tmp_path)
    again = imp(tmp_path, "sales", SALES)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert not ImportChange.objects.filter(batch=again).exists()
    before = state()
    services.import_batch_revert(batch_id=again.pk)  # nothing to undo, nothing undone
    assert state() == before


def test_a_later_overlapping_batch_blocks_the_revert_until_it_is_reverted(tmp_path):
    _base(tmp_path)
    before = state()
    first = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-01-01,A,S1,10\n")
    after_first = state()
    later = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-01-01,A,S1,20\n")
    with pytest.raises(RevertConflict) as refused:
        services.import_batch_revert(batch_id=first.pk)
    assert str(later.pk) in refused.value.message
    assert refused.value.details == {"later_batch": str(later.pk)}
    assert DemandHistory.objects.get(product__sku="A", date="2026-01-01").quantity == 20
    first.refresh_from_db()
    assert first.status == ImportBatch.Status.IMPORTED  # nothing written
    services.import_batch_revert(batch_id=later.pk)
    assert state() == after_first
    services.import_batch_revert(batch_id=first.pk)  # the later one is reverted: allowed
    assert state() == before


def test_a_later_batch_over_rows_it_inserted_blocks_too(tmp_path):
    _base(tmp_path)
    first = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-02-01,A,S1,1\n")
    later = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-02-01,A,S1,2\n")
    with pytest.raises(RevertConflict, match=str(later.pk)):
        services.import_batch_revert(batch_id=first.pk)


def test_reverting_twice_or_a_non_revertible_batch_is_refused(tmp_path):
    _base(tmp_path)
    batch = imp(tmp_path, "sales", CHANGES["sales"], create_missing=True)
    services.import_batch_revert(batch_id=batch.pk)
    with pytest.raises(AlreadyReverted):
        services.import_batch_revert(batch_id=batch.pk)
    suppliers = imp(tmp_path, "suppliers", "code,name\nACME,Acme Ltd\n")
    assert not suppliers.revertible
    with pytest.raises(NotRevertible, match="suppliers imports are not revertible"):
        services.import_batch_revert(batch_id=suppliers.pk)
    path = tmp_path / "bad.csv"
    path.write_text("date,sku,location,quantity\n2026-01-01,A,S1,-3\n")
    with open(path, "rb") as stream:
        rejected = services.import_file(kind="sales", stream=stream, name="bad.csv")
    with pytest.raises(NotRevertible, match="rejected"):
        services.import_batch_revert(batch_id=rejected.pk)


def test_revert_of_new_products_locations_and_sales_deletes_them(tmp_path):
    _base(tmp_path)
    before = state()
    batch = imp(
        tmp_path,
        "sales",
        "date,sku,location,quantity\n2026-03-01,Z1,W9,5\n2026-03-02,Z1,W9,6\n2026-03-01,A,S1,1\n",
        create_missing=True,
    )
    assert batch.created == {"products": 1, "locations": 1}
    assert DemandHistory.objects.filter(import_batch=batch.pk).count() == 3
    services.import_batch_revert(batch_id=batch.pk)
    assert not Product.objects.filter(sku="Z1").exists()
    assert not Location.objects.filter(code="W9").exists()
    assert not DemandHistory.objects.filter(import_batch=batch.pk).exists()
    assert state() == before


def test_a_failing_revert_writes_nothing(tmp_path):
    """The new product is in use by other data: the whole revert rolls back, 409."""
    _base(tmp_path)
    batch = imp(tmp_path, "sales", CHANGES["sales"], create_missing=True)
    StockLevel.objects.create(
        product=Product.objects.get(sku="NEW"), location=Location.objects.get(code="S1")
    )
    during = state()
    with pytest.raises(RevertConflict, match="still in use"):
        services.import_batch_revert(batch_id=batch.pk)
    assert state() == during
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED
    # Sales history of another batch on a product this batch created: named, nothing written.
    StockLevel.objects.filter(product__sku="NEW").delete()
    other = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-05-01,NEW,S1,1\n")
    during = state()
    with pytest.raises(RevertConflict, match=str(other.pk)):
        services.import_batch_revert(batch_id=batch.pk)
    assert state() == during


def test_stock_moved_since_blocks_the_revert(tmp_path):
    from catalog.services import StockChange, stock_change

    _base(tmp_path)
    batch = imp(tmp_path, "stock", CHANGES["stock"], create_missing=True)
    level = StockLevel.objects.get(product__sku="A", location__code="DC")
    stock_change(
        changes=[
            StockChange(
                product_id=level.product_id,
                location_id=level.location_id,
                kind="sale",
                quantity=Decimal("-1"),
            )
        ]
    )
    with pytest.raises(RevertConflict, match="moved since"):
        services.import_batch_revert(batch_id=batch.pk)


def test_revert_api_roles_conflicts_and_tenancy(tmp_path, tenant_a, tenant_b):
    _base(tmp_path)
    first = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-01-01,A,S1,10\n")
    later = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-01-01,A,S1,20\n")
    planner = client_for(HOST_A, make_user(User.Role.PLANNER))
    viewer = client_for(HOST_A, make_user(User.Role.VIEWER))
    assert_error(viewer.post(f"/api/v1/imports/{later.pk}/revert/"), 403)
    error = assert_error(
        planner.post(f"/api/v1/imports/{first.pk}/revert/"), 409, "revert_conflict"
    )
    assert error["details"] == {"later_batch": str(later.pk)}
    with schema_context(tenant_b.schema_name):
        intruder = client_for(HOST_B, make_user(User.Role.ADMIN))
    assert_error(intruder.post(f"/api/v1/imports/{later.pk}/revert/"), 404)
    with schema_context(tenant_a.schema_name):
        assert DemandHistory.objects.get(product__sku="A", date="2026-01-01").quantity == 20
    response = planner.post(f"/api/v1/imports/{later.pk}/revert/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["revertible"]) == ("reverted", True) and body["reverted_at"]
    assert_error(planner.post(f"/api/v1/imports/{later.pk}/revert/"), 409, "already_reverted")
    assert planner.get("/api/v1/imports/", {"status": "reverted"}).json()["count"] == 1
    with schema_context(tenant_a.schema_name):
        assert DemandHistory.objects.get(product__sku="A", date="2026-01-01").quantity == 10


def test_import_data_revert_command(tmp_path, tenant_a, capsys):
    _base(tmp_path)
    before = state()
    batch = imp(tmp_path, "sales", CHANGES["sales"], create_missing=True)
    call_command("import_data", "--revert", str(batch.pk), "--schema", tenant_a.slug)
    assert f"reverted: batch {batch.pk}" in capsys.readouterr().out
    assert state() == before
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_data", "--revert", str(batch.pk), "--schema", tenant_a.slug)
    assert exit_info.value.code == 1
    assert "already_reverted" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        call_command("import_data", "--revert", "not-a-uuid", "--schema", tenant_a.schema_name)
    assert "not a batch id" in capsys.readouterr().err


def test_admin_action_reverts_newest_first_and_reports_refusals(tmp_path, tenant_a):
    from django.test import Client

    _base(tmp_path)
    before = state()
    first = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-01-01,A,S1,10\n")
    later = imp(tmp_path, "sales", "date,sku,location,quantity\n2026-01-01,A,S1,20\n")
    suppliers = imp(tmp_path, "suppliers", "code,name\nACME,Acme Ltd\n")
    admin = make_user(User.Role.ADMIN, is_staff=True)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(admin)
    response = client.post(
        "/admin/etl/importbatch/",
        {"action": "revert_batches", "_selected_action": [first.pk, later.pk, suppliers.pk]},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "suppliers imports are not revertible" in text
    with schema_context(tenant_a.schema_name):
        assert state()["DemandHistory"] == before["DemandHistory"]
        statuses = dict(ImportBatch.objects.values_list("pk", "status"))
    assert (statuses[first.pk], statuses[later.pk], statuses[suppliers.pk]) == (
        "reverted",
        "reverted",
        "imported",
    )
