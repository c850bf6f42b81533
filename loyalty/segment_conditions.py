"""The vocabulary of segment conditions and their validation (no database access).

A segment's `conditions` is a JSON list of `{field, operator, value}` objects (plus `days` for
`orders_in_last_days`). `conditions_validate` turns what a merchant typed (admin, program file) into the
normalised list `members.segments` compiles to SQL, or explains every problem in one line each.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

MAX_CONDITIONS = 20
MAX_LIST_VALUES = 100
MAX_TEXT = 200
MAX_DAYS = 36_500
ATTRIBUTE_PREFIX = "attributes."
# Attribute names are plain identifiers: no "__" (it would reach into nested keys or name an ORM lookup).
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_)){0,63}$")

NUMBER_OPERATORS = ("eq", "gt", "gte", "lt", "lte", "between")
ATTRIBUTE_OPERATORS = ("eq", "in", "contains", "gte", "lte", "exists")


@dataclass(frozen=True)
class FieldSpec:
    label: str
    operators: tuple[str, ...]
    kind: str  # int | decimal | tier | month | signup | attribute
    minimum: int | None = None
    maximum: int | None = None


FIELDS: dict[str, FieldSpec] = {
    "tier": FieldSpec("Tier", ("in", "not_in"), "tier"),
    "balance": FieldSpec("Points balance", NUMBER_OPERATORS, "int", 0),
    "lifetime_spend": FieldSpec("Lifetime spend", NUMBER_OPERATORS, "decimal", 0),
    "lifetime_points": FieldSpec("Lifetime points", NUMBER_OPERATORS, "int"),
    "orders_in_last_days": FieldSpec("Orders in the last N days", NUMBER_OPERATORS, "int", 0),
    "days_since_last_order": FieldSpec("Days since the last order", NUMBER_OPERATORS, "int", 0),
    "birthday_month": FieldSpec("Birthday month", ("eq", "in"), "month", 1, 12),
    "signup_date": FieldSpec("Sign-up date", ("before", "after", "within_days"), "signup"),
    "referral_count": FieldSpec("Successful referrals", NUMBER_OPERATORS, "int", 0),
    "rfm_recency": FieldSpec("RFM recency (1-5)", NUMBER_OPERATORS, "int", 1, 5),
    "rfm_frequency": FieldSpec("RFM frequency (1-5)", NUMBER_OPERATORS, "int", 1, 5),
    "rfm_monetary": FieldSpec("RFM monetary (1-5)", NUMBER_OPERATORS, "int", 1, 5),
    "rfm_score": FieldSpec("RFM score (R+F+M, 3-15)", NUMBER_OPERATORS, "int", 3, 15),
}
ATTRIBUTE_SPEC = FieldSpec("Custom attribute", ATTRIBUTE_OPERATORS, "attribute")

MATCH_ALL = "all"
MATCH_ANY = "any"


class ConditionError(ValueError):
    """One or more conditions are invalid: `problems` holds one human line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def field_spec(field: str) -> FieldSpec | None:
    if field.startswith(ATTRIBUTE_PREFIX):
        return ATTRIBUTE_SPEC if ATTRIBUTE_NAME.match(field[len(ATTRIBUTE_PREFIX) :]) else None
    return FIELDS.get(field)


def conditions_validate(raw, *, tier_keys: set[str] | None = None) -> list[dict]:
    """The normalised conditions, or `ConditionError` listing every problem ("condition 2: …").
    `tier_keys` (the program's tiers) is checked when given."""
    if not isinstance(raw, list):
        raise ConditionError(["conditions must be a list of {field, operator, value} objects"])
    if len(raw) > MAX_CONDITIONS:
        raise ConditionError([f"at most {MAX_CONDITIONS} conditions per segment (got {len(raw)})"])
    problems: list[str] = []
    cleaned: list[dict] = []
    for number, item in enumerate(raw, start=1):
        try:
            cleaned.append(_condition(item, tier_keys=tier_keys))
        except ValueError as exc:
            problems.append(f"condition {number}: {exc}")
    if problems:
        raise ConditionError(problems)
    return cleaned


