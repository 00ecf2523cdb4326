"""``benchmarks/inventory_replay.py`` keeps ``results[].baseline_at_equal_fill_rate`` for a
high target: the baseline's safety-day sweep is widened until it serves the policy's fill
rate (issue 18's result keys), and the interpolation reads the widened frontier."""

from __future__ import annotations

import sys

from tests.benchmarks import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from inventory_replay import (
    MAX_BASELINE_BUFFER_DAYS,
    baseline_at_fill_rate,
    extend_baseline_frontier,
)


def _baseline(buffer_days: float) -> dict[str, float]:
    """A baseline whose fill rate rises towards 1 and whose inventory grows with its days."""
    return {
        "buffer_days": buffer_days,
        "fill_rate": 1.0 - 0.1 / (1.0 + buffer_days / 10.0),
        "average_inventory_value": 100.0 * (1.0 + buffer_days),
    }


def test_the_sweep_widens_until_it_serves_the_fill_rate():
    frontier = [_baseline(b) for b in (0, 10, 50)]
    wanted = _baseline(150)["fill_rate"]  # beyond the sweep's 50 days
    assert baseline_at_fill_rate(frontier, wanted) is None
    extend_baseline_frontier(frontier, wanted, _baseline)
    assert [p["buffer_days"] for p in frontier] == [0, 10, 50, 100, 200]
    matched = baseline_at_fill_rate(frontier, wanted)
    assert matched is not None and 100 < matched["buffer_days"] < 200
    # A fill rate already inside the sweep adds nothing.
    extend_baseline_frontier(frontier, _baseline(20)["fill_rate"], _baseline)
    assert len(frontier) == 5


def test_the_sweep_stops_at_its_cap():
    frontier = [_baseline(50)]
    extend_baseline_frontier(frontier, 1.0, _baseline)  # never served
    assert frontier[-1]["buffer_days"] == MAX_BASELINE_BUFFER_DAYS
    assert baseline_at_fill_rate(frontier, 1.0) is None
