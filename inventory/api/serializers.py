from decimal import Decimal

from rest_framework import serializers

from inventory.models import (
    Category,
    DemandHistory,
    Location,
    Product,
    StockLevel,
    StockMovement,
)


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "parent")


class ProductSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True, default=None)

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
            "moq",
            "pack_size",
            "is_active",
            "launch_date",
            "end_date",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")

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
