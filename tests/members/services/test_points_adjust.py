import pytest

from loyalty.errors import IdempotencyConflict, InsufficientPoints, ValidationFailed
from members.choices import TransactionKind
from members.models import Member, Transaction
from members.services.adjustments import points_adjust
from members.services.members import member_upsert


@pytest.fixture
def member(program):
    member, _ = member_upsert(program=program, customer_id="c1", email="c1@example.com")
    return member


def test_credit_and_debit_move_the_balance_not_lifetime(member, assert_ledger_clean):
    # when 100 points are credited and 30 debited
    credit, created = points_adjust(member=member, points=100, reason="goodwill")
    debit, _ = points_adjust(member=member, points=-30, reason="correction")
    # then the balance follows, lifetime points (earned) do not
    assert created and credit.kind == TransactionKind.ADJUST and debit.balance_after == 70
    member.refresh_from_db()
    assert (member.points_balance, member.lifetime_points) == (70, 0)
    assert_ledger_clean()


def test_debit_past_the_balance_is_insufficient_points_and_writes_nothing(member, assert_ledger_clean):
    # given 50 points
    points_adjust(member=member, points=50, reason="goodwill")
    # when 51 are debited
    with pytest.raises(InsufficientPoints) as caught:
        points_adjust(member=member, points=-51, reason="oops", idempotency_key="k1")
    # then it is a 409 and nothing is written
    assert caught.value.code == "insufficient_points" and caught.value.status == 409
    assert Transaction.objects.filter(member=member).count() == 1
    assert Member.objects.get(pk=member.pk).points_balance == 50
    assert_ledger_clean()


def test_same_idempotency_key_replays_the_first_transaction(member, assert_ledger_clean):
    # given a credit with a key
    first, _ = points_adjust(member=member, points=100, reason="goodwill", idempotency_key="k1")
    # when it is retried
    again, created = points_adjust(member=member, points=100, reason="goodwill", idempotency_key="k1")
    # then the first transaction is returned and nothing more is credited
    assert not created and again.pk == first.pk
    assert Member.objects.get(pk=member.pk).points_balance == 100
    assert_ledger_clean()


def test_retry_of_a_debit_that_emptied_the_balance_replays(member, assert_ledger_clean):
    # given a debit of the whole balance, with a key
    points_adjust(member=member, points=40, reason="goodwill")
    first, _ = points_adjust(member=member, points=-40, reason="spent", idempotency_key="k1")
    # when the debit is retried (the balance is 0 now)
    again, created = points_adjust(member=member, points=-40, reason="spent", idempotency_key="k1")
    # then the retry gets the first answer, not insufficient_points
    assert not created and again.pk == first.pk
    assert_ledger_clean()


@pytest.mark.parametrize(("points", "reason"), [(50, "goodwill"), (100, "other reason")])
def test_same_key_with_another_body_is_a_conflict(member, points, reason):
    # given a credit of 100 with a key
    points_adjust(member=member, points=100, reason="goodwill", idempotency_key="k1")
    # when the key comes back with another body
    with pytest.raises(IdempotencyConflict) as caught:
        points_adjust(member=member, points=points, reason=reason, idempotency_key="k1")
    # then it is a 409 idempotency_conflict and nothing is written
    assert caught.value.code == "idempotency_conflict" and caught.value.status == 409
    assert Transaction.objects.filter(member=member).count() == 1


def test_same_key_for_another_member_is_a_conflict(program, member):
    # given a credit with a key for one member
    other, _ = member_upsert(program=program, customer_id="c2", email="c2@example.com")
    points_adjust(member=member, points=100, reason="goodwill", idempotency_key="k1")
    # when the key is used for another member
    with pytest.raises(IdempotencyConflict):
        points_adjust(member=other, points=100, reason="goodwill", idempotency_key="k1")
    # then the other member gets nothing
    assert Member.objects.get(pk=other.pk).points_balance == 0


@pytest.mark.parametrize("points", [0, True, 1.5, "10"])
def test_points_must_be_a_nonzero_whole_number(member, points):
    with pytest.raises(ValidationFailed):
        points_adjust(member=member, points=points, reason="x")
    assert not Transaction.objects.exists()


def test_overlong_idempotency_key_is_refused(member):
    with pytest.raises(ValidationFailed):
        points_adjust(member=member, points=1, reason="x", idempotency_key="k" * 256)
    assert not Transaction.objects.exists()
