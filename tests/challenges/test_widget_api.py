"""`GET /api/widget/v1/me/challenges`: the shopper's running challenges with progress, in the widget's language."""

from decimal import Decimal

import pytest

from challenges.choices import ChallengeMetric
from members.services.members import member_upsert
from referrals.services.flows import order_paid
from tests.factories import ProgramFactory
from tests.factories.challenges import ChallengeFactory
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db

URL = "/api/widget/v1/me/challenges"


def _pay(program, order_id, subtotal="10"):
    order_paid(
        program=program,
        order_id=order_id,
        customer_id="c-1",
        email="c1@example.com",
        subtotal=Decimal(subtotal),
        currency="USD",
    )


def test_challenges_with_progress(program):
    # given "spend 100" and "3 orders"; the shopper spent 40 in two orders
    ChallengeFactory(program=program, key="spend", name="Spend 100", metric=ChallengeMetric.SPEND, target=100,
                     position=1, reward_points=200)  # fmt: skip
    ChallengeFactory(program=program, key="orders", name="Three orders", target=3, position=0)
    _pay(program, "o1", "15")
    _pay(program, "o2", "25")
    # when
    body = widget_client(program, "c-1").get(URL).json()
    # then
    assert [(c["key"], c["value"], c["target"], c["fraction"], c["completed"]) for c in body["challenges"]] == [
        ("orders", "2", "3", 0.6667, False),
        ("spend", "40.00", "100.00", 0.4, False),
    ]
    assert body["challenges"][0]["progress_text"] == "2 of 3 orders"
    assert body["challenges"][1]["reward_text"] == "200 Points"


def test_texts_in_the_language_asked(program):
    ChallengeFactory(program=program, name="Three orders", target=3, translations={"fa": {"name": "سه سفارش"}})
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    body = widget_client(program, "c-1").get(URL + "?lang=fa").json()
    assert body["challenges"][0]["name"] == "سه سفارش"
    assert body["challenges"][0]["progress_text"] == "۰ از ۳ سفارش"


def test_needs_the_shoppers_digest(program):
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    assert widget_client(program, "c-1", digest="0" * 64).get(URL).status_code == 401
    assert widget_client(program).get(URL).status_code == 401


def test_unknown_language_and_member(program):
    assert widget_client(program, "nobody").get(URL + "?lang=xx").status_code == 404


def test_another_programs_challenges_never_show(program):
    ChallengeFactory(program=ProgramFactory(), name="Elsewhere")
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    assert widget_client(program, "c-1").get(URL).json() == {"challenges": []}


def test_query_count_is_fixed(program, django_assert_num_queries):
    for n in range(3):
        ChallengeFactory(program=program, target=5 + n)
    for n in range(4):
        _pay(program, f"o{n}")
    client = widget_client(program, "c-1")
    client.get(URL)  # the program's challenges are cached from here on
    # the member and the member's progress (the program, found by its public key, is cached by the widget)
    with django_assert_num_queries(2):
        response = client.get(URL)
    assert response.status_code == 200
