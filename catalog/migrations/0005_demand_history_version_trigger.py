from django.db import migrations

# The sales history's version (core.TableVersion), changed by every statement that writes it:
# numbered pages of /sales-history/ keep their exact COUNT(*) in the cache under it (ADR 50).
# BEFORE the statement: a writer takes the version row before any row of the table, so two
# writers always lock in the same order (no deadlock between them over the version row).
TRIGGER = """
CREATE TRIGGER demand_history_version
BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON inventory_demandhistory
FOR EACH STATEMENT EXECUTE FUNCTION public.core_bump_table_version();
INSERT INTO core_tableversion (name, version)
VALUES ('inventory_demandhistory', txid_current() << 20)
ON CONFLICT (name) DO UPDATE SET version = txid_current() << 20;
"""
REVERSE = """
DROP TRIGGER IF EXISTS demand_history_version ON inventory_demandhistory;
DELETE FROM core_tableversion WHERE name = 'inventory_demandhistory';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_demand_history_date_brin"),
        ("core", "0007_tableversion"),
    ]

    operations = [migrations.RunSQL(TRIGGER, reverse_sql=REVERSE)]
