"""Referral reads for the merchant's server: a program's stats, a member's link, stats and referrals."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.fields import storable_text
from loyalty.api.schema import auth_errors, error_response
from loyalty.errors import NotFound
from members.selectors import member_get
from referrals.choices import BlockReason, ReferralStatus
from referrals.selectors import referral_list, referral_stats, referral_url

REFERRALS_SHOWN = 50


class ReferralStatsOutput(serializers.Serializer):
    invites_claimed = serializers.IntegerField(help_text="Friends referred and not blocked.")
    friends_converted = serializers.IntegerField(help_text="Friends whose first qualifying order was paid and kept.")
    blocked = serializers.IntegerField(help_text="Attempts blocked by the fraud controls.")
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Referred friends' orders, net.")
    friend_rewards_granted = serializers.IntegerField()
    referrer_rewards_granted = serializers.IntegerField()
    referrer_points_granted = serializers.IntegerField()


class ReferralOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    block_reason = serializers.ChoiceField(choices=BlockReason.choices, allow_blank=True)
    friend_customer_id = serializers.CharField(source="friend.customer_id", default=None)
    friend_email = serializers.CharField()
    qualifying_order_id = serializers.CharField(source="qualifying_order.order_id", default=None)
    created_at = serializers.DateTimeField()
    converted_at = serializers.DateTimeField(allow_null=True)


class ReferralStatsApi(APIView):
    @extend_schema(
        operation_id="referral_stats",
        summary="The program's referral stats",
        responses={200: ReferralStatsOutput, **auth_errors()},
        tags=["referrals"],
    )
    def get(self, request):
        return Response(ReferralStatsOutput(referral_stats(program=request.program)).data)


class MemberReferralsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        referral_code = serializers.CharField()
        referral_url = serializers.CharField()
        stats = ReferralStatsOutput()
        referrals = ReferralOutput(many=True, help_text=f"The newest {REFERRALS_SHOWN}.")

    @extend_schema(
        operation_id="member_referrals",
        summary="A member's referral link, stats and referrals",
        responses={200: OutputSerializer, 404: error_response(404, "member_not_found"), **auth_errors()},
        tags=["referrals"],
    )
    def get(self, request, customer_id: str):
        if not storable_text(customer_id):
            raise NotFound(f"No member {customer_id!r}.", code="member_not_found")
        member = member_get(program=request.program, customer_id=customer_id)
        rows = referral_list(program=request.program, referrer=member).select_related("qualifying_order")
        answer = {
            "referral_code": member.referral_code,
            "referral_url": referral_url(code=member.referral_code),
            "stats": referral_stats(program=request.program, referrer=member),
            "referrals": rows[:REFERRALS_SHOWN],
        }
        return Response(self.OutputSerializer(answer).data)
