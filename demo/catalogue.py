"""Demo data for a tenant: a small coffee roaster and retailer around Lyon.

The generator is pure NumPy (no Django): a catalogue of 54 finished products in 6 sales
categories and six raw materials for the roasting plant, a supply network (one DC, four
stores, the plant), daily sales per product × store and current stock per product ×
location. ``demo_data_seed`` writes it as CSV text and loads it through
``etl.importing.run_import``, the real bulk import path (COPY, validation, upsert), so
seeding exercises what customers use.

Determinism. The catalogue and stock come from generators with a fixed seed. Every day's
random draws come from a generator seeded by ``(SEED, date)`` (promotions by ISO week), so
the sales of a given date do not depend on the window asked for: seeding with ``days=60``
and later with ``days=730`` agree on the overlap, and seeding again tomorrow adds one day
and changes nothing else. Re-running on the same day changes nothing (imports upsert).

Zero days are kept: every finished product has one row per store and day, zero included.
A zero is information (the share of zero days classifies intermittent items, and a missing
row would read as a data gap in the quality report); the 157,680 rows of two years load in
about three seconds.

Demand model per product p, store s, day t (units per day):
    mean = base[p] · store_size[s] · weekly[dow(t)] · yearly[p](t) · trend[p](t) · lift[p]^promo
    fast and slow movers: quantity ~ Poisson(mean · Gamma(k, 1/k)) (negative binomial:
        over-dispersed like real retail counts);
    intermittent items: a sale happens with probability min(1, mean / size) and then
        sells 1 + Poisson(size − 1) units (Croston's view of lumpy demand: occurrence ×
        size), so most days are zero;
    stockout spells (fast and slow movers): a spell starts with a small daily probability,
        lasts 1–4 days and the day's sales are zero (lost, flagged ``stockout``).
Revenue is quantity × list price (the demo does not discount promotions).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

SEED = 20260101
STOCKOUT_START_PROBABILITY = 1.5 / 365  # about three spells per series in two years
STOCKOUT_MAX_DAYS = 4
GAMMA_SHAPE = 4.0  # k of the Poisson-Gamma mixture: variance = mean + mean² / k
EPOCH = date(2000, 1, 3)  # a Monday: week numbers for promotions count from here
TREND_ANCHOR = date(2026, 1, 1)  # the trend equals 1 (base rate) on this date

FAST, SLOW, LUMPY, RAW = "fast", "slow", "lumpy", "raw"
BEANS, GROUND, TEA, EQUIP = "Coffee beans", "Ground coffee", "Tea", "Brewing equipment"
ACCESS, SWEETS, RAWMAT = "Accessories", "Sweets", "Raw materials"

# (sku, name, category, uom, list price €, profile, base units per store-day, supplier)
# For intermittent items "base" is the mean rate; LUMPY_SIZE gives the typical order size.
CATALOGUE: tuple[tuple[str, str, str, str, float, str, float, str], ...] = (
    ("CB-ESP-250", "Espresso Classico beans 250 g", BEANS, "bag", 6.90, FAST, 14, "PLANT"),
    ("CB-ESP-1K", "Espresso Classico beans 1 kg", BEANS, "bag", 22.50, FAST, 6, "PLANT"),
    ("CB-HSE-250", "House Blend beans 250 g", BEANS, "bag", 6.50, FAST, 12, "PLANT"),
    ("CB-HSE-1K", "House Blend beans 1 kg", BEANS, "bag", 20.90, SLOW, 3.5, "PLANT"),
    ("CB-ETH-250", "Ethiopia Yirgacheffe beans 250 g", BEANS, "bag", 9.40, SLOW, 3, "PLANT"),
    ("CB-COL-250", "Colombia Huila beans 250 g", BEANS, "bag", 8.20, SLOW, 3.8, "PLANT"),
    ("CB-BRA-250", "Brazil Cerrado beans 250 g", BEANS, "bag", 7.30, FAST, 7, "PLANT"),
    ("CB-DEC-250", "Decaf Swiss Water beans 250 g", BEANS, "bag", 8.10, SLOW, 1.6, "PLANT"),
    ("CB-GEI-250", "Panama Geisha beans 250 g", BEANS, "bag", 24.00, LUMPY, 0.25, "PLANT"),
    ("CB-XMS-500", "Christmas Blend beans 500 g", BEANS, "bag", 14.50, LUMPY, 0.3, "PLANT"),
    ("GC-ESP-250", "Espresso Classico ground 250 g", GROUND, "bag", 6.90, FAST, 18, "PLANT"),
    ("GC-HSE-250", "House Blend ground 250 g", GROUND, "bag", 6.50, FAST, 16, "PLANT"),
    ("GC-HSE-500", "House Blend ground 500 g", GROUND, "bag", 12.40, FAST, 8, "PLANT"),
    ("GC-FIL-250", "Filter Blend ground 250 g", GROUND, "bag", 6.20, FAST, 10, "PLANT"),
    ("GC-DEC-250", "Decaf ground 250 g", GROUND, "bag", 7.90, SLOW, 2.5, "PLANT"),
    ("GC-MOK-250", "Moka Italiano ground 250 g", GROUND, "bag", 6.70, FAST, 6, "PLANT"),
    ("GC-ETH-250", "Ethiopia ground 250 g", GROUND, "bag", 9.40, SLOW, 1.8, "PLANT"),
    ("GC-CAP-10", "Espresso capsules × 10", GROUND, "box", 3.90, FAST, 22, "PLANT"),
    ("GC-CAP-50", "Espresso capsules × 50", GROUND, "box", 17.50, SLOW, 2.8, "PLANT"),
    ("GC-CBW-1L", "Cold brew concentrate 1 l", GROUND, "bottle", 11.90, SLOW, 1.5, "PLANT"),
    ("TE-EBR-100", "English Breakfast tea 100 g", TEA, "tin", 7.50, FAST, 6, "SUP-THE"),
    ("TE-EGR-100", "Earl Grey tea 100 g", TEA, "tin", 7.90, FAST, 5.5, "SUP-THE"),
    ("TE-GRN-100", "Sencha green tea 100 g", TEA, "tin", 8.90, SLOW, 3, "SUP-THE"),
    ("TE-MNT-100", "Moroccan mint tea 100 g", TEA, "tin", 7.20, SLOW, 2.6, "SUP-THE"),
    ("TE-CHM-50", "Chamomile infusion 50 g", TEA, "tin", 5.90, SLOW, 2.2, "SUP-THE"),
    ("TE-RBS-100", "Rooibos vanilla 100 g", TEA, "tin", 7.40, SLOW, 1.7, "SUP-THE"),
    ("TE-CHA-250", "Masala chai 250 g", TEA, "bag", 11.50, SLOW, 1.2, "SUP-THE"),
    ("TE-MAT-30", "Ceremonial matcha 30 g", TEA, "tin", 19.90, LUMPY, 0.3, "SUP-THE"),
    ("TE-PUE-100", "Pu-erh 2015 cake 100 g", TEA, "cake", 29.00, LUMPY, 0.12, "SUP-THE"),
    ("TE-BAG-25", "Tea bags assortment × 25", TEA, "box", 4.90, FAST, 7, "SUP-THE"),
    ("EQ-FRP-8", "French press 8 cups", EQUIP, "unit", 34.90, SLOW, 0.9, "SUP-EQP"),
    ("EQ-V60-02", "Pour-over dripper V60", EQUIP, "unit", 24.90, SLOW, 0.8, "SUP-EQP"),
    ("EQ-MOK-6", "Moka pot 6 cups", EQUIP, "unit", 39.00, SLOW, 0.7, "SUP-EQP"),
    ("EQ-GRM-01", "Manual burr grinder", EQUIP, "unit", 59.00, LUMPY, 0.35, "SUP-EQP"),
    ("EQ-GRE-01", "Electric burr grinder", EQUIP, "unit", 149.00, LUMPY, 0.15, "SUP-EQP"),
    ("EQ-ESM-01", "Espresso machine home", EQUIP, "unit", 489.00, LUMPY, 0.05, "SUP-EQP"),
    ("EQ-KTL-01", "Gooseneck kettle", EQUIP, "unit", 69.00, LUMPY, 0.2, "SUP-EQP"),
    ("EQ-CBM-1L", "Cold brew maker 1 l", EQUIP, "unit", 29.90, LUMPY, 0.25, "SUP-EQP"),
    ("AC-FLT-100", "Paper filters size 2 × 100", ACCESS, "box", 3.50, FAST, 5, "SUP-ACC"),
    ("AC-MUG-35", "Stoneware mug 35 cl", ACCESS, "unit", 12.90, SLOW, 1.4, "SUP-ACC"),
    ("AC-TRV-40", "Travel mug 40 cl", ACCESS, "unit", 19.90, SLOW, 1.1, "SUP-ACC"),
    ("AC-TMP-58", "Espresso tamper 58 mm", ACCESS, "unit", 27.00, LUMPY, 0.1, "SUP-ACC"),
    ("AC-JUG-60", "Milk jug 60 cl", ACCESS, "unit", 18.50, LUMPY, 0.2, "SUP-ACC"),
    ("AC-SCL-01", "Coffee scale with timer", ACCESS, "unit", 39.90, LUMPY, 0.15, "SUP-ACC"),
    ("AC-DSC-250", "Descaler 250 ml", ACCESS, "bottle", 8.90, SLOW, 1.3, "SUP-ACC"),
    ("AC-CLN-20", "Cleaning tablets × 20", ACCESS, "box", 9.50, SLOW, 0.8, "SUP-ACC"),
    ("SW-BIS-200", "Almond biscotti 200 g", SWEETS, "bag", 4.90, FAST, 6, "SUP-DOUX"),
    ("SW-CHD-100", "Dark chocolate 70 % 100 g", SWEETS, "bar", 3.80, FAST, 8, "SUP-DOUX"),
    ("SW-CHM-100", "Milk chocolate hazelnut 100 g", SWEETS, "bar", 3.60, FAST, 6.5, "SUP-DOUX"),
    ("SW-SYC-70", "Caramel syrup 70 cl", SWEETS, "bottle", 8.50, SLOW, 1.6, "SUP-DOUX"),
    ("SW-SYV-70", "Vanilla syrup 70 cl", SWEETS, "bottle", 8.50, SLOW, 1.3, "SUP-DOUX"),
    ("SW-PRA-150", "Pralines de Lyon 150 g", SWEETS, "bag", 6.90, SLOW, 2.4, "SUP-DOUX"),
    ("SW-GFT-01", "Gift box coffee & chocolate", SWEETS, "box", 39.00, LUMPY, 0.3, "SUP-DOUX"),
    ("SW-MAR-24", "Marrons glacés × 24", SWEETS, "box", 32.00, LUMPY, 0.15, "SUP-DOUX"),
    ("RM-GRN-BRA", "Green coffee Brazil Cerrado", RAWMAT, "kg", 5.20, RAW, 0, "SUP-GRN"),
    ("RM-GRN-COL", "Green coffee Colombia Huila", RAWMAT, "kg", 6.80, RAW, 0, "SUP-GRN"),
    ("RM-GRN-ETH", "Green coffee Ethiopia Yirgacheffe", RAWMAT, "kg", 8.10, RAW, 0, "SUP-GRN"),
    ("RM-BAG-250", "Kraft valve bag 250 g", RAWMAT, "unit", 0.18, RAW, 0, "SUP-PACK"),
    ("RM-BAG-1K", "Kraft valve bag 1 kg", RAWMAT, "unit", 0.32, RAW, 0, "SUP-PACK"),
    ("RM-LBL-RL", "Labels roll × 1000", RAWMAT, "roll", 14.00, RAW, 0, "SUP-PACK"),
)  # fmt: skip

# Per category: gross margin range, lead time range (days), pack sizes, yearly amplitude,
# day of year of the seasonal peak, Christmas bump (extra share around mid-December).
CATEGORY_TERMS: dict[str, dict[str, Any]] = {
    "Coffee beans": {"margin": (0.45, 0.60), "lead": (3, 7), "packs": (6, 12),
                     "season": 0.15, "peak": 15, "xmas": 0.3},
    "Ground coffee": {"margin": (0.45, 0.60), "lead": (3, 7), "packs": (6, 12),
                      "season": 0.15, "peak": 15, "xmas": 0.2},
    "Tea": {"margin": (0.50, 0.65), "lead": (14, 28), "packs": (6, 12),
            "season": 0.35, "peak": 20, "xmas": 0.3},
    "Brewing equipment": {"margin": (0.30, 0.45), "lead": (21, 45), "packs": (1, 2, 4),
                          "season": 0.10, "peak": 350, "xmas": 1.5},
    "Accessories": {"margin": (0.40, 0.60), "lead": (14, 35), "packs": (6, 12, 24),
                    "season": 0.10, "peak": 350, "xmas": 0.8},
    "Sweets": {"margin": (0.35, 0.50), "lead": (5, 14), "packs": (12, 24),
               "season": 0.20, "peak": 350, "xmas": 1.0},
    "Raw materials": {"margin": (0.0, 0.0), "lead": (45, 90), "packs": (60, 500, 1000),
                      "season": 0.0, "peak": 0, "xmas": 0.0},
}  # fmt: skip
# The cold items sell in summer: their peak moves to mid-July.
SUMMER_ITEMS = {"GC-CBW-1L", "EQ-CBM-1L", "AC-TRV-40"}
LUMPY_SIZE = {"CB-XMS-500": 2.0, "SW-GFT-01": 1.8, "TE-MAT-30": 1.3}

# code, name, kind, latitude, longitude, relative store size (sales multiplier)
LOCATIONS: tuple[tuple[str, str, str, float, float, float], ...] = (
    ("DC-STPRIEST", "Distribution centre Saint-Priest", "warehouse", 45.6956, 4.9440, 0.0),
    ("PL-VENISSIEUX", "Roasting plant Vénissieux", "plant", 45.7037, 4.8786, 0.0),
    ("ST-BELLECOUR", "Store Lyon Bellecour", "store", 45.7578, 4.8320, 1.35),
    ("ST-PARTDIEU", "Store Lyon Part-Dieu", "store", 45.7609, 4.8590, 1.10),
    ("ST-VILLEURBANNE", "Store Villeurbanne Gratte-Ciel", "store", 45.7686, 4.8804, 0.85),
    ("ST-ECULLY", "Store Écully", "store", 45.7745, 4.7774, 0.60),
)
DC_CODE, PLANT_CODE = "DC-STPRIEST", "PL-VENISSIEUX"

# Monday … Sunday multipliers, mean 1 (Saturday is the big day; Sunday morning only).
WEEKLY = np.array([0.80, 0.85, 0.92, 0.98, 1.12, 1.63, 0.70])
WEEKLY = WEEKLY / WEEKLY.mean()


@dataclass(frozen=True)
class Catalogue:
    """One entry per product, in ``CATALOGUE`` order; arrays are aligned."""

    sku: np.ndarray  # str
    name: np.ndarray
    category: np.ndarray
    uom: np.ndarray
    profile: np.ndarray  # fast, slow, lumpy, raw
    supplier: np.ndarray
    unit_price: np.ndarray  # € per unit
    unit_cost: np.ndarray
    lead_time_days: np.ndarray  # int
    pack_size: np.ndarray  # units per case (int)
    moq: np.ndarray  # units, a multiple of the pack size
    base_rate: np.ndarray  # mean units per store-day before seasonality
    lumpy_size: np.ndarray  # mean units per sale occasion (intermittent items)
    yearly_amplitude: np.ndarray
    yearly_peak_doy: np.ndarray
    xmas_bump: np.ndarray
    trend_per_year: np.ndarray  # log growth per year
    promo_weekly_probability: np.ndarray
    promo_lift: np.ndarray

    @property
    def sold(self) -> np.ndarray:
        """Finished goods, sold in stores (raw materials are consumed at the plant)."""
        return self.profile != RAW


def catalogue_build(seed: int = SEED) -> Catalogue:
    """The demo catalogue: list prices from ``CATALOGUE``, the rest drawn with a fixed seed."""
    rng = np.random.default_rng([seed, 1])
    columns = list(zip(*CATALOGUE, strict=True))
    sku, name, category, uom = (np.array(c) for c in columns[:4])
    price = np.array(columns[4], dtype=float)
    profile = np.array(columns[5])
    base = np.array(columns[6], dtype=float)
    supplier = np.array([PLANT_CODE if s == "PLANT" else s for s in columns[7]])
    n = len(sku)
    terms = [CATEGORY_TERMS[c] for c in category]

    margin = np.array([rng.uniform(*t["margin"]) for t in terms])
    cost = np.where(profile == RAW, price, np.round(price * (1 - margin), 2))
    lead = np.array([rng.integers(t["lead"][0], t["lead"][1] + 1) for t in terms])
    pack = np.array([rng.choice(t["packs"]) for t in terms])
    moq = pack * rng.integers(1, 4, size=n)
    peak = np.array([t["peak"] for t in terms], dtype=float)
    peak[np.isin(sku, list(SUMMER_ITEMS))] = 196
    amplitude = np.array([t["season"] for t in terms]) * rng.uniform(0.7, 1.3, size=n)
    xmas = np.array([t["xmas"] for t in terms]) * rng.uniform(0.6, 1.4, size=n)
    xmas[sku == "CB-XMS-500"] = 12.0  # a Christmas-only blend: almost nothing outside December
    trend = rng.normal(0.05, 0.08, size=n)
    promo = np.select(
        [profile == FAST, profile == SLOW], [5 / 52, 2 / 52], default=0.0
    )  # fast movers get about five promotion weeks a year
    lift = np.where(profile == FAST, rng.uniform(1.4, 2.2, size=n), rng.uniform(1.2, 1.6, size=n))
    lumpy_size = np.array([LUMPY_SIZE.get(s, 1.0) for s in sku]) + np.where(
        profile == LUMPY, rng.uniform(0.0, 0.6, size=n), 0.0
    )
    return Catalogue(
        sku=sku,
        name=name,
        category=category,
        uom=uom,
        profile=profile,
        supplier=supplier,
        unit_price=price,
        unit_cost=cost,
        lead_time_days=lead,
        pack_size=pack,
        moq=moq,
        base_rate=base,
        lumpy_size=lumpy_size,
        yearly_amplitude=amplitude,
        yearly_peak_doy=peak,
        xmas_bump=xmas,
        trend_per_year=trend,
        promo_weekly_probability=promo,
        promo_lift=lift,
    )


@dataclass(frozen=True)
class Sales:
    """Daily sales of the sold products × stores: arrays shaped (products, stores, days)."""

    skus: np.ndarray
    stores: np.ndarray
    dates: list[date]
    quantity: np.ndarray  # int
    on_promotion: np.ndarray  # bool
    stockout: np.ndarray  # bool


def _day_rng(seed: int, stream: int, number: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream, number])


def sales_generate(catalogue: Catalogue, *, end: date, days: int, seed: int = SEED) -> Sales:
    """Daily unit sales for ``days`` days ending on ``end`` (inclusive)."""
    sold = catalogue.sold
    stores = [loc for loc in LOCATIONS if loc[2] == "store"]
    store_size = np.array([loc[5] for loc in stores])
    dates = [end - timedelta(days=days - 1 - i) for i in range(days)]
    ordinals = np.array([d.toordinal() for d in dates])
    dow = np.array([d.weekday() for d in dates])

    season = _seasonal_level(catalogue, dates)

    # Promotions: whole ISO weeks, chain-wide, drawn per week (stable whatever the window).
    weeks = (ordinals - EPOCH.toordinal()) // 7
    unique_weeks, week_index = np.unique(weeks, return_inverse=True)
    promo_prob = catalogue.promo_weekly_probability[sold]
    promo_by_week = np.stack(
        [_day_rng(seed, 3, int(w)).random(sold.sum()) < promo_prob for w in unique_weeks], axis=1
    )
    on_promotion = promo_by_week[:, week_index]  # (products, days)
    lift = np.where(on_promotion, catalogue.promo_lift[sold][:, None], 1.0)

    mean = (
        catalogue.base_rate[sold][:, None, None]
        * store_size[None, :, None]
        * (WEEKLY[dow] * 1.0)[None, None, :]
        * (season * lift)[:, None, :]
    )  # (products, stores, days)

    shape = mean.shape[:2]
    lumpy = catalogue.profile[sold] == LUMPY
    lumpy_size = catalogue.lumpy_size[sold][:, None]
    # Draws per day, from a generator seeded by the date, always in the same order (stockout
    # draws first), also for the STOCKOUT_MAX_DAYS - 1 days before the window so that a
    # spell started before it still covers its first days.
    lead_in = STOCKOUT_MAX_DAYS - 1
    first = int(ordinals[0])
    stockout_start = np.empty((*shape, days + lead_in), dtype=bool)
    stockout_length = np.empty((*shape, days + lead_in), dtype=np.int64)
    quantity = np.empty((*shape, days), dtype=np.int64)
    for i, ordinal in enumerate(range(first - lead_in, first + days)):
        rng = _day_rng(seed, 2, ordinal)
        stockout_start[:, :, i] = rng.random(shape) < STOCKOUT_START_PROBABILITY
        stockout_length[:, :, i] = rng.integers(1, STOCKOUT_MAX_DAYS + 1, size=shape)
        t = i - lead_in
        if t < 0:
            continue
        day_mean = mean[:, :, t]
        # Poisson-Gamma (negative binomial) for fast and slow movers.
        regular = rng.poisson(day_mean * rng.gamma(GAMMA_SHAPE, 1 / GAMMA_SHAPE, size=shape))
        # Intermittent: occurrence × size, keeping the mean rate.
        sells = rng.random(shape) < np.minimum(1.0, day_mean / lumpy_size)
        size = 1 + rng.poisson(np.broadcast_to(lumpy_size - 1, shape))
        quantity[:, :, t] = np.where(lumpy[:, None], sells * size, regular)

    # A spell that starts on draw day j covers days j … j + length − 1.
    stockout = np.zeros((*shape, days + lead_in), dtype=bool)
    for offset in range(STOCKOUT_MAX_DAYS):
        covered = stockout_start & (stockout_length > offset)
        stockout[:, :, offset:] |= covered[:, :, : days + lead_in - offset]
    stockout = stockout[:, :, lead_in:] & ~lumpy[:, None, None]
    quantity[stockout] = 0
    return Sales(
        skus=catalogue.sku[sold],
        stores=np.array([loc[0] for loc in stores]),
        dates=dates,
        quantity=quantity,
        on_promotion=np.broadcast_to(on_promotion[:, None, :], quantity.shape),
        stockout=stockout,
    )


def _seasonal_level(catalogue: Catalogue, dates: list[date]) -> np.ndarray:
    """Yearly season (with the Christmas bump) × trend per sold product and date, the
    multiplier of the base rate before the weekday and promotions: (products, days)."""
    sold = catalogue.sold
    ordinals = np.array([d.toordinal() for d in dates])
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    years = (ordinals - EPOCH.toordinal()) / 365.25
    amp = catalogue.yearly_amplitude[sold][:, None]
    peak = catalogue.yearly_peak_doy[sold][:, None]
    yearly = 1 + amp * np.cos(2 * np.pi * (doy[None, :] - peak) / 365.25)
    # Christmas: a bump centred on 18 December, about two weeks wide.
    yearly = yearly + catalogue.xmas_bump[sold][:, None] * np.exp(
        -(((doy[None, :] - 352) / 8.0) ** 2)
    )
    # Trend anchored on a fixed date (not on the window's end, so a date's mean never moves).
    anchor = (TREND_ANCHOR.toordinal() - EPOCH.toordinal()) / 365.25
    trend = np.exp(catalogue.trend_per_year[sold][:, None] * (years[None, :] - anchor))
    return yearly * trend


# Where each shelf stands against its policy (share, days of cover drawn from it), in units of
# the lead time L (the typed one plus the suppliers' usual delay): a few below the demand over
# the lead time (critical), some at the reorder point, most after a replenishment, a few
# overstocked. Shares: about 4 % critical, 12 % reorder now, 80 % ok, 4 % overstock.
STOCK_POSITIONS = (
    (0.04, lambda rng, lead: rng.uniform(0.0, 0.7) * lead),
    (0.12, lambda rng, lead: rng.uniform(1.0, 1.2) * lead),
    (0.80, lambda rng, lead: rng.uniform(1.4, 1.8) * lead + rng.uniform(7, 21)),
    (0.04, lambda rng, lead: 2.5 * lead + rng.uniform(45, 90)),
)
LEAD_TIME_DELAY_DAYS = 2  # the demo's suppliers deliver about two days late (purchasing.demo)


def _cover_days(rng: np.random.Generator, lead: float) -> float:
    draw, total = rng.random(), 0.0
    for share, cover in STOCK_POSITIONS:
        total += share
        if draw < total:
            return float(cover(rng, lead))
    return float(STOCK_POSITIONS[-1][1](rng, lead))


def stock_generate(
    catalogue: Catalogue, *, as_of: date, seed: int = SEED
) -> list[tuple[str, str, int]]:
    """Current on-hand per (sku, location code): finished goods at the DC and the stores,
    raw materials at the plant.

    Stock is set against the policy a planner would run, not drawn blind: the expected demand
    of the last eight weeks (season and trend included) × days of cover drawn from
    ``STOCK_POSITIONS`` around the lead time, so a realistic few items are critical. The DC
    covers the whole network's demand. Deterministic for a given ``as_of``."""
    rng = np.random.default_rng([seed, 6])
    stores = [loc for loc in LOCATIONS if loc[2] == "store"]
    network_size = sum(loc[5] for loc in stores)
    # The demand the policy sees is learned from recent sales (forecast or look-back), so the
    # stock follows the last eight weeks' level, not the season ahead.
    recent = [as_of - timedelta(days=i) for i in range(1, 57)]
    level = _seasonal_level(catalogue, recent).mean(axis=1)
    sold_index = {int(i): n for n, i in enumerate(np.flatnonzero(catalogue.sold))}
    rows: list[tuple[str, str, int]] = []
    for index, sku in enumerate(catalogue.sku.tolist()):
        profile = catalogue.profile[index]
        pack = int(catalogue.pack_size[index])
        if profile == RAW:
            typical = {"kg": 2500, "roll": 25}.get(str(catalogue.uom[index]), 20000)
            on_hand = int(np.ceil(typical * rng.uniform(0.3, 1.6) / pack) * pack)
            rows.append((sku, PLANT_CODE, on_hand))
            continue
        daily = catalogue.base_rate[index] * level[sold_index[index]]
        lead = float(catalogue.lead_time_days[index]) + LEAD_TIME_DELAY_DAYS
        # DC: the network's demand, in whole cases.
        dc_units = daily * network_size * _cover_days(rng, lead)
        rows.append((sku, DC_CODE, int(np.ceil(dc_units / pack) * pack)))
        for code, _name, _kind, _lat, _lon, size in stores:
            units = daily * size * _cover_days(rng, lead)
            # Intermittent items: whole units, rounded up (a shelf holds at least one when any).
            on_hand = int(np.ceil(units)) if profile == LUMPY else round(units)
            rows.append((sku, code, on_hand))
    return rows


