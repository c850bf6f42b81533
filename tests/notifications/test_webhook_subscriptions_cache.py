"""`members.webhooks.subscriptions`: a program's subscribed events are kept in the process (not unpickled on every
order) and dropped when an endpoint is saved or deleted, now and again when that transaction commits, as the
program's configuration is (tests/loyalty/api/test_key_revocation_commit.py)."""

import pytest
from django.db import transaction

from members.job_models import WebhookEndpoint, WebhookEvent
from members.webhooks.delivery import webhook_subscribed
from members.webhooks.subscriptions import webhook_events_subscribed
from tests.conftest import postgres_only
from tests.factories import ProgramFactory
from tests.loyalty.api.test_key_revocation_commit import _meanwhile  # another request's thread


def _subscribe(program, *events) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(program=program, url="http://127.0.0.1:9/", secret="s", events=list(events))


@pytest.mark.django_db
def test_subscriptions_are_read_as_kept_not_unpickled():
    # given a program with an endpoint
    program = ProgramFactory()
    _subscribe(program, WebhookEvent.POINTS_EARNED)

    # when its subscriptions are read twice
    # then both reads are the same object (not a copy unpickled per order)
    assert webhook_events_subscribed(program.pk) is webhook_events_subscribed(program.pk)
    assert webhook_subscribed(program=program, event=WebhookEvent.POINTS_EARNED)


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["create", "deactivate", "delete"])
def test_an_endpoint_change_is_seen_by_the_next_read(change):
    # given a program whose subscriptions are cached
    program = ProgramFactory()
    endpoint = _subscribe(program, WebhookEvent.TIER_CHANGED) if change != "create" else None
    before = webhook_events_subscribed(program.pk)

    # when an endpoint is added, switched off or deleted
    if change == "create":
        _subscribe(program, WebhookEvent.POINTS_EARNED)
    elif change == "deactivate":
        endpoint.active = False
        endpoint.save()
    else:
        endpoint.delete()

    # then the next read sees it
    expected = {WebhookEvent.POINTS_EARNED} if change == "create" else set()
    assert before != expected and webhook_events_subscribed(program.pk) == expected


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_endpoint_created_in_a_transaction_is_seen_after_it_commits():
    # given a program without endpoints, its (empty) subscriptions cached
    program = ProgramFactory()
    assert webhook_events_subscribed(program.pk) == frozenset()

    # when an endpoint is created in a transaction (the admin's save), and an order reads the subscriptions
    # before that commits (it reads none and caches that)
    seen = []
    with transaction.atomic():
        _subscribe(program, WebhookEvent.POINTS_EARNED)
        _meanwhile(lambda: seen.append(webhook_events_subscribed(program.pk)))

    # then the next order after the commit sees the endpoint
    assert seen == [frozenset()]
    assert webhook_events_subscribed(program.pk) == {WebhookEvent.POINTS_EARNED}
