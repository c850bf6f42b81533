"""The `rewards` catalog and the `referrals` section (whose give/get rewards are vouchers or points)."""

from decimal import Decimal
from typing import Any

from loyalty.choices import RewardType
from loyalty.program_file import bounds
from loyalty.program_file.reader import Reader, child
from loyalty.program_file.segments import segment_ref_read

MONEY_TYPES = (RewardType.FIXED_DISCOUNT, RewardType.GIFT_CARD, RewardType.STORE_CREDIT)
VALUE_TYPES = (*MONEY_TYPES, RewardType.PERCENT_DISCOUNT)
# Referral rewards are issued automatically, so only what a voucher code can carry (no shipped items).
REFERRAL_VOUCHER_TYPES = tuple(t for t in RewardType.values if t not in (RewardType.PHYSICAL, RewardType.EXPERIENCE))
REFERRAL_POINTS = "points"

TYPE_SPECIFIC = ("value", "product_id", "variable", "max_points")
REWARD_OPTIONAL = (
    "description",
    "image_url",
    "min_tier",
    "stock",
    "limit_per_member",
    "min_subtotal",
    "code_expiry_days",
    "starts_at",
    "ends_at",
    "active",
    "segment",
)


def _type_fields(reward_type: str | None, *, catalog: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) fields that depend on the reward type."""
    if catalog and reward_type == RewardType.FIXED_DISCOUNT:
        # Points for discount at checkout: `value` off per `points_cost`, up to `max_points` at once.
        return ("value",), ("variable", "max_points")
    if reward_type in VALUE_TYPES:
        return ("value",), ()
    if reward_type == RewardType.FREE_PRODUCT:
        return ("product_id",), ()
    if reward_type == RewardType.PHYSICAL:
        return (), ("product_id",)
    return (), ()


def _elsewhere(reward_type: str, required: tuple, optional: tuple, *, kind: str, fields: tuple) -> dict[str, str]:
    """Fields of other types, refused with the reason rather than as unknown keys."""
    return {
        field: f"not allowed for {kind} type {reward_type}"
        for field in fields
        if field not in required and field not in optional
    }


def _value_fields_read(reader: Reader, item: dict, path: str, reward_type: str | None) -> dict:
    out: dict[str, Any] = {}
    if "value" in item and reward_type in VALUE_TYPES:
        percent = reward_type == RewardType.PERCENT_DISCOUNT
        out["value"] = reader.decimal(
            item["value"],
            child(path, "value"),
            places=2,
            minimum=Decimal(0),
            maximum=bounds.PERCENT_MAX if percent else bounds.MONEY_MAX,
            above_minimum=True,
            money=not percent,
        )
    if "product_id" in item:
        out["product_id"] = reader.string(
            item["product_id"], child(path, "product_id"), max_length=bounds.MAX_PRODUCT_ID
        )
    if "min_subtotal" in item:
        out["min_subtotal"] = reader.money(item["min_subtotal"], child(path, "min_subtotal"))
    if "code_expiry_days" in item:
        out["code_expiry_days"] = reader.integer(
            item["code_expiry_days"], child(path, "code_expiry_days"), minimum=1, maximum=bounds.MAX_DAYS
        )
    return out


def rewards_read(reader: Reader, value: Any, path: str, *, tier_keys: list[str]) -> list[dict]:
    items = reader.array(value, path, max_items=bounds.MAX_ITEMS) or []
    rewards = [_reward_read(reader, item, child(path, i), tier_keys=tier_keys) for i, item in enumerate(items)]
    reader.unique_keys(
        [(child(child(path, i), "key"), reward["key"]) for i, reward in enumerate(rewards) if reward.get("key")],
        "reward",
    )
    return rewards


def _reward_read(reader: Reader, value: Any, path: str, *, tier_keys: list[str]) -> dict:
    reward_type = value.get("type") if isinstance(value, dict) else None
    if reward_type in RewardType.values:
        required, optional = _type_fields(reward_type, catalog=True)
        elsewhere = _elsewhere(reward_type, required, optional, kind="reward", fields=TYPE_SPECIFIC)
    else:
        required, optional, elsewhere = (), TYPE_SPECIFIC, None
    item = reader.obj(
        value,
        path,
        required=("key", "name", "type", "points_cost"),
        variant=(required, f"for reward type {reward_type}"),
        optional=(*REWARD_OPTIONAL, *optional),
        elsewhere=elsewhere,
    )
    if item is None:
        return {}
    reward: dict[str, Any] = {}
    if "key" in item:
        reward["key"] = reader.key(item["key"], child(path, "key"))
    if "name" in item:
        reward["name"] = reader.string(item["name"], child(path, "name"), max_length=bounds.MAX_NAME)
    if "type" in item:
        reward["type"] = reader.string(item["type"], child(path, "type"), max_length=30, choices=RewardType.values)
    if "description" in item:
        reward["description"] = reader.string(
            item["description"], child(path, "description"), max_length=bounds.MAX_DESCRIPTION
        )
    if "image_url" in item:
        reward["image_url"] = reader.url(item["image_url"], child(path, "image_url"))
    if "points_cost" in item:
        reward["points_cost"] = reader.integer(
            item["points_cost"], child(path, "points_cost"), minimum=1, maximum=bounds.MAX_POINTS
        )
    reward.update(_value_fields_read(reader, item, path, reward_type))
    reward.update(_variable_read(reader, item, path, points_cost=reward.get("points_cost")))
    if "min_tier" in item:
        reward["min_tier"] = _tier_ref_read(reader, item["min_tier"], child(path, "min_tier"), tier_keys=tier_keys)
    if "stock" in item:
        reward["stock"] = reader.integer(item["stock"], child(path, "stock"), minimum=0, maximum=bounds.MAX_STOCK)
    if "limit_per_member" in item:
        reward["limit_per_member"] = reader.integer(
            item["limit_per_member"], child(path, "limit_per_member"), minimum=1, maximum=bounds.MAX_STOCK
        )
    starts_at, ends_at = reader.window(item, path)
    if starts_at:
        reward["starts_at"] = starts_at
    if ends_at:
        reward["ends_at"] = ends_at
    if "active" in item and reader.boolean(item["active"], child(path, "active")) is False:
        reward["active"] = False
    segment_ref_read(reader, item, path, reward)
    return reward


def _variable_read(reader: Reader, item: dict, path: str, *, points_cost: int | None) -> dict:
    variable = "variable" in item and reader.boolean(item["variable"], child(path, "variable"))
    out: dict[str, Any] = {"variable": True} if variable else {}
    if "max_points" in item:
        max_points = reader.integer(item["max_points"], child(path, "max_points"), minimum=1, maximum=bounds.MAX_POINTS)
        if max_points is not None and not variable:
            reader.problem(child(path, "max_points"), "only for a variable reward (variable: true)")
        elif max_points is not None and points_cost and max_points < points_cost:
            reader.problem(child(path, "max_points"), f"must be at least points_cost ({points_cost})")
        out["max_points"] = max_points
    return out


def _tier_ref_read(reader: Reader, value: Any, path: str, *, tier_keys: list[str]) -> str | None:
    key = reader.string(value, path, max_length=bounds.MAX_KEY)
    if key is not None and key not in tier_keys:
        known = ", ".join(dict.fromkeys(tier_keys)) if tier_keys else "none are defined"
        reader.problem(path, f"no tier with key {key!r} (tiers: {known})")
        return None
    return key


def referrals_read(reader: Reader, value: Any, path: str) -> dict:
    section = reader.obj(
        value, path, optional=("enabled", "qualifying_min_subtotal", "referrer_reward", "friend_reward")
    )
    section = section or {}
    enabled = False
    if "enabled" in section:
        enabled = bool(reader.boolean(section["enabled"], child(path, "enabled")))
    minimum = "0.00"
    if "qualifying_min_subtotal" in section:
        minimum = reader.money(section["qualifying_min_subtotal"], child(path, "qualifying_min_subtotal"))
    out: dict[str, Any] = {"enabled": enabled, "qualifying_min_subtotal": minimum}
    for side in ("referrer_reward", "friend_reward"):
        out[side] = None
        if side in section:
            out[side] = _referral_reward_read(reader, section[side], child(path, side))
        elif enabled:
            reader.problem(child(path, side), "required when referrals are enabled")
    return out


def _referral_reward_read(reader: Reader, value: Any, path: str) -> dict | None:
    reward_type = value.get("type") if isinstance(value, dict) else None
    choices = (REFERRAL_POINTS, *REFERRAL_VOUCHER_TYPES)
    if reward_type == REFERRAL_POINTS:
        required, optional = ("points",), ()
    elif reward_type in REFERRAL_VOUCHER_TYPES:
        required, optional = _type_fields(reward_type, catalog=False)
        optional = (*optional, "min_subtotal", "code_expiry_days")
    else:
        required, optional = (), ("points", "value", "product_id", "min_subtotal", "code_expiry_days")
    elsewhere = None
    if reward_type in choices:
        fields = ("points", "value", "product_id", "min_subtotal", "code_expiry_days")
        elsewhere = _elsewhere(reward_type, required, optional, kind="referral reward", fields=fields)
    item = reader.obj(
        value,
        path,
        required=("type",),
        variant=(required, f"for referral reward type {reward_type}"),
        optional=optional,
        elsewhere=elsewhere,
    )
    if item is None:
        return None
    reward: dict[str, Any] = {}
    if "type" in item:
        reward["type"] = reader.string(item["type"], child(path, "type"), max_length=30, choices=choices)
    if "points" in item:
        reward["points"] = reader.integer(item["points"], child(path, "points"), minimum=1, maximum=bounds.MAX_POINTS)
    reward.update(_value_fields_read(reader, item, path, reward_type))
    return reward
