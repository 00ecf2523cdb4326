"""Foreign keys now name ``catalog`` models (ADR 19); state only, the columns are unchanged."""

import django.db.models.deletion


from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("forecasting", "0001_runs_values_scores_registry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="backtestscore",
                    name="location",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.location",
                    ),
                ),
                migrations.AlterField(
                    model_name="backtestscore",
                    name="product",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.product",
                    ),
                ),
                migrations.AlterField(
                    model_name="forecastvalue",
                    name="location",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.location",
                    ),
                ),
                migrations.AlterField(
                    model_name="forecastvalue",
                    name="product",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.product",
                    ),
                ),
                migrations.AlterField(
                    model_name="methodoverride",
                    name="location",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="forecast_overrides",
                        to="catalog.location",
                    ),
                ),
                migrations.AlterField(
                    model_name="methodoverride",
                    name="product",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="forecast_overrides",
                        to="catalog.product",
                    ),
                ),
                migrations.AlterField(
                    model_name="modelregistryentry",
                    name="location",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.location",
                    ),
                ),
                migrations.AlterField(
                    model_name="modelregistryentry",
                    name="product",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.product",
                    ),
                ),
                migrations.AlterField(
                    model_name="seriesclassification",
                    name="location",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.location",
                    ),
                ),
                migrations.AlterField(
                    model_name="seriesclassification",
                    name="product",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.product",
                    ),
                ),
            ],
        )
    ]
