"""Demo manufacturing data for ``seed_demo``: the roasting plant's recipes.

Three levels: finished bags of coffee (beans or ground) ← roasted blends (sub-assemblies,
product type ``both``) ← green coffee, bags and labels (raw materials of the demo catalogue).
Labels come on rolls of 1000: the BOMs count them in the ``label`` unit (1/1000 roll). Work
centres (roasting, grinding, packing) with operations, and an eight-week MPS at the plant.
Idempotent: re-running replaces the same BOM versions, operations and MPS rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from catalog.models import Location, Product, ProductUnit
from manufacturing.models import MasterProductionSchedule, WorkCentre
from manufacturing.services import BomLineInput, OperationInput, bom_save, operations_replace

PLANT = "PL-VENISSIEUX"
BLENDS = {
    # sku: (name, green coffee per kg roasted (roast loss ≈ 16 %), unit cost)
    "SA-RST-ESP": ("Roasted Espresso Classico blend", {"RM-GRN-BRA": "0.7", "RM-GRN-COL": "0.5"}),
    "SA-RST-HSE": ("Roasted House blend", {"RM-GRN-BRA": "0.6", "RM-GRN-COL": "0.6"}),
    "SA-RST-ETH": ("Roasted Ethiopia single origin", {"RM-GRN-ETH": "1.19"}),
}
FINISHED = {
    # sku: (blend, kg of roasted coffee, bag, ground?, weekly MPS)
    "CB-ESP-250": ("SA-RST-ESP", "0.25", "RM-BAG-250", False, 90),
    "CB-ESP-1K": ("SA-RST-ESP", "1", "RM-BAG-1K", False, 40),
    "CB-HSE-250": ("SA-RST-HSE", "0.25", "RM-BAG-250", False, 80),
    "GC-ESP-250": ("SA-RST-ESP", "0.25", "RM-BAG-250", True, 120),
    "GC-HSE-250": ("SA-RST-HSE", "0.25", "RM-BAG-250", True, 110),
    "CB-ETH-250": ("SA-RST-ETH", "0.25", "RM-BAG-250", False, 25),
}
CENTRES = {
    "ROAST": ("Roaster 60 kg", Decimal("16"), Decimal("85")),
    "GRIND": ("Grinder line", Decimal("8"), Decimal("40")),
    "PACK": ("Packing line", Decimal("8"), Decimal("35")),
}


def manufacturing_demo_seed(*, today: date) -> dict[str, int]:
    """Load the demo recipes, work centres, operations and MPS; returns counts."""
    plant, _ = Location.objects.get_or_create(
        code=PLANT, defaults={"name": "Roasting plant", "kind": Location.Kind.PLANT}
    )
    known = {p.sku: p for p in Product.objects.filter(sku__startswith="RM-")}
    labels = known.get("RM-LBL-RL")
    if labels is not None:
        ProductUnit.objects.get_or_create(
            product=labels, name="label", defaults={"factor": Decimal("0.001")}
        )
    centres = {
        code: WorkCentre.objects.update_or_create(
            code=code,
            defaults={"name": name, "hours_per_day": hours, "cost_per_hour": cost},
        )[0]
        for code, (name, hours, cost) in CENTRES.items()
    }
    boms = 0
    blends = {}
    for sku, (name, greens) in BLENDS.items():
        blend, _ = Product.objects.get_or_create(
            sku=sku,
            defaults={
                "name": name,
                "uom": "kg",
                "product_type": "both",
                "lead_time_days": 2,
                "moq": Decimal("60"),  # one roaster batch
            },
        )
        blends[sku] = blend
        lines = [
            BomLineInput(known[g].pk, Decimal(q), Decimal("1"))
            for g, q in greens.items()
            if g in known
        ]
        if lines:
            bom = bom_save(product=blend, lines=lines)
            operations_replace(
                bom=bom,
                operations=[OperationInput(10, centres["ROAST"].pk, Decimal("0.9"), Decimal("45"))],
            )
            boms += 1
    mps_rows = 0
    for sku, (blend_sku, kg, bag, ground, weekly) in FINISHED.items():
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            continue
        lines = [BomLineInput(blends[blend_sku].pk, Decimal(kg), Decimal("2"))]
        if bag in known:
            lines.append(BomLineInput(known[bag].pk, Decimal("1"), Decimal("0.5")))
        if labels is not None:
            lines.append(BomLineInput(labels.pk, Decimal("1"), uom="label"))
        bom = bom_save(product=product, lines=lines)
        steps = [OperationInput(20, centres["PACK"].pk, Decimal("0.05"), Decimal("20"))]
        if ground:
            steps.insert(0, OperationInput(10, centres["GRIND"].pk, Decimal("0.08"), Decimal("15")))
        operations_replace(bom=bom, operations=steps)
        boms += 1
        for week in range(8):
            MasterProductionSchedule.objects.update_or_create(
                product=product,
                location=plant,
                date=today + timedelta(days=7 * week + 3),
                defaults={"quantity": Decimal(weekly)},
            )
            mps_rows += 1
    return {"boms": boms, "work_centres": len(centres), "mps_rows": mps_rows}
