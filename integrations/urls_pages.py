from django.urls import path

from integrations import pages

urlpatterns = [
    path("notifications/", pages.notification_list, name="notifications-page"),
    path("notifications/bell", pages.bell, name="notifications-bell"),
    path("notifications/read-all", pages.read_all, name="notifications-read-all"),
]
