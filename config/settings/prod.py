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
SESSION_COOKIE_HTTPONLY = True
# HSTS (ADR 31): a year by default, tenant subdomains included; SECURE_HSTS_SECONDS=0 turns it
# off for a first deployment that is not yet sure of HTTPS everywhere.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)  # the proxy usually redirects
SECURE_CONTENT_TYPE_NOSNIFF = True