# --- CSV (the import contract, ARCHITECTURE.md §9) ----------------------------------------------


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def locations_csv() -> bytes:
    return _csv(
        ["code", "name", "kind", "latitude", "longitude"],
        [
            [code, name, kind, f"{lat:.6f}", f"{lon:.6f}"]
            for code, name, kind, lat, lon, _ in LOCATIONS
        ],
    )


def products_csv(catalogue: Catalogue) -> bytes:
    header = [
        "sku", "name", "category", "uom", "unit_cost", "unit_price", "product_type",
        "supplier", "lead_time_days", "moq", "pack_size",
    ]  # fmt: skip
    rows = [
        [
            catalogue.sku[i],
            catalogue.name[i],
            catalogue.category[i],
            catalogue.uom[i],
            f"{catalogue.unit_cost[i]:.2f}",
            f"{catalogue.unit_price[i]:.2f}",
            "raw" if catalogue.profile[i] == RAW else "finished",
            catalogue.supplier[i],
            int(catalogue.lead_time_days[i]),
            int(catalogue.moq[i]),
            int(catalogue.pack_size[i]),
        ]
        for i in range(len(catalogue.sku))
    ]
    return _csv(header, rows)


def sales_csv(sales: Sales, catalogue: Catalogue) -> bytes:
    """One row per product × store × day, zeros included; revenue = quantity × list price,
    computed in whole cents so it is exact."""
    cents_by_sku = np.round(catalogue.unit_price * 100).astype(int).tolist()
    price_cents = dict(zip(catalogue.sku.tolist(), cents_by_sku, strict=True))
    days = [d.isoformat() for d in sales.dates]
    lines = ["date,sku,location,quantity,revenue"]
    for p, sku in enumerate(sales.skus.tolist()):
        cents = price_cents[sku]
        for s, store in enumerate(sales.stores.tolist()):
            key = f",{sku},{store},"
            lines.extend(
                f"{day}{key}{q},{q * cents // 100}.{q * cents % 100:02d}"
                for day, q in zip(days, sales.quantity[p, s].tolist(), strict=True)
            )
    lines.append("")
    return "\n".join(lines).encode()


