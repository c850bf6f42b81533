"""Answers of the widget API. The member, transactions, rewards, vouchers and redemptions are the server
API's serializers; only the program's public face and the reward's "can I redeem it" are the widget's own."""

import functools

from rest_framework import serializers

from loyalty.models import EarningRule, Program, Tier
from members.api.serializers import MemberOutputSerializer, TransactionOutputSerializer
from rewards.api.serializers import RewardOutputSerializer, VoucherOutputSerializer
from storefront.widget.selectors import portal_url, program_language


class WayToEarnSerializer(serializers.ModelSerializer):
    class Meta:
        model = EarningRule
        fields = ["key", "type", "name", "points", "event", "min_subtotal", "multiplier", "starts_at", "ends_at"]
        read_only_fields = fields


class PublicTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["key", "name", "threshold", "multiplier", "perks"]
        read_only_fields = fields


def reward_blocked_by(reward, member) -> str | None:
    """Why `member` cannot redeem `reward` now: null, insufficient_points, tier_required, out_of_stock or
    checkout_only (variable rewards are spent at checkout)."""
    if reward.variable:
        return "checkout_only"
    if reward.stock is not None and reward.stock <= 0:
        return "out_of_stock"
    if reward.min_tier_id and (member.tier is None or member.tier.position < reward.min_tier.position):
        return "tier_required"
    if member.points_balance < reward.points_cost:
        return "insufficient_points"
    return None


@functools.cache
def _rows(serializer_class) -> serializers.ListSerializer:
    """One list serializer per class and process, for the serializers that need no context: DRF builds a
    serializer's fields when it is first used, which costs more than rendering a member's few rows with them."""
    return serializer_class(many=True)


def widget_rewards(rewards, member) -> list[dict]:
    """The catalog as the server API shows it, each reward with `redeemable` and `blocked_by` for the member."""
    rows = _rows(RewardOutputSerializer).to_representation(rewards)
    for row, reward in zip(rows, rewards, strict=True):
        blocked_by = reward_blocked_by(reward, member)
        row["redeemable"], row["blocked_by"] = blocked_by is None, blocked_by
    return rows


def program_data(*, program: Program, rules, rewards, tiers) -> dict:
    language, direction = program_language(program)
    return {
        "name": program.name,
        "language": language,
        "direction": direction,
        "currency": program.currency,
        "points_name": {"singular": program.points_name_singular, "plural": program.points_name_plural},
        "branding": {
            "primary_color": program.primary_color,
            "accent_color": program.accent_color,
            "logo_url": program.logo_url,
        },
        "links": {"portal": portal_url(program), "terms": program.terms_url, "shop": program.shop_url},
        "earning": {
            "points_per_currency_unit": str(program.points_per_currency_unit.normalize()),
            "ways_to_earn": WayToEarnSerializer(rules, many=True).data,
        },
        "ways_to_spend": RewardOutputSerializer(rewards, many=True).data,
        "tiers": PublicTierSerializer(tiers, many=True).data,
        "referrals": {
            "enabled": program.referrals_enabled,
            "referrer_reward": program.referrer_reward if program.referrals_enabled else None,
            "friend_reward": program.friend_reward if program.referrals_enabled else None,
        },
    }


class TierProgressSerializer(serializers.Serializer):
    metric = serializers.CharField()
    period = serializers.CharField()
    value = serializers.JSONField()
    tier = serializers.JSONField(allow_null=True)
    next_tier = serializers.JSONField(allow_null=True)
    fraction = serializers.FloatField(help_text="0–1: how far along to the next tier (1 at the top).")
    kept_until = serializers.DateTimeField(allow_null=True)


class NextExpirySerializer(serializers.Serializer):
    points = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


def as_member_expiry(next_expiry: dict | None) -> dict | None:
    """The widget's next expiry in the member answer's shape (`{points, at}`), read once for both."""
    return {"points": next_expiry["points"], "at": next_expiry["expires_at"]} if next_expiry else None


class WidgetMemberSerializer(MemberOutputSerializer):
    """The server API's member, its next tier taken from the tier progress the answer shows anyway (the same
    aggregate over the ledger, read once)."""

    def get_next_tier(self, member) -> dict | None:
        return self.context["next_tier"]


def as_member_next_tier(tier_progress: dict) -> dict | None:
    """The progress's next tier in the member answer's shape (`members.services.tiers.member_next_tier`)."""
    next_tier = tier_progress["next_tier"]
    if next_tier is None:
        return None
    remaining = next_tier["remaining"]
    return {
        "key": next_tier["key"],
        "name": next_tier["name"],
        "remaining": remaining if isinstance(remaining, int) else str(remaining),
    }


def me_data(*, member, overview: dict) -> dict:
    context = {
        "next_expiry": as_member_expiry(overview["next_expiry"]),
        "next_tier": as_member_next_tier(overview["tier_progress"]),
    }
    return {
        "member": WidgetMemberSerializer(member, context=context).data,
        "tier_progress": TierProgressSerializer(overview["tier_progress"]).data,
        "transactions": _rows(TransactionOutputSerializer).to_representation(overview["transactions"]),
        "rewards": widget_rewards(overview["rewards"], member),
        "vouchers": _rows(VoucherOutputSerializer).to_representation(overview["vouchers"]),
        "next_expiry": NextExpirySerializer(overview["next_expiry"]).data if overview["next_expiry"] else None,
    }
