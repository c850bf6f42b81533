"""The `earning` section: the base rate, pending days and the earning rules."""

from decimal import Decimal
from typing import Any

from loyalty.choices import LimitPeriod, RuleType
from loyalty.program_file import bounds
from loyalty.program_file.reader import Reader, child
from loyalty.program_file.segments import segment_ref_read

RULE_COMMON = ("name", "starts_at", "ends_at", "active", "segment")
# What each rule type needs (required) and may carry (optional) besides key, type and RULE_COMMON.
RULE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    RuleType.SIGNUP: (("points",), ()),
    RuleType.BIRTHDAY: (("points",), ()),
    RuleType.CUSTOM_EVENT: (("points", "event"), ("limit",)),
    RuleType.ORDER_THRESHOLD: (("points", "min_subtotal"), ()),
    RuleType.BONUS_MULTIPLIER: (("multiplier",), ()),
}
TYPE_FIELDS = sorted({field for required, optional in RULE_FIELDS.values() for field in (*required, *optional)})


def earning_read(reader: Reader, value: Any, path: str) -> dict:
    section = reader.obj(value, path, optional=("points_per_currency_unit", "pending_days", "rules")) or {}
    rate = "1"
    if "points_per_currency_unit" in section:
        rate = reader.decimal(
            section["points_per_currency_unit"],
            child(path, "points_per_currency_unit"),
            places=4,
            minimum=Decimal(0),
            maximum=bounds.RATE_MAX,
        )
    pending_days = 0
    if "pending_days" in section:
        pending_days = reader.integer(
            section["pending_days"], child(path, "pending_days"), minimum=0, maximum=bounds.MAX_PENDING_DAYS
        )
    rules = []
    rules_path = child(path, "rules")
    items = reader.array(section.get("rules", []), rules_path, max_items=bounds.MAX_ITEMS) or []
    for index, item in enumerate(items):
        rules.append(_rule_read(reader, item, child(rules_path, index)))
    reader.unique_keys(
        [(child(child(rules_path, i), "key"), rule["key"]) for i, rule in enumerate(rules) if rule.get("key")],
        "rule",
    )
    return {"points_per_currency_unit": rate, "pending_days": pending_days, "rules": rules}


def _rule_read(reader: Reader, value: Any, path: str) -> dict:
    rule_type = value.get("type") if isinstance(value, dict) else None
    if isinstance(rule_type, str) and rule_type in RULE_FIELDS:
        required, optional = RULE_FIELDS[rule_type]
        elsewhere = {
            field: f"not allowed for rule type {rule_type}"
            for field in TYPE_FIELDS
            if field not in required and field not in optional
        }
    else:
        # The type is missing or wrong (reported below): judge only the keys no rule type knows.
        required, optional, elsewhere = (), TYPE_FIELDS, None
    item = reader.obj(
        value,
        path,
        required=("key", "type"),
        variant=(required, f"for rule type {rule_type}"),
        optional=(*RULE_COMMON, *optional),
        elsewhere=elsewhere,
    )
    if item is None:
        return {}
    rule: dict[str, Any] = {}
    if "key" in item:
        rule["key"] = reader.key(item["key"], child(path, "key"))
    if "type" in item:
        rule["type"] = reader.string(item["type"], child(path, "type"), max_length=30, choices=RuleType.values)
    if "name" in item:
        rule["name"] = reader.string(item["name"], child(path, "name"), max_length=bounds.MAX_NAME)
    if "points" in item:
        rule["points"] = reader.integer(item["points"], child(path, "points"), minimum=1, maximum=bounds.MAX_POINTS)
    if "event" in item:
        rule["event"] = reader.string(
            item["event"],
            child(path, "event"),
            max_length=bounds.MAX_EVENT,
            pattern=bounds.EVENT_PATTERN,
            pattern_hint="must be an event name without spaces (like 'review_posted')",
        )
    if "limit" in item:
        rule["limit"] = _limit_read(reader, item["limit"], child(path, "limit"))
    if "min_subtotal" in item:
        rule["min_subtotal"] = reader.money(item["min_subtotal"], child(path, "min_subtotal"))
    if "multiplier" in item:
        rule["multiplier"] = reader.decimal(
            item["multiplier"],
            child(path, "multiplier"),
            places=4,
            minimum=Decimal(0),
            maximum=bounds.MULTIPLIER_MAX,
            above_minimum=True,
        )
    starts_at, ends_at = reader.window(item, path)
    if starts_at:
        rule["starts_at"] = starts_at
    if ends_at:
        rule["ends_at"] = ends_at
    if "active" in item and reader.boolean(item["active"], child(path, "active")) is False:
        rule["active"] = False
    segment_ref_read(reader, item, path, rule)
    return rule


def _limit_read(reader: Reader, value: Any, path: str) -> dict | None:
    limit = reader.obj(value, path, required=("count", "period"))
    if limit is None:
        return None
    count = (
        reader.integer(limit["count"], child(path, "count"), minimum=1, maximum=bounds.MAX_POINTS)
        if "count" in limit
        else None
    )
    period = (
        reader.string(limit["period"], child(path, "period"), max_length=10, choices=LimitPeriod.values)
        if "period" in limit
        else None
    )
    return {"count": count, "period": period}
