from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.selectors import get_or_not_found
from etl.models import ImportBatch


def import_batch_list(*, user: Any) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by").all()


def access_import_batch(*, user: Any, batch_id: Any) -> ImportBatch:
    return get_or_not_found(import_batch_list(user=user), "No such import.", pk=batch_id)


def data_source_list(*, user: Any):
    from django.db.models import Prefetch

    from etl.models import DataSource, SyncRun

    return DataSource.objects.prefetch_related(
        Prefetch(
            "runs", queryset=SyncRun.objects.order_by("-started_at", "-id"), to_attr="recent_runs"
        )
    )


def access_data_source(*, user: Any, source_id: Any):
    return get_or_not_found(data_source_list(user=user), "No such data source.", pk=source_id)
