"""A paid membership from the shop's billing events to its lapse: the plan's invite-only tier (and its
multiplier) while paid, the tier the member earns once `memberships_lapse` ends it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.utils import timezone

from members.choices import TierChangeReason
from members.job_models import Notification, NotificationKind
from members.models import TierChange
from members.services.orders import order_record
from members.services.tiers import member_tier_assign
from memberships.models import Membership, MembershipEvent
from tests.memberships.conftest import fresh, send


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_started_gives_the_plans_tier_locked(api, member, assert_ledger_clean):
    # when
    response = send(api, amount="9.99", currency="USD", external_id="sub-1")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["membership"]["plan"] == {"key": "plus", "name": "Plus"}
    assert body["membership"]["status"] == "active"
    assert body["member"]["tier"] == {"key": "plus", "name": "Plus"}
    member = fresh(member)
    assert (member.tier.key, member.tier_locked) == ("plus", True)
    membership = Membership.objects.get(member=member)
    assert membership.previous_tier.key == "bronze" and not membership.previous_tier_locked
    assert membership.paid_until - membership.started_at >= timedelta(days=28)
    assert TierChange.objects.filter(member=member, reason=TierChangeReason.MEMBERSHIP).count() == 1
    assert MembershipEvent.objects.get().amount == Decimal("9.99")
    assert_ledger_clean()


def test_the_same_event_again_answers_the_first_answer_and_writes_nothing(api, member):
    # given
    first = send(api)
    # when
    again = send(api)
    # then
    assert again.status_code == 200
    assert again.json()["membership"] == first.json()["membership"]
    assert MembershipEvent.objects.count() == 1 and Membership.objects.count() == 1
    assert TierChange.objects.filter(reason=TierChangeReason.MEMBERSHIP).count() == 1


def test_the_same_event_id_with_another_body_is_a_conflict(api, member):
    # given
    send(api)
    # when
    response = send(api, type="membership.cancelled")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert Membership.objects.get().status == "active"


def test_renewed_extends_by_one_period_from_the_end_of_what_is_paid(api, member):
    # given
    send(api)
    paid_until = Membership.objects.get().paid_until
    # when
    response = send(api, type="membership.renewed", event_id="e-2")
    # then
    assert response.status_code == 201
    renewed = Membership.objects.get()
    assert renewed.paid_until.month == (paid_until.month % 12) + 1
    assert renewed.paid_until.day == paid_until.day or renewed.paid_until.day < paid_until.day  # short months
    assert renewed.paid_until == paid_until + relativedelta(months=1)  # from the paid end, not from now


def test_renewed_with_paid_until_sets_it(api, member):
    # given
    send(api)
    until = timezone.now().replace(microsecond=0) + timedelta(days=90)
    # when
    response = send(api, type="membership.renewed", event_id="e-2", paid_until=_iso(until))
    # then
    assert response.status_code == 201
    assert Membership.objects.get().paid_until == until
    assert response.json()["membership"]["paid_until"] == _iso(until)


def test_yearly_period_overrides_the_plans_interval(api, member):
    # when
    send(api, period="year")
    # then
    membership = Membership.objects.get()
    assert (membership.paid_until - membership.started_at).days in (365, 366)


def test_cancelled_keeps_the_tier_until_paid_until_then_the_job_lapses_it(api, member):
    # given a member whose activity earns Silver, holding Plus while paid
    send(api)
    order_record(
        program=member.program, order_id="o-1", customer_id="c-1", subtotal=Decimal("300"), currency="USD"
    )  # 300 x 2 (Plus) = 600 points earned: Silver by activity
    # when
    response = send(api, type="membership.cancelled", event_id="e-2")
    paid_until = Membership.objects.get().paid_until
    call_command("run_job", "memberships_lapse", "--as-of", (paid_until - timedelta(hours=1)).isoformat())
    # then still Plus, cancelled
    assert response.status_code == 201
    assert response.json()["membership"]["status"] == "cancelled"
    assert fresh(member).tier.key == "plus"
    # when the paid period is over
    call_command("run_job", "memberships_lapse", "--as-of", (paid_until + timedelta(hours=1)).isoformat())
    # then back to the tier the activity earns, told by email
    member = fresh(member)
    assert (member.tier.key, member.tier_locked) == ("silver", False)
    membership = Membership.objects.get()
    assert membership.status == "lapsed" and membership.lapsed_at is not None
    last = TierChange.objects.filter(member=member).latest("id")
    assert (last.from_tier.key, last.to_tier.key, last.reason) == ("plus", "silver", TierChangeReason.MEMBERSHIP)
    notification = Notification.objects.get(kind=NotificationKind.MEMBERSHIP_ENDED)
    assert notification.context == {"plan": "Plus", "tier": "Silver"}


def test_the_lapse_job_twice_for_the_same_as_of_changes_nothing(api, member):
    # given
    send(api, paid_until=_iso(timezone.now() + timedelta(days=3)))
    as_of = timezone.now() + timedelta(days=4)
    call_command("run_job", "memberships_lapse", "--as-of", as_of.isoformat())
    changes = TierChange.objects.count()
    # when
    call_command("run_job", "memberships_lapse", "--as-of", as_of.isoformat())
    # then
    assert TierChange.objects.count() == changes
    assert Notification.objects.filter(kind=NotificationKind.MEMBERSHIP_ENDED).count() == 1
    assert fresh(member).tier.key == "bronze"


def test_an_active_membership_not_renewed_lapses_too(api, member):
    # given
    send(api, paid_until=_iso(timezone.now() + timedelta(days=3)))
    # when
    call_command("run_job", "memberships_lapse", "--as-of", (timezone.now() + timedelta(days=5)).isoformat())
    # then
    assert Membership.objects.get().status == "lapsed"
    assert (fresh(member).tier.key, fresh(member).tier_locked) == ("bronze", False)


def test_a_renewal_before_the_end_keeps_the_membership_live(api, member):
    # given
    send(api, paid_until=_iso(timezone.now() + timedelta(days=3)))
    send(api, type="membership.renewed", event_id="e-2")  # one month after the current end
    # when
    call_command("run_job", "memberships_lapse", "--as-of", (timezone.now() + timedelta(days=5)).isoformat())
    # then
    assert Membership.objects.get().status == "active"
    assert fresh(member).tier.key == "plus"


def test_a_hand_set_tier_held_before_comes_back_locked(api, member, program):
    # given a VIP tier set by hand before the membership
    vip = program.tiers.create(key="vip", name="VIP", position=3, invite_only=True)
    member_tier_assign(member=member, tier_key="vip")
    send(api, paid_until=_iso(timezone.now() + timedelta(days=3)))
    # when
    call_command("run_job", "memberships_lapse", "--as-of", (timezone.now() + timedelta(days=4)).isoformat())
    # then
    member = fresh(member)
    assert (member.tier, member.tier_locked) == (vip, True)
    last = TierChange.objects.filter(member=member).latest("id")
    assert (last.from_tier.key, last.to_tier.key, last.reason) == ("plus", "vip", TierChangeReason.MEMBERSHIP)


def test_a_tier_set_by_hand_while_paid_is_left_alone(api, member, program):
    # given
    program.tiers.create(key="vip", name="VIP", position=3, invite_only=True)
    send(api, paid_until=_iso(timezone.now() + timedelta(days=3)))
    member_tier_assign(member=fresh(member), tier_key="vip")
    # when
    call_command("run_job", "memberships_lapse", "--as-of", (timezone.now() + timedelta(days=4)).isoformat())
    # then
    assert Membership.objects.get().status == "lapsed"
    assert fresh(member).tier.key == "vip"


def test_recalculate_tiers_does_not_move_a_paying_member(api, member):
    # given
    send(api)
    # when
    call_command("run_job", "recalculate_tiers", "--as-of", timezone.now().isoformat())
    # then
    assert fresh(member).tier.key == "plus"


def test_orders_earn_with_the_plans_multiplier_while_paid_and_without_after(api, member):
    # given
    send(api, paid_until=_iso(timezone.now() + timedelta(days=3)))
    # when paid
    paid = order_record(
        program=member.program, order_id="o-1", customer_id="c-1", subtotal=Decimal("10"), currency="USD"
    )
    call_command("run_job", "memberships_lapse", "--as-of", (timezone.now() + timedelta(days=4)).isoformat())
    after = order_record(
        program=member.program, order_id="o-2", customer_id="c-1", subtotal=Decimal("10"), currency="USD"
    )
    # then
    assert paid.order.points_awarded == 20
    assert after.order.points_awarded == 10


def test_a_new_start_after_a_lapse_is_a_new_membership(api, member):
    # given
    send(api, paid_until=_iso(timezone.now() + timedelta(days=3)))
    call_command("run_job", "memberships_lapse", "--as-of", (timezone.now() + timedelta(days=4)).isoformat())
    # when
    response = send(api, event_id="e-2")
    # then
    assert response.status_code == 201
    assert list(Membership.objects.order_by("id").values_list("status", flat=True)) == ["lapsed", "active"]
    assert fresh(member).tier.key == "plus"


def test_the_lapse_job_handles_many_members_in_chunks(api, program):
    # given 5 members, 3 of them past their paid period
    from members.services.members import member_upsert
    from memberships.services.lapse import memberships_lapse

    for number in range(5):
        member_upsert(program=program, customer_id=f"m-{number}", email=f"m{number}@example.com")
        days = 1 if number < 3 else 30
        until = _iso(timezone.now() + timedelta(days=days))
        assert send(api, event_id=f"s-{number}", customer_id=f"m-{number}", paid_until=until).status_code == 201
    # when
    lapsed = memberships_lapse(timezone.now() + timedelta(days=2), chunk_size=2)
    # then
    assert lapsed == 3
    assert Membership.objects.filter(status="lapsed").count() == 3
    assert Membership.objects.filter(status="active").count() == 2


def test_the_job_takes_a_naive_as_of_as_utc(api, member):
    from memberships.services.lapse import memberships_lapse

    send(api, paid_until=_iso(timezone.now() + timedelta(days=1)))
    assert memberships_lapse((datetime.now(UTC) + timedelta(days=2)).replace(tzinfo=None)) == 1