def _condition(item, *, tier_keys: set[str] | None) -> dict:
    if not isinstance(item, dict):
        raise ValueError("must be an object with field, operator and value")
    allowed = {"field", "operator", "value", "days"}
    if unknown := sorted(set(item) - allowed, key=str):
        raise ValueError(f"unknown key(s) {', '.join(map(str, unknown))} (allowed: field, operator, value, days)")
    field = item.get("field")
    if not isinstance(field, str) or not field:
        raise ValueError("field is missing")
    spec = field_spec(field)
    if spec is None:
        if field.startswith(ATTRIBUTE_PREFIX):
            raise ValueError(f"{field!r}: an attribute name is letters, digits, - or single _, up to 64 characters")
        raise ValueError(f"unknown field {field!r} (known: {', '.join(FIELDS)}, attributes.<name>)")
    operator = item.get("operator")
    if operator not in spec.operators:
        raise ValueError(f"{field}: operator must be one of {', '.join(spec.operators)} (got {operator!r})")
    condition = {"field": field, "operator": operator}
    if field == "orders_in_last_days":
        condition["days"] = _int(item.get("days"), "days", 1, MAX_DAYS)
    elif "days" in item:
        raise ValueError(f"{field}: days only goes with orders_in_last_days")
    if operator == "exists":
        if not isinstance(item.get("value", True), bool):
            raise ValueError(f"{field}: exists takes true or false")
        condition["value"] = item.get("value", True)
        return condition
    if "value" not in item:
        raise ValueError(f"{field}: value is missing")
    condition["value"] = _value(spec, field, operator, item["value"], tier_keys)
    return condition


def _value(spec: FieldSpec, field: str, operator: str, value, tier_keys: set[str] | None):
    if spec.kind == "tier":
        keys = _list(value, f"{field} {operator}", str)
        if tier_keys is not None and (missing := [k for k in keys if k not in tier_keys]):
            raise ValueError(f"tier: no tier with key {', '.join(map(repr, missing))} in this program")
        return keys
    if spec.kind == "month":
        if operator == "in":
            return [_int(v, "birthday_month", 1, 12) for v in _list(value, "birthday_month in", int)]
        return _int(value, "birthday_month", 1, 12)
    if spec.kind == "signup":
        if operator == "within_days":
            return _int(value, "signup_date within_days", 0, MAX_DAYS)
        return _date(value, f"signup_date {operator}")
    if spec.kind == "attribute":
        if operator == "in":
            return [_scalar(v, field) for v in _list(value, f"{field} in", (str, int, float, bool))]
        if operator == "contains":
            if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
                raise ValueError(f"{field} contains: value must be a non-empty text up to {MAX_TEXT} characters")
            return value
        if operator in ("gte", "lte") and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
            raise ValueError(f"{field} {operator}: value must be a number or a text")
        return _scalar(value, field)
    number = _number(spec, field, operator, value)
    return number


def _number(spec: FieldSpec, field: str, operator: str, value):
    if operator == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError(f"{field} between: value must be [low, high]")
        low, high = (_one_number(spec, field, v) for v in value)
        if low > high:
            raise ValueError(f"{field} between: low {low} is above high {high}")
        return [low, high]
    return _one_number(spec, field, value)


def _one_number(spec: FieldSpec, field: str, value):
    if spec.kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f'{field}: value must be an amount such as 100 or "49.99"')
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{field}: {value!r} is not an amount") from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
            raise ValueError(f"{field}: {value!r} is not an amount between 0 and 10^14")
        return str(amount.quantize(Decimal("0.01")))
    return _int(value, field, spec.minimum, spec.maximum)


def _int(value, name: str, minimum: int | None, maximum: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,10}", value.strip()):
            value = int(value)
        else:
            raise ValueError(f"{name}: {value!r} is not a whole number")
    low = minimum if minimum is not None else -(2**31)
    high = maximum if maximum is not None else 2**31 - 1
    if not low <= value <= high:
        raise ValueError(f"{name}: {value} is outside {low}..{high}")
    return value


def _date(value, name: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a date such as 2025-01-31") from None


def _list(value, name: str, types) -> list:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{name}: value must be a non-empty list")
    if len(value) > MAX_LIST_VALUES:
        raise ValueError(f"{name}: at most {MAX_LIST_VALUES} values")
    for v in value:
        if isinstance(v, bool) and types is not bool and bool not in (types if isinstance(types, tuple) else ()):
            raise ValueError(f"{name}: {v!r} is not allowed")
        if not isinstance(v, types):
            raise ValueError(f"{name}: {v!r} is not allowed")
    return value


def _scalar(value, field: str):
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"{field}: text values are at most {MAX_TEXT} characters")
        return value
    if isinstance(value, (bool, int)) or (isinstance(value, float) and value == value and abs(value) != float("inf")):
        return value
    raise ValueError(f"{field}: value must be a text, a number or true/false")


def operator_help() -> list[tuple[str, str, str]]:
    """(field, label, operators) rows for the admin's reference table."""
    rows = [(name, spec.label, ", ".join(spec.operators)) for name, spec in FIELDS.items()]
    rows.append(("attributes.<name>", ATTRIBUTE_SPEC.label, ", ".join(ATTRIBUTE_SPEC.operators)))
    return rows
