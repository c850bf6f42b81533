"""Settings shared by every environment. Everything that varies comes from the environment (django-environ)."""

from pathlib import Path

import environ
from corsheaders.defaults import default_headers

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
)

# State of the embedded defaults (the SQLite file, the filesystem broker's queue).
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "corsheaders",
    "django_celery_beat",
    "loyalty",
    "members",
    "rewards",
    "referrals",
    "storefront",
    "analytics",
    "challenges",
    "memberships",
    "donations",
]

MIDDLEWARE = [
    "loyalty.observability.request_id.RequestIdMiddleware",
    "loyalty.observability.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "loyalty.observability.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process, the worker and beat share one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The orders index INCLUDEs the member for PostgreSQL's index-only segment counts; SQLite just ignores the
    # extra column, which is fine for the embedded default.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # The hot paths' pre-built statements (members/prepared.py) ask psycopg to prepare them, which it does only when
    # the connection has a prepare threshold: Django sets none (so that transaction-mode poolers work), and each
    # order then parsed and planned its ~2,000-character write statement again (0.5 ms of the server's CPU). The
    # ORM's own queries bind client-side and are never prepared either way: the backend (loyalty/db/postgresql)
    # keeps the threshold for fetch_one's statements alone. Behind a transaction-mode pooler that
    # cannot keep prepared statements (PgBouncer before 1.21), set DATABASE_PREPARED_STATEMENTS=false.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend whose health check (CONN_HEALTH_CHECKS) polls the connection's socket instead of a
    # `SELECT 1` round trip per request (loyalty/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "loyalty.db.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية"), ("fa", "فارسی")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="rewards@localhost")
# A send never hangs past this (seconds), so a claim older than reap_notifications' 15 minutes is a dead worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=EMAIL_CONFIG.get("EMAIL_TIMEOUT") or 30)

# Throttle counters, cached widget answers and program configuration share this cache: locmem's default of 300
# entries would have them evict each other with a few hundred active shoppers per process.
LOCMEM_MAX_ENTRIES = 20_000
CACHES = {
    "default": {
        "BACKEND": "loyalty.locmem.LocMemCache",  # Django's, without the memcached key check
        "OPTIONS": {"MAX_ENTRIES": LOCMEM_MAX_ENTRIES},
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["loyalty.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["loyalty.api.permissions.HasProgram"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["loyalty.api.throttling.ProgramRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"program": env("API_THROTTLE_RATE", default="6000/min")},
    "EXCEPTION_HANDLER": "loyalty.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "loyalty.api.schema.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty platform API",
    "DESCRIPTION": (
        "Points, tiers, rewards and referrals for a shop. Server API under `/api/v1/` "
        "(Bearer API key), storefront widget API under `/api/widget/v1/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets on fields named `type` (reward types, membership event types): name them, not a hash.
    "ENUM_NAME_OVERRIDES": {
        "TypeEnum": "loyalty.choices.RewardType",
        "MembershipEventTypeEnum": "memberships.choices.MembershipEventType",
    },
}

CORS_URLS_REGEX = r"^/api/widget/.*$"
# Origins are allowed per program (`Program.allowed_origins`, checked in storefront/cors.py), never globally.
CORS_ALLOW_HEADERS = (*default_headers, "x-loyalty-program", "x-loyalty-customer", "x-loyalty-digest", "if-none-match")
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]
CORS_PREFLIGHT_MAX_AGE = 600
# Storefront widget throttles: per identified shopper and per IP address.
WIDGET_THROTTLE_RATES = {
    "widget_shopper": env("WIDGET_SHOPPER_THROTTLE_RATE", default="120/min"),
    "widget_ip": env("WIDGET_IP_THROTTLE_RATE", default="600/min"),
}
# Programs `/demo/shop/` may sign shoppers into (it computes digests for any customer id: demo only).
DEMO_SHOP_PROGRAM_SLUGS = env.list("DEMO_SHOP_PROGRAM_SLUGS", default=["demo"])

# Celery: an embedded filesystem broker by default, so `make run` needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "out"),
        "data_folder_out": str(_queue / "out"),
        "processed_folder": str(_queue / "processed"),
        "control_folder": str(_queue / "control"),
        "store_processed": False,
    }
    # The transport expects its folders to exist; every process (web, worker, beat) may be the first to write.
    for _folder in ("out", "processed", "control"):
        (_queue / _folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    name: {"task": "members.tasks.run_job_task", "schedule": seconds, "args": (name,)}
    for name, seconds in [
        ("activate_pending_points", 60 * 15),
        ("expire_points", 60 * 60 * 24),
        ("send_expiry_warnings", 60 * 60 * 24),
        ("award_birthdays", 60 * 60 * 24),
        ("recalculate_tiers", 60 * 60 * 24),
        ("expire_vouchers", 60 * 60),
        ("notify_tier_changes", 60 * 5),
        ("send_points_digest", 60 * 60),
        ("notify_vouchers", 60 * 5),
        ("reap_notifications", 60 * 10),
        ("compute_rfm", 60 * 60 * 24),
        ("memberships_lapse", 60 * 60),
        ("refresh_analytics", 60 * 60),
        ("forget_widget_answers", 60 * 60),
    ]
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "loyalty.observability.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"},
        "json": {"()": "loyalty.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="plain"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Public base URL used in referral links and emails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Observability (loyalty/observability/): `/healthz` check timeout in seconds; `/metrics` answers only with
# `Authorization: Bearer <METRICS_TOKEN>` and is off while the token is empty; CSP can be tried report-only.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
METRICS_TOKEN = env("METRICS_TOKEN", default="")
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
