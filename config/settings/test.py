import os
import uuid

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests
LOG_LEVEL = "WARNING"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
TENANT_LOOKUP_CACHE_SECONDS = 0
JWT_USER_CACHE_SECONDS = 0  # query-count baselines count the user's row; tests that cache set it
# Per run too, so rate-limit counters (keyed by user ids that every fresh test database
# hands out again) never carry over from another run; the run removes its keys at the end.
CACHES["default"]["KEY_PREFIX"] = f"dp-test-{uuid.uuid4().hex[:8]}"  # noqa: F405
# A queue of its own per test run: two runs on one machine (two checkouts, CI beside a
# developer) must not take each other's tasks.
# A worker process a test starts itself (tests/processes.py) is told the run's queue.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("TEST_CELERY_QUEUE") or f"test-{uuid.uuid4().hex[:8]}"
MEDIA_ROOT = BASE_DIR / ".data" / "test-media"  # noqa: F405
# High default limits so the suite's own traffic is never limited; the rate-limit tests set
# the production defaults explicitly and use their own client addresses.
RATE_LIMIT_ANON = "100000/m"
RATE_LIMIT_USER = "100000/m"
RATE_LIMIT_HEAVY_WORK = {kind: "100000/m" for kind in RATE_LIMIT_HEAVY_WORK}  # noqa: F405
RATE_LIMIT_LOGIN = "100000/m"
RATE_LIMIT_LOGIN_IP = "100000/m"
ALLOWED_HOSTS = [".localhost", "localhost", "testserver"]
WEBHOOK_ALLOW_PRIVATE = True  # the tests' receiver listens on loopback
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
