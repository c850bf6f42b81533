"""Creating a member: one INSERT carrying the entry tier and the sign-up points, the 'joined' tier change, the
sign-up ledger rows; the rules and tiers from the cached program configuration (no read before the writes)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from loyalty.choices import ExpiryPolicy, RuleType, TierMetric
from loyalty.errors import ValidationFailed
from loyalty.models import Segment
from loyalty.program_config import program_config
from members.choices import TierChangeReason, TransactionKind
from members.models import Member, TierChange, Transaction
from members.services import members as members_service
from members.services.members import member_create_locked, member_upsert
from members.services.orders import order_record
from members.tier_selectors import member_tier_units
from members.webhooks.subscriptions import webhook_events_subscribed
from tests.factories import EarningRuleFactory, TierFactory


@pytest.fixture(autouse=True)
def _caches_kept(settings):
    """Statement pins count a warm process (the program configuration cached, as in a serving worker)."""
    settings.PROGRAM_CONFIG_CACHE_SECONDS = 3600


def _warm(program) -> None:
    """As in a serving worker: the program's rules and tiers and its webhook subscriptions cached."""
    program_config(program)
    webhook_events_subscribed(program.pk)


@pytest.fixture
def tiered(program):
    """An invite-only tier first (never an entry tier), then bronze (the entry tier) and gold."""
    TierFactory(program=program, key="vip", threshold=Decimal("0"), invite_only=True, position=0)
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", threshold=Decimal("1000"), position=2)
    return program


def test_a_new_member_is_created_in_one_statement_after_the_read(
    tiered, django_assert_num_queries, assert_ledger_clean
):
    # given two sign-up rules and a warm program configuration
    welcome = EarningRuleFactory(program=tiered, type=RuleType.SIGNUP, points=100, name="Welcome")
    extra = EarningRuleFactory(program=tiered, type=RuleType.SIGNUP, points=50, name="")
    _warm(tiered)

    # when a new customer is upserted
    # the read that misses, then on PostgreSQL one statement (member, tier change, both ledger rows: member_sql.py);
    # SQLite inserts the member, its tier change, its two ledger rows in one INSERT
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 4):
        member, created = member_upsert(program=tiered, customer_id="c1", email="c1@example.com")

    # then the member is in the entry tier since joining, with both bonuses, each once and in order
    assert created
    stored = Member.objects.select_related("tier").get(pk=member.pk)
    assert stored.tier.key == "bronze" and stored.tier_achieved_at == stored.created_at
    assert (stored.points_balance, stored.lifetime_points, stored.pending_points) == (150, 150, 0)
    assert len(stored.referral_code) == 8
    [joined] = TierChange.objects.filter(member=member)
    assert (joined.from_tier_id, joined.to_tier_id, joined.reason) == (None, stored.tier_id, TierChangeReason.JOINED)
    rows = Transaction.objects.filter(member=member).order_by("pk")
    assert [(r.kind, r.points, r.balance_after, r.description, r.idempotency_key) for r in rows] == [
        (TransactionKind.BONUS, 100, 100, "Welcome", f"signup:{member.pk}:{welcome.pk}"),
        (TransactionKind.BONUS, 50, 150, "Welcome bonus", f"signup:{member.pk}:{extra.pk}"),
    ]
    assert_ledger_clean()


def test_without_tiers_or_sign_up_rules_a_member_is_one_insert(program, django_assert_num_queries):
    # given a bare program, its configuration warm
    _warm(program)
    # when a new customer is upserted
    with django_assert_num_queries(2):  # the miss, the member
        member, created = member_upsert(program=program, customer_id="c1", email="c1@example.com")
    # then the member has no tier, no tier change and no points
    assert created and member.tier_id is None and member.tier_achieved_at is None
    assert not TierChange.objects.exists() and not Transaction.objects.exists()
    assert Member.objects.get(pk=member.pk).points_balance == 0


def test_a_segment_limited_sign_up_rule_rewards_only_its_members(tiered, assert_ledger_clean):
    # given a rule for everyone, one for the entry tier's members and one for gold members
    bronzes = Segment.objects.create(
        program=tiered,
        key="bronzes",
        name="Bronzes",
        conditions=[{"field": "tier", "operator": "in", "value": ["bronze"]}],
    )
    golds = Segment.objects.create(
        program=tiered, key="golds", name="Golds", conditions=[{"field": "tier", "operator": "in", "value": ["gold"]}]
    )
    EarningRuleFactory(program=tiered, type=RuleType.SIGNUP, points=100)
    EarningRuleFactory(program=tiered, type=RuleType.SIGNUP, points=20, segment=bronzes)
    EarningRuleFactory(program=tiered, type=RuleType.SIGNUP, points=7, segment=golds)

    # when a new customer joins (in bronze)
    member, _created = member_upsert(program=tiered, customer_id="c1", email="c1@example.com")

    # then they got the rule for everyone and the bronze one, not the gold one
    stored = Member.objects.get(pk=member.pk)
    assert (stored.points_balance, stored.lifetime_points) == (120, 120)
    assert sorted(Transaction.objects.filter(member=member).values_list("points", flat=True)) == [20, 100]
    assert_ledger_clean()


