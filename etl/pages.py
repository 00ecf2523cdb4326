"""Server-rendered import pages (``/app/imports/``): the latest batches, the upload form
(planners and admins) and one batch's report (counts, errors, warnings, errors as CSV)."""

from __future__ import annotations

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError, NotFound
from core.exports import csv_stream
from core.pages import can_act, heavy_work, member_page, planner_action
from etl import selectors, services
from etl.models import ImportBatch
from etl.specs import SPECS

REPORT_ROWS = 200  # errors listed on the report page; the CSV has them all
_LIST_FIELDS = ("id", "kind", "source_name", "status", "rows", "error_count", "created_at")


def _kinds() -> list[tuple[str, str]]:
    """The kinds ``import_data`` and ``POST /api/v1/imports/`` accept, with their columns."""
    return [(kind, ", ".join(c.name for c in SPECS[kind].columns)) for kind in sorted(SPECS)]


@require_GET
@member_page
def import_list(request):
    """The latest 50 imports, newest first (one query); planners also get the upload form."""
    batches = list(
        selectors.import_batch_list(user=request.user).select_related(None).only(*_LIST_FIELDS)[:50]
    )
    context = {"batches": batches, "can_act": can_act(request.user), "kinds": _kinds()}
    return render(request, "etl/import_list.html", context)


def _message(text: str, status: int) -> HttpResponse:
    return HttpResponse(f'<p class="muted" role="alert">{escape(text)}</p>', status=status)


@require_POST
@planner_action
@heavy_work("import", "imports")
def import_start_page(request):
    """The upload form: the same service as ``POST /api/v1/imports/`` (file name, size 413,
    sniffed type 415, storage quota), then the import job's progress bar, which links the
    batch's report once the job ends (also when the file was rejected). A refusal is one
    sentence with the API's status."""
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _message("Choose a file to import.", 400)
    try:
        batch = services.import_batch_start(
            kind=request.POST.get("kind", ""),
            uploaded=uploaded,
            user=request.user,
            dry_run=request.POST.get("dry_run") == "on",
            create_missing=request.POST.get("create_missing") == "on",
        )
    except DomainError as exc:
        return _message(exc.message, exc.status_code)
    return render(
        request,
        "pages/_job_progress.html",
        {
            "job": batch.job,
            "label": f"Import of {batch.source_name}",
            "link": reverse("import-batch-page", args=[batch.pk]),
            "link_label": "Open the import's report",
        },
    )


def _batch_or_404(request, batch_id) -> ImportBatch:
    try:
        return selectors.access_import_batch(user=request.user, batch_id=batch_id)
    except NotFound:
        raise Http404("No such import.") from None


@require_GET
@member_page
def import_batch_page(request, batch_id):
    """One import: status, counts, what it created, and its report (the first errors and
    every warning; all errors as CSV)."""
    batch = _batch_or_404(request, batch_id)
    context = {
        "batch": batch,
        "errors": batch.errors[:REPORT_ROWS],
        "more_errors": max(len(batch.errors) - REPORT_ROWS, 0),
    }
    return render(request, "etl/import_batch.html", context)


@require_GET
@member_page
def import_errors_csv(request, batch_id):
    """Every error of the batch as CSV (``row,column,value,why``; formulas neutralised)."""
    batch = _batch_or_404(request, batch_id)
    rows = ((e.get("row"), e.get("column"), e.get("value"), e.get("why")) for e in batch.errors)
    response = StreamingHttpResponse(
        csv_stream(["row", "column", "value", "why"], rows), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return response
