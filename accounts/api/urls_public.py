"""Identity endpoints served on every host (the platform host uses them for staff)."""

from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("auth/token/refresh", views.TokenRefreshTenantView.as_view(), name="token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("me", views.MeView.as_view(), name="me"),
]
