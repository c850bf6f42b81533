"""Server API of paid membership: the shop's back end records its billing events here."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.fields import FutureDateTimeField, IdField, MoneyField, PastDateTimeField, StrictCharField
from loyalty.api.schema import error_response, write_errors
from members.api.serializers import MemberOutputSerializer, member_with_program
from memberships.choices import MembershipEventType, PlanInterval
from memberships.services.billing import membership_event_record


class MembershipOutputSerializer(serializers.Serializer):
    plan = serializers.SerializerMethodField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    paid_until = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    external_id = serializers.CharField()

    def get_plan(self, membership) -> dict:
        return {"key": membership.plan.key, "name": membership.plan.name}


class MembershipEventRecordApi(APIView):
    class InputSerializer(serializers.Serializer):
        type = serializers.ChoiceField(choices=MembershipEventType.choices)
        event_id = IdField(help_text="The shop's id of this billing event: the same id again changes nothing.")
        customer_id = IdField()
        plan = IdField(max_length=60, help_text="The `key` of one of the program's membership plans.")
        paid_until = FutureDateTimeField(
            required=False,
            help_text="End of the paid period. Without it, started/renewed add one `period` to the later of now "
            "and the current end; cancelled keeps the current end.",
        )
        period = serializers.ChoiceField(
            choices=PlanInterval.choices, required=False, help_text="Length of the period paid; the plan's by default."
        )
        amount = MoneyField(required=False, help_text="What the shopper paid, kept on the event.")
        currency = StrictCharField(max_length=3, required=False, help_text="Must be the program's currency.")
        external_id = StrictCharField(max_length=255, required=False, help_text="The shop's subscription id.")
        occurred_at = PastDateTimeField(required=False, help_text="When the shop billed it; default now.")

    class OutputSerializer(serializers.Serializer):
        event_id = serializers.CharField()
        type = serializers.CharField()
        membership = MembershipOutputSerializer()
        member = MemberOutputSerializer()

    @extend_schema(
        operation_id="membership_event_record",
        summary="Record a paid-membership billing event",
        description="`membership.started` gives the member the plan's tier (its multiplier and perks) while "
        "paid; `membership.renewed` extends `paid_until`; `membership.cancelled` keeps the membership until "
        "`paid_until`, after which the `memberships_lapse` job puts the member back in the tier they earn. "
        "Once per `event_id`: the same id again answers `200` with the first answer and writes nothing; the same "
        "id with another body is `409 idempotency_conflict`. The member must exist.",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            404: error_response(404, "member_not_found"),
            409: error_response(409, "membership_not_found", "idempotency_conflict"),
            **write_errors("unknown_plan", "currency_mismatch", "paid_until_past"),
        },
        examples=[
            OpenApiExample(
                "Started",
                value={
                    "type": "membership.started",
                    "event_id": "sub-981-1",
                    "customer_id": "c-42",
                    "plan": "plus-monthly",
                    "amount": "9.99",
                    "currency": "USD",
                    "external_id": "sub-981",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Renewed until a date",
                value={
                    "type": "membership.renewed",
                    "event_id": "sub-981-2",
                    "customer_id": "c-42",
                    "plan": "plus-monthly",
                    "paid_until": "2026-03-05T00:00:00Z",
                    "amount": "9.99",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Cancelled",
                value={
                    "type": "membership.cancelled",
                    "event_id": "sub-981-3",
                    "customer_id": "c-42",
                    "plan": "plus-monthly",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Membership",
                value={
                    "event_id": "sub-981-1",
                    "type": "membership.started",
                    "membership": {
                        "plan": {"key": "plus-monthly", "name": "Plus"},
                        "status": "active",
                        "started_at": "2026-01-05T10:12:00Z",
                        "paid_until": "2026-02-05T10:12:00Z",
                        "cancelled_at": None,
                        "external_id": "sub-981",
                    },
                    "member": {"customer_id": "c-42", "tier": {"key": "plus", "name": "Plus"}, "...": "..."},
                },
                response_only=True,
                status_codes=["201", "200"],
            ),
        ],
        tags=["memberships"],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = membership_event_record(program=request.program, **serializer.validated_data)
        answer = {
            "event_id": result.event.event_id,
            "type": result.event.type,
            "membership": result.membership,
            "member": member_with_program(result.membership.member, request.program),
        }
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(self.OutputSerializer(answer).data, status=code)
