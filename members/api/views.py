"""Server API for members, their ledger, orders, refunds and events: one APIView per operation.
Views validate input, call one service and shape the answer; the rules live in `members/services/`."""

import threading
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.fields import (
    MAX_ID_LENGTH,
    IdField,
    JSONArrayField,
    JSONObjectField,
    MoneyField,
    PastDateField,
    PastDateTimeField,
    PointsField,
    StrictCharField,
    idempotency_key_header,
    plain_email,
    plain_money,
    plain_text,
    storable_text,
)
from loyalty.api.negotiation import JsonFirstNegotiation
from loyalty.api.pagination import NewestFirstCursorPagination
from loyalty.api.renderers import json_answer
from loyalty.api.schema import auth_errors, error_response, write_errors
from loyalty.errors import NotFound
from members.api.serializers import (
    MemberOutputSerializer,
    TransactionOutputSerializer,
    member_answer,
    member_data,
    member_with_program,
)
from members.selectors import member_get, transaction_list
from members.services.adjustments import points_adjust
from members.services.attributes import attributes_clean, attributes_room_check, member_attributes_merge
from members.services.events import event_record
from referrals.api.serializers import StorefrontSignalsInput
from referrals.services.flows import member_join, order_paid, order_refunded
from referrals.services.signals import signals_pop

CUSTOMER_ID = OpenApiParameter("customer_id", str, OpenApiParameter.PATH, description="The shop's customer id.")
ORDER_ID = OpenApiParameter("order_id", str, OpenApiParameter.PATH, description="The shop's order id.")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Up to 255 characters. A retry with the same key and body returns the first answer (200); "
    "the same key with another body is `409 idempotency_conflict`.",
)
MEMBER_EXAMPLE = {
    "customer_id": "c-42",
    "email": "layla@example.com",
    "first_name": "Layla",
    "last_name": "Haddad",
    "birthday": "1990-04-12",
    "points_balance": 1250,
    "pending_points": 0,
    "lifetime_points": 1850,
    "tier": {"key": "silver", "name": "Silver"},
    "next_tier": {"key": "gold", "name": "Gold", "remaining": 650},
    "referral_code": "K7QX2M9P",
    "referral_url": "https://rewards.example.com/r/K7QX2M9P",
    "created_at": "2026-01-05T10:12:00Z",
    "attributes": {"plan": "pro", "newsletter": True},
}
TRANSACTION_EXAMPLE = {
    "id": 981,
    "kind": "adjust",
    "points": 200,
    "balance_after": 1450,
    "status": "active",
    "description": "Apology for a late delivery",
    "created_at": "2026-03-01T09:30:00Z",
    "expires_at": None,
}


def order_answer(result, program) -> dict:
    """`OrderRecordApi.OutputSerializer`'s shape, built directly (see `member_answer`)."""
    order = result.order
    return {
        "order_id": order.order_id,
        "points_awarded": order.points_awarded,
        "points_status": str(order.points_status),
        "member": member_answer(
            result.member,
            program,
            next_tier=result.next_tier,
            next_tier_known=result.next_tier_known,
            next_expiry=result.next_expiry,
            next_expiry_known=result.next_expiry_known,
        ),
    }


_validators = threading.local()

# The keys `_order_input_plain` knows; a body with any other (the storefront signals, a typo) is validated by
# the serializer, which ignores unknown keys and validates the signals.
_PLAIN_ORDER_KEYS = frozenset(
    {"order_id", "customer_id", "email", "subtotal", "currency", "placed_at", "referral_code", "items"}
)


def order_input(body) -> dict:
    """`OrderRecordApi.InputSerializer`'s validated data for one order body, or its `ValidationError`.

    The common well-formed body is checked by `_order_input_plain` (a few microseconds); anything it does not
    accept goes through the serializer, kept per thread (building its fields, a deep copy of every declared
    field, cost more than validating). A refusal is raised by a fresh serializer, exactly as
    `is_valid(raise_exception=True)` raises it. The batch endpoint calls this for each item."""
    validator = getattr(_validators, "order", None)
    if validator is None:
        validator = _validators.order = OrderRecordApi.InputSerializer()
    data = _order_input_plain(body, validator.fields)
    if data is not None:
        return data
    try:
        return dict(validator.run_validation(body))
    except serializers.ValidationError:
        OrderRecordApi.InputSerializer(data=body).is_valid(raise_exception=True)
        raise


