"""`manage.py seed_bench`: the bench data generator gives consistent ledgers (PostgreSQL only: it generates its
rows with generate_series)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from members.models import Member, Order, Refund, Transaction
from members.services.ledger import ledger_verify
from rewards.models import Redemption
from tests.conftest import postgres_only

pytestmark = [pytest.mark.django_db, postgres_only]


def _seed(members: int, slug: str = "seeded") -> str:
    out = StringIO()
    call_command("seed_bench", "--members", str(members), "--program", slug, "--as-of", "2026-11-01", stdout=out)
    return out.getvalue()


def _scalar(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_seed_bench_writes_members_with_orders_refunds_redemptions_and_lots():
    # given an empty database
    # when 200 members are seeded
    out = _seed(200)
    # then the program has them, with a realistic history of every kind
    members = Member.objects.filter(program__slug="seeded")
    assert members.count() == 200
    assert "200 members_member" in out
    assert set(members.values_list("customer_id", flat=True)) == {f"bench-c-{n}" for n in range(200)}
    orders = Order.objects.filter(program__slug="seeded")
    assert 600 <= orders.count() <= 1000  # 0–8 per member, 4 on average
    assert Refund.objects.filter(program__slug="seeded").count() == orders.filter(refunded_amount__gt=0).count() > 0
    redeems = Transaction.objects.filter(program__slug="seeded", kind="redeem")
    assert Redemption.objects.filter(program__slug="seeded").count() == redeems.count() > 0
    assert Transaction.objects.filter(program__slug="seeded", expires_at__isnull=False, remaining__gt=0).exists()


def test_seeded_balances_equal_their_ledger_row_by_row():
    # given a seeded program
    _seed(300)
    program_id = Member.objects.filter(program__slug="seeded").values_list("program_id", flat=True).first()
    # then verify_ledger finds every cached balance and lifetime total equal to the ledger
    assert ledger_verify(program_id=program_id) == []
    # and every member's last balance_after and unspent lots equal the balance
    wrong_last = _scalar(
        "SELECT count(*) FROM members_member m JOIN LATERAL (SELECT balance_after FROM members_transaction t"
        " WHERE t.member_id = m.id ORDER BY t.created_at DESC, t.idempotency_key DESC LIMIT 1) l ON true"
        " WHERE m.program_id = %s AND l.balance_after <> m.points_balance",
        [program_id],
    )
    wrong_lots = _scalar(
        "SELECT count(*) FROM members_member m WHERE m.program_id = %s AND m.points_balance <>"
        " (SELECT COALESCE(SUM(remaining), 0) FROM members_transaction t WHERE t.member_id = m.id)",
        [program_id],
    )
    assert (wrong_last, wrong_lots) == (0, 0)
    assert not Transaction.objects.filter(program_id=program_id, balance_after__lt=0).exists()


def test_seed_bench_refuses_a_program_that_has_members():
    # given a seeded program
    _seed(5)
    # when it is seeded again
    # then the command refuses and writes nothing
    with pytest.raises(CommandError, match="already has members"):
        _seed(5)
    assert Member.objects.filter(program__slug="seeded").count() == 5


def test_two_programs_seeded_side_by_side_keep_their_own_rows():
    # given two bench programs in one database
    _seed(20, "one")
    _seed(30, "two")
    # then each has its members and its ledger only
    assert Member.objects.filter(program__slug="one").count() == 20
    assert Member.objects.filter(program__slug="two").count() == 30
    assert not Transaction.objects.filter(program__slug="one", member__program__slug="two").exists()
