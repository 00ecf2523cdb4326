"""``benchmarks/forecast_end_to_end.py`` runs in a few seconds on a small generated mix (a
throw-away database): the operators' commands import, forecast and export, and the exported
forecast is scored per class, with the engine's own figures next to it. Accuracy is not
asserted beyond sanity; the point is that the benchmark cannot rot."""

from __future__ import annotations

from tests.benchmarks import run_benchmark


def test_forecast_end_to_end_benchmark_scores_every_exported_series():
    out = run_benchmark(
        "benchmarks/forecast_end_to_end.py",
        "--generate",
        "24",
        "--seed",
        "2",
        "--horizon",
        "14",
        "--compare-engine",
        "--hide-stockout",
    )
    assert out["benchmark"] == "forecast_end_to_end"
    assert out["stockout_column_imported"] is False
    assert out["series"] == 24 and out["series_exported"] == 24 and out["horizon"] == 14
    assert set(out["seconds"]) == {"import", "forecast", "export", "engine"}
    exported, engine = out["by_class"]["exported"], out["by_class"]["engine"]
    assert exported["all"]["series"] == 24
    assert sum(row["series"] for name, row in exported.items() if name != "all") == 24
    assert set(exported) == set(engine)
    # Real forecasts, not a constant: far better than nothing, inside the usual range.
    assert 0.2 < exported["all"]["rmsse"] < 1.5
    assert 0.4 < exported["all"]["coverage_80"] <= 1.0
    assert sum(out["selected_methods"].values()) == 24
