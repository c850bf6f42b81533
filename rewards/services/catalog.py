"""The reward catalog as written in a program file: creating the rows from its `rewards` section and
writing them back. Expects the canonical section from `loyalty.program_file.program_file_parse`."""

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty.errors import ValidationFailed
from loyalty.models import Program
from loyalty.program_file.reader import datetime_canonical
from rewards.models import Reward

logger = logging.getLogger(__name__)


def reward_catalog_create(*, program: Program, rewards: list[dict]) -> list[Reward]:
    """Create the catalog of a new program; `min_tier` refers to a tier key of that program."""
    tiers = {tier.key: tier for tier in program.tiers.all()}
    segments = {segment.key: segment for segment in program.segments.all()}
    rows = []
    for position, reward in enumerate(rewards):
        tier_key = reward.get("min_tier")
        if tier_key and tier_key not in tiers:
            raise ValidationFailed(
                f"Reward {reward['key']!r} needs tier {tier_key!r}, which the program does not have.",
                code="unknown_tier",
                fields={"min_tier": [f"No tier {tier_key!r}."]},
            )
        rows.append(Reward(program=program, position=position, min_tier=tiers.get(tier_key),
                           segment=segments.get(reward.get("segment")), **_reward_fields(reward)))  # fmt: skip
    created = Reward.objects.bulk_create(rows)
    logger.info("reward catalog created program=%s rewards=%d", program.slug, len(created))
    return created


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _reward_fields(reward: dict) -> dict[str, Any]:
    return {
        "key": reward["key"],
        "name": reward["name"],
        "type": reward["type"],
        "description": reward.get("description", ""),
        "image_url": reward.get("image_url"),
        "value": _decimal(reward.get("value")),
        "product_id": reward.get("product_id", ""),
        "points_cost": reward["points_cost"],
        "variable": reward.get("variable", False),
        "max_points": reward.get("max_points"),
        "stock": reward.get("stock"),
        "limit_per_member": reward.get("limit_per_member"),
        "min_subtotal": _decimal(reward.get("min_subtotal")),
        "code_expiry_days": reward.get("code_expiry_days"),
        "starts_at": _moment(reward.get("starts_at")),
        "ends_at": _moment(reward.get("ends_at")),
        "active": reward.get("active", True),
    }


def reward_catalog_export(*, program: Program) -> list[dict]:
    """The `rewards` section of the program's file. Unset values are null (read as absent)."""
    rewards = Reward.objects.filter(program=program).select_related("min_tier", "segment").order_by("position", "id")
    return [_reward_export(reward) for reward in rewards]


def _text(value) -> str | None:
    return None if value is None else str(value)


def _reward_export(reward: Reward) -> dict:
    return {
        "key": reward.key,
        "name": reward.name,
        "type": reward.type,
        "description": reward.description or None,
        "image_url": reward.image_url or None,
        "value": _text(reward.value),
        "product_id": reward.product_id or None,
        "points_cost": reward.points_cost,
        "variable": reward.variable or None,
        "max_points": reward.max_points,
        "min_tier": reward.min_tier.key if reward.min_tier else None,
        "stock": reward.stock,
        "limit_per_member": reward.limit_per_member,
        "min_subtotal": _text(reward.min_subtotal),
        "code_expiry_days": reward.code_expiry_days,
        "starts_at": datetime_canonical(reward.starts_at) if reward.starts_at else None,
        "ends_at": datetime_canonical(reward.ends_at) if reward.ends_at else None,
        "active": reward.active,
        "segment": reward.segment.key if reward.segment_id else None,
    }
