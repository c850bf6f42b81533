"""Every event the endpoint form offers is emitted by the service that makes the fact, signed, once, and only
when the fact commits; a program without subscribers pays no query for it. Against a local HTTP server."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from loyalty.choices import RewardType, RuleType
from members.job_models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from members.services.events import event_record
from members.webhooks.subscriptions import webhook_events_subscribed
from referrals.services.flows import member_join, order_paid
from rewards.services.redemptions import reward_redeem
from tests.factories import EarningRuleFactory, ProgramFactory
from tests.factories.rewards import member_with_points, reward_of_type
from tests.notifications.test_webhooks import verify


def subscribe(program, receiver, *events):
    return WebhookEndpoint.objects.create(program=program, url=receiver.url, secret="s3cret", events=list(events))


def received(receiver, event=None):
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    return [b for b in bodies if event is None or b["type"] == event]


def order(program, order_id="o-1", customer_id="c1", subtotal="40.00", **extra):
    return order_paid(
        program=program,
        order_id=order_id,
        customer_id=customer_id,
        subtotal=Decimal(subtotal),
        currency="USD",
        email=f"{customer_id}@example.com",
        **extra,
    )


def test_member_created_is_posted_once(program, receiver, django_capture_on_commit_callbacks):
    # given an endpoint taking member.created, and a sign-up bonus
    subscribe(program, receiver, WebhookEvent.MEMBER_CREATED)
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    # when a shopper joins, then the same shopper is sent again (a profile update)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            member, _created = member_join(program=program, customer_id="c1", email="c1@example.com", first_name="Ana")
    # then one signed event describes the new member, with the bonus in the balance
    [request] = receiver.requests
    assert verify(request, "s3cret")
    body = json.loads(request["body"])
    assert body["type"] == "member.created"
    assert body["id"] == f"member.created:{member.pk}"
    assert request["headers"]["X-Loyalty-Event"] == "member.created"
    data = body["data"]
    assert (data["customer_id"], data["email"], data["first_name"], data["points_balance"]) == (
        "c1",
        "c1@example.com",
        "Ana",
        100,
    )
    assert data["referral_code"] == member.referral_code


def test_an_order_posts_points_earned_once_even_when_replayed(program, receiver, django_capture_on_commit_callbacks):
    # given an endpoint taking points.earned and a program giving 1 point per unit spent
    subscribe(program, receiver, WebhookEvent.POINTS_EARNED)
    # when an order is paid, then the same order arrives again
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            result = order(program)
    # then one event says what the order earned, signed
    [event] = received(receiver)
    assert verify(receiver.requests[0], "s3cret")
    txn = result.order.transactions.get()
    assert event["id"] == f"points.earned:txn:{txn.pk}"
    assert event["data"] == {
        "customer_id": "c1",
        "points": 40,
        "reason": "order",
        "status": "active",
        "balance": 40,
        "pending_points": 0,
        "description": "Order #o-1",
        "transaction_id": txn.pk,
        "order_id": "o-1",
    }
    assert WebhookDelivery.objects.count() == 1


def test_pending_order_points_say_when_they_become_available(program, receiver, django_capture_on_commit_callbacks):
    # given a program whose order points wait 14 days
    program.pending_days = 14
    program.save()
    subscribe(program, receiver, WebhookEvent.POINTS_EARNED)
    # when an order is paid
    with django_capture_on_commit_callbacks(execute=True):
        result = order(program)
    # then the event says the points are pending, and until when
    [event] = received(receiver)
    assert (event["data"]["status"], event["data"]["pending_points"], event["data"]["balance"]) == ("pending", 40, 0)
    available_at = (result.order.placed_at + timedelta(days=14)).isoformat(timespec="milliseconds")
    assert event["data"]["available_at"] == available_at.replace("+00:00", "Z")


def test_a_custom_event_and_a_signup_bonus_post_points_earned(program, receiver, django_capture_on_commit_callbacks):
    # given a sign-up bonus, a rule for reviews and an endpoint taking points.earned
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100, name="Welcome")
    EarningRuleFactory(program=program, key="review", type=RuleType.CUSTOM_EVENT, event="review", points=50)
    subscribe(program, receiver, WebhookEvent.POINTS_EARNED)
    # when a shopper joins and posts a review (sent twice)
    with django_capture_on_commit_callbacks(execute=True):
        member_join(program=program, customer_id="c1", email="c1@example.com")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            event_record(program=program, event_id="ev-1", customer_id="c1", type="review")
    # then two events: the bonus, then the review with its event id
    bonus, review = received(receiver)
    assert (bonus["data"]["reason"], bonus["data"]["points"], bonus["data"]["description"]) == ("bonus", 100, "Welcome")
    assert (review["data"]["reason"], review["data"]["points"], review["data"]["event_id"]) == ("event", 50, "ev-1")
    assert review["data"]["balance"] == 150


def test_a_redemption_posts_points_spent_and_reward_redeemed_once(
    program, receiver, django_capture_on_commit_callbacks
):
    # given a member with 500 points, a 5.00-off reward for 200, and an endpoint taking both events
    member = member_with_points(program, 500, customer_id="c1")
    reward = reward_of_type(program, RewardType.FIXED_DISCOUNT, key="five-off", name="5 off", points_cost=200)
    subscribe(program, receiver, WebhookEvent.POINTS_SPENT, WebhookEvent.REWARD_REDEEMED)
    # when the member redeems it, and the request is retried with the same idempotency key
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            redemption, _created = reward_redeem(member=member, reward=reward, idempotency_key="k1")
    # then one points.spent and one reward.redeemed, the latter carrying the code issued
    [spent] = received(receiver, "points.spent")
    [redeemed] = received(receiver, "reward.redeemed")
    assert len(receiver.requests) == 2
    assert {k: spent["data"][k] for k in ("customer_id", "points", "reason", "balance")} == {
        "customer_id": "c1",
        "points": 200,
        "reason": "redemption",
        "balance": 300,
    }
    assert redeemed["id"] == f"reward.redeemed:{redemption.pk}"
    assert redeemed["data"] == {
        "customer_id": "c1",
        "redemption_id": redemption.pk,
        "reward": {"key": "five-off", "name": "5 off", "type": "fixed_discount"},
        "points_spent": 200,
        "value": "5.00",
        "code": redemption.voucher.code,
        "code_expires_at": None,
        "balance": 300,
    }
    assert all(verify(r, "s3cret") for r in receiver.requests)


def test_a_referral_posts_referral_completed_once(program, receiver, django_capture_on_commit_callbacks):
    # given a referral programme giving the referrer 500 points, and a referred friend
    program.referrals_enabled = True
    program.referral_qualifying_min_subtotal = Decimal("50.00")
    program.referrer_reward = {"type": "points", "points": 500}
    program.save()
    referrer, _ = member_join(program=program, customer_id="alice", email="alice@example.com")
    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)
    subscribe(program, receiver, WebhookEvent.REFERRAL_COMPLETED)
    # when the friend's qualifying order is paid, twice, and a second order follows
    for order_id in ("o-1", "o-1", "o-2"):
        with django_capture_on_commit_callbacks(execute=True):
            order(program, order_id=order_id, customer_id="bob", subtotal="60.00")
    # then one referral.completed names both members, the order and the reward
    [event] = received(receiver)
    assert event["data"]["referrer_customer_id"] == "alice"
    assert event["data"]["friend_customer_id"] == "bob"
    assert event["data"]["order_id"] == "o-1"
    assert event["data"]["referrer_reward"] == {"points": 500, "points_pending_until": None, "code": None}


def test_a_rolled_back_order_queues_nothing(program, receiver, django_capture_on_commit_callbacks):
    # given an endpoint taking every event
    subscribe(program, receiver, *WebhookEvent.values)
    # when an order (creating its member) is written, then its transaction rolls back
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        order(program)
        raise RuntimeError("the caller failed after the order")
    # then no delivery is stored, none is queued, nothing is sent
    assert not WebhookDelivery.objects.exists()
    assert callbacks == []
    assert receiver.requests == []


def test_without_subscribers_the_hot_paths_issue_no_webhook_query(program, receiver):
    # given a program with an endpoint taking only tier changes, and a member with points (the cache warm)
    subscribe(program, receiver, WebhookEvent.TIER_CHANGED)
    member = member_with_points(program, 500, customer_id="c1")
    reward = reward_of_type(program, RewardType.FIXED_DISCOUNT, points_cost=200)
    EarningRuleFactory(program=program, key="review", type=RuleType.CUSTOM_EVENT, event="review", points=50)
    order(program, order_id="warm-up")
    # when an order, an event and a redemption are made
    with CaptureQueriesContext(connection) as queries:
        order(program, order_id="o-2")
        event_record(program=program, event_id="ev-1", customer_id="c1", type="review")
        reward_redeem(member=member, reward=reward)
    # then none of their statements touched the webhook tables
    assert not [q["sql"] for q in queries.captured_queries if "members_webhook" in q["sql"]]
    assert not WebhookDelivery.objects.exists()


def test_a_new_endpoint_is_seen_at_once_by_this_process(program, receiver, django_capture_on_commit_callbacks):
    # given a program whose (empty) subscriptions are cached
    order(program, order_id="o-1")
    assert webhook_events_subscribed(program.pk) == frozenset()
    # when an endpoint is added, then an order is paid
    endpoint = subscribe(program, receiver, WebhookEvent.POINTS_EARNED)
    with django_capture_on_commit_callbacks(execute=True):
        order(program, order_id="o-2")
    # then the order's event is delivered; and once the endpoint is switched off, nothing more is
    assert [e["data"]["order_id"] for e in received(receiver)] == ["o-2"]
    endpoint.active = False
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        order(program, order_id="o-3")
    assert len(receiver.requests) == 1


def test_another_programs_endpoint_gets_nothing(program, receiver, django_capture_on_commit_callbacks):
    # given an endpoint of another program taking every event
    other = ProgramFactory()
    subscribe(other, receiver, *WebhookEvent.values)
    # when a member of this program joins and orders
    with django_capture_on_commit_callbacks(execute=True):
        order(program)
    # then the other program's endpoint received nothing
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_batch_of_orders_posts_each_fact_once(program, api, receiver, django_capture_on_commit_callbacks):
    # given an existing member, an endpoint taking member.created and points.earned
    member_join(program=program, customer_id="c1", email="c1@example.com")
    subscribe(program, receiver, WebhookEvent.MEMBER_CREATED, WebhookEvent.POINTS_EARNED)
    orders = [
        {"order_id": "b-1", "customer_id": "c1", "subtotal": "10.00", "currency": "USD"},
        {"order_id": "b-2", "customer_id": "c1", "subtotal": "20.00", "currency": "USD"},
        {"order_id": "b-3", "customer_id": "new", "email": "new@example.com", "subtotal": "30.00", "currency": "USD"},
    ]
    # when the batch is sent, then sent again
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert api.post("/api/v1/orders/batch", {"orders": orders}, format="json").status_code == 200
    # then the new customer was announced once and each order's points once, with the balance after each
    assert [e["data"]["customer_id"] for e in received(receiver, "member.created")] == ["new"]
    earned = sorted(
        (e["data"]["order_id"], e["data"]["points"], e["data"]["balance"]) for e in received(receiver, "points.earned")
    )
    assert earned == [("b-1", 10, 10), ("b-2", 20, 30), ("b-3", 30, 30)]
    assert all(verify(r, "s3cret") for r in receiver.requests)
