"""The demo program shows a paid club member and a donation."""

from io import StringIO

import pytest
from django.core.management import call_command

from donations.models import Cause, Donation
from loyalty.models import Program
from memberships.models import Membership


@pytest.mark.django_db
def test_the_demo_has_a_club_member_and_a_donation(tmp_path, assert_ledger_clean):
    call_command("load_demo", "--credentials-file", str(tmp_path / "c.json"), stdout=StringIO(), stderr=StringIO())
    program = Program.objects.get(slug="demo")
    membership = Membership.objects.select_related("member__tier", "plan").get(program=program)
    assert membership.member.customer_id == "cust-1003"
    assert membership.member.tier == membership.plan.tier and membership.member.tier_locked
    assert Cause.objects.filter(program=program).count() == 2
    assert Donation.objects.get(program=program).member.customer_id == "cust-1001"
    assert_ledger_clean(program.pk)
