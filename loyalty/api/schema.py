"""OpenAPI helpers shared by every API module: the error shape and ready-made error responses."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """Names the nested In/Out serializers of each APIView after their view (`OrderRecordApi.InputSerializer`
    → `OrderRecordInput`), so the many `InputSerializer`s of the HackSoft style don't collide."""

    def get_serializer_name(self, serializer, direction):
        outer, _dot, inner = type(serializer).__qualname__.rpartition(".")
        if not outer:
            return super().get_serializer_name(serializer, direction)
        return outer.rpartition(".")[2].removesuffix("Api") + inner


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(help_text="Stable snake_case code, e.g. `insufficient_points`."),
                "message": serializers.CharField(help_text="A human sentence."),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    required=False,
                    help_text="Per-field problems, for invalid input.",
                ),
            },
        )
    },
)

_STANDARD = {
    400: ("invalid_input", "`subtotal`: Ensure that there are no more than 2 decimal places."),
    401: ("unauthorized", "Invalid API key."),
    404: ("not_found", "Not found."),
    409: ("conflict", "The request conflicts with the current state."),
    415: ("unsupported_media_type", 'Unsupported media type "text/plain" in request.'),
    429: ("throttled", "Request was throttled. Expected available in 12 seconds."),
}

_MESSAGES = {
    "malformed_json": "The request body is not valid JSON.",
    "request_too_large": "The request body is larger than this API accepts.",
    "currency_mismatch": "This program counts in USD, not EUR.",
    "refund_exceeds_order": "Refunds would exceed the order total: 10.00 is left to refund.",
    "member_not_found": "No member with customer_id 'c-42'.",
    "order_not_found": "No order '1001' in this program.",
    "insufficient_points": "The member has 120 points; 500 are needed.",
    "idempotency_conflict": "This Idempotency-Key was already used with another request.",
    "points_limit_exceeded": "This would take the member past the largest balance the ledger holds.",
}


def error_response(status: int, *codes: str, description: str = "") -> OpenApiResponse:
    """A documented error answer with one example per stable `code` it may carry."""
    default_code, default_message = _STANDARD[status]
    codes = codes or (default_code,)
    examples = [
        OpenApiExample(
            code,
            value={"error": {"code": code, "message": _MESSAGES.get(code, default_message)}},
            response_only=True,
            status_codes=[str(status)],
        )
        for code in codes
    ]
    return OpenApiResponse(
        ErrorSerializer, description=description or ", ".join(f"`{c}`" for c in codes), examples=examples
    )


def auth_errors() -> dict:
    """Answers every server API call may give."""
    return {401: error_response(401), 429: error_response(429, description="Retry after `Retry-After` seconds.")}


def write_errors(*bad_input_codes: str) -> dict:
    """Answers every JSON write call may give, besides its own 404/409s."""
    return {
        400: error_response(400, "invalid_input", "malformed_json", "request_too_large", *bad_input_codes),
        415: error_response(415),
        **auth_errors(),
    }
