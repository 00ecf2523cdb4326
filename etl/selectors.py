from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.selectors import get_or_not_found
from etl.models import ImportBatch


def import_batch_list(*, user: Any) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by").all()


def access_import_batch(*, user: Any, batch_id: Any) -> ImportBatch:
    return get_or_not_found(import_batch_list(user=user), "No such import.", pk=batch_id)
