from __future__ import annotations

from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ModelViewSet, ReadOnlyModelViewSet

from core.api.serializers import JobStartSerializer
from core.api.views import accepted_body
from core.db_routing import ReplicaReadsMixin
from core.exports import csv_stream
from core.permissions import Area, IsTenantAdmin, IsTenantMember
from core.throttling import HEAVY_THROTTLES
from etl import exports, quality, selectors, services
from etl.api.serializers import (
    DataQualityQuerySerializer,
    DataSourceSerializer,
    ExportQuerySerializer,
    ImportBatchSerializer,
    ImportBatchStartSerializer,
    ImportStartSerializer,
    SyncTriggerSerializer,
)


class ImportBatchViewSet(ReadOnlyModelViewSet):
    """File imports. ``POST`` (multipart: ``kind``, ``file``, ``dry_run``, ``create_missing``)
    answers 202 with the batch; poll the batch (or its job) until ``status`` is final."""

    api_area = Area.ETL
    heavy_work = "import"
    throttle_classes = HEAVY_THROTTLES
    serializer_class = ImportBatchSerializer
    permission_classes = [IsTenantMember]
    parser_classes = [MultiPartParser]
    filterset_fields = ("kind", "status")
    ordering_fields = ("created_at",)

    def get_queryset(self):
        return selectors.import_batch_list(user=self.request.user)

    def get_object(self):
        return selectors.access_import_batch(user=self.request.user, batch_id=self.kwargs["pk"])

    @extend_schema(
        request={"multipart/form-data": ImportStartSerializer},
        responses={202: ImportBatchStartSerializer},
    )
    def create(self, request):
        data = ImportStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.import_batch_start(
            kind=data.validated_data["kind"],
            uploaded=data.validated_data["file"],
            user=request.user,
            dry_run=data.validated_data["dry_run"],
            create_missing=data.validated_data["create_missing"],
        )
        return accepted_body(ImportBatchStartSerializer(batch).data)

    @extend_schema(
        request=None,
        responses={
            200: ImportBatchSerializer,
            404: OpenApiResponse(description="no such import in this tenant"),
            409: OpenApiResponse(
                description="not revertible (kind, status), already reverted, or a later "
                "import changed the same rows (``details.later_batch`` names it); nothing "
                "was written"
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="revert", parser_classes=[JSONParser])
    def revert(self, request, pk=None):
        """Undo this import in one transaction: rows it overwrote get their old values back,
        rows it inserted are deleted (ADR 28). Sales, products, locations and stock imports
        are revertible; the batch answers with status ``reverted``."""
        batch = self.get_object()
        batch = services.import_batch_revert(batch_id=batch.pk, user=request.user)
        return Response(ImportBatchSerializer(batch).data)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(description="row,column,value,why")}
    )
    @action(detail=True, methods=["get"], url_path="errors")
    def errors_csv(self, request, pk=None):
        batch = self.get_object()
        rows = ((e["row"], e["column"], e["value"], e["why"]) for e in batch.errors)
        response = StreamingHttpResponse(
            csv_stream(["row", "column", "value", "why"], rows), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="import-{batch.id}-errors.csv"'
        return response


class DataSourceViewSet(ModelViewSet):
    """Data sources (tenant administrators). The URL is accepted, encrypted, never shown."""

    api_area = Area.SETTINGS
    serializer_class = DataSourceSerializer
    permission_classes = [IsTenantAdmin]
    parser_classes = [JSONParser]

    def get_queryset(self):
        return selectors.data_source_list(user=self.request.user)

    def get_object(self):
        return selectors.access_data_source(user=self.request.user, source_id=self.kwargs["pk"])

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        url = data.pop("url", None)
        serializer.instance = services.data_source_save(url=url, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        url = data.pop("url", None)
        serializer.instance = services.data_source_save(source=serializer.instance, url=url, **data)


class SyncStatusView(APIView):
    """Every data source with its last sync run."""

    api_area = Area.ETL
    permission_classes = [IsTenantMember]

    @extend_schema(
        responses=inline_serializer(
            "SyncStatus", {"sources": DataSourceSerializer(many=True, read_only=True)}
        )
    )
    def get(self, request):
        sources = selectors.data_source_list(user=request.user)
        return Response({"sources": DataSourceSerializer(sources, many=True).data})


class SyncTriggerView(APIView):
    """Queue a sync now (tenant administrators): one job per active source, or one source."""

    api_area = Area.ETL
    permission_classes = [IsTenantAdmin]

    @extend_schema(request=SyncTriggerSerializer, responses={202: JobStartSerializer(many=True)})
    def post(self, request):
        data = SyncTriggerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jobs = services.sync_trigger(user=request.user, source_id=data.validated_data.get("source"))
        # One job per source, so no single Location; each item has the common block (ADR 43).
        body = JobStartSerializer(jobs, many=True).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class _NoFormatOverride(DefaultContentNegotiation):
    """Always the first renderer (JSON, for error bodies): ``?format=`` names the export's
    file format here, not a DRF renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportView(APIView):
    """``GET /api/v1/exports/{kind}/?format=csv|xlsx|json`` — products, stock or sales in the
    import contract's columns (the file imports back unchanged). CSV and JSON stream; sales
    take ``date_from``, ``date_to``, ``sku`` and ``location``.

    ``format`` is the file format: DRF's renderer override on ``?format=`` is turned off for
    this view, so the documented contract (§9, ``--format``) reads the same on the command
    line and over HTTP."""

    api_area = Area.ETL
    heavy_work = "export"
    heavy_actions = ("get",)
    throttle_classes = HEAVY_THROTTLES
    permission_classes = [IsTenantMember]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _NoFormatOverride

    @extend_schema(
        parameters=[ExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="CSV, header row first"
            ),
            (200, "application/json"): OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="array of objects"
            ),
            (200, exports.FORMATS["xlsx"]): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="one-sheet workbook"
            ),
        },
    )
    def get(self, request, kind: str):
        spec = exports.export_spec(kind)
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        file_format = exports.check_format(query.validated_data["format"])
        sales_filter = exports.SalesFilter(
            date_from=query.validated_data.get("date_from"),
            date_to=query.validated_data.get("date_to"),
            sku=query.validated_data.get("sku"),
            location=query.validated_data.get("location"),
        )
        content = exports.export_content(
            kind=spec.kind,
            file_format=file_format,
            sales_filter=sales_filter,
            all_methods=query.validated_data["all_methods"],
        )
        content_type = exports.FORMATS[file_format]
        if file_format == "xlsx":
            response = HttpResponse(b"".join(content), content_type=content_type)
        else:
            response = StreamingHttpResponse(content, content_type=content_type)
        filename = exports.export_filename(
            kind=spec.kind,
            file_format=file_format,
            schema=connection.schema_name,
            today=timezone.localdate(),
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class SystemStatusView(ReplicaReadsMixin, APIView):
    """``GET /api/v1/system/status`` — counts per data type, what is missing, the next action."""

    api_area = Area.ETL
    permission_classes = [IsTenantMember]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(selectors.system_status(user=request.user))


class DataQualityView(ReplicaReadsMixin, APIView):
    """``GET /api/v1/data-quality/?limit=N`` — the sales-history data-quality report: a summary
    per check and its ``limit`` (≤ 100) worst series. Cached 5 minutes; an import refreshes it."""

    api_area = Area.ETL
    permission_classes = [IsTenantMember]

    @extend_schema(parameters=[DataQualityQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = DataQualityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(quality.data_quality_report(limit=query.validated_data["limit"]))
