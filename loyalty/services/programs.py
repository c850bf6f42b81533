"""Creating a program from its (canonical) program file and exporting it back.

These cover what the loyalty app owns: merchant, program settings, earning rules, tiers and the first API
key. The reward catalog belongs to the rewards app (`rewards.services.catalog`); putting the two together
in one transaction is the job of the interface code (`loyalty.management.program_files`)."""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from loyalty.choices import RuleType, TierMetric
from loyalty.models import EarningRule, Merchant, Program, Segment, Tier
from loyalty.program_file import ProgramFileInvalid
from loyalty.program_file.reader import datetime_canonical
from loyalty.services.api_keys import api_key_issue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgramCreated:
    program: Program
    api_key: str  # the raw key: shown once, only its hash is stored


def program_create(*, config: dict) -> ProgramCreated:
    """Create merchant, program, rules, tiers and an API key from `config` (the output of
    `program_file_parse`). A taken slug raises ProgramFileInvalid before anything is written."""
    slug = config["slug"]
    with transaction.atomic():
        if Program.objects.filter(slug=slug).exists():
            raise _slug_taken(slug)
        merchant = Merchant.objects.create(name=config["merchant"])
        try:
            with transaction.atomic():
                program = Program.objects.create(merchant=merchant, **_program_fields(config))
        except IntegrityError:
            # Created by someone else between the check and the insert.
            raise _slug_taken(slug) from None
        Tier.objects.bulk_create(
            Tier(program=program, position=position, **_tier_fields(level))
            for position, level in enumerate(config["tiers"]["levels"])
        )
        segments = {
            s.key: s
            for s in Segment.objects.bulk_create(
                Segment(program=program, **segment) for segment in config.get("segments", [])
            )
        }
        EarningRule.objects.bulk_create(
            EarningRule(
                program=program, position=position, segment=segments.get(rule.get("segment")), **_rule_fields(rule)
            )
            for position, rule in enumerate(config["earning"]["rules"])
        )
        _key, raw_key = api_key_issue(program=program)
    logger.info(
        "program created slug=%s merchant=%r rules=%d tiers=%d",
        slug,
        merchant.name,
        len(config["earning"]["rules"]),
        len(config["tiers"]["levels"]),
    )
    return ProgramCreated(program=program, api_key=raw_key)


