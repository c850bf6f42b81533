import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction

from members.models import TierChange
from members.services.ledger import member_lock
from members.services.tier_recalculation import tiers_recalculate
from tests.conftest import postgres_only
from tests.members.tiers.conftest import T0, tier_key

TWO_YEARS_LATER = T0.replace(year=T0.year + 2)
# Upper bound of every wait: threads start late on a loaded machine, and the writer must still hold its lock when
# the job comes to it. Each wait returns as soon as its event happens.
WAIT_SECONDS = 60


def _wait_until_someone_waits_for_a_lock(timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the recalculation never waited for the member's lock")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_recalculation_never_applies_a_stale_downgrade_over_a_concurrent_order(tiered, order, clock):
    # given a Gold member whose qualifying activity slid out of the rolling window two years ago
    tiered(period="rolling_12_months")
    member = order("old", "400.00", at=T0).member
    assert tier_key() == "gold"
    clock.now = TWO_YEARS_LATER
    order_locked, release, moved = threading.Event(), threading.Event(), []

    def new_order_in_flight():
        # a new 400-point order holds the member's lock while the job runs, then commits
        try:
            with transaction.atomic():
                member_lock(member.pk)
                order("new", "400.00", at=TWO_YEARS_LATER)
                order_locked.set()
                release.wait(WAIT_SECONDS)
        finally:
            connection.close()

    def recalculation():
        try:
            moved.append(tiers_recalculate(as_of=TWO_YEARS_LATER + timedelta(hours=1)))
        finally:
            connection.close()

    writer = threading.Thread(target=new_order_in_flight)
    writer.start()
    assert order_locked.wait(WAIT_SECONDS)
    job = threading.Thread(target=recalculation)
    job.start()
    # when the job, which saw no activity in the window, waits for the member and the order then commits
    _wait_until_someone_waits_for_a_lock()
    release.set()
    writer.join(WAIT_SECONDS)
    job.join(WAIT_SECONDS)
    # then the job leaves the member alone: their tier and counters moved since its snapshot
    assert moved == [0]
    assert tier_key() == "gold"
    assert not TierChange.objects.filter(reason="recalculated").exists()
    # and the next run, which sees the new order, keeps them in Gold too
    assert tiers_recalculate(as_of=TWO_YEARS_LATER + timedelta(hours=2)) == 0