def stock_csv(rows: list[tuple[str, str, int]], *, as_of: date) -> bytes:
    return _csv(
        ["sku", "location", "on_hand", "as_of"],
        [[sku, code, on_hand, as_of.isoformat()] for sku, code, on_hand in rows],
    )


# --- Loading --------------------------------------------------------------------------------------


class DemoDataRejected(RuntimeError):
    """The import path refused a demo file: a bug in this module, never a user error."""


@dataclass
class DemoSeedResult:
    reports: dict[str, Any]  # kind -> etl.importing.ImportReport
    flagged_rows: int  # sales rows whose promotion / stockout flags changed
    seconds: float


def demo_data_seed(
    *, days: int = 730, include_sales: bool = True, end: date | None = None
) -> DemoSeedResult:
    """Load the demo catalogue, network, ``days`` days of sales ending on ``end`` (default:
    yesterday) and current stock into the active schema, through the real import path, in
    one transaction. Idempotent: a second run on the same day inserts and updates nothing.

    Stock goes through the stock import, which writes one adjustment movement per changed
    level (the ledger invariant holds). Promotion and stockout flags are not in the CSV
    contract; they are set afterwards on the imported rows (``stockout`` true where the demo
    knows of one, unknown otherwise, as for real imports).
    """
    # Django imports here: the generator above stays a pure NumPy core.
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Location
    from etl.importing import run_import

    if days < 1:
        raise ValueError("days must be at least 1")
    started = time.perf_counter()
    today = timezone.localdate()
    end = end or today - timedelta(days=1)
    catalogue = catalogue_build()
    files: list[tuple[str, bytes]] = [
        ("locations", locations_csv()),
        ("products", products_csv(catalogue)),
    ]
    sales = None
    if include_sales:
        sales = sales_generate(catalogue, end=end, days=days)
        files.append(("sales", sales_csv(sales, catalogue)))
    stock_day = end + timedelta(days=1)
    files.append(("stock", stock_csv(stock_generate(catalogue, as_of=stock_day), as_of=stock_day)))

    reports: dict[str, Any] = {}
    flagged = 0
    with transaction.atomic():
        for kind, data in files:
            report = run_import(kind=kind, stream=io.BytesIO(data), size=len(data))
            if report.status != "imported":
                raise DemoDataRejected(f"demo {kind} rejected: {report.errors[:5]}")
            reports[kind] = report
            if kind == "locations":
                # The supply network (not in the CSV contract): stores are fed by the DC.
                dc = Location.objects.get(code=DC_CODE)
                Location.objects.filter(kind=Location.Kind.STORE, code__startswith="ST-").filter(
                    code__in=[loc[0] for loc in LOCATIONS]
                ).exclude(replenished_from=dc).update(replenished_from=dc)
            if kind == "sales" and sales is not None:
                flagged = _sales_flags_set(sales)
    return DemoSeedResult(reports, flagged, time.perf_counter() - started)


