"""A hand-built dataset for the segment tests: five members of one program (and one of another program that
matches everything), each condition's expected members computed by hand in the tests."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from loyalty.models import Segment
from members.choices import TransactionKind, TransactionSource
from members.models import Member, Order
from members.services.ledger import member_lock, points_post
from members.services.members import member_upsert
from tests.factories import ProgramFactory, TierFactory

AT = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def earn(member: Member, points: int, key: str) -> None:
    """Points earned through the ledger (they count in the balance and the lifetime points)."""
    with transaction.atomic():
        points_post(member=member_lock(member.pk), points=points, kind=TransactionKind.EARN,
                    source=TransactionSource.ADJUSTMENT, idempotency_key=key)  # fmt: skip


def order(member: Member, order_id: str, subtotal: str, days_ago: float, *, refunded: str = "0") -> Order:
    return Order.objects.create(
        program_id=member.program_id, member=member, order_id=order_id, subtotal=Decimal(subtotal), currency="USD",
        placed_at=AT - timedelta(days=days_ago), refunded_amount=Decimal(refunded),
    )  # fmt: skip


def person(program, customer_id: str, **fields) -> Member:
    member, _ = member_upsert(program=program, customer_id=customer_id, email=f"{customer_id}@example.com")
    if fields:
        Member.objects.filter(pk=member.pk).update(**fields)
    return Member.objects.get(pk=member.pk)


@dataclass
class Dataset:
    program: object
    other: object
    members: dict

    def names(self, queryset) -> set[str]:
        return set(queryset.values_list("customer_id", flat=True))

    def segment(self, *conditions, match: str = "all", program=None) -> Segment:
        return Segment.objects.create(program=program or self.program, key=f"s{Segment.objects.count()}",
                                      name="test", match=match, conditions=list(conditions))  # fmt: skip


@pytest.fixture
def data(db) -> Dataset:
    """ann: gold, 500 pts, spend 1000, 3 orders (2, 10, 100 days ago), born in March, attrs plan=pro/age=34
    bob:  silver, 50 pts, spend 80, 1 order 45 days ago, born in June, attrs plan=free
    cat:  no tier, 0 pts, spend 0, no order, no birthday, signed up 3 days ago, attrs vip=true
    dan:  gold, 200 pts, spend 300.50, 2 orders (1 and 400 days ago), born in March, attrs plan=Pro Plus/age=19
    eve:  silver, 0 pts, spend 20, 1 order 200 days ago, 2 successful referrals (+1 blocked)
    zed:  another program, matches every condition (must never be counted)."""
    program = ProgramFactory(timezone="UTC")
    other = ProgramFactory()
    # Thresholds nobody reaches: the tiers are set by hand below.
    gold = TierFactory(program=program, key="gold", position=2, threshold=Decimal("100000"))
    silver = TierFactory(program=program, key="silver", position=1, threshold=Decimal("50000"))
    other_gold = TierFactory(program=other, key="gold", threshold=Decimal("100000"))
    long_ago = AT - timedelta(days=500)
    members = {
        "ann": person(program, "ann", tier=gold, lifetime_spend=Decimal("1000"), birthday=date(1990, 3, 4),
                      attributes={"plan": "pro", "age": 34}, created_at=long_ago,
                      rfm_recency=5, rfm_frequency=5, rfm_monetary=5),
        "bob": person(program, "bob", tier=silver, lifetime_spend=Decimal("80"), birthday=date(1985, 6, 30),
                      attributes={"plan": "free"}, created_at=datetime(2025, 1, 10, 9, tzinfo=UTC),
                      rfm_recency=3, rfm_frequency=1, rfm_monetary=1),
        "cat": person(program, "cat", attributes={"vip": True}, created_at=AT - timedelta(days=3)),
        "dan": person(program, "dan", tier=gold, lifetime_spend=Decimal("300.50"), birthday=date(2001, 3, 31),
                      attributes={"plan": "Pro Plus", "age": 19}, created_at=datetime(2024, 12, 31, 23, tzinfo=UTC),
                      rfm_recency=5, rfm_frequency=3, rfm_monetary=3),
        "eve": person(program, "eve", tier=silver, lifetime_spend=Decimal("20"), created_at=long_ago,
                      rfm_recency=1, rfm_frequency=1, rfm_monetary=1),
        "zed": person(other, "zed", tier=other_gold, lifetime_spend=Decimal("5000"), birthday=date(1990, 3, 1),
                      attributes={"plan": "pro", "age": 50, "vip": True}, created_at=AT - timedelta(days=1),
                      rfm_recency=5, rfm_frequency=5, rfm_monetary=5),
    }  # fmt: skip
    earn(members["ann"], 500, "ann-1")
    earn(members["bob"], 50, "bob-1")
    earn(members["dan"], 200, "dan-1")
    earn(members["zed"], 9000, "zed-1")
    for n, days in enumerate([2, 10, 100]):
        order(members["ann"], f"ann-{n}", "100", days)
    order(members["bob"], "bob-0", "80", 45)
    order(members["dan"], "dan-0", "300.50", 1)
    order(members["dan"], "dan-1", "10", 400)
    order(members["eve"], "eve-0", "20", 200)
    for days in (1, 5, 30, 60):
        order(members["zed"], f"zed-{days}", "10", days)
    order(members["ann"], "ann-future", "10", -3)  # after AT: ignored when judging at AT
    _referrals(program, other, members)
    return Dataset(program=program, other=other, members={k: Member.objects.get(pk=m.pk) for k, m in members.items()})


def _referrals(program, other, members) -> None:
    from referrals.models import Referral

    def referral(prog, referrer, friend_email, status, **extra):
        Referral.objects.create(program=prog, referrer=referrer, friend_email=friend_email,
                                friend_email_normalized=friend_email, status=status, **extra)  # fmt: skip

    referral(program, members["eve"], "f1@example.com", "converted")
    referral(program, members["eve"], "f2@example.com", "converted")
    referral(program, members["eve"], "f3@example.com", "blocked", block_reason="same_ip")
    referral(program, members["ann"], "f4@example.com", "joined")
    referral(other, members["zed"], "f5@example.com", "converted")
    referral(other, members["zed"], "f6@example.com", "converted")
    referral(other, members["zed"], "f7@example.com", "converted")
