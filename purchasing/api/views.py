from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ModelViewSet

from accounts.permissions import IsTenantAdmin, IsTenantMember
from core.lists import ValuesListMixin
from core.permissions import Area
from purchasing import cart_service, selectors, services, transfers
from purchasing.api import serializers as s
from purchasing.filters import OrderSuggestionFilter, PurchaseOrderFilter, SupplierProductFilter


class _NoFormatOverride(DefaultContentNegotiation):
    """``?format=`` is the file format of an export here, not DRF's renderer override."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SupplierViewSet(ModelViewSet):
    """Suppliers: viewers read, planners and admins write. Saving one links catalogue
    products whose ``supplier_code`` names it. ``GET …/{id}/scorecard/?days=90|365``."""

    api_area = Area.PURCHASING
    serializer_class = s.SupplierSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("kind", "is_active", "code")
    ordering_fields = ("code", "name")

    def get_queryset(self):
        return selectors.supplier_list(user=self.request.user)

    def get_object(self):
        return selectors.access_supplier(user=self.request.user, supplier_id=self.kwargs["pk"])

    def perform_create(self, serializer):
        serializer.instance = services.supplier_save(
            supplier=serializer.Meta.model(**serializer.validated_data)
        )

    def perform_update(self, serializer):
        supplier = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(supplier, name, value)
        serializer.instance = services.supplier_save(supplier=supplier)

    @extend_schema(parameters=[s.ScorecardQuerySerializer], responses={200: s.ScorecardSerializer})
    @action(detail=True, methods=["get"])
    def scorecard(self, request, pk=None):
        query = s.ScorecardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        card = selectors.scorecard(
            supplier=self.get_object(), days=int(query.validated_data["days"])
        )
        return Response(s.ScorecardSerializer(card).data)


class SupplierProductViewSet(ValuesListMixin, ModelViewSet):
    """A supplier's terms per product, with the lead time used for planning:
    ``lead_time_source`` is ``learned`` (≥ 3 receipts), ``supplier_product``, ``supplier`` or
    ``product``; σ is 0 unless learned."""

    api_area = Area.PURCHASING
    serializer_class = s.SupplierProductSerializer
    permission_classes = [IsTenantMember]
    filterset_class = SupplierProductFilter
    ordering_fields = ("unit_price", "id")

    def get_queryset(self):
        return selectors.supplier_product_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.access_supplier_product(
            user=self.request.user, supplier_product_id=self.kwargs["pk"]
        )

    def perform_create(self, serializer):
        term = serializer.Meta.model(**serializer.validated_data)
        services.supplier_product_save(term=term)
        serializer.instance = self.get_queryset().get(pk=term.pk)

    def perform_update(self, serializer):
        term = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(term, name, value)
        services.supplier_product_save(term=term)
        serializer.instance = self.get_queryset().get(pk=term.pk)


class ExchangeRateViewSet(ModelViewSet):
    """Rates to the tenant's currency: one unit of ``currency`` is worth ``rate`` units."""

    api_area = Area.PURCHASING
    serializer_class = s.ExchangeRateSerializer
    permission_classes = [IsTenantMember]
    ordering_fields = ("currency",)

    def get_queryset(self):
        return selectors.exchange_rate_list(user=self.request.user)


class PurchasingSettingsView(APIView):
    """The tenant's purchasing settings: everyone reads, admins change."""

    api_area = Area.SETTINGS

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsTenantMember()]
        return [IsTenantAdmin()]

    @extend_schema(responses={200: s.PurchasingSettingsSerializer})
    def get(self, request):
        return Response(s.PurchasingSettingsSerializer(selectors.purchasing_settings_get()).data)

    @extend_schema(
        request=s.PurchasingSettingsSerializer, responses={200: s.PurchasingSettingsSerializer}
    )
    def patch(self, request):
        data = s.PurchasingSettingsSerializer(
            selectors.purchasing_settings_get(), data=request.data, partial=True
        )
        data.is_valid(raise_exception=True)
        settings = services.purchasing_settings_update(**data.validated_data)
        return Response(s.PurchasingSettingsSerializer(settings).data)


