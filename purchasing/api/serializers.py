from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from catalog.models import Location, Product
from core.serializers import FastRepresentationMixin
from purchasing import selectors
from purchasing.models import (
    ExchangeRate,
    OrderSuggestion,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasingSettings,
    Receipt,
    Supplier,
    SupplierProduct,
    TransferOrder,
    TransferOrderLine,
)


class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = (
            "id",
            "code",
            "name",
            "kind",
            "currency",
            "contact_name",
            "email",
            "phone",
            "lead_time_days",
            "min_order_value",
            "order_cycle_days",
            "is_active",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")

    def validate_currency(self, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError("A three-letter currency code (ISO 4217).")
        return value.upper()


class SupplierProductSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(slug_field="code", queryset=Supplier.objects.all())
    sku = serializers.SlugRelatedField(
        source="product", slug_field="sku", queryset=Product.objects.all()
    )
    product = serializers.IntegerField(source="product_id", read_only=True)
    lead_time_mean_days = serializers.SerializerMethodField()
    lead_time_std_days = serializers.SerializerMethodField()
    lead_time_source = serializers.SerializerMethodField()
    on_time_rate = serializers.SerializerMethodField()
    receipts_count = serializers.SerializerMethodField()
    # The list reads its rows with ``.values()`` (ADR 37): the slugs as columns, and the
    # columns the method fields read (``selectors.supplier_product_list``'s annotations and
    # the supplier's and product's lead times).
    values_columns = {"supplier": ("supplier__code", str), "sku": ("product__sku", str)}
    values_extra = (
        "stats_mean",
        "stats_std",
        "stats_on_time",
        "stats_count",
        "lead_time_days",
        "supplier__lead_time_days",
        "product__lead_time_days",
    )

    class Meta:
        model = SupplierProduct
        fields = (
            "id",
            "supplier",
            "sku",
            "product",
            "supplier_sku",
            "unit_price",
            "pack_size",
            "moq",
            "lead_time_days",
            "is_preferred",
            "lead_time_mean_days",
            "lead_time_std_days",
            "lead_time_source",
            "on_time_rate",
            "receipts_count",
        )

    def _lead_time(self, obj) -> tuple[float, float, str]:
        """The row's lead time, worked out once for its three fields."""
        last = self.__dict__.get("_last_lead_time")
        if last is not None and last[0] is obj:
            return last[1]
        figures = self._lead_time_of(obj)
        self.__dict__["_last_lead_time"] = (obj, figures)
        return figures

    @staticmethod
    def _lead_time_of(obj) -> tuple[float, float, str]:
        if isinstance(obj, SupplierProduct):
            return selectors.lead_time_of(obj)
        return selectors.lead_time_from(  # a .values() row
            stats_count=obj.stats_count,
            stats_mean=obj.stats_mean,
            stats_std=obj.stats_std,
            own_days=obj.lead_time_days,
            supplier_days=obj.supplier__lead_time_days,
            product_days=obj.product__lead_time_days,
        )

    def get_lead_time_mean_days(self, obj) -> float:
        return self._lead_time(obj)[0]

    def get_lead_time_std_days(self, obj) -> float:
        return self._lead_time(obj)[1]

    def get_lead_time_source(self, obj) -> str:
        return self._lead_time(obj)[2]

    def get_on_time_rate(self, obj) -> float | None:
        return getattr(obj, "stats_on_time", None)

    def get_receipts_count(self, obj) -> int:
        return getattr(obj, "stats_count", None) or 0


class ExchangeRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ("id", "currency", "rate", "updated_at")
        read_only_fields = ("updated_at",)

    def validate_currency(self, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError("A three-letter currency code (ISO 4217).")
        return value.upper()


class PurchasingSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchasingSettings
        fields = ("currency", "approval_threshold", "over_receipt_tolerance_pct", "updated_at")
        read_only_fields = ("updated_at",)


class ScorecardSerializer(serializers.Serializer):
    supplier = serializers.CharField()
    days = serializers.IntegerField()
    receipts = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    average_delay_days = serializers.FloatField(allow_null=True)
    fill_rate = serializers.FloatField(allow_null=True)
    price_variance = serializers.FloatField(allow_null=True)


class ScorecardQuerySerializer(serializers.Serializer):
    days = serializers.ChoiceField(choices=(90, 365), default=90)


# --- Purchase orders ----------------------------------------------------------------------------


class PurchaseOrderLineSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = (
            "id",
            "product",
            "location",
            "sku",
            "location_code",
            "quantity",
            "received_quantity",
            "unit_price",
            "expected_date",
            "confirmed_date",
            "confirmed_quantity",
        )


class PurchaseOrderSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    total_value = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)
    # Annotations of ``selectors.purchase_order_list``, read as columns by the list (ADR 37).
    values_extra = ("total_value", "line_count")

    class Meta:
        model = PurchaseOrder
        fields = (
            "id",
            "reference",
            "supplier",
            "supplier_code",
            "location",
            "location_code",
            "status",
            "currency",
            "source",
            "ordered_on",
            "approved_at",
            "sent_at",
            "closed_at",
            "status_reason",
            "note",
            "created_at",
            "total_value",
            "line_count",
            "lines",
        )


class OrderLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True
    )
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = serializers.DecimalField(
        max_digits=16, decimal_places=4, min_value=0, required=False, allow_null=True
    )
    expected_date = serializers.DateField(required=False, allow_null=True)


class PurchaseOrderInputSerializer(serializers.Serializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all())
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)
    lines = OrderLineInputSerializer(many=True, allow_empty=False)

    def validate_reference(self, value: str) -> str:
        if value and PurchaseOrder.objects.filter(reference=value).exists():
            raise serializers.ValidationError("An order with this reference exists.")
        return value


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ReceiptLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    received_on = serializers.DateField(required=False, allow_null=True)


