"""Sensible limits of a program file: wide enough for any real shop, narrow enough to catch typos
(a multiplier of 200, a price in cents) and to fit the database columns."""

import re
from decimal import Decimal

KEY_PATTERN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
KEY_HINT = "must be lowercase letters, digits, '-' or '_' (like 'big-basket')"
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_HINT = "must be lowercase letters, digits and single hyphens (like 'acme-rewards')"
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")
ORIGIN_PATTERN = re.compile(r"https?://[^/\s?#]+")
EVENT_PATTERN = re.compile(r"[A-Za-z0-9_.:-]+")
LOCALES = ("en", "ar", "fa")

MAX_KEY = 60
MAX_NAME = 200
MAX_POINTS_NAME = 40
MAX_EVENT = 100
MAX_DESCRIPTION = 2000
MAX_PRODUCT_ID = 255
MAX_ITEMS = 100

MAX_POINTS = 10_000_000
MAX_DAYS = 3650
MAX_PENDING_DAYS = 365
MAX_STOCK = 100_000_000

MONEY_MAX = Decimal("1000000000")
RATE_MAX = Decimal("1000")
MULTIPLIER_MAX = Decimal("100")
PERCENT_MAX = Decimal("100")
