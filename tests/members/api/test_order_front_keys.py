"""The order call's front view (members/api/order_front.py) reads the same key cache as the API view: a key revoked,
or a program saved, in this process takes effect on the very next order, and a key never reaches another program."""

import json

from django.utils import timezone
from rest_framework.test import APIClient

from loyalty.models import ApiKey
from loyalty.program_config import api_key_program_cached
from loyalty.services.api_keys import api_key_issue, api_key_revoke
from members.models import Order
from members.services.members import member_upsert
from tests.factories import ProgramFactory

ORDER = {"customer_id": "c-1", "subtotal": "10.00", "currency": "USD"}


def _client(program) -> tuple[ApiKey, APIClient]:
    key, raw = api_key_issue(program=program)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return key, client


def _order(client, order_id: str):
    return client.post("/api/v1/orders", json.dumps({**ORDER, "order_id": order_id}), content_type="application/json")


def _warm(program):
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    key, client = _client(program)
    assert _order(client, "1").status_code == 201  # the key's program is cached now: the front view answers
    assert api_key_program_cached(key.key_hash) is not None
    assert _order(client, "2").status_code == 201
    return key, client


def test_a_revoked_key_is_refused_on_the_next_order(program):
    # given a warm key
    key, client = _warm(program)

    # when it is revoked, by the service or by saving its row
    api_key_revoke(key=ApiKey.objects.get(pk=key.pk))

    # then the next order is refused and writes nothing
    response = _order(client, "3")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    assert not Order.objects.filter(order_id="3").exists()


def test_a_key_saved_revoked_is_refused_on_the_next_order(program):
    key, client = _warm(program)
    key.revoked_at = timezone.now()
    key.save()
    assert _order(client, "3").status_code == 401


def test_a_program_saved_applies_to_the_next_order(program):
    # given a warm key, when the program's currency is changed
    _key, client = _warm(program)
    program.currency = "EUR"
    program.save()

    # then the next order in the old currency is refused
    response = _order(client, "3")
    assert response.status_code == 400 and response.json()["error"]["code"] == "currency_mismatch"


def test_a_key_only_reaches_its_own_program(program):
    # given two programs with the same customer id, each with a warm key
    _warm(program)
    other = ProgramFactory()
    _other_key, other_client = _warm(other)

    # when the other program's key records an order
    assert _order(other_client, "x").status_code == 201

    # then it is the other program's member and order
    order = Order.objects.get(order_id="x")
    assert order.program_id == other.pk and order.member.program_id == other.pk
