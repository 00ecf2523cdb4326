from django.urls import path

from purchasing import pages

urlpatterns = [
    path("cart/", pages.cart, name="cart-page"),
    path("cart/action/", pages.cart_action, name="cart-action"),
    path("cart/add/", pages.cart_add, name="cart-add"),
    path("purchase-orders/", pages.order_list, name="purchase-order-list-page"),
    path("purchase-orders/<int:order_id>/", pages.order_detail, name="purchase-order-page"),
    path(
        "purchase-orders/<int:order_id>/action/",
        pages.order_action,
        name="purchase-order-action",
    ),
]
