"""`POST /api/v1/orders/batch`: up to 1,000 paid orders in one call, for imports and high-volume shops.

Every item answers what `POST /api/v1/orders` would have answered for it, idempotent by `order_id`, and one bad
item never sinks the others. The orders are recorded set-based (`members.services.order_batch`: a fixed number of
statements for the whole batch, new customers' members created together, members locked in primary-key order),
then each item's follow-ups run as after a single call (`order_paid_followups`: storefront signals, referrals,
challenges). Items that must go one by one — repeats of an order id within the batch, the orders of a new customer
another call created meanwhile — go through the single-order orchestrator (`order_paid`), each in its own
transaction, in the order sent."""

import logging
from collections import Counter

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.errors import _first_message as first_message
from loyalty.api.errors import error_body
from loyalty.api.schema import write_errors
from loyalty.errors import ApplicationError
from members.api.views import order_input
from members.services.order_batch import OrderInput, orders_record_many
from members.services.orders import OrderResult
from referrals.services.flows import order_paid, order_paid_followups
from referrals.services.signals import Signals, signals_pop

logger = logging.getLogger(__name__)

BATCH_MAX = 1000


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
        results = _items_record(program=program, items=envelope.validated_data["orders"])
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
        # The answer is built in OutputSerializer's shape already (one dict per item): serializing a thousand items
        # field by field again would cost more than recording some of them.
        return Response(answer)


def _items_record(*, program, items: list) -> list[dict]:
    """One result per item, in order (see the module)."""
    results: list[dict | None] = [None] * len(items)
    parsed: dict[int, tuple[dict, Signals]] = {}
    for index, item in enumerate(items):
        try:
            data = order_input(item)  # validated exactly as POST /orders validates its body
        except serializers.ValidationError as exc:
            fields = exc.detail  # the errors a single call reports
            results[index] = _item_error(
                _order_id_of(item), error_body("invalid_input", first_message(fields), fields)["error"]
            )
            continue
        parsed[index] = (data, signals_pop(data))
    seen = Counter(data["order_id"] for data, _signals in parsed.values())
    together = [index for index, (data, _signals) in parsed.items() if seen[data["order_id"]] == 1]
    outcomes = orders_record_many(program=program, orders=[OrderInput(**parsed[index][0]) for index in together])
    one_by_one = sorted(set(parsed) - set(together))
    for index, outcome in zip(together, outcomes, strict=True):
        data, signals = parsed[index]
        if outcome is None:
            one_by_one.append(index)
        elif isinstance(outcome, ApplicationError):
            results[index] = _item_error(
                data["order_id"], error_body(outcome.code, outcome.message, outcome.fields)["error"]
            )
        else:
            order_paid_followups(
                program=program, result=outcome, signals=signals, referral_code=data.get("referral_code", "")
            )
            results[index] = _item_result(outcome)
    for index in sorted(one_by_one):
        data, signals = parsed[index]
        results[index] = _item_record(program=program, data=data, signals=signals)
    return results


def _order_id_of(item) -> str | None:
    return item.get("order_id") if isinstance(item, dict) and isinstance(item.get("order_id"), str) else None


def _item_record(*, program, data: dict, signals: Signals) -> dict:
    """One order, as `POST /orders` would record it, in its own transaction (the order, its points and its
    referral steps commit together)."""
    try:
        with transaction.atomic():
            result = order_paid(program=program, signals=signals, **data)
    except ApplicationError as exc:
        return _item_error(data["order_id"], error_body(exc.code, exc.message, exc.fields)["error"])
    return _item_result(result)


def _item_result(result: OrderResult) -> dict:
    order = result.order
    return {
        "order_id": order.order_id,
        "status": "created" if result.created else "replayed",
        "points_awarded": order.points_awarded,
        "points_status": str(order.points_status),
    }


def _item_error(order_id, error: dict) -> dict:
    return {"order_id": order_id, "status": "error", "error": error}
