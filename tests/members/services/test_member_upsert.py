from loyalty.choices import RuleType
from members.choices import TransactionKind
from members.models import Member, Transaction
from members.services.members import member_upsert
from tests.factories import EarningRuleFactory


def test_signup_rule_fires_once_per_member(program, assert_ledger_clean):
    # given a 100-point sign-up rule
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    # when the same customer is upserted twice
    member, created = member_upsert(program=program, customer_id="c1", email="a@example.com")
    again, created_again = member_upsert(program=program, customer_id="c1", email="b@example.com")
    # then the second call updates the profile and awards nothing
    assert created and not created_again and again.pk == member.pk
    member.refresh_from_db()
    assert member.email == "b@example.com"
    assert (member.points_balance, member.lifetime_points) == (100, 100)
    assert Transaction.objects.filter(member=member, kind=TransactionKind.BONUS).count() == 1
    assert_ledger_clean()


def test_inactive_signup_rule_awards_nothing(program, assert_ledger_clean):
    # given an inactive sign-up rule
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100, active=False)
    # when a member joins
    member, _ = member_upsert(program=program, customer_id="c1", email="a@example.com")
    # then they have no points
    assert Member.objects.get(pk=member.pk).points_balance == 0
    assert_ledger_clean()
