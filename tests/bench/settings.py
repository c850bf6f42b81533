"""Bench settings: production settings over plain HTTP on loopback, plus the bench-only baseline URLs."""

from config.settings.production import *  # noqa: F403
from config.settings.production import REST_FRAMEWORK

ROOT_URLCONF = "tests.bench.urls"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
# The throttle still runs on every API call (its cost is part of the request) but never refuses the load.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"program": "1000000000/min"}}
