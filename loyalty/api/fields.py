"""Input fields every write endpoint shares. Each one refuses what the database would choke on
(NUL characters, lone surrogates, numbers past the column, non-finite floats) with a 400, never a 500."""

import json
import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from loyalty.errors import ValidationFailed

MAX_ID_LENGTH = 255
MAX_POINTS = 1_000_000_000
MAX_JSON_BYTES = 16_384
MAX_JSON_DEPTH = 8
EARLIEST_YEAR = 1970


class IdField(serializers.CharField):
    """An id from the shop (customer, order, event, refund): a non-blank string of at most 255 characters.
    Numbers are accepted and kept as their decimal string, since shops send either."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_ID_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, booleans and objects instead of turning them into strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PointsField(serializers.IntegerField):
    """A JSON integer (not a string, float or boolean) within ±1,000,000,000."""

    default_error_messages = {"invalid": "A whole number of points is required."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -MAX_POINTS)
        kwargs.setdefault("max_value", MAX_POINTS)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class MoneyField(serializers.DecimalField):
    """Money: a decimal string (or JSON number) with at most 2 places, ≥ 0, at most 10 integer digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class _BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 string (naive values are UTC) whose moment `in_range` accepts."""

    def in_range(self, moment: datetime) -> bool:
        raise NotImplementedError

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        try:
            parsed = super().to_internal_value(value)
        except (OverflowError, OSError):
            self.fail("out_of_range")
        if not self.in_range(parsed):
            self.fail("out_of_range")
        return parsed


class PastDateTimeField(_BoundedDateTimeField):
    """An ISO 8601 moment between 1970 and one day from now (clock skew); naive values are UTC."""

    default_error_messages = {"out_of_range": "Must be between 1970 and now."}

    def in_range(self, moment: datetime) -> bool:
        return moment.year >= EARLIEST_YEAR and moment <= timezone.now() + timedelta(days=1)


class FutureDateTimeField(_BoundedDateTimeField):
    """An ISO 8601 moment at most ten years from now (the end of a paid period); naive values are UTC.
    Further ahead is a typo, and stays inside what every database holds."""

    default_error_messages = {"out_of_range": "Must be within the next ten years."}

    def in_range(self, moment: datetime) -> bool:
        return moment.year >= EARLIEST_YEAR and moment <= timezone.now() + timedelta(days=366 * 10)


class PastDateField(serializers.DateField):
    """An ISO 8601 date between 1900 and today (birthdays)."""

    default_error_messages = {"out_of_range": "Must be between 1900 and today."}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        parsed = super().to_internal_value(value)
        if isinstance(parsed, datetime) or parsed < date(1900, 1, 1) or parsed > timezone.localdate():
            self.fail("out_of_range")
        return parsed


class SafeJSONField(serializers.JSONField):
    """Free-form JSON the database can store: no NUL characters or lone surrogates in any key or
    string (PostgreSQL refuses both in jsonb), no non-finite numbers, bounded depth and size."""

    default_error_messages = {
        "nul": "Text may not contain NUL characters or unpaired surrogates.",
        "number": "Numbers must be finite.",
        "too_deep": f"Nested deeper than {MAX_JSON_DEPTH} levels.",
        "too_large": "Larger than {max_bytes} bytes.",
    }

    def __init__(self, *, max_bytes: int = MAX_JSON_BYTES, **kwargs):
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        self._check(data, depth=0)
        if len(json.dumps(data).encode()) > self.max_bytes:
            self.fail("too_large", max_bytes=self.max_bytes)
        return data

    def _check(self, value, *, depth: int) -> None:
        if depth > MAX_JSON_DEPTH:
            self.fail("too_deep")
        if isinstance(value, str):
            if not _storable_text(value):
                self.fail("nul")
        elif isinstance(value, float):
            if not math.isfinite(value):
                self.fail("number")
        elif isinstance(value, dict):
            for key, item in value.items():
                self._check(key, depth=depth + 1)
                self._check(item, depth=depth + 1)
        elif isinstance(value, list):
            for item in value:
                self._check(item, depth=depth + 1)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
            self.fail("number")


class JSONObjectField(SafeJSONField):
    default_error_messages = {"not_object": "Must be a JSON object."}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_object")
        return super().to_internal_value(data)


class JSONArrayField(SafeJSONField):
    """A JSON array of objects (order items) of at most `max_items` entries."""

    default_error_messages = {
        "not_array": "Must be a JSON array of objects.",
        "too_many": "At most {max_items} entries.",
    }

    def __init__(self, *, max_items: int = 250, **kwargs):
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            self.fail("not_array")
        if len(data) > self.max_items:
            self.fail("too_many", max_items=self.max_items)
        return super().to_internal_value(data)


# Shortcuts for the common well-formed value: each accepts a strict subset of what its field accepts and
# returns what the field would return, so a hot endpoint can skip the field machinery (see
# `members.api.views.order_input`); anything they do not accept goes through the field itself.

_PLAIN_MONEY = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")
_CENT = Decimal("0.01")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A subset of Django's EmailValidator: a dot-atom of common characters @ DNS labels and a letters-only TLD.
_PLAIN_EMAIL = re.compile(rf"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}")


def plain_text(value, *, max_length: int) -> bool:
    """Whether a `CharField` keeps `value` exactly as it is: a string of 1..max_length printable ASCII characters
    with no space to trim at either end (so no NUL, no surrogate, nothing blank)."""
    return (
        type(value) is str
        and 0 < len(value) <= max_length
        and value.isascii()
        and value.isprintable()
        and value[0] != " "
        and value[-1] != " "
    )


def plain_money(value) -> Decimal | None:
    """`MoneyField`'s value for a plain decimal string (ASCII digits, at most 10 before and 2 after the point),
    else None."""
    if type(value) is not str or not _PLAIN_MONEY.fullmatch(value):
        return None
    return Decimal(value).quantize(_CENT)


def plain_email(value, *, max_length: int) -> bool:
    """Whether an `EmailField` keeps `value` as it is: a common address of at most `max_length` characters."""
    return type(value) is str and len(value) <= max_length and _PLAIN_EMAIL.fullmatch(value) is not None


# What PostgreSQL cannot store in a text column: NUL, and lone surrogates (UTF-8 cannot encode them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable_text(text: str) -> bool:
    # ASCII text (every header value, most ids) holds no surrogate: one C scan for NUL instead of a loop per char.
    if text.isascii():
        return "\x00" not in text
    return _UNSTORABLE.search(text) is None


def storable_text(text: str, *, max_length: int = MAX_ID_LENGTH) -> bool:
    """Whether a path parameter or header value can be looked up in the database as is."""
    return 0 < len(text) <= max_length and _storable_text(text)


def idempotency_key_header(request, *, max_length: int = MAX_ID_LENGTH) -> str | None:
    """The request's `Idempotency-Key` header (None when absent); a value that can't be stored is a 400."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not storable_text(key, max_length=max_length):
        raise ValidationFailed(
            f"The Idempotency-Key header must be 1–{max_length} printable characters.", code="invalid_idempotency_key"
        )
    return key
