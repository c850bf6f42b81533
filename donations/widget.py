"""Storefront widget: the signed-in shopper's causes and donations (`GET /api/widget/v1/me/donations`) and giving
points from the widget (`POST`, an `Idempotency-Key` header makes a double click one donation)."""

import uuid

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from donations.models import Donation
from donations.selectors import cause_list
from donations.services.donate import cause_get, points_donate
from loyalty.api.fields import PointsField, idempotency_key_header
from loyalty.api.schema import error_response, write_errors
from storefront.widget.views import SHOPPER_HEADERS, UNAUTHORIZED, WidgetApi

RECENT_DONATIONS = 20


class CauseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    image_url = serializers.CharField()
    goal_points = serializers.IntegerField(allow_null=True)
    raised_points = serializers.IntegerField()
    min_points = serializers.IntegerField()
    max_points = serializers.IntegerField(allow_null=True)


class DonationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cause = serializers.SerializerMethodField()
    points = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    created_at = serializers.DateTimeField()

    def get_cause(self, donation) -> dict:
        return {"id": donation.cause_id, "name": donation.cause.name}


class DonationsOutputSerializer(serializers.Serializer):
    causes = CauseOutputSerializer(many=True)
    donations = DonationOutputSerializer(many=True)


class WidgetDonationsApi(WidgetApi):
    customer_required = True

    class InputSerializer(serializers.Serializer):
        cause_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        points = PointsField(min_value=1)

    @extend_schema(
        operation_id="widget_donations_list",
        summary="Causes to give to and the shopper's donations",
        description=f"The program's active causes with what they raised, and the shopper's last {RECENT_DONATIONS} "
        "donations, newest first.",
        parameters=SHOPPER_HEADERS,
        responses={200: DonationsOutputSerializer, 404: error_response(404, "member_not_found"), **UNAUTHORIZED},
        tags=["widget"],
    )
    def get(self, request):
        member = self.shopper_member(request)
        donations = Donation.objects.filter(member=member).select_related("cause").order_by("-id")
        answer = {"causes": cause_list(program=request.program), "donations": donations[:RECENT_DONATIONS]}
        return Response(DonationsOutputSerializer(answer).data)

    @extend_schema(
        operation_id="widget_donation_create",
        summary="Give points to a cause",
        description="A ledger debit of kind `donate`. An `Idempotency-Key` header makes a retry the same donation "
        "(`200`); the same key for another cause or amount is `409 idempotency_conflict`.",
        parameters=SHOPPER_HEADERS,
        request=InputSerializer,
        responses={
            201: DonationOutputSerializer,
            200: DonationOutputSerializer,
            404: error_response(404, "member_not_found", "cause_not_found"),
            409: error_response(409, "insufficient_points", "idempotency_conflict"),
            **write_errors("invalid_points", "invalid_idempotency_key"),
            **UNAUTHORIZED,
        },
        examples=[OpenApiExample("Give 250", value={"cause_id": 3, "points": 250}, request_only=True)],
        tags=["widget"],
    )
    def post(self, request):
        idempotency_key = idempotency_key_header(request) or ""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = self.shopper_member(request)
        cause = cause_get(program=request.program, cause_id=serializer.validated_data["cause_id"])
        result = points_donate(
            member=member,
            cause=cause,
            points=serializer.validated_data["points"],
            idempotency_key=f"widget:{member.pk}:{idempotency_key or uuid.uuid4().hex}",
        )
        return Response(
            DonationOutputSerializer(result.donation).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
