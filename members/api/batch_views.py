"""`POST /api/v1/orders/batch`: up to 1,000 paid orders in one call, for imports and high-volume shops.

Every item goes through the same orchestrator as `POST /api/v1/orders` (`order_paid`), in its own
transaction, so each is idempotent by `order_id` exactly like a single call and one bad item never sinks the
others. What a batch saves is the per-call overhead: one authentication, one envelope, the program's earning
rules read once, and a small per-item result instead of the member's full profile."""

import logging

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.errors import _first_message as first_message
from loyalty.api.errors import error_body
from loyalty.api.schema import write_errors
from loyalty.errors import ApplicationError
from members.api.views import OrderRecordApi
from referrals.services.flows import order_paid
from referrals.services.signals import signals_pop

logger = logging.getLogger(__name__)

BATCH_MAX = 1000
ItemInput = OrderRecordApi.InputSerializer


class ItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False)


class ItemResultSerializer(serializers.Serializer):
    order_id = serializers.CharField(allow_null=True, help_text="Null when the item had no usable order_id.")
    status = serializers.ChoiceField(choices=["created", "replayed", "error"])
    points_awarded = serializers.IntegerField(required=False)
    points_status = serializers.ChoiceField(choices=["active", "pending"], required=False)
    error = ItemErrorSerializer(required=False)


class OrderBatchRecordApi(APIView):
    class InputSerializer(serializers.Serializer):
        # Items are validated one by one (below), so a bad item is reported in its result, not as a 400.
        orders = serializers.ListField(
            child=serializers.JSONField(allow_null=True),
            min_length=1,
            max_length=BATCH_MAX,
            help_text="1 to 1,000 orders.",
        )

    class OutputSerializer(serializers.Serializer):
        results = ItemResultSerializer(many=True, help_text="One per order, in the order sent.")
        created = serializers.IntegerField()
        replayed = serializers.IntegerField()
        errors = serializers.IntegerField()

    @extend_schema(
        operation_id="order_batch_record",
        summary="Record up to 1,000 paid orders",
        description="Each item is exactly what `POST /orders` takes and is recorded as that call would record it "
        "(once per `order_id`), in its own transaction. The answer is `200` with one result per item: `created`, "
        "`replayed` (the order was already recorded: nothing written) or `error` with the code a single call "
        "would have answered. More than 1,000 items, or no list, is `400 invalid_input` and writes nothing. "
        "A retried batch repeats nothing.",
        request=InputSerializer,
        responses={200: OutputSerializer, **write_errors()},
        examples=[
            OpenApiExample(
                "Two orders",
                value={
                    "orders": [
                        {"order_id": "1001", "customer_id": "c-42", "subtotal": "49.99", "currency": "USD"},
                        {
                            "order_id": "1002",
                            "customer_id": "c-7",
                            "email": "sam@example.com",
                            "subtotal": "12.00",
                            "currency": "USD",
                        },
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Results",
                value={
                    "results": [
                        {"order_id": "1001", "status": "created", "points_awarded": 49, "points_status": "active"},
                        {
                            "order_id": "1002",
                            "status": "error",
                            "error": {"code": "currency_mismatch", "message": "This program counts in EUR, not USD."},
                        },
                    ],
                    "created": 1,
                    "replayed": 0,
                    "errors": 1,
                },
                response_only=True,
            ),
        ],
        tags=["orders"],
    )
    def post(self, request):
        envelope = self.InputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        program = request.program
        rules = list(program.earning_rules.all())
        results = [_item_record(program=program, rules=rules, item=item) for item in envelope.validated_data["orders"]]
        counts = {
            outcome: sum(1 for r in results if r["status"] == outcome) for outcome in ("created", "replayed", "error")
        }
        logger.info(
            "order batch recorded program=%s items=%s created=%s replayed=%s errors=%s",
            program.slug,
            len(results),
            counts["created"],
            counts["replayed"],
            counts["error"],
        )
        answer = {
            "results": results,
            "created": counts["created"],
            "replayed": counts["replayed"],
            "errors": counts["error"],
        }
        return Response(self.OutputSerializer(answer).data)


def _item_record(*, program, rules, item) -> dict:
    """One order, as `POST /orders` would record it: validated by the same serializer, recorded by the same
    orchestrator, in its own transaction (the order, its points and its referral steps commit together)."""
    order_id = item.get("order_id") if isinstance(item, dict) and isinstance(item.get("order_id"), str) else None
    serializer = ItemInput(data=item)
    if not serializer.is_valid():
        fields = serializer.errors
        return _item_error(order_id, error_body("invalid_input", first_message(fields), fields)["error"])
    data = dict(serializer.validated_data)
    signals = signals_pop(data)
    try:
        with transaction.atomic():
            result = order_paid(program=program, signals=signals, rules=rules, **data)
    except ApplicationError as exc:
        return _item_error(data["order_id"], error_body(exc.code, exc.message, exc.fields)["error"])
    order = result.order
    return {
        "order_id": order.order_id,
        "status": "created" if result.created else "replayed",
        "points_awarded": order.points_awarded,
        "points_status": order.points_status,
    }


def _item_error(order_id, error: dict) -> dict:
    return {"order_id": order_id, "status": "error", "error": error}
