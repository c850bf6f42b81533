from datetime import UTC, datetime, timedelta
from decimal import Decimal

from members.choices import TierChangeReason
from members.models import Member, TierChange
from members.services.tier_recalculation import tiers_upgrade_members
from members.services.tiers import member_next_tier
from members.tier_selectors import member_tier_progress, member_tier_units, tier_list
from tests.members.tiers.conftest import T0


def _member() -> Member:
    return Member.objects.select_related("program", "tier").get(customer_id="c1")


def test_progress_shows_value_next_threshold_and_fraction(tiered, order):
    # given Gold at 300 points and a member with 120
    tiered(period="calendar_year")
    order("1", "120.00")
    # when the portal asks for progress
    progress = member_tier_progress(member=_member(), at=T0)
    # then it shows 120 of 300 (0.4) and Green kept without end (threshold 0)
    assert progress["value"] == 120 and progress["fraction"] == 0.4
    assert progress["next_tier"] == {"key": "gold", "name": "Gold", "threshold": 300, "remaining": 180}
    assert progress["tier"] == {"key": "green", "name": "Green"} and progress["kept_until"] is None


def test_spend_remaining_is_money_in_the_program_currency(tiered, order):
    # given Gold at 300.00 spent and a member who spent 120.50
    tiered(metric="spend", gold="300.00")
    order("1", "120.50")
    # when the next tier is asked for
    next_tier = member_next_tier(member=_member(), at=T0)
    progress = member_tier_progress(member=_member(), at=T0)
    # then what is missing is 179.50, as the API's decimal string
    assert next_tier == {"key": "gold", "name": "Gold", "remaining": "179.50"}
    assert progress["value"] == Decimal("120.50") and progress["fraction"] == 0.4017


def test_calendar_year_tier_is_kept_until_the_end_of_the_year(tiered, order, program):
    # given a Gold member in a calendar-year program in Dubai time
    tiered(period="calendar_year")
    program.timezone = "Asia/Dubai"
    program.save()
    order("1", "400.00")
    # when progress is asked for
    progress = member_tier_progress(member=_member(), at=T0)
    # then Gold is kept until midnight of 1 January in Dubai, and Gold is the top reachable tier
    assert progress["kept_until"] == datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
    assert progress["next_tier"] is None and progress["fraction"] == 1.0


def test_rolling_tier_is_kept_until_enough_activity_slides_out(tiered, order):
    # given a rolling program: 200 points in January, 200 in March (Gold at 300)
    tiered(period="rolling_12_months")
    january, march = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    order("1", "200.00", at=january)
    order("2", "200.00", at=march)
    # when progress is asked for in April
    progress = member_tier_progress(member=_member(), at=datetime(2026, 4, 1, tzinfo=UTC))
    # then Gold lasts until January's points leave the window (200 left < 300)
    assert progress["tier"]["key"] == "gold"
    assert progress["kept_until"] == january.replace(year=2027) + timedelta(microseconds=1)


def test_pending_points_count_once_active(tiered, order, program):
    # given a program where order points stay pending 30 days, and a 400.00 order
    tiered()
    program.pending_days = 30
    program.save()
    member = order("1", "400.00").member
    # then the pending points do not count yet
    assert member_tier_units(member=_member(), at=T0) == 0 and member.tier.key == "green"
    # when the activation job makes them active (it upgrades the members of each chunk)
    from members.services.pending import activate_pending_points

    activate_pending_points(T0 + timedelta(days=31))
    # then the member is Gold, recorded as earned at the activation time, and a repeat moves nobody
    assert _member().tier.key == "gold"
    change = TierChange.objects.get(reason=TierChangeReason.EARNED)
    assert change.created_at == T0 + timedelta(days=31)
    assert tiers_upgrade_members(member_ids=[member.pk], at=T0 + timedelta(days=31)) == 0


def test_upgrade_members_moves_up_whoever_now_reaches_a_higher_tier(tiered, order, program):
    # given Gold lowered to 100 after two members earned 150 and 50
    tiered()
    rich = order("1", "150.00", customer_id="rich").member
    poor = order("2", "50.00", customer_id="poor").member
    program.tiers.filter(key="gold").update(threshold=100)
    # when both are upgraded set-based
    moved = tiers_upgrade_members(member_ids=[rich.pk, poor.pk], at=T0)
    # then only the one who reaches Gold moves
    assert moved == 1
    assert {m.customer_id: m.tier.key for m in Member.objects.select_related("tier")} == {
        "rich": "gold",
        "poor": "green",
    }


def test_upgrade_members_never_downgrades(tiered, order, refund):
    # given a Gold member whose order was refunded
    tiered()
    member = order("1", "400.00").member
    refund("1", "rf", "400.00")
    # when the set-based upgrade runs for them
    moved = tiers_upgrade_members(member_ids=[member.pk], at=T0)
    # then they stay Gold: only the recalculation job moves members down
    assert moved == 0 and _member().tier.key == "gold"


def test_public_tier_list_hides_invite_only_tiers(tiered, program):
    # given Green, Gold and invite-only Reserve
    tiered()
    # when shoppers and staff list the tiers
    public = [t.key for t in tier_list(program_id=program.pk)]
    staff = [t.key for t in tier_list(program_id=program.pk, include_invite_only=True)]
    # then shoppers never see Reserve
    assert (public, staff) == (["green", "gold"], ["green", "gold", "reserve"])


def test_next_tier_costs_one_query(tiered, order, django_assert_num_queries):
    # given a member with their program and tier loaded
    tiered(period="rolling_12_months")
    order("1", "120.00")
    member = _member()
    # when the member answer asks for the next tier
    with django_assert_num_queries(1):
        next_tier = member_next_tier(member=member, at=T0)
    # then one query gave it
    assert next_tier == {"key": "gold", "name": "Gold", "remaining": 180}
