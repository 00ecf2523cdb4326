from django.urls import path

from inventory import pages

urlpatterns = [path("dashboard/", pages.dashboard_page, name="inventory-dashboard")]
