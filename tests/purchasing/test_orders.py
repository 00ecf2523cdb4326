from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Sum

from accounts.models import User
from catalog.models import StockLevel, StockMovement
from core.models import Event
from purchasing import services
from purchasing.exceptions import ApprovalNeedsAdmin, IllegalTransition, OverReceipt
from purchasing.models import LeadTimeStats, PurchaseOrder
from purchasing.services import OrderLineInput, ReceiptInput
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _order(supplier, dc, product, quantity="10", user=None):
    return services.purchase_order_create(
        supplier=supplier,
        location=dc,
        lines=[OrderLineInput(product_id=product.pk, quantity=Decimal(quantity))],
        user=user,
    )


def _level(product, dc):
    return StockLevel.objects.get(product=product, location=dc)


def test_approve_adds_on_order_and_receive_moves_it_to_on_hand(supplier, dc, product, term):
    user = make_user(User.Role.PLANNER)
    order = _order(supplier, dc, product, user=user)
    line = order.lines.get()
    assert line.unit_price == Decimal("5")  # the supplier's price
    assert line.expected_date == date.today() + timedelta(days=10)  # the supplier's lead time
    services.purchase_order_approve(order=order, user=user)
    assert _level(product, dc).on_order == Decimal("10")
    services.purchase_order_receive(
        order=order, receipts=[ReceiptInput(line.pk, Decimal("4"))], user=user
    )
    level = _level(product, dc)
    assert (level.on_hand, level.on_order) == (Decimal("4"), Decimal("6"))
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    assert StockMovement.objects.filter(product=product, kind="receipt").count() == 1
    services.purchase_order_close(order=order, user=user, reason="short")
    assert _level(product, dc).on_order == Decimal("0")
    types = set(Event.objects.values_list("type", flat=True))
    assert {"purchase_order.approved", "purchase_order.received", "purchase_order.closed"} <= types


def test_full_receipt_completes_the_order(supplier, dc, product, term):
    order = _order(supplier, dc, product)
    services.purchase_order_approve(order=order, user=None)
    services.purchase_order_send(order=order, user=None)
    services.purchase_order_receive(
        order=order, receipts=[ReceiptInput(order.lines.get().pk, Decimal("10"))]
    )
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    level = _level(product, dc)
    assert (level.on_hand, level.on_order) == (Decimal("10"), Decimal("0"))


def test_illegal_transitions_are_refused_with_the_allowed_ones(supplier, dc, product, term):
    order = _order(supplier, dc, product)
    with pytest.raises(IllegalTransition) as error:
        services.purchase_order_send(order=order, user=None)
    assert error.value.details["allowed"] == ["approve", "cancel"]
    services.purchase_order_approve(order=order, user=None)
    services.purchase_order_receive(
        order=order, receipts=[ReceiptInput(order.lines.get().pk, Decimal("1"))]
    )
    with pytest.raises(IllegalTransition):
        services.purchase_order_cancel(order=order, user=None)


def test_cancel_releases_on_order(supplier, dc, product, term):
    order = _order(supplier, dc, product)
    services.purchase_order_approve(order=order, user=None)
    services.purchase_order_cancel(order=order, user=None, reason="changed our mind")
    order.refresh_from_db()
    assert order.status == "cancelled" and order.status_reason == "changed our mind"
    assert _level(product, dc).on_order == 0


def test_over_receipt_refused_unless_within_tolerance(supplier, dc, product, term):
    order = _order(supplier, dc, product)
    services.purchase_order_approve(order=order, user=None)
    line = order.lines.get()
    with pytest.raises(OverReceipt):
        services.purchase_order_receive(
            order=order, receipts=[ReceiptInput(line.pk, Decimal("11"))]
        )
    assert _level(product, dc).on_hand == 0
    services.purchasing_settings_update(over_receipt_tolerance_pct=Decimal("10"))
    services.purchase_order_receive(order=order, receipts=[ReceiptInput(line.pk, Decimal("11"))])
    level = _level(product, dc)
    assert (level.on_hand, level.on_order) == (Decimal("11"), Decimal("0"))


def test_approval_above_threshold_needs_an_admin(supplier, dc, product, term):
    services.purchasing_settings_update(approval_threshold=Decimal("40"))
    order = _order(supplier, dc, product)  # 10 × 5 = 50
    with pytest.raises(ApprovalNeedsAdmin):
        services.purchase_order_approve(order=order, user=make_user(User.Role.PLANNER))
    services.purchase_order_approve(order=order, user=make_user(User.Role.ADMIN))
    order.refresh_from_db()
    assert order.status == "approved"


