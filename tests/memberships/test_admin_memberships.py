"""Merchant admin of paid membership: plans validated, memberships listed within the merchant, paying members."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from members.services.members import member_upsert
from memberships.models import MembershipPlan
from memberships.services.billing import membership_event_record
from memberships.services.lapse import memberships_lapse
from tests.admin.conftest import client_of, staff_user
from tests.factories.memberships import membership_program


def _paying(program, customer_id, days):
    member_upsert(program=program, customer_id=customer_id, email=f"{customer_id}@example.com")
    membership_event_record(program=program, event_id=f"e-{customer_id}", type="membership.started",
                            customer_id=customer_id, plan="plus", paid_until=timezone.now() + timedelta(days=days))  # fmt: skip


def test_paying_members_are_listed_within_the_merchant(db):
    # given two paying members and one lapsed in program A, one paying in program B
    program = membership_program()
    for customer_id, days in (("alpha-1", 30), ("alpha-2", 30), ("alpha-3", 1)):
        _paying(program, customer_id, days)
    memberships_lapse(timezone.now() + timedelta(days=2))
    other = membership_program()
    _paying(other, "beta-1", 30)
    client = client_of(staff_user(program.merchant))
    # when
    paying = client.get(reverse("admin:memberships_membership_changelist"), {"paying": "yes"})
    plans = client.get(reverse("admin:memberships_membershipplan_changelist"))
    # then
    page = paying.content.decode()
    assert "alpha-1" in page and "alpha-2" in page
    assert "alpha-3" not in page and "beta-1" not in page
    assert [plan.paying for plan in plans.context["cl"].result_list] == [2]


def test_a_plan_must_grant_an_invite_only_tier_of_its_program(db):
    # given
    program = membership_program()
    client = client_of(staff_user(program.merchant))
    bronze = program.tiers.get(key="bronze")
    body = {"program": program.pk, "key": "club", "name": "Club", "perks": "", "price": "5.00",
            "currency": program.currency, "interval": "year", "tier": bronze.pk, "active": "on"}  # fmt: skip
    # when
    refused = client.post(reverse("admin:memberships_membershipplan_add"), body)
    accepted = client.post(
        reverse("admin:memberships_membershipplan_add"), {**body, "tier": program.tiers.get(key="plus").pk}
    )
    wrong_currency = client.post(
        reverse("admin:memberships_membershipplan_add"), {**body, "key": "club2", "currency": "EUR"}
    )
    # then
    assert refused.status_code == 200 and "invite-only" in refused.content.decode()
    assert accepted.status_code == 302
    assert wrong_currency.status_code == 200
    assert MembershipPlan.objects.filter(program=program).count() == 2


def test_a_membership_page_shows_its_billing_events_read_only(db):
    program = membership_program()
    _paying(program, "alpha-1", 30)
    client = client_of(staff_user(program.merchant))
    membership = program.membership_plans.get().memberships.get()
    page = client.get(reverse("admin:memberships_membership_change", args=[membership.pk]))
    assert page.status_code == 200 and "membership.started" in page.content.decode()
    other_staff = client_of(staff_user(membership_program().merchant, username="beta-owner"))
    assert other_staff.get(reverse("admin:memberships_membership_change", args=[membership.pk])).status_code in (
        302,
        404,
    )
