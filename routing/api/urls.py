from rest_framework.routers import SimpleRouter

from routing.api import views

router = SimpleRouter()
router.register("vehicles", views.VehicleViewSet, basename="vehicle")
router.register("delivery-orders", views.DeliveryOrderViewSet, basename="delivery-order")
router.register("route-plans", views.RoutePlanViewSet, basename="route-plan")
urlpatterns = router.urls
