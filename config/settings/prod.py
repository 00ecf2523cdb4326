"""Production: refuses to start with DEBUG on, the default SECRET_KEY or no ALLOWED_HOSTS."""

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int

from .base import *  # noqa: F403


def _validate() -> None:
    if env_bool("DEBUG", False):
        raise ImproperlyConfigured("DEBUG must be off in production.")
    secret = os.environ.get("SECRET_KEY", "")
    if not secret or secret.startswith("insecure-") or len(secret) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 32+ characters.")
    if not os.environ.get("ALLOWED_HOSTS", "").strip():
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")


_validate()
DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