def _order_input_plain(body, fields) -> dict | None:
    """The serializer's validated data for a body of plain values (ASCII ids and codes, a decimal-string
    subtotal, a common email), or None for anything else. Each shortcut accepts a subset of what its field
    accepts and returns what the field returns (tests/members/api/test_order_input.py proves it with generated
    bodies); `placed_at` and `items` are validated by their own fields."""
    if type(body) is not dict or not _PLAIN_ORDER_KEYS.issuperset(body):
        return None
    order_id, customer_id, currency = body.get("order_id"), body.get("customer_id"), body.get("currency")
    subtotal = plain_money(body.get("subtotal"))
    if (
        subtotal is None
        or not plain_text(order_id, max_length=MAX_ID_LENGTH)
        or not plain_text(customer_id, max_length=MAX_ID_LENGTH)
        or not (plain_text(currency, max_length=3) and len(currency) == 3 and currency.isalpha())
    ):
        return None
    data = {"order_id": order_id, "customer_id": customer_id, "subtotal": subtotal, "currency": currency}
    if "email" in body:
        email = body["email"]
        if email != "" and not plain_email(email, max_length=fields["email"].max_length):
            return None
        data["email"] = email
    if "referral_code" in body:
        code = body["referral_code"]
        if code != "" and not plain_text(code, max_length=fields["referral_code"].max_length):
            return None
        data["referral_code"] = code
    for name in ("placed_at", "items"):
        if name in body:
            try:
                data[name] = fields[name].run_validation(body[name])
            except (serializers.ValidationError, DjangoValidationError):
                return None
    return data


def _path_id(value: str, *, code: str, what: str) -> str:
    """Ids in the URL never reach the database unless it can store them (NUL would be a 500)."""
    if not storable_text(value):
        raise NotFound(f"No {what} {value!r}.", code=code)
    return value


def _created_or_replayed(created: bool) -> int:
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