class PurchaseOrderViewSet(
    ValuesListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    GenericViewSet,
):
    """Purchase orders: ``draft → approved → sent → partially_received → received``, or
    ``cancelled`` (before any receipt) or ``closed`` (short-closed). Workflow actions are
    ``POST …/{id}/approve|send|cancel|close|receive|confirm/``; an illegal one answers 409
    with the allowed actions."""

    api_area = Area.PURCHASING
    serializer_class = s.PurchaseOrderSerializer
    permission_classes = [IsTenantMember]
    filterset_class = PurchaseOrderFilter
    ordering_fields = ("created_at", "reference", "ordered_on")

    values_template = True  # get_queryset() reads neither the user nor the request

    def get_queryset(self):
        return selectors.purchase_order_list(user=self.request.user)

    def get_object(self):
        return selectors.access_purchase_order(user=self.request.user, order_id=self.kwargs["pk"])

    def _render(self, order, code=status.HTTP_200_OK):
        order = selectors.access_purchase_order(user=self.request.user, order_id=order.pk)
        return Response(s.PurchaseOrderSerializer(order).data, status=code)

    @extend_schema(
        request=s.PurchaseOrderInputSerializer, responses={201: s.PurchaseOrderSerializer}
    )
    def create(self, request):
        data = s.PurchaseOrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = services.purchase_order_create(
            supplier=values["supplier"],
            location=values["location"],
            reference=values.get("reference") or None,
            note=values.get("note", ""),
            lines=[
                services.OrderLineInput(
                    product_id=line["product"].pk,
                    location_id=line["location"].pk if line.get("location") else None,
                    quantity=line["quantity"],
                    unit_price=line.get("unit_price"),
                    expected_date=line.get("expected_date"),
                )
                for line in values["lines"]
            ],
            user=request.user,
        )
        return self._render(order, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.PurchaseOrderSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._render(
            services.purchase_order_approve(order=self.get_object(), user=request.user)
        )

    @extend_schema(request=None, responses={200: s.PurchaseOrderSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        return self._render(
            services.purchase_order_send(order=self.get_object(), user=request.user)
        )

    @extend_schema(request=s.ReasonSerializer, responses={200: s.PurchaseOrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.purchase_order_cancel(
            order=self.get_object(), user=request.user, reason=data.validated_data["reason"]
        )
        return self._render(order)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.PurchaseOrderSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.purchase_order_close(
            order=self.get_object(), user=request.user, reason=data.validated_data["reason"]
        )
        return self._render(order)

    @extend_schema(request=s.ReceiveSerializer, responses={200: s.PurchaseOrderSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        data = s.ReceiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.purchase_order_receive(
            order=self.get_object(),
            receipts=[
                services.ReceiptInput(
                    line_id=line["line"],
                    quantity=line["quantity"],
                    received_on=line.get("received_on"),
                )
                for line in data.validated_data["lines"]
            ],
            user=request.user,
        )
        return self._render(order)

    @extend_schema(request=s.ConfirmSerializer, responses={200: s.PurchaseOrderSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        data = s.ConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.purchase_order_confirm(
            order=self.get_object(),
            confirmations=[
                services.ConfirmationInput(
                    line_id=line["line"],
                    confirmed_date=line.get("confirmed_date"),
                    confirmed_quantity=line.get("confirmed_quantity"),
                )
                for line in data.validated_data["lines"]
            ],
            user=request.user,
        )
        return self._render(order)

    @extend_schema(responses={200: s.ReceiptSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def receipts(self, request, pk=None):
        receipts = selectors.receipt_list(order=self.get_object())
        return Response(s.ReceiptSerializer(receipts, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["csv", "xlsx"], description="File format")
        ],
        responses={(200, "text/csv"): bytes},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="export",
        content_negotiation_class=_NoFormatOverride,
    )
    def export(self, request, pk=None):
        query = s.ExportQuerySerializer(data={"format": request.query_params.get("format", "csv")})
        query.is_valid(raise_exception=True)
        order = self.get_object()
        file_format = query.validated_data["format"]
        if file_format == "csv":
            content, kind = services.purchase_order_csv(order), "text/csv; charset=utf-8"
        else:
            content, kind = services.purchase_order_xlsx(order), services.XLSX_CONTENT_TYPE
        response = HttpResponse(content, content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="{order.reference}.{file_format}"'
        return response


class OrderSuggestionViewSet(
    ValuesListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    GenericViewSet,
):
    """The cart. ``POST …/build/`` rebuilds it from the latest inventory metrics (and the
    latest MRP run's buy orders); ``POST …/convert/`` turns the kept lines into draft purchase
    orders (one per supplier × location). Lines left out carry a ``reason``."""

    api_area = Area.PURCHASING
    serializer_class = s.OrderSuggestionSerializer
    permission_classes = [IsTenantMember]
    filterset_class = OrderSuggestionFilter
    ordering_fields = ("value", "needed_by", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.order_suggestion_list(user=self.request.user)

    def get_object(self):
        return selectors.access_order_suggestion(
            user=self.request.user, suggestion_id=self.kwargs["pk"]
        )

    @extend_schema(
        request=s.OrderSuggestionUpdateSerializer, responses={200: s.OrderSuggestionSerializer}
    )
    def partial_update(self, request, pk=None):
        data = s.OrderSuggestionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = cart_service.order_suggestion_update(
            suggestion=self.get_object(),
            quantity=data.validated_data.get("quantity"),
            supplier=data.validated_data.get("supplier"),
        )
        return Response(s.OrderSuggestionSerializer(line).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, pk=kwargs.get("pk"))

    @extend_schema(request=s.CartBuildSerializer, responses={200: s.CartSerializer})
    @action(detail=False, methods=["post"])
    def build(self, request):
        data = s.CartBuildSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        cart_service.cart_build(
            budget=values.get("budget"),
            location=values.get("location") or None,
            supplier=values.get("supplier") or None,
            fill_minimums=values.get("fill_minimums", False),
        )
        lines = list(self.get_queryset().filter(status="open").order_by("id"))
        return Response(
            {
                "lines": s.OrderSuggestionSerializer(lines, many=True).data,
                "totals": selectors.cart_totals(lines, values.get("budget")),
            }
        )

    @extend_schema(
        request=None,
        responses={201: s.PurchaseOrderSerializer(many=True)},
        description=(
            "Turn the kept lines into one draft purchase order per supplier and location "
            "(the body) and one draft transfer order per DC and store (ids in the "
            "`X-Transfer-Orders` header; see /api/v1/transfer-orders/)."
        ),
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def convert(self, request):
        converted = cart_service.cart_convert(user=request.user, today=timezone.localdate())
        rows = selectors.purchase_order_list(user=request.user).filter(
            pk__in=[order.pk for order in converted.purchase_orders]
        )
        moves = selectors.transfer_order_list(user=request.user).filter(
            pk__in=[order.pk for order in converted.transfer_orders]
        )
        # The body is the purchase orders (the contract); the transfer orders made
        # from transfer lines are named in a header and listed at /api/v1/transfer-orders/.
        return Response(
            s.PurchaseOrderSerializer(rows.order_by("id"), many=True).data,
            status=status.HTTP_201_CREATED,
            headers={
                "X-Transfer-Orders": ",".join(str(pk) for pk in moves.values_list("pk", flat=True))
            },
        )


class TransferOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Transfer orders from a DC to a store (created by the cart's convert): ``draft →
    shipped → received``, or ``cancelled`` from draft. ``POST …/{id}/ship|receive|cancel/``;
    an illegal one answers 409 with the allowed actions, shipping without the stock 409.
    Viewers read, planners act."""

    api_area = Area.PURCHASING
    serializer_class = s.TransferOrderSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("status", "from_location", "to_location")
    ordering_fields = ("created_at", "reference")

    def get_queryset(self):
        return selectors.transfer_order_list(user=self.request.user).order_by("-created_at", "-id")

    def get_object(self):
        return selectors.access_transfer_order(user=self.request.user, order_id=self.kwargs["pk"])

    def _render(self, order):
        order = selectors.access_transfer_order(user=self.request.user, order_id=order.pk)
        return Response(s.TransferOrderSerializer(order).data)

    @extend_schema(request=None, responses={200: s.TransferOrderSerializer})
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        return self._render(
            transfers.transfer_order_ship(order=self.get_object(), user=request.user)
        )

    @extend_schema(request=None, responses={200: s.TransferOrderSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        return self._render(
            transfers.transfer_order_receive(order=self.get_object(), user=request.user)
        )

    @extend_schema(request=None, responses={200: s.TransferOrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._render(
            transfers.transfer_order_cancel(order=self.get_object(), user=request.user)
        )
