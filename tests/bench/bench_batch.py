"""Batch ingestion bench: orders a second through `POST /api/v1/orders/batch` against `POST /api/v1/orders`,
on the same running server, the same program and the same kind of orders (a fresh order id each, customers
drawn from one pool so most are existing members and the first order of each creates one).

`bench(base_url=..., api_key=..., run_id=...)` is what the harness calls once gunicorn serves the app; it
returns the numbers as a dict (the ratio is batch orders/s over single orders/s). Standalone:
`python -m tests.bench.bench_batch --url http://127.0.0.1:8000 --api-key KEY [--orders 4000]`."""

import argparse
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

TARGET_RATIO = 5.0


def _post(url: str, api_key: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        if response.status not in (200, 201):
            raise RuntimeError(f"{url} answered {response.status}")
        return json.loads(response.read())


def _order(run_id: str, kind: str, n: int, customers: int) -> dict:
    customer = n % customers
    return {
        "order_id": f"{run_id}-{kind}-{n}",
        "customer_id": f"{run_id}-c-{customer}",
        "email": f"{run_id}-c-{customer}@bench.example.com",
        "subtotal": f"{20 + n % 180}.{n % 100:02d}",
        "currency": "USD",
    }


def _timed(calls, concurrency: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda call: call(), calls))
    return time.perf_counter() - started


def bench(
    *,
    base_url: str,
    api_key: str,
    run_id: str,
    orders: int = 4000,
    batch_size: int = 1000,
    concurrency: int = 4,
    customers: int = 500,
) -> dict:
    """Send `orders` single orders, then `orders` orders in batches of `batch_size`, each with `concurrency`
    clients in parallel; every answer must be a creation (no replays, no errors), else the run is void."""
    single_url, batch_url = f"{base_url}/api/v1/orders", f"{base_url}/api/v1/orders/batch"
    singles = [_order(run_id, "s", n, customers) for n in range(orders)]
    batched = [_order(run_id, "b", n, customers) for n in range(orders)]
    batches = [batched[i : i + batch_size] for i in range(0, orders, batch_size)]

    single_seconds = _timed([lambda o=o: _post(single_url, api_key, o) for o in singles], concurrency)
    answers = []
    batch_seconds = _timed(
        [lambda b=b: answers.append(_post(batch_url, api_key, {"orders": b})) for b in batches], concurrency
    )
    created = sum(answer["created"] for answer in answers)
    if created != orders:
        raise RuntimeError(f"batch bench void: {created} of {orders} orders created")
    single_rate, batch_rate = orders / single_seconds, orders / batch_seconds
    return {
        "orders": orders,
        "batch_size": batch_size,
        "concurrency": concurrency,
        "single_orders_per_s": round(single_rate, 1),
        "batch_orders_per_s": round(batch_rate, 1),
        "ratio": round(batch_rate / single_rate, 2),
        "target_ratio": TARGET_RATIO,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    result = bench(
        base_url=args.url.rstrip("/"),
        api_key=args.api_key,
        run_id=f"bb{int(time.time())}",
        orders=args.orders,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
