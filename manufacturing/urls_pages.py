from django.urls import path

from manufacturing import pages

urlpatterns = [
    path("boms/<int:product_id>/", pages.bom_tree_page, name="bom-tree-page"),
    path("mrp/", pages.mrp_page, name="mrp-page"),
    path("capacity/", pages.capacity_page, name="capacity-page"),
]
