"""Cursor pagination for append-only lists (the ledger): stable under inserts, one indexed query per page,
and the same cost on page 1 and page 1,000. Answer: `{"results": [...], "next": "<full URL>" | null}`."""

import re

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from loyalty.errors import ValidationFailed

_POSITION = re.compile(r"^[0-9]{1,18}$")


class NewestFirstCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise _invalid_cursor() from None
        # DRF hands the position to the queryset unchecked: a non-numeric one would be a 500.
        if cursor is not None and cursor.position is not None and not _POSITION.match(str(cursor.position)):
            raise _invalid_cursor()
        return cursor

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next (older) page, or null on the last page.",
                    "example": "https://rewards.example.com/api/v1/members/c-42/transactions?cursor=cD05ODE%3D",
                },
            },
        }


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed("The `cursor` is not one this API gave out.", code="invalid_cursor")
