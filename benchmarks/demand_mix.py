"""A mixed daily demand generator (pure NumPy, seeded): the kind of data a tenant uploads.

    python benchmarks/demand_mix.py --series 300 --seed 1 --out /tmp/mix1

``N`` daily series over two years (730 days, the last ``--horizon`` held out), one demand class
each: ``smooth``, ``trend`` (up or down, some saturating = damped), ``erratic`` (over-dispersed
sizes), ``intermittent``, ``lumpy`` (rare and over-dispersed) and ``new`` (launched 40–200 days
before the hold-out, ramping up). On top, per series: weekly seasonality and a yearly swing of
random strength, level shifts, random promotion spikes (1–5 days at 1.5–4×, no campaign data),
and stockout-censored stretches (4–25 days of zero sales while demand existed; the ``stockout``
column says so, a model must not read it).

Writes into ``--out``:

- ``sales.csv``: ``date,sku,location,quantity,stockout`` of the training days (the import
  contract; days before a new item's launch have no rows, other zero days do);
- ``holdout.csv``: the same columns for the last ``horizon`` days, every series and day;
- ``classes.csv``: ``sku,location,class``.

``--campaigns`` adds known promotions on top (ADR 32): 15 product categories, each with a true
log uplift (×1.3–2.5) and each SKU's own around it (σ 0.15); category-wide campaigns (3–10
days, about two a year per category, and one more in the last 60 days for half of them) and
SKU campaigns (2–7 days, 0–3 a year) multiply the demand on their days. They are written as
``promotions.csv`` (``name,start,end,sku,category,location,uplift``, the import contract; the
expected ``uplift`` given for 60 % of category campaigns) and ``products.csv``
(``sku,name,category``). The random spikes without campaign data stay.

``--variant shifted`` (ADR 40, addendum 3) is a differently-made mix of the same classes and
files, to check we do not fit our own generator: stronger weekly (×1.5, more often) and yearly
(×1.6, more often) seasonality, promotion spikes twice as frequent, up to 10 days and 5×,
stockouts more frequent and up to 40 days, level shifts in 45 % of series (up to 35 days
before the end), a quarter of the established series listed only 1.5 years before the end,
erratic sizes with a lognormal tail (log-sd 0.7–1.3), intermittent and lumpy occurrence
3–30 % (lumpy sizes more dispersed). Its own random stream; the default draws are unchanged.

:func:`generate` returns the arrays for callers that skip the files (``forecast_accuracy.py
--generate N --seed S`` writes them to a temporary folder and reads them back like an upload).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

CLASSES = ("smooth", "trend", "erratic", "intermittent", "lumpy", "new")
# Shares close to the private set's mix (600 series: all six classes well represented).
SHARES = (0.25, 0.17, 0.16, 0.16, 0.12, 0.14)
DAYS = 730
START = date(2024, 1, 1)


@dataclass(frozen=True)
class DemandMix:
    """``quantity`` and ``stockout`` ``(series, days)``; ``demand`` the uncensored mean;
    ``launch`` the first day each series exists; ``label`` its class."""

    quantity: np.ndarray
    stockout: np.ndarray
    demand: np.ndarray
    launch: np.ndarray
    label: np.ndarray
    start: date
    category: np.ndarray | None = None  # (series,) category number, with campaigns
    campaign: np.ndarray | None = None  # (series, days) bool, with campaigns
    # (name, first day, last day, series index or None, category or None, expected uplift)
    promotions: tuple[tuple[str, int, int, int | None, int | None, float | None], ...] = ()


CATEGORIES = 15


def _campaigns(
    series: int, seed: int, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Categories, each series' campaign multiplier per day, the campaign mask and the
    promotions list (own random stream: the demand draws keep their seed)."""
    rng = np.random.default_rng([seed, 32])
    category = rng.integers(0, CATEGORIES, series)
    category_log = rng.uniform(np.log(1.3), np.log(2.5), CATEGORIES)
    own_log = category_log[category] + 0.15 * rng.standard_normal(series)
    mask = np.zeros((series, days), dtype=bool)
    promotions: list = []
    for c in range(CATEGORIES):
        starts = list(rng.integers(0, days, int(rng.poisson(days / 365.0 * 2.0))))
        if rng.random() < 0.5:
            starts.append(int(rng.integers(days - 60, days - 3)))
        for k, at in enumerate(sorted(starts)):
            width = int(rng.integers(3, 11))
            end = min(days, int(at) + width)
            mask[category == c, int(at) : end] = True
            expected = (
                round(float(np.exp(category_log[c]) - 1.0), 2) if rng.random() < 0.6 else None
            )
            promotions.append((f"CAT{c:02d}-{k}", int(at), end - 1, None, c, expected))
    for i in range(series):
        rate = float(rng.choice([0.0, 1.0, 3.0]))
        for k in range(int(rng.poisson(days / 365.0 * rate))):
            at, width = int(rng.integers(0, days)), int(rng.integers(2, 8))
            end = min(days, at + width)
            mask[i, at:end] = True
            promotions.append((f"SKU{i:05d}-{k}", at, end - 1, i, None, None))
    factor = np.where(mask, np.exp(own_log)[:, None], 1.0)
    return category, factor, mask, promotions


