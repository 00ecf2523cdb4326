from django.db import migrations, models

# One function for every schema, in ``public``: it writes the version row into the schema of
# the table that fired it (TG_TABLE_SCHEMA), so tenant schemas hold only their triggers, which
# the fast clone of the template reproduces (tenants.cloning). Every tenant schema's migration
# runs this, possibly at the same time (``migrate_schemas --executor multiprocessing``): the
# function is created when missing, and a concurrent creation of it is no error.
BUMP_FUNCTION = r"""
DO $do$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.proname = 'core_bump_table_version'
    ) THEN
        BEGIN
            CREATE FUNCTION public.core_bump_table_version() RETURNS trigger
            LANGUAGE plpgsql AS $body$
            BEGIN
                EXECUTE format(
                    'INSERT INTO %I.core_tableversion AS v (name, version) '
                    'VALUES ($1, txid_current() << 20) '
                    'ON CONFLICT (name) DO UPDATE SET version = CASE '
                    '    WHEN v.version >> 20 = txid_current() '
                    '         AND (v.version & 1048575) < 1048575 '
                    '    THEN v.version + 1 ELSE txid_current() << 20 END',
                    TG_TABLE_SCHEMA
                ) USING TG_TABLE_NAME;
                RETURN NULL;
            END
            $body$;
        EXCEPTION WHEN duplicate_function OR unique_violation THEN
            NULL;  -- another schema's migration created it first
        END;
    END IF;
END
$do$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_event_undelivered_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="TableVersion",
            fields=[
                ("name", models.CharField(max_length=63, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
            options={"verbose_name": "table version"},
        ),
        # The function stays on reversal: other schemas' triggers may still call it.
        migrations.RunSQL(BUMP_FUNCTION, reverse_sql=migrations.RunSQL.noop),
    ]
