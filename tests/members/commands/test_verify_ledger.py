from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.models import Member
from members.services.adjustments import points_adjust
from members.services.members import member_upsert


@pytest.fixture
def member(program):
    member, _ = member_upsert(program=program, customer_id="c1", email="c1@example.com")
    points_adjust(member=member, points=100, reason="goodwill")
    return member


def test_verify_ledger_clean_exits_zero(program, member):
    # given a ledger written only by the services
    out = StringIO()
    # when it is verified, for all programs and for one
    call_command("verify_ledger", stdout=out)
    call_command("verify_ledger", program.slug, stdout=out)
    # then it is OK
    assert out.getvalue().splitlines() == ["ledger OK", "ledger OK"]


def test_verify_ledger_names_a_member_whose_cached_balance_drifted(program, member):
    # given a cached balance corrupted behind the ledger's back
    Member.objects.filter(pk=member.pk).update(points_balance=90)
    err = StringIO()
    # when the ledger is verified
    with pytest.raises(SystemExit) as caught:
        call_command("verify_ledger", program.slug, stderr=err)
    # then it exits 1 with a line naming the member and the difference
    assert caught.value.code == 1
    assert f"member {member.pk} (c1): points_balance cached 90, ledger says 100" in err.getvalue().splitlines()


def test_verify_ledger_of_an_unknown_program_fails(db):
    with pytest.raises(CommandError, match="no program with slug 'nope'"):
        call_command("verify_ledger", "nope")
