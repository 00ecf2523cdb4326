"""The workspace shell on a tenant host: ``/``, ``/app/`` and the login pages."""

from django.urls import path

from workspace import views

urlpatterns = [
    path("", views.home, name="workspace-home"),
    path("app/", views.home, name="workspace-app"),
    path("app/login/", views.LoginView.as_view(), name="workspace-login"),
    path("app/login/code/", views.login_code, name="workspace-login-code"),
    path("app/account/two-factor/", views.two_factor_page, name="workspace-two-factor"),
    path("app/logout/", views.LogoutView.as_view(), name="workspace-logout"),
    path("app/jobs/<uuid:job_id>/progress/", views.job_progress, name="job-progress-page"),
]