def _slug_taken(slug: str) -> ProgramFileInvalid:
    return ProgramFileInvalid([("slug", f"a program with slug {slug!r} already exists")])


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _decimal(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _program_fields(config: dict) -> dict[str, Any]:
    earning, tiers, expiry, referrals = config["earning"], config["tiers"], config["expiry"], config["referrals"]
    return {
        "slug": config["slug"],
        "name": config["name"],
        "currency": config["currency"],
        "locale": config["locale"],
        "timezone": config["timezone"],
        "points_name_singular": config["points_name"]["singular"],
        "points_name_plural": config["points_name"]["plural"],
        "primary_color": config["branding"]["primary_color"],
        "accent_color": config["branding"]["accent_color"],
        "logo_url": config["branding"]["logo_url"],
        "terms_url": config["terms_url"],
        "shop_url": config["shop_url"],
        "allowed_origins": config["allowed_origins"],
        "points_per_currency_unit": Decimal(earning["points_per_currency_unit"]),
        "pending_days": earning["pending_days"],
        "tier_metric": tiers["metric"],
        "tier_period": tiers["period"],
        "expiry_policy": expiry["policy"],
        "expiry_days": expiry.get("days"),
        "expiry_warn_days_before": expiry.get("warn_days_before"),
        "referrals_enabled": referrals["enabled"],
        "referral_qualifying_min_subtotal": Decimal(referrals["qualifying_min_subtotal"]),
        # Kept as written in the file (decimal strings): the referrals app reads them as such.
        "referrer_reward": referrals["referrer_reward"] or {},
        "friend_reward": referrals["friend_reward"] or {},
    }


def _rule_fields(rule: dict) -> dict[str, Any]:
    limit = rule.get("limit") or {}
    return {
        "key": rule["key"],
        "type": rule["type"],
        "name": rule.get("name", ""),
        "points": rule.get("points", 0),
        "event": rule.get("event", ""),
        "limit_count": limit.get("count"),
        "limit_period": limit.get("period", ""),
        "min_subtotal": _decimal(rule.get("min_subtotal")),
        "multiplier": _decimal(rule.get("multiplier")),
        "starts_at": _moment(rule.get("starts_at")),
        "ends_at": _moment(rule.get("ends_at")),
        "active": rule.get("active", True),
    }


def _tier_fields(level: dict) -> dict[str, Any]:
    return {
        "key": level["key"],
        "name": level["name"],
        "threshold": _decimal(level.get("threshold")),
        "invite_only": level.get("invite_only", False),
        "multiplier": Decimal(level["multiplier"]),
        "perks": level["perks"],
    }


def program_export(*, program: Program) -> dict:
    """The program file of `program`, without its reward catalog (see `rewards.services.catalog`).
    Unset values are written as null, which the program file reads as absent."""
    return {
        "merchant": program.merchant.name,
        "name": program.name,
        "slug": program.slug,
        "currency": program.currency,
        "locale": program.locale,
        "timezone": program.timezone,
        "points_name": {"singular": program.points_name_singular, "plural": program.points_name_plural},
        "branding": {
            "primary_color": program.primary_color,
            "accent_color": program.accent_color,
            "logo_url": program.logo_url or None,
        },
        "terms_url": program.terms_url or None,
        "shop_url": program.shop_url or None,
        "allowed_origins": list(program.allowed_origins or []),
        "earning": {
            "points_per_currency_unit": str(program.points_per_currency_unit),
            "pending_days": program.pending_days,
            "rules": [
                _rule_export(rule)
                for rule in program.earning_rules.select_related("segment").order_by("position", "id")
            ],
        },
        "tiers": {
            "metric": program.tier_metric,
            "period": program.tier_period,
            "levels": [
                _tier_export(tier, metric=program.tier_metric) for tier in program.tiers.order_by("position", "id")
            ],
        },
        "expiry": {
            "policy": program.expiry_policy,
            "days": program.expiry_days,
            "warn_days_before": program.expiry_warn_days_before,
        },
        "referrals": {
            "enabled": program.referrals_enabled,
            "qualifying_min_subtotal": str(program.referral_qualifying_min_subtotal),
            "referrer_reward": program.referrer_reward or None,
            "friend_reward": program.friend_reward or None,
        },
        "segments": [_segment_export(segment) for segment in program.segments.order_by("key")],
    }


def _segment_export(segment: Segment) -> dict:
    return {
        "key": segment.key,
        "name": segment.name,
        "description": segment.description or None,
        "match": segment.match,
        "conditions": segment.conditions,
    }


def _text(value) -> str | None:
    return None if value is None else str(value)


def _rule_export(rule: EarningRule) -> dict:
    return {
        "key": rule.key,
        "type": rule.type,
        "name": rule.name or None,
        "points": None if rule.type == RuleType.BONUS_MULTIPLIER else rule.points,
        "event": rule.event or None,
        "limit": {"count": rule.limit_count, "period": rule.limit_period} if rule.limit_count else None,
        "min_subtotal": _text(rule.min_subtotal),
        "multiplier": _text(rule.multiplier),
        "starts_at": datetime_canonical(rule.starts_at) if rule.starts_at else None,
        "ends_at": datetime_canonical(rule.ends_at) if rule.ends_at else None,
        "active": rule.active,
        "segment": rule.segment.key if rule.segment_id else None,
    }


def _tier_export(tier: Tier, *, metric: str) -> dict:
    threshold = None
    if tier.threshold is not None and not tier.invite_only:
        threshold = str(tier.threshold) if metric == TierMetric.SPEND else int(tier.threshold)
    return {
        "key": tier.key,
        "name": tier.name,
        "threshold": threshold,
        "invite_only": tier.invite_only,
        "multiplier": str(tier.multiplier),
        "perks": list(tier.perks or []),
    }