def test_send_mails_the_supplier_with_the_csv_and_the_xlsx(
    supplier, dc, product, term, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    order = _order(supplier, dc, product)
    services.purchase_order_approve(order=order, user=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.purchase_order_send(order=order, user=None)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["po@acme.test"]
    assert [a[0] for a in message.attachments] == [
        f"{order.reference}.csv",
        f"{order.reference}.xlsx",
    ]
    (_, csv_content, csv_type), (_, xlsx_content, xlsx_type) = message.attachments
    assert csv_type == "text/csv" and "BEANS" in str(csv_content)
    assert xlsx_type == services.XLSX_CONTENT_TYPE
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx_content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("reference", "supplier", "sku")
    assert rows[1][:3] == (order.reference, "ACME", "BEANS")


def test_learned_lead_time_matches_a_hand_computed_case(supplier, dc, product, term):
    """Lead times 5, 7 and 9 days: mean 7, sample σ 2; one of three late (expected day 7)."""
    from purchasing.selectors import purchase_terms

    for days in (5, 7, 9):
        order = _order(supplier, dc, product)
        services.purchase_order_approve(order=order, user=None)
        PurchaseOrder.objects.filter(pk=order.pk).update(
            ordered_on=date.today() - timedelta(days=days)
        )
        line = order.lines.get()
        line.expected_date = date.today() - timedelta(days=days) + timedelta(days=7)
        line.save()
        services.purchase_order_receive(
            order=order, receipts=[ReceiptInput(line.pk, Decimal("10"))]
        )
        if days == 5:
            terms = purchase_terms([product.pk])[product.pk]
            assert (terms.lead_time_days, terms.lead_time_std_days) == (10.0, 0.0)
            assert terms.lead_time_source == "supplier"
    stats = LeadTimeStats.objects.get(supplier=supplier, product=product)
    assert stats.mean_days == pytest.approx(7.0)
    assert stats.std_days == pytest.approx(2.0)
    assert stats.on_time_rate == pytest.approx(2 / 3)
    assert stats.receipts_count == 3
    terms = purchase_terms([product.pk])[product.pk]
    assert terms.lead_time_source == "learned"
    assert (terms.lead_time_days, terms.lead_time_std_days) == (
        pytest.approx(7.0),
        pytest.approx(2.0),
    )
    assert terms.supplier_code == "ACME"


def test_fewer_than_three_receipts_use_the_typed_lead_time(supplier, dc, product, term):
    from purchasing.selectors import purchase_terms

    term.lead_time_days = 12
    term.save()
    terms = purchase_terms([product.pk])[product.pk]
    assert (terms.lead_time_days, terms.lead_time_std_days, terms.lead_time_source) == (
        12.0,
        0.0,
        "supplier_product",
    )
    term.delete()
    terms = purchase_terms([product.pk])[product.pk]
    assert terms.supplier_id is None and terms.lead_time_source == "product"
    assert terms.lead_time_days == 7.0


def test_confirmation_moves_the_expected_date(supplier, dc, product, term):
    order = _order(supplier, dc, product)
    services.purchase_order_approve(order=order, user=None)
    line = order.lines.get()
    services.purchase_order_confirm(
        order=order,
        confirmations=[services.ConfirmationInput(line.pk, date(2030, 1, 2), Decimal("8"))],
    )
    line.refresh_from_db()
    assert (line.expected_date, line.confirmed_quantity) == (date(2030, 1, 2), Decimal("8"))


def test_planned_purchases_replace(dc, product):
    from purchasing.models import PlannedPurchase

    line = services.PlannedPurchaseLine(
        product.pk, dc.pk, Decimal("5"), date(2030, 1, 9), date(2030, 1, 2)
    )
    assert services.planned_purchases_replace(run_id=1, lines=[line, line]) == 2
    assert services.planned_purchases_replace(run_id=2, lines=[line]) == 1
    assert list(PlannedPurchase.objects.values_list("mrp_run_id", flat=True)) == [2]


def test_movements_sum_to_on_hand(supplier, dc, product, term):
    order = _order(supplier, dc, product)
    services.purchase_order_approve(order=order, user=None)
    line = order.lines.get()
    services.purchase_order_receive(
        order=order,
        receipts=[ReceiptInput(line.pk, Decimal("3")), ReceiptInput(line.pk, Decimal("2"))],
    )
    total = StockMovement.objects.filter(product=product, location=dc).aggregate(t=Sum("quantity"))[
        "t"
    ]
    assert _level(product, dc).on_hand == total == Decimal("5")
