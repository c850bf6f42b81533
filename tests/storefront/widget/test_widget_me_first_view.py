"""The first view of `me` built from one prepared statement (storefront/widget/first_view.py) answers the very bytes
and deadline of the reference build (ORM and the server API's serializers: `WidgetMeApi.build_reference`), for every
tier metric and period, expiry policy, tier standing, catalog and codes; and leaves to it what it does not cover."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from psycopg import _queries as psycopg_queries
from rest_framework.renderers import JSONRenderer

from loyalty.choices import ExpiryPolicy, TierMetric, TierPeriod
from loyalty.models import Program, Segment
from members.models import Member
from members.services.orders import order_record
from members.tier_selectors import member_tier_units_sql
from rewards.models import Voucher
from rewards.services.redemptions import reward_redeem
from storefront.widget.first_view import _first_view_sql, _rows, me_first_view
from storefront.widget.selectors import member_me_version
from storefront.widget.views import WidgetMeApi
from tests.conftest import postgres_only
from tests.factories import RewardFactory, TierFactory
from tests.storefront.conftest import widget_client

pytestmark = [postgres_only, pytest.mark.django_db]

_orders = itertools.count(1)


def _order(program, customer_id: str, subtotal: str, *, days_ago: int = 0) -> None:
    order_record(
        program=program,
        order_id=f"o-{next(_orders)}",
        customer_id=customer_id,
        email=f"{customer_id}@example.com",
        subtotal=Decimal(subtotal),
        currency=program.currency,
        placed_at=timezone.now() - timedelta(days=days_ago),
    )


def _catalog(program) -> None:
    """Tiers (one invite-only) and rewards of every state the widget shows differently."""
    bronze = TierFactory(program=program, key="bronze", position=0, threshold=Decimal("0"))
    gold = TierFactory(program=program, key="gold", position=2, threshold=Decimal("150.50"))
    TierFactory(program=program, key="vip", position=1, threshold=Decimal("50"), invite_only=True)
    TierFactory(program=program, key="platinum", position=3, threshold=Decimal("100000"))
    now = timezone.now()
    RewardFactory(program=program, key="cheap", points_cost=10, position=1, min_subtotal=Decimal("20"))
    RewardFactory(program=program, key="dear", points_cost=100_000, position=0, description="Big", image_url=None)
    RewardFactory(program=program, key="gold-only", points_cost=10, min_tier=gold, stock=3, limit_per_member=1)
    RewardFactory(program=program, key="bronze-up", points_cost=10, min_tier=bronze, code_expiry_days=30)
    RewardFactory(program=program, key="gone", points_cost=10, stock=0, image_url="https://example.com/a.png")
    RewardFactory(program=program, key="later", points_cost=10, starts_at=now + timedelta(days=3))
    RewardFactory(program=program, key="ending", points_cost=10, ends_at=now + timedelta(hours=5))
    RewardFactory(program=program, key="ended", points_cost=10, ends_at=now - timedelta(hours=5))
    RewardFactory(program=program, key="off", points_cost=10, active=False)
    RewardFactory(program=program, key="per-point", points_cost=1, variable=True, max_points=500, value=Decimal("0.05"))


def _shoppers(program) -> list[str]:
    """A member with history, codes and a tier; one with a little; one with nothing at all."""
    for days_ago in (400, 200, 30, 1):
        _order(program, "rich", "80.25", days_ago=days_ago)
    for _ in range(11):
        _order(program, "rich", "1.00")
    rich = Member.objects.get(program=program, customer_id="rich")
    Member.objects.filter(pk=rich.pk).update(birthday="1990-02-28", attributes={"vip": True, "size": "M"})
    cheap = program.rewards.get(key="cheap")
    for _ in range(3):
        reward_redeem(member=Member.objects.get(pk=rich.pk), reward=cheap)
    expired, soon = Voucher.objects.filter(member=rich).order_by("id")[:2]
    Voucher.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    Voucher.objects.filter(pk=soon.pk).update(expires_at=timezone.now() + timedelta(hours=2))
    Voucher.objects.create(
        program=program, member=rich, source="referral", code="REFER-1", name="Friend gift", type="fixed_discount",
        value=Decimal("7.50"), min_subtotal=Decimal("30.00"),
    )  # fmt: skip
    _order(program, "some", "12.00", days_ago=2)
    Member.objects.create(program=program, customer_id="none", referral_code="NONE0001")
    return ["rich", "some", "none"]


def _both(program: Program, customer_id: str) -> tuple:
    """(bytes, deadline) of the first view and of the reference build, at the same moment. The first view is built
    three ways, which must agree: reading the program's catalog, reading it and keeping it for its catalog token,
    and from the kept catalog."""
    version = member_me_version(program=program, customer_id=customer_id)
    at = timezone.now()
    built = me_first_view(program=program, member_id=version.member_id, at=at)
    assert built is not None, "the first view left this member to the reference build"
    for _ in range(2):
        kept = me_first_view(program=program, member_id=version.member_id, at=at, catalog_token=version.catalog)
        assert (JSONRenderer().render(kept[0]), kept[1]) == (JSONRenderer().render(built[0]), built[1])
    reference = WidgetMeApi.build_reference(version, at)
    return (JSONRenderer().render(built[0]), built[1]), (JSONRenderer().render(reference[0]), reference[1])


@pytest.mark.parametrize("metric", list(TierMetric))
@pytest.mark.parametrize("period", list(TierPeriod))
@pytest.mark.parametrize("expiry", list(ExpiryPolicy))
def test_the_first_view_answers_the_reference_builds_bytes_and_deadline(program, metric, period, expiry):
    # given a program of these settings, its catalog and shoppers
    program.tier_metric, program.tier_period, program.expiry_policy = metric, period, expiry
    program.expiry_days = 365 if expiry != ExpiryPolicy.NEVER else None
    program.timezone = "America/New_York"
    program.save()
    _catalog(program)
    program = Program.objects.get(pk=program.pk)  # as the request finds it (cached from the database)
    for customer_id in _shoppers(program):
        # when
        first_view, reference = _both(program, customer_id)
        # then
        assert first_view == reference, customer_id


def test_the_first_view_is_one_statement(program, django_assert_num_queries):
    # given
    _catalog(program)
    _shoppers(program)
    version = member_me_version(program=program, customer_id="rich")
    # when / then (lifetime period: no tier to keep until a date, so no activity to walk)
    with django_assert_num_queries(1):
        assert me_first_view(program=program, member_id=version.member_id, at=timezone.now()) is not None


def test_a_kept_catalog_drops_the_rewards_that_ended_since_it_was_read(program):
    # given the program's catalog read and kept an hour before one of its rewards ends
    _catalog(program)
    _shoppers(program)
    version = member_me_version(program=program, customer_id="rich")
    now = timezone.now()
    assert me_first_view(program=program, member_id=version.member_id, at=now, catalog_token=version.catalog)
    # when built from the kept catalog (the same token) after the "ending" reward ended
    later = now + timedelta(hours=6)
    built = me_first_view(program=program, member_id=version.member_id, at=later, catalog_token=version.catalog)
    # then it answers what the reference build answers then, without that reward
    reference = WidgetMeApi.build_reference(version, later)
    assert JSONRenderer().render(built[0]) == JSONRenderer().render(reference[0])
    assert "ending" not in {reward["key"] for reward in built[0]["rewards"]}


def test_a_first_view_with_its_catalog_kept_reads_the_members_lists_only(program, django_assert_num_queries):
    # given the program's catalog kept by an earlier first view
    _catalog(program)
    _shoppers(program)
    rich, some = (member_me_version(program=program, customer_id=c) for c in ("rich", "some"))
    assert me_first_view(program=program, member_id=rich.member_id, at=timezone.now(), catalog_token=rich.catalog)
    # when / then: one statement, without the tiers and rewards
    with django_assert_num_queries(1) as captured:
        built = me_first_view(program=program, member_id=some.member_id, at=timezone.now(), catalog_token=some.catalog)
    assert built is not None and "rewards_reward r WHERE r.program_id" not in captured.captured_queries[0]["sql"]


def test_a_catalog_with_segment_limited_rewards_is_left_to_the_reference_build(program):
    # given
    segment = Segment.objects.create(program=program, key="vips", name="VIPs", conditions=[])
    RewardFactory(program=program, segment=segment)
    _order(program, "c-1", "10.00")
    version = member_me_version(program=program, customer_id="c-1")
    # when / then
    assert me_first_view(program=program, member_id=version.member_id, at=timezone.now()) is None


def test_a_program_whose_tier_settings_changed_since_it_was_cached_is_left_to_the_reference_build(program):
    # given the request's copy of the program, then its metric changed
    _order(program, "c-1", "10.00")
    cached = Program.objects.get(pk=program.pk)
    Program.objects.filter(pk=program.pk).update(tier_metric=TierMetric.SPEND)
    version = member_me_version(program=cached, customer_id="c-1")
    # when / then
    assert me_first_view(program=cached, member_id=version.member_id, at=timezone.now()) is None


def test_the_api_answers_the_first_views_bytes(program):
    # given
    _catalog(program)
    _shoppers(program)

    # when
    response = widget_client(program, "rich").get("/api/widget/v1/me")
    # then
    assert response.status_code == 200
    assert connection.vendor == "postgresql"
    assert b'"REFER-1"' in response.content and response.json()["member"]["attributes"] == {"vip": True, "size": "M"}


@pytest.mark.parametrize("metric", list(TierMetric))
@pytest.mark.parametrize("period", list(TierPeriod))
def test_the_statement_is_short_enough_for_psycopg_to_cache_its_conversion(metric, period):
    # given psycopg's limits for caching a query's conversion (past them it splits the text again on every call)
    program = Program(tier_metric=metric, tier_period=period)
    units_sql, units_params = member_tier_units_sql(program=program, at=timezone.now(), member_sql="m.id")
    # then
    assert len(_first_view_sql(units_sql)) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(units_params) + 5 <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS


def test_list_rows_come_in_rank_order_whatever_order_the_arrays_were_aggregated_in():
    # given the column arrays of three rows and their ranks, aggregated out of order
    arrays = (["c", "a", "b"], [3, 1, 2], [3, 1, 2])
    # then
    assert _rows(arrays) == [("a", 1), ("b", 2), ("c", 3)]
    assert _rows((None, None, None)) == []


def test_members_whose_ids_psycopg_would_type_differently_share_one_prepared_statement(program):
    # given two members, one id in smallint range and one past it (psycopg types a Python int by its size:
    # int2, int4, int8, each a prepared statement of its own for the same text)
    _order(program, "small", "10.00")
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('members_member', 'id'), 40000)")
    _order(program, "large", "10.00")
    # when each opens the widget
    for customer_id in ("small", "large"):
        assert widget_client(program, customer_id).get("/api/widget/v1/me").status_code == 200
    # then the version read, the first view (reading the catalog, then with the catalog kept) and the upsert are one
    # prepared statement each
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        statements = [statement for (statement,) in cursor.fetchall()]
    widget = [s for s in statements if "storefront_meanswer" in s or "LEFT JOIN LATERAL" in s]
    assert len(widget) == len(set(widget)) == 4


# Texts that PostgreSQL's array output quotes or escapes (the lists arrive as text arrays): NULL as a word, empty,
# edge spaces, quotes, braces, backslashes, commas, a line break, right-to-left script, the longest names.
AWKWARD_TEXTS = ["NULL", "", " lead", "trail ", 'a "q", {b} \\ c', "جایزه ویژه ⭐", "x" * 200, "line\nbreak", "{}"]


def test_awkward_texts_in_every_list_answer_the_reference_builds_bytes(program):
    # given tiers, rewards, codes and a ledger row named with awkward texts, in a right-to-left program
    program.locale = "fa-IR"
    program.save()
    TierFactory(program=program, key="t0", position=0, threshold=Decimal("0"), name="NULL")
    TierFactory(program=program, key="t1", position=1, threshold=Decimal("10"), name='{"x"}')
    for index, text in enumerate(AWKWARD_TEXTS):
        RewardFactory(program=program, key=f"r{index}", position=index, name=text, description=text)
    _order(program, "c-1", "20.00")
    member = Member.objects.get(program=program, customer_id="c-1")
    Member.objects.filter(pk=member.pk).update(first_name="NULL", last_name="ع" * 50)
    member.transactions.update(description="NULL")
    for text in AWKWARD_TEXTS:
        Voucher.objects.create(
            program=program, member=member, source="referral", code=text[:32], name=text[:100],
            type="fixed_discount", value=Decimal("1.00"),
        )  # fmt: skip
    program = Program.objects.get(pk=program.pk)
    # when
    first_view, reference = _both(program, "c-1")
    # then
    assert first_view == reference


@pytest.mark.parametrize("metric", list(TierMetric))
def test_locked_invite_only_tiers_pending_points_and_inactivity_expiry_answer_the_reference_builds_bytes(
    program, metric
):
    # given a calendar-year program with inactivity expiry; one shopper held in the invite-only tier by hand with
    # pending points, one put in a tier above their metric
    program.tier_metric, program.tier_period = metric, TierPeriod.CALENDAR_YEAR
    program.expiry_policy, program.expiry_days = ExpiryPolicy.INACTIVITY, 30
    program.save()
    _catalog(program)
    _shoppers(program)
    tiers = {tier.key: tier for tier in program.tiers.all()}
    Member.objects.filter(customer_id="some").update(tier=tiers["vip"], tier_locked=True, pending_points=17)
    Member.objects.filter(customer_id="none").update(tier=tiers["gold"])
    program = Program.objects.get(pk=program.pk)
    for customer_id in ("rich", "some", "none"):
        # when
        first_view, reference = _both(program, customer_id)
        # then
        assert first_view == reference, customer_id
