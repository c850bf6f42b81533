"""Primitive checks of a JSON document that collect every problem instead of stopping at the first.

Each check takes the value and its JSON path, records a problem line `path: message` when the value is
wrong and returns the value in its canonical form (or None when it is wrong). Canonical forms make a
program file and its export compare equal: decimals as strings ("1.25", money "5.00"), datetimes in UTC
with a `Z`."""

import difflib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from loyalty.program_file.bounds import KEY_HINT, KEY_PATTERN, MAX_KEY, MONEY_MAX

# Far enough for any campaign; also keeps clear of year 1 and 9999, where a UTC shift overflows.
MIN_YEAR, MAX_YEAR = 1970, 2100
DECIMAL_PATTERN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_url_validator = URLValidator(schemes=["http", "https"])


def child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def decimal_plain(value: Decimal) -> str:
    """`Decimal("1.2500")` → "1.25", `Decimal("10.00")` → "10" (never an exponent)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def decimal_money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def datetime_canonical(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def one_of(choices: Iterable[str]) -> str:
    return "must be one of " + ", ".join(choices)


class Reader:
    """Collects problem lines while reading a document."""

    def __init__(self):
        self.issues: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        self.issues.append((path, message))

    @property
    def problems(self) -> list[str]:
        """One line per problem: `earning.rules[2].limit.period: must be one of day, week, …`."""
        return [f"{path}: {message}" if path else message for path, message in self.issues]

    # Containers -------------------------------------------------------------------------------------

    def obj(
        self,
        value: Any,
        path: str,
        *,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
        elsewhere: dict[str, str] | None = None,
        variant: tuple[Iterable[str], str] = ((), ""),
    ) -> dict | None:
        """A JSON object with these keys. A `null` optional key counts as absent. `variant` is (keys, why):
        keys required by the variant at hand ("for rule type custom_event"). Keys that are valid only in
        another variant (`elsewhere`: key → reason) get that reason instead of "unknown key"."""
        if not isinstance(value, dict):
            self.problem(path, "must be an object")
            return None
        variant_keys, why = tuple(variant[0]), variant[1]
        required, optional = (*required, *variant_keys), tuple(optional)
        known = (*required, *optional)
        for key in value:
            if key in known:
                continue
            if elsewhere and key in elsewhere:
                if value[key] is not None:
                    self.problem(child(path, key), elsewhere[key])
                continue
            shown = str(key) if len(str(key)) <= 60 else str(key)[:60] + "…"
            hint = difflib.get_close_matches(shown, known, n=1)
            self.problem(child(path, shown), "unknown key" + (f" (did you mean {hint[0]}?)" if hint else ""))
        for key in required:
            if key not in value:
                self.problem(child(path, key), f"required {why}" if key in variant_keys and why else "required")
        return {key: item for key, item in value.items() if key in known and (key in required or item is not None)}

    def array(self, value: Any, path: str, *, max_items: int) -> list | None:
        if not isinstance(value, list):
            self.problem(path, "must be an array")
            return None
        if len(value) > max_items:
            self.problem(path, f"must have at most {max_items} items")
            return None
        return value

    # Scalars ----------------------------------------------------------------------------------------

    def string(
        self,
        value: Any,
        path: str,
        *,
        max_length: int,
        pattern: re.Pattern | None = None,
        pattern_hint: str = "",
        choices: Iterable[str] | None = None,
        nullable: bool = False,
    ) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.problem(path, "must be a string" + (" or null" if nullable else ""))
            return None
        if choices is not None:
            choices = tuple(choices)
            if value not in choices:
                self.problem(path, one_of(choices))
                return None
            return value
        if not value.strip():
            self.problem(path, "must not be blank")
            return None
        if "\x00" in value:
            self.problem(path, "must not contain NUL characters")
            return None
        if len(value) > max_length:
            self.problem(path, f"must be at most {max_length} characters")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.problem(path, pattern_hint)
            return None
        return value

    def key(self, value: Any, path: str) -> str | None:
        """The `key` of a rule, reward or tier: how imports, exports and the API name it."""
        return self.string(value, path, max_length=MAX_KEY, pattern=KEY_PATTERN, pattern_hint=KEY_HINT)

    def url(self, value: Any, path: str, *, nullable: bool = True) -> str | None:
        text = self.string(value, path, max_length=500, nullable=nullable)
        if text is None:
            return None
        try:
            _url_validator(text)
        except ValidationError:
            self.problem(path, "must be an http(s) URL")
            return None
        return text

    def integer(self, value: Any, path: str, *, minimum: int, maximum: int) -> int | None:
        # bool is an int in Python but `true` is not a number in a program file.
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, "must be a whole number")
            return None
        if not minimum <= value <= maximum:
            self.problem(path, f"must be between {minimum} and {maximum}")
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.problem(path, "must be true or false")
            return None
        return value

    def money(self, value: Any, path: str) -> str | None:
        """An amount of money (subtotals, refunds' limits): a string with at most two places, ≥ 0."""
        return self.decimal(value, path, places=2, minimum=Decimal(0), maximum=MONEY_MAX, money=True)

    def decimal(
        self,
        value: Any,
        path: str,
        *,
        places: int,
        minimum: Decimal,
        maximum: Decimal,
        above_minimum: bool = False,
        money: bool = False,
    ) -> str | None:
        """A decimal written as a string ("1", "1.25", "100.00"): floats would lose cents.
        Returns the canonical string: money with two places, anything else without trailing zeros."""
        example = '"5.00"' if money else '"1.25"'
        if not isinstance(value, str) or not DECIMAL_PATTERN.fullmatch(value):
            self.problem(path, f"must be a decimal number written as a string, like {example}")
            return None
        number = Decimal(value)  # cannot fail: the pattern admits only plain decimals
        too_low = number <= minimum if above_minimum else number < minimum
        if too_low or number > maximum:
            low = f"greater than {decimal_plain(minimum)}" if above_minimum else f"at least {decimal_plain(minimum)}"
            self.problem(path, f"must be {low} and at most {decimal_plain(maximum)}")
            return None
        # Checked after the range, so the number is small enough to quantize; "1.50" is fine with 1 place.
        if number != number.quantize(Decimal(1).scaleb(-places)):
            self.problem(path, f"must have at most {places} decimal places")
            return None
        return decimal_money(number) if money else decimal_plain(number)

    def moment(self, value: Any, path: str) -> str | None:
        """An ISO 8601 datetime with a time zone, returned in UTC."""
        hint = 'must be an ISO 8601 datetime with a time zone, like "2026-12-01T00:00:00Z"'
        if not isinstance(value, str):
            self.problem(path, hint)
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.problem(path, hint)
            return None
        if parsed.tzinfo is None:
            self.problem(path, hint)
            return None
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.problem(path, f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
            return None
        return datetime_canonical(parsed)

    def window(self, item: dict, path: str) -> tuple[str | None, str | None]:
        """Optional `starts_at`/`ends_at` of a rule or reward; the window must not be empty."""
        starts = self.moment(item["starts_at"], child(path, "starts_at")) if "starts_at" in item else None
        ends = self.moment(item["ends_at"], child(path, "ends_at")) if "ends_at" in item else None
        if starts and ends and datetime.fromisoformat(starts) >= datetime.fromisoformat(ends):
            self.problem(child(path, "ends_at"), "must be later than starts_at")
        return starts, ends

    def unique_keys(self, items: list[tuple[str, str]], what: str) -> None:
        """`items` are (path of the key, key): report every key used twice."""
        first_seen: dict[str, str] = {}
        for path, key in items:
            if key in first_seen:
                self.problem(path, f"duplicate {what} key {key!r} (also used by {first_seen[key]})")
            else:
                first_seen[key] = path.rsplit(".", 1)[0]
