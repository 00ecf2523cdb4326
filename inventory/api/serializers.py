from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import (
    Category,
    DemandHistory,
    Location,
    Product,
    ProductExclusion,
    StockLevel,
    StockMovement,
)
from inventory.selectors import PRODUCT_INVENTORY_FIELDS


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "parent")


class ProductInventorySerializer(serializers.Serializer):
    """The product's inventory metrics: at the requested location, or over all locations."""

    status = serializers.CharField(allow_null=True)
    stockout_risk = serializers.FloatField(allow_null=True, help_text="0–1")
    on_hand = serializers.FloatField(allow_null=True)
    days_of_cover = serializers.FloatField(allow_null=True, help_text="Null: no demand")
    abc_class = serializers.CharField(allow_null=True)
    xyz_class = serializers.CharField(allow_null=True)
    recommended_order_qty = serializers.FloatField(allow_null=True)
    inventory_value = serializers.FloatField(allow_null=True)
    mean_daily_demand = serializers.FloatField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)


class ProductSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True, default=None)
    inventory = serializers.SerializerMethodField(
        help_text="Inventory metrics (null where none were computed for the product)."
    )
    excluded = serializers.SerializerMethodField(
        help_text="Whether the product has an exclusion (see /api/v1/inventory/exclusions/)."
    )

    class Meta:
        model = Product
        fields = (
            "id",
            "sku",
            "name",
            "category",
            "category_name",
            "uom",
            "unit_cost",
            "unit_price",
            "product_type",
            "supplier_code",
            "lead_time_days",
            "lead_time_std_days",
            "moq",
            "pack_size",
            "is_active",
            "launch_date",
            "end_date",
            "created_at",
            "updated_at",
            "inventory",
            "excluded",
        )
        read_only_fields = ("id", "created_at", "updated_at")

    @extend_schema_field(ProductInventorySerializer(allow_null=True))
    def get_inventory(self, product):
        # Annotated by selectors.product_inventory_list; absent on a freshly written product.
        if getattr(product, "computed_at", None) is None:
            return None
        return {name: getattr(product, name) for name in PRODUCT_INVENTORY_FIELDS}

    @extend_schema_field(serializers.BooleanField())
    def get_excluded(self, product) -> bool:
        if hasattr(product, "excluded"):
            return bool(product.excluded)
        return ProductExclusion.objects.filter(product=product).exists()

    def validate(self, attrs):
        launch = attrs.get("launch_date", getattr(self.instance, "launch_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if launch and end and end < launch:
            raise serializers.ValidationError({"end_date": "must not be before launch_date"})
        return attrs


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = (
            "id",
            "code",
            "name",
            "kind",
            "latitude",
            "longitude",
            "replenished_from",
            "is_active",
            "created_at",
        )
        read_only_fields = ("id", "created_at")


class ReassignSerializer(serializers.Serializer):
    target = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())


class ProductLocationSerializer(serializers.ModelSerializer):
    """Base for rows keyed by product × location: adds the readable ``sku`` and
    ``location_code`` next to the ids (querysets select_related both)."""

    sku = serializers.CharField(source="product.sku", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)


class StockLevelSerializer(ProductLocationSerializer):
    class Meta:
        model = StockLevel
        fields = (
            "id",
            "product",
            "sku",
            "location",
            "location_code",
            "on_hand",
            "reserved",
            "on_order",
            "updated_at",
        )
        read_only_fields = fields


class StockMovementSerializer(ProductLocationSerializer):
    class Meta:
        model = StockMovement
        fields = (
            "id",
            "product",
            "sku",
            "location",
            "location_code",
            "kind",
            "quantity",
            "reference",
            "occurred_at",
            "created_at",
        )
        read_only_fields = fields


class StockMovementInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    kind = serializers.ChoiceField(choices=["receipt", "sale", "adjustment"])
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    reference = serializers.CharField(max_length=128, required=False, default="")


class StockTransferInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    from_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    to_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    reference = serializers.CharField(max_length=128, required=False, default="")


class DemandHistorySerializer(ProductLocationSerializer):
    class Meta:
        model = DemandHistory
        fields = (
            "id",
            "product",
            "sku",
            "location",
            "location_code",
            "date",
            "quantity",
            "revenue",
            "stockout",
            "on_promotion",
        )
        read_only_fields = fields
