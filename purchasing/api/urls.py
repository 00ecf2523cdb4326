from django.urls import re_path
from rest_framework.routers import SimpleRouter

from purchasing.api import views

# Every path answers with and without its trailing slash (workflow actions included).
router = SimpleRouter()
router.trailing_slash = "/?"  # the constructor only knows "/" or ""
router.register("suppliers", views.SupplierViewSet, basename="supplier")
router.register("supplier-products", views.SupplierProductViewSet, basename="supplier-product")
router.register("exchange-rates", views.ExchangeRateViewSet, basename="exchange-rate")
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="purchase-order")
router.register("transfer-orders", views.TransferOrderViewSet, basename="transfer-order")
router.register("order-suggestions", views.OrderSuggestionViewSet, basename="order-suggestion")
urlpatterns = [
    re_path(
        r"^purchasing/settings/?$",
        views.PurchasingSettingsView.as_view(),
        name="purchasing-settings",
    ),
    *router.urls,
]