def test_a_taken_referral_code_draws_another_without_breaking_the_transaction(program, monkeypatch):
    # given a member holding the code the next draw gives first
    first, _created = member_upsert(program=program, customer_id="c1", email="c1@example.com")
    codes = iter([first.referral_code, "FRESH234"])
    monkeypatch.setattr(members_service, "random_code", lambda length: next(codes))

    # when another customer joins inside a transaction that goes on afterwards
    with transaction.atomic():
        member, created = member_upsert(program=program, customer_id="c2", email="c2@example.com")
        still_usable = Member.objects.count()

    # then the second draw was used, and the transaction was not aborted by the conflict
    assert created and member.referral_code == "FRESH234" and still_usable == 2
    assert Member.objects.get(pk=member.pk).referral_code == "FRESH234"


def test_sign_up_points_are_a_lot_under_the_fixed_expiry_policy(program):
    # given lots that expire 30 days after they were earned, and a sign-up rule
    program.expiry_policy, program.expiry_days = ExpiryPolicy.FIXED, 30
    program.save()
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    at = timezone.now()
    # when a member joins
    member, _created = member_upsert(program=program, customer_id="c1", email="c1@example.com", at=at)
    # then the sign-up row is a lot of 100 points expiring 30 days on
    row = Transaction.objects.get(member=member)
    assert (row.remaining, row.expires_at) == (100, at + timedelta(days=30))


@pytest.mark.parametrize("metric", [TierMetric.POINTS_EARNED, TierMetric.SPEND, TierMetric.ORDERS])
def test_a_created_member_tier_units_are_what_the_ledger_says(tiered, metric):
    # given a program counting `metric` for its tiers, and a sign-up rule
    tiered.tier_metric = metric
    tiered.save()
    EarningRuleFactory(program=tiered, type=RuleType.SIGNUP, points=100)
    # when a member is created for an order
    with transaction.atomic():
        joined = member_create_locked(
            program=tiered, config=program_config(tiered), customer_id="c1", defaults={"email": "c1@example.com"}
        )
    # then the tier metric it reports is the one the tier query reads
    assert joined.created
    assert joined.tier_units == member_tier_units(member=joined.member, at=timezone.now())
    assert joined.tier_units == (100 if metric == TierMetric.POINTS_EARNED else 0)


def test_creating_an_existing_customer_returns_their_member_locked_and_writes_nothing(tiered, assert_ledger_clean):
    # given a member who got the sign-up points (as if another transaction created them first)
    EarningRuleFactory(program=tiered, type=RuleType.SIGNUP, points=100)
    first, _created = member_upsert(program=tiered, customer_id="c1", email="c1@example.com")

    # when the same customer is created again, past the read that missed them
    with transaction.atomic():
        joined = member_create_locked(
            program=tiered, config=program_config(tiered), customer_id="c1", defaults={"email": "other@example.com"}
        )

    # then the existing member comes back, with nothing written again
    assert not joined.created and joined.tier_units is None
    assert joined.member.pk == first.pk and joined.member.tier.key == "bronze"
    assert Member.objects.count() == 1 and Member.objects.get().email == "c1@example.com"
    assert Transaction.objects.count() == 1 and TierChange.objects.count() == 1
    assert_ledger_clean()


def test_a_refused_first_order_leaves_no_member_behind(tiered, assert_ledger_clean):
    # given a sign-up rule and a program rate that prices a huge order past what the ledger holds
    EarningRuleFactory(program=tiered, type=RuleType.SIGNUP, points=100)
    tiered.points_per_currency_unit = Decimal("1000")
    tiered.save()

    # when a new customer's first order is refused after their member was created in its transaction
    with pytest.raises(ValidationFailed) as refused:
        order_record(
            program=tiered,
            order_id="o-1",
            customer_id="new",
            email="new@example.com",
            subtotal=Decimal("99999999.99"),
            currency="USD",
        )

    # then nothing of the member is left: the creation rolled back with the order
    assert refused.value.code == "points_limit_exceeded"
    assert not Member.objects.exists() and not TierChange.objects.exists() and not Transaction.objects.exists()
    assert_ledger_clean()
