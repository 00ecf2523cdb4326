from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests
LOG_LEVEL = "WARNING"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
TENANT_LOOKUP_CACHE_SECONDS = 0
CACHES["default"]["KEY_PREFIX"] = "dp-test"  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = "test"
MEDIA_ROOT = BASE_DIR / ".data" / "test-media"  # noqa: F405
# High default limits so the suite's own traffic is never limited; the rate-limit tests set
# the production defaults explicitly and use their own client addresses.
RATE_LIMIT_ANON = "100000/m"
RATE_LIMIT_USER = "100000/m"
RATE_LIMIT_LOGIN = "100000/m"
ALLOWED_HOSTS = [".localhost", "localhost", "testserver"]
