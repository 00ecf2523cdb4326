"""The one-line verdict of a replay, in the planner's words, computed from its summary: how
much stock the proposed policy would have held against the min/max baseline (and against what
really happened, where the ledger reaches back), and what it would have done to fill rate,
stockout days and total cost. Pure: a summary dict in, sentences out."""

from __future__ import annotations

from typing import Any


def _percent_change(new: float, old: float) -> float | None:
    return None if not old else 100.0 * (new - old) / old


def _more_or_less(change: float, more: str = "more", less: str = "less") -> str:
    return more if change > 0 else less


def _stock_phrase(change: float | None) -> str:
    if change is None:
        return "held stock where the comparison held none"
    if abs(change) < 0.5:
        return "held about the same stock"
    return f"held {abs(change):.0f} % {_more_or_less(change)} stock"


def simulation_verdict(summary: dict[str, Any]) -> dict[str, Any] | None:
    """``{"text": one sentence, "actual": a sentence or None, "figures": {…}}`` for a
    succeeded run's summary; None when it has no totals (a failed or unfinished run).

    Stock is the average inventory value; fill-rate points are percentage points
    (proposed − baseline); cost is total cost (holding + ordering + stockout)."""
    proposed = (summary.get("proposed") or {}).get("all")
    baseline = (summary.get("baseline") or {}).get("all")
    if not proposed or not baseline:
        return None
    stock = _percent_change(
        proposed["average_inventory_value"], baseline["average_inventory_value"]
    )
    points = 100.0 * (proposed["fill_rate"] - baseline["fill_rate"])
    cost = _percent_change(proposed["total_cost"], baseline["total_cost"])
    if abs(points) < 0.05:
        fill = "the same fill rate"
    else:
        fill = f"{abs(points):.1f} points {_more_or_less(points)} fill rate"
    text = (
        f"Against the min/max baseline, the policy would have {_stock_phrase(stock)} with "
        f"{fill} ({100 * proposed['fill_rate']:.1f} % vs {100 * baseline['fill_rate']:.1f} %)"
    )
    if cost is not None and abs(cost) >= 0.5:
        text += f" and {abs(cost):.0f} % {_more_or_less(cost, 'higher', 'lower')} total cost"
    text += "."
    actual_text = None
    actual = (summary.get("actual") or {}).get("all")
    actual_stock = None
    if actual and actual.get("items") == proposed["items"]:
        actual_stock = _percent_change(
            proposed["average_inventory_value"], actual["average_inventory_value"]
        )
        days = proposed["stockout_days"] - actual["stockout_days"]
        out_days = (
            "as many stockout days"
            if days == 0
            else f"{abs(days)} {_more_or_less(days, 'more', 'fewer')} stockout days"
        )
        actual_text = (
            f"Against what really happened, it would have {_stock_phrase(actual_stock)} "
            f"with {out_days} ({proposed['stockout_days']} vs {actual['stockout_days']})."
        )
    elif actual and actual.get("items"):
        # The policy's totals cover every item; comparing them with a subset would mislead.
        actual_text = (
            f"What really happened is known for {actual['items']} of {proposed['items']} "
            "items (the others' stock ledger starts inside the window), so the verdict "
            "compares with the baseline only; the per-class table shows the known items."
        )
    return {
        "text": text,
        "actual": actual_text,
        "figures": {
            "stock_change_pct": None if stock is None else round(stock, 1),
            "fill_rate_points": round(points, 2),
            "total_cost_change_pct": None if cost is None else round(cost, 1),
            "actual_stock_change_pct": None if actual_stock is None else round(actual_stock, 1),
        },
    }
