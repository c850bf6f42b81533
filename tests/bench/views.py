"""The baselines: the least a Django JSON endpoint can do, with and without writing one row.

Both parse the same order body as `POST /api/v1/orders` and pass through the same middleware, so the ratios
measure what the order pipeline (auth, validation, member, rules, ledger) adds on top."""

import json

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

BENCH_TABLE = "bench_row"
BENCH_TABLE_DDL = f"""
CREATE TABLE IF NOT EXISTS {BENCH_TABLE} (
    id bigserial PRIMARY KEY,
    order_id varchar(100) NOT NULL UNIQUE,
    customer_id varchar(100) NOT NULL,
    subtotal numeric(12, 2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


@csrf_exempt
@require_POST
def bare_json(request):
    order = json.loads(request.body)
    return JsonResponse({"order_id": order["order_id"]}, status=201)


@csrf_exempt
@require_POST
def bare_insert(request):
    order = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BENCH_TABLE} (order_id, customer_id, subtotal) VALUES (%s, %s, %s)",
            [order["order_id"], order["customer_id"], order["subtotal"]],
        )
    return JsonResponse({"order_id": order["order_id"]}, status=201)
