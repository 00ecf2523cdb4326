from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Product, ProductExclusion
from core.serializers import FastRepresentationMixin
from inventory.selectors import PRODUCT_INVENTORY_FIELDS


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


class ProductSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    # The annotations the method fields read, for lists read with .values() (core.lists).
    values_extra = (*PRODUCT_INVENTORY_FIELDS, "excluded")
    category_name = serializers.CharField(source="category.name", read_only=True, allow_null=True)
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
