"""Foreign keys now name ``catalog`` models (ADR 19); state only, the columns are unchanged."""

import django.db.models.deletion


from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("routing", "0002_two_dimensions_windows_breaks_skills"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="vehicle",
                    name="end_depot",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="vehicles_ending",
                        to="catalog.location",
                    ),
                ),
                migrations.AlterField(
                    model_name="vehicle",
                    name="start_depot",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="vehicles_starting",
                        to="catalog.location",
                    ),
                ),
            ],
        )
    ]
