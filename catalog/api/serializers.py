from decimal import Decimal

from rest_framework import serializers

from catalog.models import (
    Category,
    DemandHistory,
    Location,
    Product,
    ProductExclusion,
    StockLevel,
    StockMovement,
)
from core.serializers import FastRepresentationMixin


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "parent")

    def validate(self, attrs):
        # Top-level names are unique (a partial unique constraint, which DRF does not check).
        name = attrs.get("name", getattr(self.instance, "name", None))
        parent = attrs["parent"] if "parent" in attrs else getattr(self.instance, "parent", None)
        if parent is None and name is not None:
            taken = Category.objects.filter(parent__isnull=True, name=name)
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise serializers.ValidationError({"name": ["A top-level category has this name."]})
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


class ProductLocationSerializer(FastRepresentationMixin, serializers.ModelSerializer):
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


class ProductExclusionSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ProductExclusion.Scope.choices),
        allow_empty=False,
        max_length=len(ProductExclusion.Scope.choices),
        help_text="Features the product is left out of: abc, forecast, etl, recommendations.",
    )
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = ProductExclusion
        fields = (
            "id",
            "product",
            "sku",
            "reason",
            "scopes",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")
        # A second exclusion of a product is a conflict (409) raised by the service.
        extra_kwargs = {"product": {"validators": []}}

    def validate_product(self, product):
        if self.instance is not None and product != self.instance.product:
            raise serializers.ValidationError("An exclusion cannot move to another product.")
        return product
