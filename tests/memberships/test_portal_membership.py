"""The portal dashboard shows the live membership (plan, perks, paid until) and invites to give points."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from memberships.services.billing import membership_event_record
from tests.factories.donations import cause
from tests.factories.memberships import membership_program
from tests.factories.portal import portal_member, signed_in


def _start(program, member, **fields):
    return membership_event_record(
        program=program, event_id="e-1", type="membership.started", customer_id=member.customer_id, plan="plus",
        **fields,
    )  # fmt: skip


def _dashboard(client, program):
    return client.get(reverse("portal:dashboard", kwargs={"slug": program.slug})).content.decode()


@pytest.mark.parametrize(
    ("lang", "heading", "until"),
    [("en", "Your membership", "Paid until"), ("ar", "عضويتك", "مدفوعة حتى"), ("fa", "عضویت شما", "پرداخت‌شده تا")],
)
def test_dashboard_shows_the_membership(client, db, lang, heading, until):
    # given
    program = membership_program(locale=lang)
    member = portal_member(program)
    _start(program, member)
    signed_in(client, member)
    # when
    page = _dashboard(client, program)
    # then
    assert heading in page and until in page
    assert "Free shipping" in page and "Double points" in page


def test_a_cancelled_membership_says_until_when(client, db):
    program = membership_program()
    member = portal_member(program)
    _start(program, member, paid_until=timezone.now() + timedelta(days=10))
    membership_event_record(
        program=program, event_id="e-2", type="membership.cancelled", customer_id=member.customer_id, plan="plus"
    )
    signed_in(client, member)
    assert "Cancelled: your benefits last until" in _dashboard(client, program)


def test_no_membership_no_card_and_no_causes_no_invite(client, db):
    program = membership_program()
    member = portal_member(program)
    signed_in(client, member)
    page = _dashboard(client, program)
    assert 'data-testid="membership"' not in page and 'data-testid="donate"' not in page


def test_the_invite_links_to_the_causes(client, db):
    program = membership_program()
    member = portal_member(program)
    cause(program)
    signed_in(client, member)
    assert reverse("donations:causes", kwargs={"slug": program.slug}) in _dashboard(client, program)