VARIANTS = ("default", "shifted")


def generate(
    series: int,
    seed: int,
    days: int = DAYS,
    start: date = START,
    campaigns: bool = False,
    variant: str = "default",
) -> DemandMix:
    """``series`` daily series of ``days`` days, classes in the shares of :data:`SHARES`;
    with ``campaigns``, known promotions on top; ``variant="shifted"`` the differently-made
    mix of the module docstring (the default draws are unchanged)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    shifted = variant == "shifted"
    category = campaign_factor = campaign_mask = None
    promotions: list = []
    if campaigns:
        category, campaign_factor, campaign_mask, promotions = _campaigns(series, seed, days)
    rng = np.random.default_rng([seed, 1729] if shifted else seed)
    counts = np.floor(np.asarray(SHARES) * series).astype(int)
    counts[0] += series - counts.sum()
    label = np.repeat(np.asarray(CLASSES, dtype=object), counts)
    rng.shuffle(label)
    t = np.arange(days, dtype=np.float64)
    weekday = (np.arange(days) + start.weekday()) % 7
    day_of_year = np.array([(start + timedelta(days=int(d))).timetuple().tm_yday for d in t])
    quantity = np.zeros((series, days))
    stockout = np.zeros((series, days), dtype=bool)
    mean_path = np.zeros((series, days))
    launch = np.zeros(series, dtype=int)
    for i, kind in enumerate(label):
        # Level: log-uniform over slow to fast movers; sparse classes are driven by occurrence.
        level = float(np.exp(rng.uniform(np.log(3.0), np.log(120.0))))
        occurrence = 1.0
        dispersion = float(rng.uniform(8.0, 40.0))  # NB size: large = near Poisson
        tail = 0.0  # shifted erratic: lognormal size multiplier of this log-sd
        if kind == "erratic":
            level = float(np.exp(rng.uniform(np.log(2.0), np.log(40.0))))
            dispersion = float(rng.uniform(0.6, 2.0))
            if shifted:
                dispersion, tail = float(rng.uniform(2.0, 8.0)), float(rng.uniform(0.7, 1.3))
        elif kind == "intermittent":
            occurrence = float(rng.uniform(0.03, 0.3) if shifted else rng.uniform(0.08, 0.55))
            level = float(rng.uniform(1.0, 4.0))
            dispersion = float(rng.uniform(5.0, 30.0))
        elif kind == "lumpy":
            occurrence = float(rng.uniform(0.03, 0.3) if shifted else rng.uniform(0.05, 0.45))
            level = float(rng.uniform(2.0, 12.0))
            dispersion = float(rng.uniform(0.3, 1.0) if shifted else rng.uniform(0.5, 1.5))
        # Weekly pattern of random strength (retail: weekend-heavy or weekday-heavy).
        weekly_p = [0.1, 0.2, 0.35, 0.35] if shifted else [0.15, 0.3, 0.35, 0.2]
        weekly_strength = float(rng.choice([0.0, 0.1, 0.25, 0.45], p=weekly_p))
        if shifted:
            weekly_strength *= 1.5
        weekly = 1.0 + weekly_strength * rng.standard_normal(7)
        weekly = np.clip(weekly, 0.2, None)
        weekly /= weekly.mean()
        yearly_p = [0.25, 0.35, 0.4] if shifted else [0.4, 0.35, 0.25]
        yearly_strength = float(rng.choice([0.0, 0.15, 0.35], p=yearly_p))
        if shifted:
            yearly_strength *= 1.6
        phase = rng.uniform(0, 2 * np.pi)
        yearly = 1.0 + yearly_strength * np.sin(2 * np.pi * day_of_year / 365.25 + phase)
        path = level * weekly[weekday] * yearly
        if kind == "trend":
            total = float(rng.choice([-1, 1], p=[0.35, 0.65]) * rng.uniform(0.4, 1.6))
            if rng.random() < 0.4:  # damped: the growth saturates
                tau = rng.uniform(120, 400)
                shape = (1 - np.exp(-t / tau)) / (1 - np.exp(-days / tau))
            else:
                shape = t / days
            factor = np.exp(total * shape) if total > 0 else 1.0 + (np.exp(total) - 1.0) * shape
            path = path * factor
        if kind == "new":
            launch[i] = days - int(rng.integers(40 + 28, 200 + 28))
            ramp = np.clip((t - launch[i]) / rng.uniform(7, 45), 0.0, 1.0)
            path = path * ramp * (t >= launch[i])
        elif shifted and rng.random() < 0.25:  # listed 1.5 years before the data ends
            launch[i] = days - 548
            path = path * (t >= launch[i])
        # Level shifts (a new listing, a lost customer).
        if kind != "new" and rng.random() < (0.45 if shifted else 0.2):
            at = int(rng.integers(max(days // 4, launch[i] + 60), days - (35 if shifted else 60)))
            path[at:] *= float(rng.choice([rng.uniform(0.5, 0.8), rng.uniform(1.25, 1.8)]))
        # Random promotion spikes, no campaign data.
        promo = np.ones(days)
        rates = [0.0, 6.0, 12.0] if shifted else [0.0, 3.0, 6.0]
        for _ in range(int(rng.poisson(days / 365.0 * rng.choice(rates)))):
            at, width = int(rng.integers(0, days)), int(rng.integers(1, 11 if shifted else 6))
            promo[at : at + width] *= rng.uniform(1.5, 5.0 if shifted else 4.0)
        mean = path * promo
        if campaign_factor is not None:
            mean = mean * np.where(t >= launch[i], campaign_factor[i], 1.0)
        active = rng.random(days) < occurrence if occurrence < 1.0 else np.ones(days, dtype=bool)
        size_mean = np.where(active, mean / (occurrence if occurrence < 1.0 else 1.0), 0.0)
        lam = rng.gamma(dispersion, np.maximum(size_mean, 1e-12) / dispersion)
        if tail > 0.0:  # heavy-tailed sizes, same mean
            lam = lam * np.exp(tail * rng.standard_normal(days) - tail * tail / 2.0)
        sold = rng.poisson(lam).astype(np.float64)
        if occurrence < 1.0:  # sparse items sell at least one unit when they sell
            sold = np.where(active, np.maximum(sold, 1.0), 0.0)
        # Stockout stretches: sales censored to zero while demand existed.
        out = np.zeros(days, dtype=bool)
        if kind not in ("intermittent", "lumpy") or rng.random() < 0.3:
            stretches = [0.4, 0.25, 0.2, 0.15] if shifted else [0.55, 0.25, 0.12, 0.08]
            for _ in range(int(rng.choice([0, 1, 2, 3], p=stretches))):
                longest = 41 if shifted else 26
                at, width = int(rng.integers(launch[i], days)), int(rng.integers(4, longest))
                out[at : at + width] = True
        out &= t >= launch[i]
        quantity[i] = np.where(out, 0.0, sold)
        stockout[i] = out
        mean_path[i] = mean
    return DemandMix(
        quantity,
        stockout,
        mean_path,
        launch,
        label,
        start,
        category=category,
        campaign=campaign_mask,
        promotions=tuple(promotions),
    )


def write(mix: DemandMix, folder: Path, horizon: int = 28) -> dict[str, Path]:
    """``sales.csv``, ``holdout.csv`` and ``classes.csv`` in ``folder`` (created); with
    campaigns also ``promotions.csv`` and ``products.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    n, days = mix.quantity.shape
    dates = [(mix.start + timedelta(days=d)).isoformat() for d in range(days)]
    skus = [f"SKU{i:05d}" for i in range(n)]
    paths = {name: folder / f"{name}.csv" for name in ("sales", "holdout", "classes")}
    header = ["date", "sku", "location", "quantity", "stockout"]
    cut = days - horizon
    with (
        paths["sales"].open("w", newline="") as sales,
        paths["holdout"].open("w", newline="") as held,
    ):
        sales_writer, held_writer = csv.writer(sales), csv.writer(held)
        sales_writer.writerow(header)
        held_writer.writerow(header)
        for i in range(n):
            for d in range(int(mix.launch[i]), days):
                row = [
                    dates[d],
                    skus[i],
                    "DC1",
                    int(mix.quantity[i, d]),
                    "true" if mix.stockout[i, d] else "false",
                ]
                (sales_writer if d < cut else held_writer).writerow(row)
    with paths["classes"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "location", "class"])
        writer.writerows([sku, "DC1", kind] for sku, kind in zip(skus, mix.label, strict=True))
    if mix.category is not None:
        paths["products"] = folder / "products.csv"
        paths["promotions"] = folder / "promotions.csv"
        with paths["products"].open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["sku", "name", "category"])
            writer.writerows(
                [sku, f"Item {sku}", f"CAT{int(c):02d}"]
                for sku, c in zip(skus, mix.category, strict=True)
            )
        with paths["promotions"].open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "start", "end", "sku", "category", "location", "uplift"])
            for name, first, last, row, category, expected in mix.promotions:
                writer.writerow(
                    [
                        name,
                        dates[first],
                        dates[last],
                        skus[row] if row is not None else "",
                        f"CAT{category:02d}" if category is not None else "",
                        "",
                        "" if expected is None else expected,
                    ]
                )
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--campaigns", action="store_true", help="add known promotions")
    parser.add_argument("--variant", choices=VARIANTS, default="default", help="shifted: ADR 40")
    args = parser.parse_args()
    mix = generate(args.series, args.seed, campaigns=args.campaigns, variant=args.variant)
    paths = write(mix, args.out, args.horizon)
    print(" ".join(str(p) for p in paths.values()))


if __name__ == "__main__":
    main()
