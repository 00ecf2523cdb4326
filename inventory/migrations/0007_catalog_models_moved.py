"""The catalogue's models leave ``inventory`` for ``catalog`` (ADR 19). State only: the tables
stay where they are; references from inventory's own models now point at ``catalog``."""

import django.db.models.deletion


from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("forecasting", "0002_catalog_references"),
        ("inventory", "0006_service_level_allocation"),
        ("routing", "0003_catalog_references"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="product",
                    name="category",
                ),
                migrations.RemoveField(
                    model_name="demandhistory",
                    name="location",
                ),
                migrations.RemoveField(
                    model_name="demandhistory",
                    name="product",
                ),
                migrations.RemoveField(
                    model_name="location",
                    name="replenished_from",
                ),
                migrations.AlterField(
                    model_name="inventorymetrics",
                    name="location",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="metrics",
                        to="catalog.location",
                    ),
                ),
                migrations.RemoveField(
                    model_name="stockmovement",
                    name="location",
                ),
                migrations.AlterField(
                    model_name="simulationitemresult",
                    name="location",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.location",
                    ),
                ),
                migrations.RemoveField(
                    model_name="stocklevel",
                    name="location",
                ),
                migrations.RemoveField(
                    model_name="productexclusion",
                    name="product",
                ),
                migrations.RemoveField(
                    model_name="stocklevel",
                    name="product",
                ),
                migrations.AlterField(
                    model_name="productinventorysummary",
                    name="product",
                    field=models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="inventory_summary",
                        serialize=False,
                        to="catalog.product",
                    ),
                ),
                migrations.RemoveField(
                    model_name="stockmovement",
                    name="product",
                ),
                migrations.AlterField(
                    model_name="inventorymetrics",
                    name="product",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="metrics",
                        to="catalog.product",
                    ),
                ),
                migrations.AlterField(
                    model_name="simulationitemresult",
                    name="product",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.product",
                    ),
                ),
                migrations.RemoveField(
                    model_name="productexclusion",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="stockmovement",
                    name="actor",
                ),
                migrations.DeleteModel(
                    name="Category",
                ),
                migrations.DeleteModel(
                    name="DemandHistory",
                ),
                migrations.DeleteModel(
                    name="Location",
                ),
                migrations.DeleteModel(
                    name="StockLevel",
                ),
                migrations.DeleteModel(
                    name="Product",
                ),
                migrations.DeleteModel(
                    name="ProductExclusion",
                ),
                migrations.DeleteModel(
                    name="StockMovement",
                ),
            ],
        )
    ]
