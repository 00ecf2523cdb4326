"""The catalogue's models move here from ``inventory`` (ADR 19). State only: the tables
(``inventory_product`` …) already exist and keep their names; no row is copied."""

import core.validators
import django.contrib.postgres.fields
import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.conf import settings


from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("inventory", "0006_service_level_allocation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Category",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=120)),
                        (
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="children",
                                to="catalog.category",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "categories",
                        "db_table": "inventory_category",
                        "ordering": ("name",),
                    },
                ),
                migrations.CreateModel(
                    name="Location",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.CharField(max_length=64, unique=True)),
                        ("name", models.CharField(max_length=255)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("warehouse", "Warehouse"),
                                    ("store", "Store"),
                                    ("plant", "Plant"),
                                ],
                                default="warehouse",
                                max_length=16,
                            ),
                        ),
                        (
                            "latitude",
                            models.DecimalField(
                                blank=True,
                                decimal_places=6,
                                max_digits=9,
                                null=True,
                                validators=[core.validators.validate_latitude],
                            ),
                        ),
                        (
                            "longitude",
                            models.DecimalField(
                                blank=True,
                                decimal_places=6,
                                max_digits=9,
                                null=True,
                                validators=[core.validators.validate_longitude],
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "replenished_from",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="supplies",
                                to="catalog.location",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inventory_location",
                        "ordering": ("code",),
                    },
                ),
                migrations.CreateModel(
                    name="Product",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("sku", models.CharField(max_length=64, unique=True)),
                        ("name", models.CharField(max_length=255)),
                        (
                            "uom",
                            models.CharField(
                                default="unit", max_length=16, verbose_name="unit of measure"
                            ),
                        ),
                        (
                            "unit_cost",
                            models.DecimalField(
                                decimal_places=2,
                                default=Decimal("0"),
                                max_digits=14,
                                validators=[core.validators.validate_non_negative],
                            ),
                        ),
                        (
                            "unit_price",
                            models.DecimalField(
                                decimal_places=2,
                                default=Decimal("0"),
                                max_digits=14,
                                validators=[core.validators.validate_non_negative],
                            ),
                        ),
                        (
                            "product_type",
                            models.CharField(
                                choices=[
                                    ("finished", "Finished"),
                                    ("raw", "Raw"),
                                    ("both", "Both"),
                                ],
                                default="finished",
                                max_length=16,
                            ),
                        ),
                        ("supplier_code", models.CharField(blank=True, max_length=64)),
                        (
                            "lead_time_days",
                            models.PositiveSmallIntegerField(
                                default=7,
                                validators=[django.core.validators.MaxValueValidator(365)],
                            ),
                        ),
                        (
                            "lead_time_std_days",
                            models.DecimalField(
                                db_default=Decimal("0"),
                                decimal_places=2,
                                default=Decimal("0"),
                                max_digits=6,
                                validators=[
                                    core.validators.validate_non_negative,
                                    django.core.validators.MaxValueValidator(Decimal("365")),
                                ],
                            ),
                        ),
                        (
                            "moq",
                            models.DecimalField(
                                decimal_places=3,
                                default=Decimal("0"),
                                max_digits=14,
                                validators=[core.validators.validate_non_negative],
                                verbose_name="minimum order quantity",
                            ),
                        ),
                        (
                            "pack_size",
                            models.DecimalField(
                                decimal_places=3,
                                default=Decimal("1"),
                                max_digits=14,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0.001"))
                                ],
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True)),
                        ("launch_date", models.DateField(blank=True, null=True)),
                        ("end_date", models.DateField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "category",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="products",
                                to="catalog.category",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inventory_product",
                        "ordering": ("sku",),
                    },
                ),
                migrations.CreateModel(
                    name="DemandHistory",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("date", models.DateField()),
                        ("quantity", models.DecimalField(decimal_places=3, max_digits=14)),
                        (
                            "revenue",
                            models.DecimalField(
                                blank=True, decimal_places=2, max_digits=14, null=True
                            ),
                        ),
                        (
                            "stockout",
                            models.BooleanField(
                                blank=True, help_text="True when known out of stock", null=True
                            ),
                        ),
                        ("on_promotion", models.BooleanField(default=False)),
                        (
                            "location",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="catalog.location",
                            ),
                        ),
                        (
                            "product",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="catalog.product",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "demand history",
                        "db_table": "inventory_demandhistory",
                        "ordering": ("product_id", "location_id", "date"),
                    },
                ),
                migrations.CreateModel(
                    name="ProductExclusion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("reason", models.CharField(max_length=255)),
                        (
                            "scopes",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.CharField(
                                    choices=[
                                        ("abc", "ABC classification"),
                                        ("forecast", "Forecasting"),
                                        ("etl", "Data imports"),
                                        ("recommendations", "Order recommendations"),
                                    ],
                                    max_length=16,
                                ),
                                size=None,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "product",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="exclusion",
                                to="catalog.product",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inventory_productexclusion",
                        "ordering": ("product_id",),
                    },
                ),
                migrations.CreateModel(
                    name="StockLevel",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "on_hand",
                            models.DecimalField(
                                decimal_places=3, default=Decimal("0"), max_digits=14
                            ),
                        ),
                        (
                            "reserved",
                            models.DecimalField(
                                decimal_places=3, default=Decimal("0"), max_digits=14
                            ),
                        ),
                        (
                            "on_order",
                            models.DecimalField(
                                decimal_places=3, default=Decimal("0"), max_digits=14
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "location",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="stock_levels",
                                to="catalog.location",
                            ),
                        ),
                        (
                            "product",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="stock_levels",
                                to="catalog.product",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inventory_stocklevel",
                        "ordering": ("product_id", "location_id"),
                    },
                ),
                migrations.CreateModel(
                    name="StockMovement",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("receipt", "Receipt"),
                                    ("sale", "Sale"),
                                    ("adjustment", "Adjustment"),
                                    ("transfer_in", "Transfer In"),
                                    ("transfer_out", "Transfer Out"),
                                    ("production_consume", "Production Consume"),
                                    ("production_produce", "Production Produce"),
                                ],
                                max_length=24,
                            ),
                        ),
                        ("quantity", models.DecimalField(decimal_places=3, max_digits=14)),
                        ("reference", models.CharField(blank=True, max_length=128)),
                        ("occurred_at", models.DateTimeField(db_index=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "location",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="movements",
                                to="catalog.location",
                            ),
                        ),
                        (
                            "product",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="movements",
                                to="catalog.product",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inventory_stockmovement",
                        "ordering": ("-occurred_at", "-id"),
                    },
                ),
                migrations.AddConstraint(
                    model_name="category",
                    constraint=models.UniqueConstraint(
                        fields=("parent", "name"), name="category_unique_in_parent"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="category",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("parent__isnull", True)),
                        fields=("name",),
                        name="category_unique_root_name",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="location",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("latitude__isnull", True),
                            models.Q(("latitude__gte", -90), ("latitude__lte", 90)),
                            _connector="OR",
                        ),
                        name="location_latitude_range",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="location",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("longitude__isnull", True),
                            models.Q(("longitude__gte", -180), ("longitude__lte", 180)),
                            _connector="OR",
                        ),
                        name="location_longitude_range",
                    ),
                ),
                migrations.AddIndex(
                    model_name="product",
                    index=models.Index(fields=["category"], name="inventory_p_categor_607069_idx"),
                ),
                migrations.AddIndex(
                    model_name="product",
                    index=models.Index(fields=["is_active"], name="inventory_p_is_acti_47a270_idx"),
                ),
                migrations.AddIndex(
                    model_name="demandhistory",
                    index=models.Index(fields=["date"], name="demand_history_date"),
                ),
                migrations.AddConstraint(
                    model_name="demandhistory",
                    constraint=models.UniqueConstraint(
                        fields=("product", "location", "date"), name="demand_history_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="demandhistory",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("quantity__gte", 0)),
                        name="demand_history_quantity_non_negative",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="stocklevel",
                    constraint=models.UniqueConstraint(
                        fields=("product", "location"), name="stock_level_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="stocklevel",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("reserved__gte", 0), ("on_order__gte", 0)),
                        name="stock_level_non_negative_reserved_on_order",
                    ),
                ),
                migrations.AddIndex(
                    model_name="stockmovement",
                    index=models.Index(
                        fields=["product", "location", "occurred_at"],
                        name="inventory_s_product_be0aaa_idx",
                    ),
                ),
            ],
        )
    ]
