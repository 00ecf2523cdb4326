"""``benchmarks/ingest.py`` runs end to end in its smoke mode (2,000 rows, a throw-away
database) so that it cannot rot: the real import path, one JSON object on the last line with
the figures the full run reports (ADR 37). Timing is not asserted."""

from __future__ import annotations

from tests.benchmarks import run_benchmark

KEYS = {
    "benchmark",
    "smoke",
    "source",
    "rows",
    "file_mb",
    "status",
    "inserted",
    "created",
    "seconds",
    "rows_per_second",
    "reimport_seconds",
    "reimport_unchanged",
    "revertible",
    "peak_rss_mb",
    "rss_before_import_mb",
    "load_average",
    "goal",
}


def test_ingest_benchmark_smoke_run():
    out = run_benchmark("benchmarks/ingest.py", "--smoke")
    assert set(out) == KEYS, set(out) ^ KEYS
    assert out["benchmark"] == "ingest" and out["smoke"] is True
    assert out["source"] == "generated"
    assert out["rows"] == 2_000 and out["inserted"] == 2_000
    assert out["reimport_unchanged"] == 2_000  # the same file again changes nothing
    assert out["seconds"] > 0 and out["rows_per_second"] > 0 and out["peak_rss_mb"] > 0
