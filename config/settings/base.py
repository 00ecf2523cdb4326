"""Settings shared by every environment. Everything a deployment changes comes from the
environment (see ``config.env``); ``dev``, ``test`` and ``prod`` only adjust defaults."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_storage_target,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ".localhost,localhost,127.0.0.1")

# --- Tenancy (django-tenants: one PostgreSQL schema per tenant) --------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    # Platform staff are users of the public schema, so identity apps live on both sides.
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts",
    "rest_framework_simplejwt.token_blacklist",
    "django_celery_beat",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_prometheus",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "accounts",
    "rest_framework_simplejwt.token_blacklist",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "catalog",
    "inventory",
    "forecasting",
    "etl",
    "purchasing",
    "manufacturing",
    "routing",
    "integrations",
    "demo",
    "workspace",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenants are cloned from this migrated template instead of replaying every migration.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# The host of the platform itself (public schema: staff admin and the tenants API).
PUBLIC_DOMAIN = env_str("PUBLIC_DOMAIN", "localhost")
# Tenants get <slug>.<TENANT_DOMAIN_SUFFIX> unless a domain is given.
TENANT_DOMAIN_SUFFIX = env_str("TENANT_DOMAIN_SUFFIX", "localhost")
TENANT_LOOKUP_CACHE_SECONDS = env_int("TENANT_LOOKUP_CACHE_SECONDS", 30, minimum=0)
# How often a process reads the shared generation of that cache: a tenant, domain or plan
# changed in another process is served here within this many seconds (ADR 37).
TENANT_LOOKUP_CHECK_SECONDS = env_int("TENANT_LOOKUP_CHECK_SECONDS", 1, minimum=0)
# The user behind a JWT, cached per tenant and user (0: read the database on every request).
JWT_USER_CACHE_SECONDS = env_int("JWT_USER_CACHE_SECONDS", 300, minimum=0)

DATABASES = {
    "default": {
        **database_from_url(
            env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/demandplan")
        ),
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5},
    }
}
# A streaming read replica (DATABASE_REPLICA_URL) takes the reads of the endpoints that opt in
# (core.db_routing.replica_reads: exports, reports); everything else reads the primary.
if env_str("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = {
        **DATABASES["default"],
        **database_from_url(env_str("DATABASE_REPLICA_URL")),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ("core.db_routing.ReplicaReadRouter", "django_tenants.routers.TenantSyncRouter")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.BareEndpointsMiddleware",
    # Request metrics and the access log for every answer below (429s and unknown hosts
    # included); django-prometheus' own pair of middlewares counted the same again (ADR 47).
    "core.middleware.AccessLogMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.csp.StaticCSPMiddleware",
    "core.middleware.AdminNetworkMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TwoFactorEnrolmentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.throttling.AnonymousRateLimitMiddleware",
]

# Security headers (ADR 31). Scripts only from this origin (no inline script, no eval): the
# pages' JavaScript is in static files and Swagger's initialiser is served as a file too.
# Inline styles stay allowed (style attributes, ECharts' and htmx's own); they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The back office (/admin/) only from these networks (CIDRs; empty: from anywhere). The client
# address is core.throttling.client_ip's: the peer as the proxy set-up reports it.
ADMIN_ALLOWED_NETWORKS = env_list("ADMIN_ALLOWED_NETWORKS", "")

ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspace.context_processors.navigation",
                "workspace.context_processors.currency",
            ]
        },
    }
]

# --- Identity ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Paths, not URL names: the public host (platform admin) has none of the tenant's URL names.
LOGIN_URL = "/app/login/"
LOGIN_REDIRECT_URL = "/app/dashboard/"
# Links sent by e-mail (accounts.links): a password reset lives a day, an invitation a week.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 24 * 3600, minimum=60)
INVITATION_TIMEOUT_SECONDS = env_int("INVITATION_TIMEOUT_SECONDS", 7 * 24 * 3600, minimum=60)
LOGOUT_REDIRECT_URL = "/app/login/"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": SECRET_KEY,
    "TOKEN_OBTAIN_SERIALIZER": "accounts.tokens.TenantTokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.tokens.TenantTokenRefreshSerializer",
}

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TenantJWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsTenantMember"],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.RateLimitThrottle",
        "core.quotas.PlanApiCallsThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.DjangoFilterBackend",
        "core.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Demand planning platform API",
    "DESCRIPTION": "Forecasting, inventory policy, purchasing, manufacturing and routing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The error answers (ErrorEnvelope) of every operation; times of day as HH:MM[:SS].
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
    # Route plans, simulation runs and forecast runs share queued/running/succeeded/failed;
    # API keys and product exclusions both have a field called scopes.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "inventory.models.SimulationRun.Status",
        "ProductExclusionScopeEnum": "catalog.models.ProductExclusion.Scope",
        "PurchaseOrderSourceEnum": "purchasing.models.PurchaseOrder.Source",
        "OrderSuggestionSourceEnum": "purchasing.models.OrderSuggestion.Source",
        "MrpRunSourceEnum": "manufacturing.models.MrpRun.Source",
        "ApiKeyScopeEnum": "core.permissions.KEY_SCOPE_CHOICES",
        "ForecastMethodEnum": "forecasting.api.serializers.METHOD_CHOICES",
        "ReportKindEnum": "integrations.models.ReportSchedule.Kind",
        # The job-start bodies (ADR 43) reuse these choice sets: keep the names they had.
        "JobStatusEnum": "core.models.Job.Status",
        "ImportBatchStatusEnum": "etl.models.ImportBatch.Status",
    },
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "Location"]

# --- Rate limits (django-ratelimit, counted in Redis; keys are tenant-prefixed) ----------------
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_USE_CACHE = "default"
RATE_LIMIT_ANON = env_rate("RATE_LIMIT_ANON", "60/m")
RATE_LIMIT_USER = env_rate("RATE_LIMIT_USER", "600/m")
RATE_LIMIT_LOGIN = env_rate("RATE_LIMIT_LOGIN", "5/m")
# Logins from one address across all usernames (password spraying), and the per-account
# lockout: after N failures locked for S seconds, doubling per lockout up to MAX (ADR 25).
RATE_LIMIT_LOGIN_IP = env_rate("RATE_LIMIT_LOGIN_IP", "20/10m")
# Starting heavy work, per tenant (every user and key together), on top of RATE_LIMIT_USER:
# 429 + Retry-After past it (ADR 31).
RATE_LIMIT_HEAVY_WORK = {
    "forecast_run": env_rate("RATE_LIMIT_FORECAST_RUNS", "20/h"),
    "simulation": env_rate("RATE_LIMIT_SIMULATIONS", "30/h"),
    "import": env_rate("RATE_LIMIT_IMPORTS", "120/h"),
    "export": env_rate("RATE_LIMIT_EXPORTS", "120/h"),
    "route_plan": env_rate("RATE_LIMIT_ROUTE_PLANS", "60/h"),
    "mrp_run": env_rate("RATE_LIMIT_MRP_RUNS", "30/h"),
    "inventory_refresh": env_rate("RATE_LIMIT_INVENTORY_REFRESHES", "30/h"),
}
# Two-factor codes per user (ADR 31), on top of django-otp's delay after each failure.
RATE_LIMIT_OTP = env_rate("RATE_LIMIT_OTP", "10/5m")
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 60, minimum=1)
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 3600, minimum=1)

# --- Redis, cache and Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "dp"),
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "default")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Starting work checks the broker first (core.services.broker_check): 503 when it does not
# answer within this many seconds, and publishing gives up as quickly (ADR 25).
BROKER_CHECK_SECONDS = env_int("BROKER_CHECK_SECONDS", 2, minimum=1)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
FAN_OUT_JITTER_SECONDS = env_int("FAN_OUT_JITTER_SECONDS", 300, minimum=0)
# Heartbeats (ADR 25): a running job touches heartbeat_at every JOB_HEARTBEAT_SECONDS; the
# reaper (every JOB_REAPER_SECONDS, per tenant) re-queues a running job silent for
# JOB_HEARTBEAT_LOST_SECONDS once, and fails it the next time (a worker killed mid-task).
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 30, minimum=1)
JOB_HEARTBEAT_LOST_SECONDS = env_int("JOB_HEARTBEAT_LOST_SECONDS", 600, minimum=2)
JOB_REAPER_SECONDS = env_int("JOB_REAPER_SECONDS", 300, minimum=1)
if JOB_HEARTBEAT_LOST_SECONDS < 2 * JOB_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "JOB_HEARTBEAT_LOST_SECONDS must be at least twice JOB_HEARTBEAT_SECONDS."
    )
# Schedules live in code. Each entry runs one dispatcher that fans the task out to every active
# tenant with jitter (tenants.tasks.fan_out); later domains add ETL, retraining and refreshes.
TENANT_BEAT_SCHEDULE = {
    "jobs-reap-lost": {
        "task": "core.tasks.reap_lost_jobs",
        "schedule": timedelta(seconds=JOB_REAPER_SECONDS),
        "jitter_seconds": min(FAN_OUT_JITTER_SECONDS, JOB_REAPER_SECONDS),
    },
    "jobs-reap-stale-daily": {
        "task": "core.tasks.reap_stale_jobs",
        "schedule": crontab(minute=15, hour=3),
    },
    "etl-sync-daily": {
        "task": "etl.tasks.sync_all_sources",
        "schedule": crontab(minute=0, hour=2),
    },
    "audit-prune-weekly": {
        "task": "core.tasks.prune_audit_log",
        "schedule": crontab(minute=30, hour=3, day_of_week=0),
    },
    # Per-tenant retention (core.models.RetentionSettings): jobs, forecast runs, simulations,
    # uploaded files, and audit entries and events too.
    "retention-prune-daily": {
        "task": "core.tasks.prune_retention",
        "schedule": crontab(minute=50, hour=3),
    },
    "events-prune-daily": {
        "task": "core.tasks.prune_events",
        "schedule": crontab(minute=45, hour=3),
    },
    # After the nightly ETL: ABC/XYZ re-evaluated on the day's sales, then metrics refreshed.
    "inventory-abc-daily": {
        "task": "inventory.tasks.reclassify_daily",
        "schedule": crontab(minute=0, hour=4),
    },
    "inventory-metrics-hourly": {
        "task": "inventory.tasks.refresh_hourly",
        "schedule": crontab(minute=20),
    },
    # Webhooks: fan new events out to endpoints and send the deliveries that are due. Every 5 s,
    # no jitter: a retry is a row with its time, not a task waiting in the broker (ADR 24).
    "webhooks-dispatch": {
        "task": "integrations.tasks.dispatch_webhooks",
        "schedule": timedelta(seconds=5),
        "jitter_seconds": 0,
    },
    # Each weekly report goes out on its subscription's weekday (integrations.reports_send_due).
    "reports-daily": {
        "task": "integrations.tasks.send_due_reports",
        "schedule": crontab(minute=0, hour=6),
    },
    # Scheduled reports: make the due ones (each schedule's local hour), prune old files.
    "reports-dispatch": {
        "task": "integrations.tasks.generate_due_reports",
        "schedule": crontab(minute="*/5"),
        "jitter_seconds": 0,
    },
    "reports-prune-daily": {
        "task": "integrations.tasks.prune_reports",
        "schedule": crontab(minute=50, hour=3),
    },
    # Notifications of users who chose a daily digest instead of one mail per event.
    "notifications-digest-daily": {
        "task": "integrations.tasks.send_notification_digests",
        "schedule": crontab(minute=0, hour=7),
    },
    # Daily check; each tenant retrains when its ForecastSettings.retrain_interval_days
    # (7 by default: weekly) has passed since its latest successful run. Before the 04:00
    # ABC/XYZ run; a successful forecast run queues its own inventory refresh.
    "forecast-retrain": {
        "task": "forecasting.tasks.retrain_due",
        "schedule": crontab(minute=30, hour=3),
    },
}
CELERY_BEAT_SCHEDULE = {
    name: {
        "task": "tenants.tasks.fan_out",
        "schedule": entry["schedule"],
        "kwargs": {"task_name": entry["task"]}
        | ({"jitter_seconds": entry["jitter_seconds"]} if "jitter_seconds" in entry else {}),
    }
    for name, entry in TENANT_BEAT_SCHEDULE.items()
}
# Platform-wide entries, not fanned out. Nightly tenant backups (tenants.backup): one archive
# per active tenant into BACKUP_TARGET/<slug>/, the TENANT_BACKUP_KEEP newest kept; one
# task exports the tenants one after another, so backups never compete for the database.
PLATFORM_BEAT_SCHEDULE = {
    "tenants-purge-daily": {
        "task": "tenants.tasks.purge_deleted_tenants",
        "schedule": crontab(minute=30, hour=1),
    },
    # Proves beat and a worker alive (core.metrics heartbeat ages, the staff health view).
    "platform-heartbeat": {
        "task": "core.tasks.heartbeat",
        "schedule": timedelta(seconds=60),
    },
    "tenants-backup-nightly": {
        "task": "tenants.tasks.backup_all",
        "schedule": crontab(minute=0, hour=1),
    },
}
CELERY_BEAT_SCHEDULE.update(PLATFORM_BEAT_SCHEDULE)
TENANT_BACKUP_DIR = Path(env_str("TENANT_BACKUP_DIR", str(BASE_DIR / ".data" / "backups")))
# Where backups go (ADR 41): file:///path, s3://bucket/prefix, or empty for TENANT_BACKUP_DIR.
# A bucket is written by a streamed multipart upload (BACKUP_S3_PART_MB per part in memory);
# without keys boto3's usual credential chain applies (instance role, AWS_* variables).
BACKUP_TARGET = env_storage_target("BACKUP_TARGET")
BACKUP_S3_ENDPOINT_URL = env_str("BACKUP_S3_ENDPOINT_URL", "")
BACKUP_S3_REGION = env_str("BACKUP_S3_REGION", "us-east-1")
BACKUP_S3_ACCESS_KEY_ID = env_str("BACKUP_S3_ACCESS_KEY_ID", "")
BACKUP_S3_SECRET_ACCESS_KEY = env_str("BACKUP_S3_SECRET_ACCESS_KEY", "")
BACKUP_S3_ADDRESSING_STYLE = env_str("BACKUP_S3_ADDRESSING_STYLE", "path")
BACKUP_S3_PART_MB = env_int("BACKUP_S3_PART_MB", 16, minimum=5)
# A tenant whose deletion is requested is deactivated at once and restorable this many days.
TENANT_DELETION_GRACE_DAYS = env_int("TENANT_DELETION_GRACE_DAYS", 30, minimum=1)
TENANT_BACKUP_KEEP = env_int("TENANT_BACKUP_KEEP", 7, minimum=1)
JOB_STALE_HOURS = env_int("JOB_STALE_HOURS", 24, minimum=1)
JOB_MAX_SECONDS = env_int("JOB_MAX_SECONDS", 2 * 3600, minimum=120)
# No task runs longer than JOB_MAX_SECONDS: the soft limit raises in the task a minute
# before (a job ends failed, a backup stops after the tenant it is on), the hard limit kills
# the process. The broker's visibility timeout lies beyond the hard limit, so the message
# of a task that may still be running is never handed to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = JOB_MAX_SECONDS - 60
CELERY_TASK_TIME_LIMIT = JOB_MAX_SECONDS
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": JOB_MAX_SECONDS + 300}
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365, minimum=1)
AUDIT_EXPORT_MAX_ROWS = env_int("AUDIT_EXPORT_MAX_ROWS", 1_000_000, minimum=1)
# The event outbox keeps delivered and undelivered events this long (core.events.events_prune).
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 90, minimum=1)

# --- Webhooks (integrations; ADR 24) ---------------------------------------------------------
# Private, loopback, link-local and metadata addresses and ports other than 80/443 are refused
# unless this is on (dev and test turn it on; production leaves it off).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# Seconds before each retry, after the previous attempt (±WEBHOOK_RETRY_JITTER): 8 retries,
# about 45 h in all. A delivery that fails its last attempt is dead (the dead-letter list).
WEBHOOK_RETRY_SCHEDULE = [10, 60, 300, 1800, 7200, 21600, 43200, 86400]
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", len(WEBHOOK_RETRY_SCHEDULE) + 1, minimum=1)
WEBHOOK_RETRY_JITTER = 0.2
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
# An endpoint whose attempts have all failed for this long is disabled and its admins told.
WEBHOOK_DISABLE_AFTER_HOURS = env_int("WEBHOOK_DISABLE_AFTER_HOURS", 24, minimum=1)
# How many events and due deliveries one dispatcher run takes per tenant.
WEBHOOK_DISPATCH_BATCH = env_int("WEBHOOK_DISPATCH_BATCH", 500, minimum=1)
# One delivery task attempts this many deliveries (kept-alive connections, bulk records); a
# dispatcher run repeats fan-out and claims while there is work, for at most this long.
WEBHOOK_DELIVERY_CHUNK = env_int("WEBHOOK_DELIVERY_CHUNK", 100, minimum=1)
# Threads one worker process posts a batch on (one endpoint's deliveries stay on one thread
# unless it has more than its share; ADR 36).
WEBHOOK_DELIVERY_THREADS = env_int("WEBHOOK_DELIVERY_THREADS", 4, minimum=1)
WEBHOOK_DISPATCH_SECONDS = env_int("WEBHOOK_DISPATCH_SECONDS", 4, minimum=1)
# Deliveries one dispatcher run queues at most (every 5 s: 2,000 per second per tenant; a
# claim waits at most CLAIM_SECONDS (120) in the broker before it is handed out again).
WEBHOOK_DISPATCH_MAX = env_int("WEBHOOK_DISPATCH_MAX", 10000, minimum=1)
# Scheduled reports (ADR 33): files kept this long, download links valid this long, and the
# scheme of the links mailed (the host is the tenant's primary domain).
REPORT_RETENTION_DAYS = env_int("REPORT_RETENTION_DAYS", 90, minimum=1)
REPORT_LINK_SECONDS = env_int("REPORT_LINK_SECONDS", 7 * 24 * 3600, minimum=60)
REPORT_LINK_SCHEME = env_str("REPORT_LINK_SCHEME", "https")
# Mail (notifications, scheduled reports): console by default; set EMAIL_BACKEND to
# django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST and EMAIL_PORT to send.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@localhost")

# --- Data sources ------------------------------------------------------------------------------
DATA_SOURCE_KEY = env_str("DATA_SOURCE_KEY", "")
# File drops: each tenant may read files under <ETL_DROP_ROOT>/<schema>/ only.
ETL_DROP_ROOT = Path(env_str("ETL_DROP_ROOT", str(BASE_DIR / ".data" / "drop")))
SQL_SOURCE_TIMEOUT_SECONDS = env_int("SQL_SOURCE_TIMEOUT_SECONDS", 300, minimum=1)

# --- Uploads -----------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Imports (API and command, ADR 25): a workbook's zip members may hold at most this many bytes
# uncompressed, each member at most this compression ratio (zip bombs); a file at most this
# many data rows and a cell at most this many characters. `import_data --max-rows` raises rows.
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int(
    "IMPORT_MAX_UNCOMPRESSED_BYTES", 256 * 1024 * 1024, minimum=1024 * 1024
)
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 200, minimum=10)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 1_000_000, minimum=1)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 10_000, minimum=100)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"

# --- Static, i18n ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The pages' own scripts and, under vendor/, htmx and ECharts copied from node_modules by
# `make install` (package.json + package-lock.json; ADR 22).
STATICFILES_DIRS = [BASE_DIR / "static"]
# Route plan base map (Leaflet, ADR 30): a raster tile URL template such as
# "https://tile.openstreetmap.org/{z}/{x}/{y}.png" (respect the provider's usage policy) and its
# attribution. Empty (the default): a plain background, so pages and tests need no internet.
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")
if MAP_TILE_URL:
    # The route plan's base map loads its tiles as images from the tile server ({s}: any
    # subdomain), so the Content-Security-Policy lets images come from there too.
    _scheme, _, _rest = MAP_TILE_URL.partition("://")
    _host = _rest.split("/", 1)[0].replace("{s}", "*")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_scheme}://{_host}")
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Monitoring (core.metrics, ADR 34) -----------------------------------------------------------
# /metrics answers only a bearer token or an allowlisted address; with neither configured it is
# 404. X-Forwarded-For is believed only from the proxies listed here (empty: never).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", "")
TRUSTED_PROXY_NETWORKS = env_networks("TRUSTED_PROXY_NETWORKS", "")
# The Celery worker serves its own /metrics on this port (0: off); see config.celery.
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0, minimum=0)
# /health/ready fails when the media or temporary volume has less free space than this.
APP_VERSION = env_str("APP_VERSION", "")  # the image tag; shown in the staff health view
HEALTH_IMPORT_MODULES = ["forecasting.engine"]
HEALTH_MIN_FREE_BYTES = env_int("HEALTH_MIN_FREE_BYTES", 512 * 1024 * 1024, minimum=0)

# --- Logging: JSON lines with request id, tenant, user and duration ----------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json")  # "json" or "console"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "core.logging.structlog_formatter",
            "format_name": LOG_FORMAT,
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "celery": {"level": "INFO"},
    },
}
