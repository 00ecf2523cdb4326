from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from catalog.api.serializers import ProductLocationSerializer
from inventory.models import InventoryMetrics, InventorySettings


class InventorySettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = InventorySettings
        fields = (
            "service_level_kind",
            "service_level_a",
            "service_level_b",
            "service_level_c",
            "review_period_days",
            "holding_cost_rate",
            "ordering_cost",
            "stockout_cost",
            "abc_share_a",
            "abc_share_b",
            "abc_share_c",
            "abc_measure",
            "lookback_days",
            "xyz_x_limit",
            "xyz_y_limit",
            "max_cover_days",
            "service_level_allocation",
            "updated_at",
        )
        read_only_fields = ("updated_at",)
        extra_kwargs = {
            "review_period_days": {"min_value": 0, "max_value": 365},
            "xyz_x_limit": {"min_value": Decimal("0")},
            "xyz_y_limit": {"min_value": Decimal("0")},
            "max_cover_days": {"min_value": 1, "max_value": 365},
            "holding_cost_rate": {"min_value": Decimal("0")},
            "ordering_cost": {"min_value": Decimal("0")},
            "stockout_cost": {"min_value": Decimal("0")},
            "abc_share_a": {"max_value": 100},
            "abc_share_b": {"max_value": 100},
            "abc_share_c": {"max_value": 100},
        }

    def _validate_level(self, value: Decimal) -> Decimal:
        if not Decimal("0.5") < value <= Decimal("0.999"):
            raise serializers.ValidationError("Must be above 0.5 and at most 0.999.")
        return value

    validate_service_level_a = _validate_level
    validate_service_level_b = _validate_level
    validate_service_level_c = _validate_level

    def validate(self, attrs):
        current = self.instance
        shares = [
            attrs.get(name, getattr(current, name, None))
            for name in ("abc_share_a", "abc_share_b", "abc_share_c")
        ]
        if sum(share or 0 for share in shares) != 100:
            raise serializers.ValidationError({"abc_share_a": ["ABC shares must sum to 100."]})
        x_limit, y_limit = (
            attrs.get(name, getattr(current, name, None)) for name in ("xyz_x_limit", "xyz_y_limit")
        )
        if x_limit is not None and y_limit is not None and x_limit > y_limit:
            raise serializers.ValidationError(
                {"xyz_x_limit": ["The X cut-off must not exceed the Y cut-off."]}
            )
        return attrs


class InventoryMetricsSerializer(ProductLocationSerializer):
    class Meta:
        model = InventoryMetrics
        fields = (
            "id",
            "product",
            "sku",
            "location",
            "location_code",
            "mean_daily_demand",
            "demand_std",
            "lead_time_days",
            "lead_time_std_days",
            "on_hand",
            "inventory_value",
            "service_level",
            "safety_stock",
            "reorder_point",
            "order_up_to",
            "eoq",
            "days_of_cover",
            "inventory_position",
            "stockout_risk",
            "status",
            "recommended_order_qty",
            "latest_order_date",
            "abc_class",
            "xyz_class",
            "computed_at",
        )


DASHBOARD_PERIODS = ("daily", "weekly", "monthly")


class DashboardQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=DASHBOARD_PERIODS, default="weekly")


class DashboardTrendSerializer(serializers.Serializer):
    periods = serializers.ListField(child=serializers.DateField(), help_text="Period starts")
    inventory_value = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text="Stock value at each period's end (today's unit costs, from the ledger); "
        "null for periods that ended before the ledger's first movement",
    )
    sales_quantity = serializers.ListField(child=serializers.FloatField())
    sales_revenue = serializers.ListField(child=serializers.FloatField())


class RealisedServiceLevelSerializer(serializers.Serializer):
    in_stock_rate = serializers.FloatField(
        allow_null=True,
        help_text="Share of counted sales days not out of stock (0–1); null without any flag",
    )
    days_with_flag = serializers.IntegerField(help_text="Days with a stockout flag, true or false")
    days_out_of_stock = serializers.IntegerField()
    days_counted = serializers.IntegerField()
    basis = serializers.ChoiceField(
        choices=["flagged_days", "all_days"],
        allow_null=True,
        help_text="flagged_days: some days are flagged in stock, only flagged days count; "
        "all_days: only stockouts are marked, an unmarked day was in stock",
    )


class AtRiskSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    location = serializers.CharField()
    status = serializers.CharField()
    stockout_risk = serializers.FloatField(help_text="0–1")
    days_of_cover = serializers.FloatField(allow_null=True)
    on_hand = serializers.FloatField()
    recommended_order_qty = serializers.FloatField()
    latest_order_date = serializers.DateField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    period = serializers.CharField()
    as_of = serializers.DateField(help_text="Latest sales day (or today)")
    inventory_value = serializers.FloatField(help_text="Σ on hand × unit cost, now")
    rows = serializers.IntegerField(help_text="Metrics rows (product × location)")
    computed_at = serializers.DateTimeField(allow_null=True)
    status_counts = serializers.DictField(child=serializers.IntegerField())
    stockout_risk_buckets = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows per risk range; 'unknown' has none"
    )
    estimated_service_level = serializers.FloatField(
        allow_null=True, help_text="Demand-weighted mean of 1 − stockout risk (0–1)"
    )
    realised_service_level = RealisedServiceLevelSerializer()
    stock_history_from = serializers.DateField(
        allow_null=True, help_text="The ledger's first movement: no stock history before it"
    )
    at_risk = AtRiskSerializer(many=True, help_text="The rows most likely to run out (max 10)")
    trend = DashboardTrendSerializer()
