"""`POST /api/v1/orders` answers the plain call in a view in front of `OrderRecordApi` (members/api/order_front.py)
and hands every other request to it: each request below gets the same status, headers and body bytes through the
project's URLs as from `OrderRecordApi` alone (tests/members/api/drf_order_urls.py), in the same state (a rolled
back savepoint, an empty cache, the same warm key and the same clock), and takes the path it should."""

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from loyalty.api import fixed_window
from loyalty.api.throttling import ProgramRateThrottle
from loyalty.choices import RuleType
from loyalty.models import Program, hash_api_key
from loyalty.program_config import api_key_program_remember
from loyalty.services.api_keys import api_key_issue
from members.api import order_front
from members.services.members import member_upsert
from members.services.orders import order_record
from tests.factories import EarningRuleFactory, TierFactory

ORDER = {"order_id": "o-1", "customer_id": "c-1", "subtotal": "25.50", "currency": "USD"}
DRF_ONLY = "tests.members.api.drf_order_urls"
NOW = 1_900_000_000.25  # the throttle's clock: the same Retry-After on both paths


def _post(body=ORDER, **extra):
    return {"method": "post", "data": json.dumps(body), "content_type": "application/json", **extra}


# name: (request, the path it takes: True through the front view, False handed to OrderRecordApi)
CALLS = {
    "order": (_post(), True),
    "replayed order": (_post({**ORDER, "order_id": "done"}), True),
    "replay with another currency": (_post({**ORDER, "order_id": "done", "currency": "EUR"}), True),
    "new customer": (_post({**ORDER, "customer_id": "new", "email": "new@example.com"}), True),
    "new customer, no email": (_post({**ORDER, "customer_id": "new"}), True),
    "wrong currency": (_post({**ORDER, "currency": "EUR"}), True),
    "referral signals": (_post({**ORDER, "ip_address": "203.0.113.9", "shipping_address": "1 Main St"}), True),
    "placed at, items": (_post({**ORDER, "placed_at": "2026-01-02T03:04:05Z", "items": [{"sku": "A"}]}), True),
    "accept json": (_post(HTTP_ACCEPT="application/json"), True),
    "service fails": (_post(), True),
    "cold key": (_post(), False),
    "throttled": (_post(), False),
    "bad key": (_post(HTTP_AUTHORIZATION="Bearer nope"), False),
    "malformed authorization": (_post(HTTP_AUTHORIZATION="Token a b"), False),
    "no authorization": (_post(HTTP_AUTHORIZATION=""), False),
    "bad json": ({**_post(), "data": '{"order_id": '}, False),
    "NaN in json": ({**_post(), "data": '{"subtotal": NaN}'}, False),
    "not utf-8": ({**_post(), "data": b'{"order_id": "\xff"}'}, False),
    "empty body": ({**_post(), "data": ""}, False),
    "json array": (_post([ORDER]), False),
    "missing subtotal": (_post({k: v for k, v in ORDER.items() if k != "subtotal"}), False),
    "bad subtotal": (_post({**ORDER, "subtotal": "1.234"}), False),
    "bad referral ip": (_post({**ORDER, "ip_address": "nope"}), False),
    "indented json": (_post(HTTP_ACCEPT="application/json; indent=4"), False),
    "html accepted": (_post(HTTP_ACCEPT="text/html"), False),
    "format query": (_post(QUERY_STRING="format=json"), False),
    "form body": ({"method": "post", "data": {"order_id": "o-1"}}, False),
    "json with charset": (_post(content_type="application/json; charset=utf-8"), False),
    "options": ({"method": "options"}, False),
    "get": ({"method": "get"}, False),
}


@pytest.fixture
def shop(program):
    """A program with a rule and tiers, a member with an order already recorded, and a key."""
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=10)
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", threshold=Decimal("30"), position=2)
    member_upsert(program=program, customer_id="c-1", email="c1@example.com", first_name="Layla")
    order_record(program=program, order_id="done", customer_id="c-1", subtotal=Decimal("5"), currency="USD")
    _key, raw = api_key_issue(program=program)
    return program, raw


def _answer(name: str, shop, monkeypatch, *, urlconf: str | None):
    """The answer to call `name` in the state of `shop`, and whether `OrderRecordApi` was called for it; nothing it
    writes is kept."""
    program, raw = shop
    request, _path = CALLS[name]
    request = dict(request)
    method, headers = request.pop("method"), {"HTTP_X_REQUEST_ID": "same-id"}
    if "HTTP_AUTHORIZATION" not in request:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    handed = []
    api = order_front._api
    monkeypatch.setattr(order_front, "_api", lambda *args, **kwargs: handed.append(1) or api(*args, **kwargs))
    monkeypatch.setattr(fixed_window, "clock", lambda: NOW)
    if name == "service fails":
        monkeypatch.setattr("members.api.views.order_paid", _fails)
    rates = {"program": "1/min"} if name == "throttled" else api_settings.DEFAULT_THROTTLE_RATES
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    query = request.pop("QUERY_STRING", "")
    overrides = {"REST_FRAMEWORK": rest_framework, **({"ROOT_URLCONF": urlconf} if urlconf else {})}
    with override_settings(**overrides), transaction.atomic():
        cache.clear()
        if name != "cold key":
            api_key_program_remember(hash_api_key(raw), Program.objects.select_related("merchant").get(pk=program.pk))
        if name == "throttled":
            throttle = ProgramRateThrottle()
            assert throttle.allow_ident(throttle.program_ident(program))  # the bucket's one call
        url = "/api/v1/orders" + (f"?{query}" if query else "")
        response = getattr(APIClient(), method)(url, **request, **headers)
        transaction.set_rollback(True)
    monkeypatch.undo()
    return response, bool(handed)


def _fails(**kwargs):
    raise RuntimeError("a bug")


def _comparable(response) -> tuple:
    """Status, headers and body; a new member's creation time and referral code (new on every run) masked."""
    body = response.content
    if response.status_code == 201 and b'"customer_id":"new"' in body:
        member = json.loads(body)["member"]
        for volatile in (member["created_at"], member["referral_code"]):
            body = body.replace(volatile.encode(), b"<volatile>")
    return response.status_code, dict(response.headers), body


@pytest.mark.parametrize("name", CALLS)
def test_the_front_view_answers_as_the_api_view(name, shop, monkeypatch):
    # given the same state for both
    # when the call goes through the project's URLs and to OrderRecordApi alone
    fronted, handed = _answer(name, shop, monkeypatch, urlconf=None)
    reference, _handed = _answer(name, shop, monkeypatch, urlconf=DRF_ONLY)

    # then the answers are the same, and the front view answered what it should (and only that)
    assert _comparable(fronted) == _comparable(reference)
    assert handed is not CALLS[name][1]
    assert fronted.status_code == reference.status_code != 500 or name == "service fails"


def test_the_calls_cover_the_answers_that_matter(shop, monkeypatch):
    # given the calls above, when each is made through the front view
    statuses = {name: _answer(name, shop, monkeypatch, urlconf=None)[0].status_code for name in CALLS}

    # then they cover every status the contract gives this endpoint and a few of DRF's own
    assert statuses["order"] == statuses["new customer"] == 201 and statuses["replayed order"] == 200
    assert statuses["new customer, no email"] == 404 and statuses["wrong currency"] == 400
    assert statuses["bad key"] == statuses["no authorization"] == 401 and statuses["throttled"] == 429
    assert statuses["bad json"] == 400 and statuses["html accepted"] == 406 and statuses["form body"] == 415
    assert statuses["get"] == 405 and statuses["options"] == 200 and statuses["service fails"] == 500
