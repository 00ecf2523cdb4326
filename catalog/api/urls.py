from rest_framework.routers import SimpleRouter

from catalog.api import views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("locations", views.LocationViewSet, basename="location")
router.register("stock-levels", views.StockLevelViewSet, basename="stock-level")
router.register("stock-movements", views.StockMovementViewSet, basename="stock-movement")
router.register("sales-history", views.DemandHistoryViewSet, basename="sales-history")
# Exclusions keep the path they were published under.
router.register("inventory/exclusions", views.ProductExclusionViewSet, basename="product-exclusion")
urlpatterns = router.urls
