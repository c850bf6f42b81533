"""Billing retries at the same instant (PostgreSQL): one membership, one tier change, one 201 and 200s; a renewal
committing while the lapse job runs is never lapsed."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from members.choices import TierChangeReason
from members.models import TierChange
from members.services.members import member_upsert
from memberships.models import Membership, MembershipEvent
from memberships.services.billing import membership_event_record
from memberships.services.lapse import memberships_lapse
from tests.conftest import client_for, postgres_only
from tests.factories.memberships import membership_program
from tests.memberships.conftest import URL

THREADS = 6


def _together(work) -> list:
    barrier = threading.Barrier(THREADS)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_started_event_at_once_starts_one_membership():
    # given
    program = membership_program()
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    api = client_for(program)
    body = {"type": "membership.started", "event_id": "e-1", "customer_id": "c-1", "plan": "plus"}
    # when
    statuses = _together(lambda: api.post(URL, body, format="json").status_code)
    # then
    assert sorted(statuses) == [200] * (THREADS - 1) + [201]
    assert Membership.objects.count() == MembershipEvent.objects.count() == 1
    assert TierChange.objects.filter(reason=TierChangeReason.MEMBERSHIP).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_different_started_events_at_once_leave_one_live_membership():
    # given
    program = membership_program()
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    numbers = iter(range(THREADS))
    lock = threading.Lock()

    def start():
        with lock:
            number = next(numbers)
        return membership_event_record(
            program=program, event_id=f"e-{number}", type="membership.started", customer_id="c-1", plan="plus"
        ).created

    # when
    created = _together(start)
    # then every event is recorded against the one live membership
    assert created == [True] * THREADS
    assert Membership.objects.count() == 1
    assert MembershipEvent.objects.count() == THREADS


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_renewal_racing_the_lapse_job_is_never_lost():
    # given a membership due to lapse, renewed while the job runs
    program = membership_program()
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    membership_event_record(program=program, event_id="e-1", type="membership.started", customer_id="c-1",
                            plan="plus", paid_until=timezone.now() + timedelta(hours=1))  # fmt: skip
    as_of = timezone.now() + timedelta(hours=2)
    barrier = threading.Barrier(2)

    def renew():
        try:
            barrier.wait()
            membership_event_record(program=program, event_id="e-2", type="membership.renewed", customer_id="c-1",
                                    plan="plus", paid_until=timezone.now() + timedelta(days=30))  # fmt: skip
        finally:
            connection.close()

    def lapse():
        try:
            barrier.wait()
            memberships_lapse(as_of)
        finally:
            connection.close()

    threads = [threading.Thread(target=renew), threading.Thread(target=lapse)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then either the renewal came first (still live, Plus) or the lapse did (a new membership from the renewal)
    live = Membership.objects.filter(status__in=["active", "cancelled"]).get()
    assert live.paid_until > as_of
    assert live.member.tier.key == "plus" and live.member.tier_locked
