"""Make the catalogue's free-text ``supplier_code`` a real link: a preferred supplier product
for every product whose code matches a supplier's (the column itself stays as it is)."""

from django.db import migrations

LINK_SQL = """
    INSERT INTO purchasing_supplierproduct (supplier_id, product_id, supplier_sku, unit_price,
                                            pack_size, moq, lead_time_days, is_preferred,
                                            created_at, updated_at)
    SELECT s.id, p.id, '', p.unit_cost, p.pack_size, p.moq, NULL,
           NOT EXISTS (SELECT 1 FROM purchasing_supplierproduct x
                       WHERE x.product_id = p.id AND x.is_preferred),
           now(), now()
    FROM inventory_product p JOIN purchasing_supplier s ON s.code = p.supplier_code
    WHERE p.supplier_code <> ''
    ON CONFLICT DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [("purchasing", "0001_initial")]

    operations = [migrations.RunSQL(LINK_SQL, reverse_sql=migrations.RunSQL.noop)]
