"""In-store (POS) API under `/api/v1/pos/` (server API key): look a member up at the till, record an in-store
purchase with its store id, redeem a reward at the till. One ledger for every channel: points earned online
are spendable in the shop and the other way round, because the till calls the same services."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.fields import (
    IdField,
    MoneyField,
    PastDateTimeField,
    StrictCharField,
    idempotency_key_header,
)
from loyalty.api.schema import auth_errors, error_response, write_errors
from members.api.serializers import MemberOutputSerializer, member_with_program
from referrals.services.flows import order_paid
from rewards.api.serializers import RedemptionOutputSerializer, redemption_answer
from rewards.selectors import reward_get
from rewards.services.redemptions import reward_redeem
from storefront.pos.selectors import LOOKUP_KEYS, MAX_CANDIDATES, member_candidates, member_find

STORE_ID_HELP = "The shop's id of the store (till location), e.g. `paris-01`."


class MemberRefInput(serializers.Serializer):
    """Who is at the till: exactly one of the lookup keys."""

    customer_id = IdField(required=False)
    card_number = StrictCharField(max_length=32, required=False, help_text="From the member card or its QR code.")
    email = serializers.EmailField(max_length=254, required=False)
    phone = StrictCharField(max_length=32, required=False)

    def validate(self, data):
        given = [k for k in LOOKUP_KEYS if data.get(k)]
        if len(given) != 1:
            raise serializers.ValidationError(f"Send exactly one of {', '.join(LOOKUP_KEYS)}.")
        return data

    @property
    def lookup(self) -> tuple[str, str]:
        key = next(k for k in LOOKUP_KEYS if self.validated_data.get(k))
        return key, self.validated_data[key]


def _member_of(request, data: dict):
    ref = MemberRefInput(data={k: data[k] for k in LOOKUP_KEYS if k in data})
    ref.is_valid(raise_exception=True)
    key, value = ref.lookup
    return member_find(program=request.program, key=key, value=value)


class PosMemberLookupApi(APIView):
    @extend_schema(
        operation_id="pos_member_lookup",
        summary="Find a member at the till",
        description="By `card_number` (the member card: the referral code, spaces and case forgiven), `email`, "
        "`phone` or `customer_id`: the matching members (at most 10; email and phone may match several).",
        parameters=[OpenApiParameter(k, str, description=f"Look up by {k}.") for k in LOOKUP_KEYS],
        responses={
            200: inline_serializer("PosMemberLookupOutput", {"results": MemberOutputSerializer(many=True)}),
            400: error_response(400, "invalid_input"),
            **auth_errors(),
        },
        tags=["pos"],
    )
    def get(self, request):
        ref = MemberRefInput(data={k: v for k, v in request.query_params.items() if k in LOOKUP_KEYS})
        ref.is_valid(raise_exception=True)
        key, value = ref.lookup
        members = [
            member_with_program(m, request.program)
            for m in member_candidates(program=request.program, key=key, value=value).order_by("id")[:MAX_CANDIDATES]
        ]
        return Response({"results": MemberOutputSerializer(members, many=True).data})


class PosPurchaseRecordApi(APIView):
    class InputSerializer(MemberRefInput):
        store_id = IdField(max_length=64, help_text=STORE_ID_HELP)
        receipt_id = IdField(max_length=150, help_text="The till's receipt number, unique within the store.")
        subtotal = MoneyField()
        currency = serializers.RegexField(r"^[A-Za-z]{3}$")
        placed_at = PastDateTimeField(required=False)

    class OutputSerializer(serializers.Serializer):
        order_id = serializers.CharField()
        store_id = serializers.CharField()
        points_awarded = serializers.IntegerField()
        points_status = serializers.CharField()
        member = MemberOutputSerializer()

    @extend_schema(
        operation_id="pos_purchase_record",
        summary="Record an in-store purchase",
        description="Awards points like an online order (same rules, tiers, bonuses and ledger), once per "
        "`store_id` + `receipt_id` (recorded as order `pos:{store_id}:{receipt_id}`); a retry answers `200`.",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            404: error_response(404, "member_not_found"),
            **write_errors(),
        },
        tags=["pos"],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        member = _member_of(request, data)
        result = order_paid(
            program=request.program,
            order_id=f"pos:{data['store_id']}:{data['receipt_id']}",
            customer_id=member.customer_id,
            subtotal=data["subtotal"],
            currency=data["currency"],
            placed_at=data.get("placed_at") or timezone.now(),
            items=[{"channel": "pos", "store_id": data["store_id"], "receipt_id": data["receipt_id"]}],
        )
        answer = {
            "order_id": result.order.order_id,
            "store_id": data["store_id"],
            "points_awarded": result.order.points_awarded,
            "points_status": result.order.points_status,
            "member": member_with_program(result.member, request.program),
        }
        return Response(
            self.OutputSerializer(answer).data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


class PosRedemptionCreateApi(APIView):
    class InputSerializer(MemberRefInput):
        store_id = IdField(max_length=64, help_text=STORE_ID_HELP)
        reward_id = IdField(help_text="The reward's `id` (or `key`).")

    @extend_schema(
        operation_id="pos_redemption_create",
        summary="Redeem a reward at the till",
        description="Spends points from the same balance as online and answers the code to apply at the till "
        "(then `POST /api/v1/vouchers/{code}/consume`). Send an `Idempotency-Key` (e.g. the receipt number) so "
        "a retried till request spends once.",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        request=InputSerializer,
        responses={
            201: RedemptionOutputSerializer,
            200: RedemptionOutputSerializer,
            404: error_response(404, "member_not_found", "reward_not_found"),
            409: error_response(
                409, "insufficient_points", "out_of_stock", "tier_required", "segment_required", "limit_reached"
            ),
            **write_errors(),
        },
        tags=["pos"],
    )
    def post(self, request):
        key = idempotency_key_header(request, max_length=200) or ""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        member = _member_of(request, data)
        reward = reward_get(program=request.program, reward_id=data["reward_id"])
        redemption, created = reward_redeem(
            member=member, reward=reward, idempotency_key=f"pos:{data['store_id']}:{key}" if key else ""
        )
        return Response(
            redemption_answer(redemption, request.program),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
