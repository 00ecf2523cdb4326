from rest_framework.routers import SimpleRouter

from inventory.api import views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("products", views.ProductViewSet, basename="product")
router.register("locations", views.LocationViewSet, basename="location")
router.register("stock-levels", views.StockLevelViewSet, basename="stock-level")
router.register("stock-movements", views.StockMovementViewSet, basename="stock-movement")
router.register("sales-history", views.DemandHistoryViewSet, basename="sales-history")
urlpatterns = router.urls
