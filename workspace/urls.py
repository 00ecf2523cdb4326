"""The workspace shell on a tenant host: ``/``, ``/app/``, the login, password reset and
invitation pages, and the users page."""

from django.urls import path

from workspace import views

urlpatterns = [
    path("", views.home, name="workspace-home"),
    path("app/", views.home, name="workspace-app"),
    path("app/login/", views.LoginView.as_view(), name="workspace-login"),
    path("app/login/code/", views.login_code, name="workspace-login-code"),
    path("app/account/two-factor/", views.two_factor_page, name="workspace-two-factor"),
    path("app/logout/", views.LogoutView.as_view(), name="workspace-logout"),
    path("app/password-reset/", views.PasswordResetView.as_view(), name="workspace-password-reset"),
    path(
        "app/password-reset/sent/",
        views.PasswordResetSentView.as_view(),
        name="workspace-password-reset-sent",
    ),
    path(
        "app/password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="workspace-password-reset-complete",
    ),
    path(
        "app/password-reset/<uidb64>/<token>/",
        views.PasswordSetView.as_view(),
        name="workspace-password-reset-confirm",
    ),
    path(
        "app/invitations/<uidb64>/<token>/",
        views.InvitationAcceptView.as_view(),
        name="workspace-invitation",
    ),
    path("app/users/", views.users_page, name="workspace-users"),
    path("app/jobs/<uuid:job_id>/progress/", views.job_progress, name="job-progress-page"),
]
