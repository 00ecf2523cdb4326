"""The demo's delivery fleet: three vans at the Saint-Priest DC and tomorrow's deliveries to
cafés and restaurants around Lyon (the roaster's wholesale round), so the route planner has
something to plan the moment the demo is ready.

Pure generator plus CSV (the ``vehicles`` and ``delivery-orders`` import contract, loaded
through the real import path by ``seed_demo``). Deterministic: the orders of a date come from
a generator seeded by that date, so seeding twice on a day changes nothing and tomorrow's
orders keep their references (``DEMO-YYYYMMDD-NN``).
"""

from __future__ import annotations

import csv
import io
from datetime import date

import numpy as np

from demo.catalogue import DC_CODE, SEED

# code, name, capacity (kg), shift start, shift end
VANS: tuple[tuple[str, str, int, str, str], ...] = (
    ("VAN-01", "Van 1 (Renault Master)", 900, "06:30", "14:30"),
    ("VAN-02", "Van 2 (Renault Master)", 900, "07:00", "15:00"),
    ("VAN-03", "Van 3 (Kangoo, city centre)", 450, "08:00", "16:00"),
)
# Where the cafés are: Lyon's centre and its inner suburbs (latitude, longitude, spread in °).
CENTRE = (45.7600, 4.8450, 0.035)
ORDERS_PER_DAY = 24
KINDS = ("Café", "Brasserie", "Restaurant", "Hotel", "Bakery", "Épicerie fine")
STREETS = ("Rue Mercière", "Cours Vitton", "Rue de la Ré", "Quai Saint-Antoine", "Rue Garibaldi",
           "Avenue Jean Jaurès", "Rue Paul Bert", "Cours Gambetta", "Rue Victor Hugo",
           "Montée de la Grande Côte", "Rue Servient", "Boulevard des Belges")  # fmt: skip


def vehicles_csv() -> bytes:
    return _csv(
        ["code", "name", "depot", "capacity_weight", "shift_start", "shift_end", "cost_per_km"],
        [[code, name, DC_CODE, kg, start, end, "0.45"] for code, name, kg, start, end in VANS],
    )


def delivery_orders_csv(day: date, *, count: int = ORDERS_PER_DAY) -> bytes:
    """``count`` wholesale deliveries on ``day``: 15–120 kg each, a third with a morning
    window (cafés want their coffee before the lunch rush)."""
    rng = np.random.default_rng([SEED, 9, day.toordinal()])
    lat0, lon0, spread = CENTRE
    rows = []
    for number in range(1, count + 1):
        lat = lat0 + rng.normal(0, spread)
        lon = lon0 + rng.normal(0, spread * 1.4)  # a degree of longitude is shorter here
        kind = KINDS[int(rng.integers(len(KINDS)))]
        street = STREETS[int(rng.integers(len(STREETS)))]
        morning = rng.random() < 1 / 3
        rows.append(
            [
                f"DEMO-{day:%Y%m%d}-{number:02d}",
                day.isoformat(),
                f"{kind} {street} {int(rng.integers(1, 120))}",
                f"{lat:.6f}",
                f"{lon:.6f}",
                int(rng.integers(15, 121)),
                "07:30" if morning else "",
                "11:00" if morning else "",
                int(rng.integers(5, 16)),
            ]
        )
    return _csv(
        [
            "reference", "date", "customer", "latitude", "longitude", "demand_weight",
            "window_start", "window_end", "service_minutes",
        ],
        rows,
    )  # fmt: skip


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()
