"""`POST /api/v1/members/{customer_id}/tier`: put a member in a tier by hand (invite-only tiers), or with
`{"tier": null}` remove the manual tier. A manual tier is kept until removed by hand."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.fields import StrictCharField, storable_text
from loyalty.api.schema import error_response, write_errors
from loyalty.errors import NotFound
from members.api.serializers import MemberOutputSerializer, member_data
from members.selectors import member_get
from members.services.tiers import member_tier_assign


class MemberTierAssignApi(APIView):
    class InputSerializer(serializers.Serializer):
        tier = StrictCharField(
            max_length=60,
            allow_null=True,
            help_text="The tier's key, or null to remove the manual tier (the member goes back to the tier "
            "their activity earns).",
        )

    @extend_schema(
        operation_id="member_tier_assign",
        summary="Set or remove a member's tier by hand",
        description="Puts the member in any tier of the program, invite-only ones included, and keeps them "
        'there: thresholds and the nightly recalculation no longer move them. `{"tier": null}` removes the '
        "manual tier. Repeating a call changes nothing. An unknown key is `400 unknown_tier`.",
        parameters=[OpenApiParameter("customer_id", str, OpenApiParameter.PATH, description="The shop's customer id.")],
        request=InputSerializer,
        responses={
            200: MemberOutputSerializer,
            404: error_response(404, "member_not_found"),
            **write_errors("unknown_tier"),
        },
        examples=[
            OpenApiExample("Invite to Reserve", value={"tier": "reserve"}, request_only=True),
            OpenApiExample("Remove the manual tier", value={"tier": None}, request_only=True),
        ],
        tags=["members"],
    )
    def post(self, request, customer_id: str):
        if not storable_text(customer_id):
            raise NotFound(f"No member {customer_id!r}.", code="member_not_found")
        member = member_get(program=request.program, customer_id=customer_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = member_tier_assign(member=member, tier_key=serializer.validated_data["tier"], acting_user=None)
        return Response(member_data(member, request.program))
