"""Production: PostgreSQL, a real broker, secure cookies and HSTS. Every secret from the environment."""

from .base import *  # noqa: F403
from .base import DATABASES, LOCMEM_MAX_ENTRIES, LOGGING, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Keep database connections across requests (a new PostgreSQL backend per request costs more than most
# requests); a connection that went bad is replaced at the start of the next request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    CACHES["default"]["BACKEND"] = "loyalty.locmem.LocMemCache"  # Django's, without the memcached key check
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", LOCMEM_MAX_ENTRIES)
# One JSON object per log line, with the request id, unless LOG_FORMAT=plain.
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")
# Load balancers probe /healthz over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