class MemberUpsertApi(APIView):
    class InputSerializer(StorefrontSignalsInput):
        customer_id = IdField()
        email = serializers.EmailField(max_length=254)
        first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        birthday = PastDateField(required=False, allow_null=True)
        phone = StrictCharField(max_length=32, required=False, allow_blank=True)
        referral_code = StrictCharField(max_length=32, required=False, allow_blank=True)
        attributes = serializers.DictField(
            required=False,
            help_text="Custom attributes for segments, merged into the member's: names of letters, digits, - and _ "
            "(up to 64 characters) to text (up to 255), numbers or true/false; null removes one. At most 50 per "
            "request and 100 per member.",
        )

    @extend_schema(
        operation_id="member_upsert",
        summary="Create or update a member",
        description="Upsert by `customer_id`. A new member gets the entry tier, a referral code and the sign-up "
        "points (once) and the answer is `201`; an existing member's given profile fields are updated and the "
        "answer is `200`. Fields left out are left as they are.",
        request=InputSerializer,
        responses={201: MemberOutputSerializer, 200: MemberOutputSerializer, **write_errors()},
        examples=[
            OpenApiExample(
                "New member",
                value={
                    "customer_id": "c-42",
                    "email": "layla@example.com",
                    "first_name": "Layla",
                    "attributes": {"plan": "pro", "store": "dubai-mall", "newsletter": True, "age": 34},
                },
                request_only=True,
            ),
            OpenApiExample("Member", value=MEMBER_EXAMPLE, response_only=True, status_codes=["201", "200"]),
        ],
        tags=["members"],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        attributes = attributes_clean(data.pop("attributes")) if "attributes" in data else {}
        if attributes:  # checked before anything is written
            attributes_room_check(program=request.program, customer_id=data["customer_id"], attributes=attributes)
        signals = signals_pop(data)
        member, created = member_join(program=request.program, signals=signals, **data)
        member = member_attributes_merge(member=member, attributes=attributes)
        return Response(member_data(member, request.program), status=_created_or_replayed(created))


class MemberDetailApi(APIView):
    @extend_schema(
        operation_id="member_get",
        summary="Get a member",
        description="Balances, tier, the next tier and what is missing to reach it, and the referral link.",
        parameters=[CUSTOMER_ID],
        responses={
            200: MemberOutputSerializer,
            404: error_response(404, "member_not_found"),
            **auth_errors(),
        },
        examples=[OpenApiExample("Member", value=MEMBER_EXAMPLE, response_only=True)],
        tags=["members"],
    )
    def get(self, request, customer_id: str):
        customer_id = _path_id(customer_id, code="member_not_found", what="member")
        member = member_get(program=request.program, customer_id=customer_id)
        return Response(member_data(member, request.program))


class MemberTransactionListApi(APIView):
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        operation_id="member_transactions_list",
        summary="List a member's points history",
        description="The member's ledger, newest first, `limit` rows a page (default 50, at most 200). "
        "Follow `next` (a full URL, null on the last page) for older rows.",
        parameters=[
            CUSTOMER_ID,
            OpenApiParameter("cursor", str, description="Opaque; taken from `next`."),
            OpenApiParameter("limit", int, description="Rows per page, 1–200."),
        ],
        responses={
            200: TransactionOutputSerializer(many=True),
            400: error_response(400, "invalid_cursor"),
            404: error_response(404, "member_not_found"),
            **auth_errors(),
        },
        examples=[
            OpenApiExample(
                "A page",
                value=TRANSACTION_EXAMPLE,
                response_only=True,
            )
        ],
        tags=["members"],
    )
    def get(self, request, customer_id: str):
        customer_id = _path_id(customer_id, code="member_not_found", what="member")
        member = member_get(program=request.program, customer_id=customer_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(transaction_list(member=member), request, view=self)
        return paginator.get_paginated_response(TransactionOutputSerializer(page, many=True).data)


class MemberAdjustmentCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        points = PointsField(help_text="Signed: a credit (> 0) or a debit (< 0), never 0.")
        reason = StrictCharField(max_length=255, help_text="Shown to the member in their history.")

        def validate_points(self, points: int) -> int:
            if points == 0:
                raise serializers.ValidationError("Must not be 0.")
            return points

    @extend_schema(
        operation_id="member_adjustment_create",
        summary="Adjust a member's points by hand",
        description="Credit or debit points with a reason. A debit past the balance is `409 insufficient_points`. "
        "Send an `Idempotency-Key` to make retries safe.",
        parameters=[CUSTOMER_ID, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={
            201: TransactionOutputSerializer,
            200: TransactionOutputSerializer,
            404: error_response(404, "member_not_found"),
            409: error_response(409, "insufficient_points", "idempotency_conflict"),
            **write_errors("invalid_idempotency_key", "points_limit_exceeded"),
        },
        examples=[
            OpenApiExample(
                "Goodwill credit", value={"points": 200, "reason": "Apology for a late delivery"}, request_only=True
            ),
            OpenApiExample("Transaction", value=TRANSACTION_EXAMPLE, response_only=True, status_codes=["201", "200"]),
        ],
        tags=["members"],
    )
    def post(self, request, customer_id: str):
        customer_id = _path_id(customer_id, code="member_not_found", what="member")
        idempotency_key = idempotency_key_header(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = member_get(program=request.program, customer_id=customer_id)
        row, created = points_adjust(member=member, idempotency_key=idempotency_key, **serializer.validated_data)
        return Response(TransactionOutputSerializer(row).data, status=_created_or_replayed(created))


class OrderRecordApi(APIView):
    content_negotiation_class = JsonFirstNegotiation  # DRF's choice, without parsing the headers of a JSON call

    class InputSerializer(StorefrontSignalsInput):
        order_id = IdField()
        customer_id = IdField()
        email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
        subtotal = MoneyField(help_text="What earns points: a decimal string with at most 2 places.")
        currency = serializers.RegexField(r"^[A-Za-z]{3}$", help_text="ISO 4217; must be the program's.")
        placed_at = PastDateTimeField(required=False, help_text="Bonus windows are judged at this moment.")
        referral_code = StrictCharField(max_length=32, required=False, allow_blank=True)
        items = JSONArrayField(required=False, max_bytes=65_536, help_text="Line items, kept as sent.")

    class OutputSerializer(serializers.Serializer):
        order_id = serializers.CharField()
        points_awarded = serializers.IntegerField()
        points_status = serializers.ChoiceField(choices=["active", "pending"])
        member = MemberOutputSerializer()

    @extend_schema(
        operation_id="order_record",
        summary="Record a paid order",
        description="Awards the order's points once per `order_id`: the same `order_id` again answers `200` with "
        "the first answer and writes nothing. An unknown `customer_id` with an `email` creates the member; "
        "without one it is `404 member_not_found`.",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            404: error_response(404, "member_not_found"),
            **write_errors("currency_mismatch", "points_limit_exceeded"),
        },
        examples=[
            OpenApiExample(
                "Order",
                value={
                    "order_id": "1001",
                    "customer_id": "c-42",
                    "email": "layla@example.com",
                    "subtotal": "49.99",
                    "currency": "USD",
                    "placed_at": "2026-03-01T09:30:00Z",
                    "items": [{"sku": "TEA-01", "quantity": 2, "price": "24.99"}],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Points awarded",
                value={"order_id": "1001", "points_awarded": 49, "points_status": "active", "member": MEMBER_EXAMPLE},
                response_only=True,
                status_codes=["201", "200"],
            ),
        ],
        tags=["orders"],
    )
    def post(self, request):
        answer, http_status = order_recorded(request.program, order_input(request.data))
        return json_answer(request, answer, status=http_status)  # a Response's bytes


def order_recorded(program, data: dict) -> tuple[dict, int]:
    """The answer and status of an order body validated by `order_input`: `OrderRecordApi.post`'s work, shared
    with the view in front of it (`members.api.order_front`)."""
    signals = signals_pop(data)
    result = order_paid(program=program, signals=signals, **data)
    return order_answer(result, program), _created_or_replayed(result.created)


class OrderRefundCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        refund_id = IdField()
        amount = MoneyField(
            min_value=Decimal("0.01"), help_text="Money returned, > 0; refunds never pass the order total."
        )

    class OutputSerializer(serializers.Serializer):
        refund_id = serializers.CharField()
        order_id = serializers.CharField(source="order.order_id")
        amount = serializers.DecimalField(max_digits=14, decimal_places=2)
        points_reversed = serializers.IntegerField(help_text="Points this refund took back.")
        member = MemberOutputSerializer()

    @extend_schema(
        operation_id="order_refund_create",
        summary="Refund (part of) an order",
        description="Takes back the order's points in proportion to the money returned (a full refund reverses "
        "all of them, never more; points already spent are not clawed below zero). The same `refund_id` again "
        "answers `200` and changes nothing. Refunds past the order total are `400 refund_exceeds_order`.",
        parameters=[ORDER_ID],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            404: error_response(404, "order_not_found"),
            409: error_response(
                409, "idempotency_conflict", description="The `refund_id` was used for another order or amount."
            ),
            **write_errors("refund_exceeds_order"),
        },
        examples=[
            OpenApiExample("Partial refund", value={"refund_id": "r-1", "amount": "10.00"}, request_only=True),
            OpenApiExample(
                "Refund",
                value={
                    "refund_id": "r-1",
                    "order_id": "1001",
                    "amount": "10.00",
                    "points_reversed": 10,
                    "member": MEMBER_EXAMPLE,
                },
                response_only=True,
                status_codes=["201", "200"],
            ),
        ],
        tags=["orders"],
    )
    def post(self, request, order_id: str):
        order_id = _path_id(order_id, code="order_not_found", what="order")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = order_refunded(program=request.program, order_id=order_id, **serializer.validated_data)
        answer = {
            "refund_id": result.refund.refund_id,
            "order": result.order,
            "amount": result.refund.amount,
            "points_reversed": result.refund.points_reversed,
            "member": member_with_program(result.member, request.program),
        }
        return Response(self.OutputSerializer(answer).data, status=_created_or_replayed(result.created))


class EventRecordApi(APIView):
    class InputSerializer(serializers.Serializer):
        event_id = IdField()
        customer_id = IdField()
        type = StrictCharField(max_length=100, help_text="Matched against the program's `custom_event` rules.")
        properties = JSONObjectField(required=False, help_text="Any JSON object up to 16 KB, kept as sent.")
        occurred_at = PastDateTimeField(required=False, help_text="Rule windows and limits are judged here.")

    class OutputSerializer(serializers.Serializer):
        event_id = serializers.CharField()
        points_awarded = serializers.IntegerField()
        member = MemberOutputSerializer()

    @extend_schema(
        operation_id="event_record",
        summary="Record a custom event",
        description="Awards the first live `custom_event` rule for `type`, within its limit, once per `event_id`: "
        "the same `event_id` again answers `200` and writes nothing. The member must exist.",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            404: error_response(404, "member_not_found"),
            **write_errors(),
        },
        examples=[
            OpenApiExample(
                "Review posted",
                value={
                    "event_id": "rev-77",
                    "customer_id": "c-42",
                    "type": "review_posted",
                    "properties": {"product_id": "TEA-01", "stars": 5},
                },
                request_only=True,
            ),
            OpenApiExample(
                "Points awarded",
                value={"event_id": "rev-77", "points_awarded": 50, "member": MEMBER_EXAMPLE},
                response_only=True,
                status_codes=["201", "200"],
            ),
        ],
        tags=["events"],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = event_record(program=request.program, **serializer.validated_data)
        answer = {
            "event_id": result.event.event_id,
            "points_awarded": result.event.points_awarded,
            "member": member_with_program(result.member, request.program),
        }
        return Response(self.OutputSerializer(answer).data, status=_created_or_replayed(result.created))
