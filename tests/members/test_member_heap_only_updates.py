"""The member row an order updates (its balances and counters) is updated heap-only on PostgreSQL: none of the columns
an order moves is in an index, and member pages keep room for the new version (fillfactor 85, migration 0010). A
non-heap-only update writes an entry in each of the member's indexes. The tier is indexed (the admin's tier filter and
segments need it at a million members), so the rare order that moves a member up a tier is not heap-only."""

from decimal import Decimal

from django.db import connection

from members.models import Member, TierChange
from members.services.orders import order_record
from tests.conftest import postgres_only
from tests.factories import TierFactory

pytestmark = postgres_only


def _member_updates() -> tuple[int, int]:
    """(updates, heap-only updates) of members_member in the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'members_member'")
        return cursor.fetchone()


def test_an_order_updates_the_member_heap_only_unless_it_moves_them_up_a_tier(program):
    # given a member in the entry tier, 100 points short of Silver
    TierFactory(program=program, threshold=Decimal("0"))
    silver = TierFactory(program=program, threshold=Decimal("100"))
    kwargs = {"program": program, "customer_id": "c1", "currency": "USD", "email": "c1@example.com"}
    order_record(order_id="o1", subtotal=Decimal("10.00"), **kwargs)
    updates, heap_only = _member_updates()
    # when two orders of 20 keep them there and one of 150 moves them up
    order_record(order_id="o2", subtotal=Decimal("20.00"), **kwargs)
    order_record(order_id="o3", subtotal=Decimal("20.00"), **kwargs)
    order_record(order_id="o4", subtotal=Decimal("150.00"), **kwargs)
    # then the two that kept the tier updated the member row heap-only, the upgrade wrote the tier's index
    member = Member.objects.get(program=program, customer_id="c1")
    assert member.tier == silver and TierChange.objects.filter(member=member, to_tier=silver).exists()
    after, heap_only_after = _member_updates()
    assert after - updates == 3
    assert heap_only_after - heap_only == 2
