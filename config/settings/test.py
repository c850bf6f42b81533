"""Test settings: fast hashing, in-memory email, tasks run eagerly, throttles out of the way."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, VAR_DIR

VAR_DIR.mkdir(parents=True, exist_ok=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"program": "100000/min"}}
# Tests run without collectstatic: find static files on request instead of warning about a missing STATIC_ROOT.
WHITENOISE_AUTOREFRESH = True
