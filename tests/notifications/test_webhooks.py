import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from loyalty.choices import RuleType
from members.job_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from members.notifications.collect import notify_tier_changes
from members.services.birthdays import award_birthdays
from members.services.expiry import expire_points
from members.services.tiers import member_tier_assign
from members.webhooks import delivery as webhooks
from members.webhooks.delivery import webhook_deliver, webhook_redeliver
from members.webhooks.tasks import webhook_deliver_task
from tests.factories import EarningRuleFactory, TierFactory
from tests.jobs.conftest import T0, post


def endpoint_for(program, receiver, events=(WebhookEvent.POINTS_EXPIRED,)):
    return WebhookEndpoint.objects.create(program=program, url=receiver.url, secret="s3cret", events=list(events))


def verify(request, secret: str) -> bool:
    """What a receiver does: recompute the HMAC over "<t>.<body>" and compare in constant time."""
    parts = dict(part.split("=", 1) for part in request["headers"]["X-Loyalty-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def test_expired_points_are_posted_signed_to_the_subscribed_endpoint(
    fixed_program, make_member, receiver, django_capture_on_commit_callbacks
):
    # given an endpoint subscribed to points.expired and a member whose lot is due
    endpoint_for(fixed_program, receiver)
    member = make_member(fixed_program, "c1")
    post(member, 100, T0, "a")
    # when the expiry job runs and its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        expire_points(T0 + timedelta(days=31))
    # then the endpoint got one signed POST describing the event, and the delivery is logged as delivered
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify(request, "s3cret")
    assert not verify(request, "another secret")
    body = json.loads(request["body"])
    assert body["type"] == "points.expired"
    assert body["program"] == fixed_program.slug
    assert body["data"] == {"customer_id": "c1", "points": 100}
    assert request["headers"]["X-Loyalty-Event"] == "points.expired"
    assert request["headers"]["X-Loyalty-Delivery"] == body["id"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 1, 200)


def test_endpoints_not_subscribed_get_nothing(fixed_program, make_member, receiver, django_capture_on_commit_callbacks):
    # given an endpoint subscribed to other events only
    endpoint_for(fixed_program, receiver, events=[WebhookEvent.TIER_CHANGED])
    member = make_member(fixed_program, "c1")
    post(member, 100, T0, "a")
    # when points expire
    with django_capture_on_commit_callbacks(execute=True):
        expire_points(T0 + timedelta(days=31))
    # then nothing is sent or stored
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_failing_endpoint_is_retried_with_exponential_backoff_until_it_answers(
    fixed_program, make_member, receiver, django_capture_on_commit_callbacks
):
    # given an endpoint that answers 500, then 503, then 200
    receiver.statuses = [500, 503]
    endpoint_for(fixed_program, receiver)
    member = make_member(fixed_program, "c1")
    post(member, 100, T0, "a")
    # when the event is delivered after commit and the endpoint fails
    with pytest.raises(Retry) as first, django_capture_on_commit_callbacks(execute=True):
        expire_points(T0 + timedelta(days=31))
    delivery = WebhookDelivery.objects.get()
    # then the task asks to be retried in 30 s, and the attempt is logged
    assert first.value.when == 30
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.PENDING, 1, 500)
    # when the worker runs the first retry (the endpoint fails again), then the second
    with pytest.raises(Retry) as second:
        webhook_deliver_task.apply(args=[delivery.pk], retries=1)
    webhook_deliver_task.apply(args=[delivery.pk], retries=2)
    # then the wait doubled, and the third attempt delivered the same event id
    assert second.value.when == 60
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 3, 200)
    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Loyalty-Delivery"] for r in receiver.requests}) == 1


def test_retries_stop_after_the_last_attempt(fixed_program, receiver):
    # given an endpoint that always fails
    receiver.statuses = [500] * 20
    endpoint = endpoint_for(fixed_program, receiver)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="points.expired", event_id="e1", payload={})
    # when the worker runs every attempt the task allows
    for retries in range(webhooks.MAX_ATTEMPTS - 1):
        with pytest.raises(Retry):
            webhook_deliver_task.apply(args=[delivery.pk], retries=retries)
    webhook_deliver_task.apply(args=[delivery.pk], retries=webhooks.MAX_ATTEMPTS - 1)
    # then it was tried MAX_ATTEMPTS times and is logged as failed, with no retry after the last
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, webhooks.MAX_ATTEMPTS)
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


def test_an_unreachable_endpoint_records_the_error(fixed_program, make_member):
    # given an endpoint on a closed local port
    endpoint = WebhookEndpoint.objects.create(
        program=fixed_program, url="http://127.0.0.1:9/hooks", secret="x", events=["points.expired"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="points.expired", event_id="e1", payload={})
    # when one attempt is made
    delivered = webhook_deliver(delivery_id=delivery.pk)
    # then it is to be retried, with the reason logged
    delivery.refresh_from_db()
    assert delivered is False
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.PENDING, 1, None)
    assert delivery.last_error


def test_redelivery_by_hand_sends_the_same_event_again(
    fixed_program, make_member, receiver, django_capture_on_commit_callbacks
):
    # given an event already delivered
    endpoint_for(fixed_program, receiver)
    member = make_member(fixed_program, "c1")
    post(member, 100, T0, "a")
    with django_capture_on_commit_callbacks(execute=True):
        expire_points(T0 + timedelta(days=31))
    delivery = WebhookDelivery.objects.get()
    # when staff redeliver it
    with django_capture_on_commit_callbacks(execute=True):
        webhook_redeliver(delivery_ids=[delivery.pk])
    # then the receiver got the same body twice
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_tier_changes_and_birthday_points_are_posted_too(
    program, make_member, receiver, django_capture_on_commit_callbacks
):
    # given an endpoint for tier changes and points earned, a birthday rule and an invite-only tier
    endpoint_for(program, receiver, events=[WebhookEvent.TIER_CHANGED, WebhookEvent.POINTS_EARNED])
    EarningRuleFactory(program=program, key="bday", type=RuleType.BIRTHDAY, points=250)
    TierFactory(program=program, key="vip", name="VIP", invite_only=True, threshold=None)
    member = make_member(program, "c1", birthday=date(1990, 6, 5))
    member_tier_assign(member=member, tier_key="vip")
    # when the birthday job and the tier notifications run, twice each
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            award_birthdays(datetime(2026, 6, 5, 12, tzinfo=UTC))
            notify_tier_changes(timezone.now())
    # then one event of each was delivered
    events = sorted(
        (json.loads(r["body"])["type"], json.loads(r["body"])["data"]["customer_id"]) for r in receiver.requests
    )
    assert events == [("points.earned", "c1"), ("tier.changed", "c1")]
    assert all(verify(r, "s3cret") for r in receiver.requests)