class ReceiveSerializer(serializers.Serializer):
    lines = ReceiptLineSerializer(many=True, allow_empty=False)


class ConfirmLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    confirmed_date = serializers.DateField(required=False, allow_null=True)
    confirmed_quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=0, required=False, allow_null=True
    )


class ConfirmSerializer(serializers.Serializer):
    lines = ConfirmLineSerializer(many=True, allow_empty=False)


class ReceiptSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="line.product.sku", read_only=True)

    class Meta:
        model = Receipt
        fields = (
            "id",
            "line",
            "sku",
            "quantity",
            "received_on",
            "lead_time_days",
            "on_time",
            "source",
        )


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=("csv", "xlsx"), default="csv")


# --- Cart ---------------------------------------------------------------------------------------


class OrderSuggestionSerializer(serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    sku = serializers.CharField(source="product.sku", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)
    source_location = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    product = serializers.IntegerField(source="product_id", read_only=True)
    # The cart's list reads these with ``.values()`` (core.lists, ADR 37).
    values_columns = {
        "supplier": ("supplier__code", str),
        "source_location": ("source_location__code", str),
    }

    class Meta:
        model = OrderSuggestion
        fields = (
            "id",
            "supplier",
            "sku",
            "product",
            "location",
            "source_location",
            "quantity",
            "unit_price",
            "value",
            "needed_by",
            "expected_arrival",
            "reason",
            "source",
            "top_up",
            "status",
        )


class OrderSuggestionUpdateSerializer(serializers.Serializer):
    quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0.001"), required=False
    )
    supplier = serializers.SlugRelatedField(
        slug_field="code", queryset=Supplier.objects.all(), required=False
    )


class CartBuildSerializer(serializers.Serializer):
    budget = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    location = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    supplier = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    fill_minimums = serializers.BooleanField(required=False, default=False)


class CartSerializer(serializers.Serializer):
    lines = OrderSuggestionSerializer(many=True)
    totals = serializers.DictField()


# --- Transfer orders ----------------------------------------------------------------------------


class TransferOrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = TransferOrderLine
        fields = ("id", "product", "sku", "quantity", "shipped_quantity", "received_quantity")


class TransferOrderSerializer(serializers.ModelSerializer):
    from_location_code = serializers.CharField(source="from_location.code", read_only=True)
    to_location_code = serializers.CharField(source="to_location.code", read_only=True)
    lines = TransferOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = TransferOrder
        fields = (
            "id",
            "reference",
            "from_location",
            "from_location_code",
            "to_location",
            "to_location_code",
            "status",
            "note",
            "created_by",
            "created_at",
            "shipped_at",
            "received_at",
            "lines",
        )
