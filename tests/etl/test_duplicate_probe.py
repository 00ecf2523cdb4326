"""The duplicate-key check: a file whose keys strictly increase (per series or per day) is
proven free of duplicates in one pass; anything else goes through the grouping probe, and
every duplicate is reported either way."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from etl.importing import run_import

pytestmark = pytest.mark.django_db

HEAD = "date,sku,location,quantity\n"


def load(text: str):
    data = (HEAD + text).encode()
    return run_import(kind="sales", stream=io.BytesIO(data), size=len(data), create_missing=True)


@pytest.mark.parametrize(
    "rows, grouped",
    [
        # per series (sku, location, date), per day (date, sku, location), and unsorted
        ("2026-01-01,A,S,1\n2026-01-02,A,S,1\n2026-01-01,B,S,1\n", False),
        ("2026-01-01,A,S,1\n2026-01-01,B,S,1\n2026-01-02,A,S,1\n", False),
        ("2026-01-02,B,S,1\n2026-01-01,A,S,1\n2026-01-01,B,S,1\n", True),
    ],
)
def test_files_without_duplicates_import_in_any_order(rows, grouped):
    with CaptureQueriesContext(connection) as queries:
        report = load(rows)
    assert (report.status, report.inserted) == ("imported", 3), report.errors
    probes = [q for q in queries.captured_queries if "HAVING count(*) > 1" in q["sql"]]
    assert bool(probes) is grouped  # sorted files skip the grouping probe


@pytest.mark.parametrize(
    "rows, duplicate_row",
    [
        ("2026-01-01,A,S,1\n2026-01-01,A,S,2\n2026-01-02,A,S,1\n", 3),  # sorted, adjacent
        ("2026-01-01,A,S,1\n2026-01-02,A,S,1\n2026-01-01,A,S,2\n", 4),  # unsorted
        ("2026-01-01,A,S,1\n2026-01-01,,S,1\n2026-01-01,A,S,2\n", 4),  # a NULL between
    ],
)
def test_every_duplicate_is_reported(rows, duplicate_row):
    report = load(rows)
    assert report.status == "rejected"
    duplicates = [e for e in report.errors if e["why"].startswith("duplicate key")]
    assert [e["row"] for e in duplicates] == [duplicate_row], report.errors
    assert duplicates[0]["why"] == "duplicate key: same as row 2"
