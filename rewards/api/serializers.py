"""Answers of the rewards API: a catalog **reward**, a **redemption** and a **voucher** (contract §3).
Shared with the storefront widget, which answers redemptions the same way."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from members.api.serializers import MemberOutputSerializer, datetime_text, member_answer, money_text
from rewards.choices import VoucherStatus
from rewards.models import Redemption, Reward, Voucher


class RewardOutputSerializer(serializers.ModelSerializer):
    min_tier = serializers.SlugRelatedField(
        slug_field="key",
        read_only=True,
        allow_null=True,
        help_text="Key of the lowest tier that may redeem it (as in the program file), or null.",
    )
    min_tier_name = serializers.CharField(source="min_tier.name", read_only=True, allow_null=True, default=None)
    stock_left = serializers.IntegerField(
        source="stock", allow_null=True, read_only=True, help_text="Units left; null when unlimited."
    )
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        help_text="Money off (fixed discount, gift card, store credit; per step of a variable reward), a "
        "percentage (percent discount), or null.",
    )

    class Meta:
        model = Reward
        fields = [
            "id",
            "key",
            "name",
            "type",
            "value",
            "points_cost",
            "min_tier",
            "min_tier_name",
            "stock_left",
            "description",
            "image_url",
            "product_id",
            "min_subtotal",
            "limit_per_member",
            "code_expiry_days",
            "variable",
            "max_points",
            "starts_at",
            "ends_at",
        ]
        read_only_fields = fields


class RewardRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reward
        fields = ["id", "key", "name", "type"]
        read_only_fields = fields


class VoucherOutputSerializer(serializers.ModelSerializer):
    """A member's code as the portal and widget list it."""

    reward = RewardRefSerializer(allow_null=True, read_only=True, help_text="Null for codes given by referrals.")
    used = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text="active, used, expired or cancelled, as of now.")

    class Meta:
        model = Voucher
        fields = [
            "code",
            "reward",
            "name",
            "type",
            "value",
            "min_subtotal",
            "product_id",
            "used",
            "status",
            "expires_at",
            "used_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_used(self, voucher: Voucher) -> bool:
        return voucher.status == VoucherStatus.USED

    def get_status(self, voucher: Voucher) -> str:
        return voucher.status_at(self.context.get("at") or timezone.now())


class VoucherConditionsSerializer(serializers.Serializer):
    min_subtotal = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    product_id = serializers.CharField(allow_blank=True, help_text="Free product rewards: the product to give.")


class VoucherCheckSerializer(VoucherOutputSerializer):
    """Checkout validation of one code: whether it can be used now, what it is worth, on what conditions,
    until when and whose it is."""

    valid = serializers.BooleanField(help_text="Whether the code can be used now (on this subtotal, if given).")
    reason = serializers.CharField(
        allow_null=True,
        help_text="Why not: already_used, voucher_expired, voucher_cancelled or min_subtotal_not_met; null if valid.",
    )
    conditions = serializers.SerializerMethodField()
    member = MemberOutputSerializer(read_only=True)

    class Meta(VoucherOutputSerializer.Meta):
        fields = ["valid", "reason", *VoucherOutputSerializer.Meta.fields, "conditions", "used_order_id", "member"]
        read_only_fields = fields

    @extend_schema_field(VoucherConditionsSerializer)
    def get_conditions(self, voucher: Voucher) -> dict:
        return VoucherConditionsSerializer(
            {"min_subtotal": voucher.min_subtotal, "product_id": voucher.product_id}
        ).data


class RedemptionOutputSerializer(serializers.ModelSerializer):
    reward = RewardRefSerializer(read_only=True)
    code = serializers.CharField(source="voucher.code", read_only=True)
    expires_at = serializers.DateTimeField(source="voucher.expires_at", allow_null=True, read_only=True)
    member = MemberOutputSerializer(read_only=True)

    class Meta:
        model = Redemption
        fields = [
            "id",
            "reward",
            "code",
            "points_spent",
            "value",
            "expires_at",
            "status",
            "fulfilment_status",
            "created_at",
            "member",
        ]
        read_only_fields = fields


def redemption_answer(redemption: Redemption, program) -> dict:
    """`RedemptionOutputSerializer(redemption).data` built directly (tests/rewards/api/test_redemption_answer.py
    compares the two): the ModelSerializer builds its fields and its nested member serializer's on every call, more
    CPU than the redemption's own statements (as `member_answer` for orders). A redemption without its code (none
    is written so) goes to the serializer."""
    voucher = getattr(redemption, "voucher", None)
    if voucher is None:
        return RedemptionOutputSerializer(redemption).data
    reward, member = redemption.reward, redemption.member
    return {
        "id": redemption.pk,
        "reward": {"id": reward.pk, "key": reward.key, "name": reward.name, "type": str(reward.type)},
        "code": voucher.code,
        "points_spent": redemption.points_spent,
        "value": money_text(redemption.value),
        "expires_at": datetime_text(voucher.expires_at),
        "status": str(redemption.status),
        "fulfilment_status": str(redemption.fulfilment_status),
        "created_at": datetime_text(redemption.created_at),
        "member": member_answer(member, program),
    }
