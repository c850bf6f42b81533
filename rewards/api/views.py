"""Server API of the catalog, redemptions and checkout codes: one APIView per operation. Views validate
input, call one service or selector and shape the answer; the rules live in `rewards/services/`."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.fields import IdField, MoneyField, PointsField, StrictCharField, idempotency_key_header, storable_text
from loyalty.api.schema import auth_errors, error_response, write_errors
from loyalty.errors import NotFound
from members.selectors import member_get
from rewards.api import examples
from rewards.api.serializers import (
    RedemptionOutputSerializer,
    RewardOutputSerializer,
    VoucherCheckSerializer,
    VoucherOutputSerializer,
    redemption_answer,
)
from rewards.selectors import reward_get, reward_list, voucher_get, voucher_list
from rewards.services.redemptions import (
    checkout_discount_max_points,
    checkout_discount_redeem,
    reward_redeem,
    voucher_cancel,
)
from rewards.services.vouchers import voucher_consume, voucher_problem

CUSTOMER_ID = OpenApiParameter("customer_id", str, OpenApiParameter.PATH, description="The shop's customer id.")
CODE = OpenApiParameter(
    "code", str, OpenApiParameter.PATH, description="The voucher code (12 characters; case is forgiven)."
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Up to 255 characters. A retry with the same key and body returns the first redemption (200) and "
    "spends nothing more; the same key with another body is `409 idempotency_conflict`.",
)
REFUSALS = (
    "insufficient_points",
    "out_of_stock",
    "tier_required",
    "segment_required",
    "limit_reached",
    "reward_inactive",
    "reward_expired",
    "idempotency_conflict",
)
REWARD_ID_HELP = "The reward's `id` from `GET /rewards` (its `key` from the program file is accepted too)."


def _member(request, customer_id: str):
    if not storable_text(customer_id):
        raise NotFound(f"No member with customer_id {customer_id!r}.", code="member_not_found")
    return member_get(program=request.program, customer_id=customer_id)


def _idempotency_key(request) -> str:
    return idempotency_key_header(request) or ""


def _voucher_check_data(voucher, *, subtotal=None) -> dict:
    at = timezone.now()
    problem = voucher_problem(voucher=voucher, at=at, subtotal=subtotal)
    voucher.valid, voucher.reason = problem is None, problem.code if problem else None
    return VoucherCheckSerializer(voucher, context={"at": at}).data


class RewardListApi(APIView):
    @extend_schema(
        operation_id="reward_list",
        summary="List the program's rewards",
        description="The catalog members can redeem now: active rewards inside their window, in catalog order. "
        "`variable` rewards are points for discount at checkout (`POST /members/{customer_id}/checkout-discounts`): "
        "`points_cost` is the step and `value` what one step takes off.",
        responses={200: RewardOutputSerializer(many=True), **auth_errors()},
        examples=[OpenApiExample("Catalog", value=[examples.REWARD, examples.VARIABLE_REWARD], response_only=True)],
        tags=["rewards"],
    )
    def get(self, request):
        return Response(RewardOutputSerializer(reward_list(program=request.program), many=True).data)


class MemberVoucherListApi(APIView):
    @extend_schema(
        operation_id="member_voucher_list",
        summary="List a member's codes",
        description="Every code the member holds, from redemptions and referral rewards, newest first, with its "
        "status as of now (`active`, `used`, `expired`, `cancelled`).",
        parameters=[CUSTOMER_ID],
        responses={
            200: VoucherOutputSerializer(many=True),
            404: error_response(404, "member_not_found"),
            **auth_errors(),
        },
        examples=[OpenApiExample("Codes", value=[examples.VOUCHER], response_only=True)],
        tags=["rewards"],
    )
    def get(self, request, customer_id: str):
        member = _member(request, customer_id)
        vouchers = voucher_list(member=member)
        return Response(VoucherOutputSerializer(vouchers, many=True, context={"at": timezone.now()}).data)


class RedemptionCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        reward_id = IdField(help_text=REWARD_ID_HELP)

    @extend_schema(
        operation_id="redemption_create",
        summary="Spend points on a reward",
        description="Checks the reward's window, the member's tier, the per-member limit, the stock and the "
        "balance, then debits the points and issues a single-use code, all in one transaction: any refusal "
        "writes nothing. Physical items and experiences start with `fulfilment_status: pending`, which the "
        "merchant moves in the admin. A points-for-discount reward (`variable`) is redeemed at checkout "
        "instead (`409 reward_variable`).",
        parameters=[CUSTOMER_ID, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={
            201: RedemptionOutputSerializer,
            200: RedemptionOutputSerializer,
            404: error_response(404, "member_not_found", "reward_not_found"),
            409: error_response(409, *REFUSALS, "reward_variable"),
            **write_errors("invalid_idempotency_key"),
        },
        examples=[
            OpenApiExample("Redeem", value={"reward_id": 7}, request_only=True),
            OpenApiExample("Redeemed", value=examples.REDEMPTION, response_only=True, status_codes=["201", "200"]),
        ],
        tags=["rewards"],
    )
    def post(self, request, customer_id: str):
        member = _member(request, customer_id)
        idempotency_key = _idempotency_key(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reward = reward_get(program=request.program, reward_id=serializer.validated_data["reward_id"])
        redemption, created = reward_redeem(member=member, reward=reward, idempotency_key=idempotency_key)
        return Response(
            redemption_answer(redemption, request.program),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CheckoutDiscountOptionsApi(APIView):
    class OptionSerializer(serializers.Serializer):
        reward = RewardOutputSerializer()
        points_step = serializers.IntegerField(help_text="Points are chosen in multiples of this.")
        value_per_step = serializers.DecimalField(max_digits=12, decimal_places=2)
        max_points = serializers.IntegerField(
            help_text="Most points usable on this order: within the balance, the subtotal and the reward's cap."
        )

    @extend_schema(
        operation_id="checkout_discount_options",
        summary="What points can take off this order",
        description="For each points-for-discount reward the member may use now: the step, what a step is worth "
        "and the most points usable on an order of `subtotal` (0 when the order or the balance is too small).",
        parameters=[
            CUSTOMER_ID,
            OpenApiParameter("subtotal", str, required=True, description="The order's subtotal, e.g. `49.99`."),
        ],
        responses={
            200: OptionSerializer(many=True),
            400: error_response(400, "invalid_input"),
            404: error_response(404, "member_not_found"),
            **auth_errors(),
        },
        examples=[OpenApiExample("Options", value=[examples.CHECKOUT_OPTION], response_only=True)],
        tags=["rewards"],
    )
    def get(self, request, customer_id: str):
        member = _member(request, customer_id)
        field = MoneyField()
        try:
            subtotal = field.run_validation(request.query_params.get("subtotal"))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"subtotal": exc.detail}) from None
        options = [
            {
                "reward": reward,
                "points_step": reward.points_cost,
                "value_per_step": reward.value,
                "max_points": checkout_discount_max_points(
                    reward=reward, subtotal=subtotal, balance=member.points_balance
                )
                if reward.min_subtotal is None or subtotal >= reward.min_subtotal
                else 0,
            }
            for reward in reward_list(program=request.program).filter(variable=True)
        ]
        return Response(self.OptionSerializer(options, many=True).data)


class CheckoutDiscountCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        reward_id = IdField(help_text="A `variable` reward. " + REWARD_ID_HELP)
        points = PointsField(min_value=1, help_text="A multiple of the reward's `points_cost`.")
        subtotal = MoneyField(help_text="The order's subtotal: the discount never exceeds it.")

    @extend_schema(
        operation_id="checkout_discount_create",
        summary="Spend points for money off this order",
        description="“Use 500 points for $5 off”: the shopper picks the points in the reward's steps "
        "(`points_cost`), each step worth `value`, up to the order subtotal (and the reward's `max_points`). "
        "Debits the points and issues a single-use fixed-amount code for this order, in one transaction. "
        "Points off the steps or worth more than the order are `400 invalid_points` (the most usable is in "
        "`fields.points`).",
        parameters=[CUSTOMER_ID, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={
            201: RedemptionOutputSerializer,
            200: RedemptionOutputSerializer,
            404: error_response(404, "member_not_found", "reward_not_found"),
            409: error_response(409, *REFUSALS, "reward_not_variable", "min_subtotal_not_met"),
            **write_errors("invalid_points", "invalid_idempotency_key"),
        },
        examples=[
            OpenApiExample(
                "500 points off a $42 order",
                value={"reward_id": 9, "points": 500, "subtotal": "42.00"},
                request_only=True,
            ),
            OpenApiExample(
                "Discount code", value=examples.CHECKOUT_REDEMPTION, response_only=True, status_codes=["201", "200"]
            ),
        ],
        tags=["rewards"],
    )
    def post(self, request, customer_id: str):
        member = _member(request, customer_id)
        idempotency_key = _idempotency_key(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reward = reward_get(program=request.program, reward_id=data["reward_id"])
        redemption, created = checkout_discount_redeem(
            member=member,
            reward=reward,
            points=data["points"],
            subtotal=data["subtotal"],
            idempotency_key=idempotency_key,
        )
        return Response(
            redemption_answer(redemption, request.program),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class VoucherDetailApi(APIView):
    @extend_schema(
        operation_id="voucher_check",
        summary="Validate a code at checkout",
        description="Whether the code can be used now (`valid`, and `reason` when not), what it is worth, its "
        "conditions, its expiry and its owner. Pass `subtotal` to check the minimum order subtotal too. Reading "
        "changes nothing; consume the code once the order is placed.",
        parameters=[
            CODE,
            OpenApiParameter("subtotal", str, description="The order's subtotal, to check `min_subtotal`."),
        ],
        responses={
            200: VoucherCheckSerializer,
            400: error_response(400, "invalid_input"),
            404: error_response(404, "voucher_not_found"),
            **auth_errors(),
        },
        examples=[
            OpenApiExample("Valid", value=examples.VOUCHER_CHECK, response_only=True),
            OpenApiExample("Used", value=examples.VOUCHER_CHECK_USED, response_only=True),
        ],
        tags=["vouchers"],
    )
    def get(self, request, code: str):
        subtotal = None
        if "subtotal" in request.query_params:
            try:
                subtotal = MoneyField().run_validation(request.query_params["subtotal"])
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"subtotal": exc.detail}) from None
        voucher = voucher_get(program=request.program, code=code)
        return Response(_voucher_check_data(voucher, subtotal=subtotal))


class VoucherConsumeApi(APIView):
    class InputSerializer(serializers.Serializer):
        order_id = StrictCharField(
            max_length=255, required=False, allow_blank=True, help_text="The order the code was used on."
        )
        subtotal = MoneyField(required=False, help_text="The order's subtotal, to enforce `min_subtotal`.")

    @extend_schema(
        operation_id="voucher_consume",
        summary="Mark a code used",
        description="Once the order is placed. A code is consumed exactly once, even by concurrent checkouts: the "
        "second time is `409 already_used`. Expired and cancelled codes are refused; with `subtotal`, so is an "
        "order below the code's minimum.",
        parameters=[CODE],
        request=InputSerializer,
        responses={
            200: VoucherCheckSerializer,
            404: error_response(404, "voucher_not_found"),
            409: error_response(409, "already_used", "voucher_expired", "voucher_cancelled", "min_subtotal_not_met"),
            **write_errors(),
        },
        examples=[
            OpenApiExample("Consume", value={"order_id": "1001", "subtotal": "42.00"}, request_only=True),
            OpenApiExample("Used", value=examples.VOUCHER_CHECK_USED, response_only=True),
        ],
        tags=["vouchers"],
    )
    def post(self, request, code: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voucher = voucher_get(program=request.program, code=code)
        voucher = voucher_consume(voucher=voucher, **serializer.validated_data)
        return Response(_voucher_check_data(voucher))


class VoucherCancelApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = StrictCharField(max_length=200, required=False, allow_blank=True, help_text="Kept in the ledger row.")

    @extend_schema(
        operation_id="voucher_cancel",
        summary="Cancel a code and give the points back",
        description="The merchant withdraws an unused code (active or expired): it can no longer be used, a "
        "redemption's points come back to the member as a new ledger row and its unit goes back into stock. A "
        "used code is `409 already_used`; a shipped item `409 already_fulfilled`; a second cancel "
        "`409 voucher_cancelled`.",
        parameters=[CODE],
        request=InputSerializer,
        responses={
            200: VoucherCheckSerializer,
            404: error_response(404, "voucher_not_found"),
            409: error_response(409, "already_used", "already_fulfilled", "voucher_cancelled"),
            **write_errors(),
        },
        examples=[
            OpenApiExample("Cancel", value={"reason": "Ordered by mistake"}, request_only=True),
            OpenApiExample("Cancelled", value=examples.VOUCHER_CHECK_CANCELLED, response_only=True),
        ],
        tags=["vouchers"],
    )
    def post(self, request, code: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voucher = voucher_get(program=request.program, code=code)
        voucher = voucher_cancel(voucher=voucher, reason=serializer.validated_data.get("reason", ""))
        voucher.member.refresh_from_db(fields=["points_balance", "pending_points", "lifetime_points"])
        return Response(_voucher_check_data(voucher))