def _sales_flags_set(sales: Sales) -> int:
    """Mark promotion days and known stockout days on the imported sales rows."""
    from django.db import connection
    from psycopg import sql

    from catalog.models import DemandHistory, Location, Product

    p, s, t = np.nonzero(sales.on_promotion | sales.stockout)
    if len(p) == 0:
        return 0
    dates = np.array([d.isoformat() for d in sales.dates])
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "UPDATE {h} h SET on_promotion = f.promo, stockout = f.stockout FROM "
                "unnest(%s::text[], %s::text[], %s::date[], %s::bool[], %s::bool[]) "
                "AS f(sku, location, date, promo, stockout) "
                "JOIN {p} p ON p.sku = f.sku JOIN {l} l ON l.code = f.location "
                "WHERE h.product_id = p.id AND h.location_id = l.id AND h.date = f.date "
                "AND (h.on_promotion, h.stockout) IS DISTINCT FROM (f.promo, f.stockout)"
            ).format(
                h=sql.Identifier(DemandHistory._meta.db_table),
                p=sql.Identifier(Product._meta.db_table),
                l=sql.Identifier(Location._meta.db_table),
            ),
            [
                sales.skus[p].tolist(),
                sales.stores[s].tolist(),
                dates[t].tolist(),
                sales.on_promotion[p, s, t].tolist(),
                # True where known, NULL (unknown) otherwise, like a real import.
                [True if x else None for x in sales.stockout[p, s, t].tolist()],
            ],
        )
        return cursor.rowcount
