"""The answers shared by several endpoints: a **member** and a ledger **transaction** (contract §3)."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from members.models import Member, Transaction
from members.selectors import member_next_expiry
from members.services.tiers import member_next_tier


class TierRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class NextTierSerializer(TierRefSerializer):
    remaining = serializers.JSONField(
        help_text="What is still missing in the program's tier metric: an integer of points or orders, "
        "or a decimal string of money for the `spend` metric."
    )


class MemberNextExpirySerializer(serializers.Serializer):
    points = serializers.IntegerField()
    at = serializers.DateTimeField()


class MemberOutputSerializer(serializers.ModelSerializer):
    tier = TierRefSerializer(allow_null=True, read_only=True)
    next_tier = serializers.SerializerMethodField()
    next_expiry = serializers.SerializerMethodField()
    referral_url = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "customer_id",
            "email",
            "first_name",
            "last_name",
            "birthday",
            "points_balance",
            "pending_points",
            "lifetime_points",
            "tier",
            "next_tier",
            "next_expiry",
            "referral_code",
            "referral_url",
            "created_at",
            "attributes",
        ]
        read_only_fields = fields

    @extend_schema_field(NextTierSerializer(allow_null=True))
    def get_next_tier(self, member: Member) -> dict | None:
        return member_next_tier(member=member)

    @extend_schema_field(MemberNextExpirySerializer(allow_null=True))
    def get_next_expiry(self, member: Member) -> dict | None:
        """The next points to expire and when (null under the `never` policy or with nothing to expire).
        A caller that already read it passes it as `context["next_expiry"]`, saving the query."""
        expiry = self.context["next_expiry"] if "next_expiry" in self.context else member_next_expiry(member=member)
        return MemberNextExpirySerializer(expiry).data if expiry else None

    def get_referral_url(self, member: Member) -> str:
        return f"{settings.SITE_URL}/r/{member.referral_code}"


class TransactionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Transaction
        fields = ["id", "kind", "points", "balance_after", "status", "description", "created_at", "expires_at"]
        read_only_fields = fields


def member_with_program(member: Member, program) -> Member:
    """Hand the member the request's program (loaded with the API key), so the answer does not query it again."""
    if member.program_id == program.pk:
        member.program = program
    return member


def member_data(member: Member, program) -> dict:
    return MemberOutputSerializer(member_with_program(member, program)).data


_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()
_MONEY = serializers.DecimalField(max_digits=12, decimal_places=2)


def money_text(value: Decimal | None) -> str | None:
    """A money amount as the API's 2-place `DecimalField`s render it (`"5.00"`), None as null."""
    return None if value is None else _MONEY.to_representation(value)


def datetime_text(moment: datetime | None, zone=None) -> str | None:
    """`serializers.DateTimeField().to_representation(moment)` — ISO 8601 in the current time zone, `Z` for UTC —
    without the field's per-call lookups (a third of `member_answer`'s time); a naive moment goes to the field.
    `zone`: the current time zone, looked up once by a caller rendering many moments (each lookup reads a
    context-local, ~3 us)."""
    if moment is None:
        return None  # as the field renders it
    if moment.tzinfo is None:
        return _DATETIME.to_representation(moment)
    text = moment.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def member_answer(
    member: Member,
    program,
    *,
    next_tier: dict | None = None,
    next_tier_known: bool = False,
    next_expiry: dict | None = None,
    next_expiry_known: bool = False,
) -> dict:
    """The **member** exactly as `MemberOutputSerializer` renders it (tests compare the two), built directly:
    the order endpoint answers one per call and the serializer's per-call set-up cost more than the order's
    SQL. `next_tier` and `next_expiry` when the caller computed them already (the order path, in its transaction)."""
    member = member_with_program(member, program)
    tier = member.tier
    expiry = next_expiry if next_expiry_known else member_next_expiry(member=member)
    return {
        "customer_id": member.customer_id,
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "birthday": _DATE.to_representation(member.birthday) if member.birthday is not None else None,
        "points_balance": member.points_balance,
        "pending_points": member.pending_points,
        "lifetime_points": member.lifetime_points,
        "tier": {"key": tier.key, "name": tier.name} if tier is not None else None,
        "next_tier": next_tier if next_tier_known else member_next_tier(member=member),
        "next_expiry": {"points": expiry["points"], "at": datetime_text(expiry["at"])} if expiry else None,
        "referral_code": member.referral_code,
        "referral_url": f"{settings.SITE_URL}/r/{member.referral_code}",
        "created_at": datetime_text(member.created_at),
        "attributes": member.attributes,
    }
