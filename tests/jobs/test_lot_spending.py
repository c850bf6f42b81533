"""A debit under the `fixed` policy spends the oldest lots first (members/services/ledger.py `_track_lots`), read a
batch at a time: a debit larger than one batch goes on to the next, and a debit stops inside the lot that covers it."""

from datetime import timedelta

import pytest

from members.models import Transaction
from members.services import ledger
from tests.jobs.conftest import T0, post


@pytest.mark.parametrize("debit", [1, 5, 6, 14, 15, 24, 25])
def test_a_debit_spends_the_oldest_lots_first_across_batches(fixed_program, make_member, monkeypatch, debit):
    # given five lots of 5 points, earned a day apart, read two at a time
    monkeypatch.setattr(ledger, "LOTS_PER_READ", 2)
    member = make_member(fixed_program, "c-1")
    lots = [post(member, 5, T0 + timedelta(days=day), key=f"earn-{day}").pk for day in range(5)]

    # when `debit` points are spent
    post(member, -debit, T0 + timedelta(days=6), key="spend")

    # then the oldest lots are emptied in order and the next one holds the rest
    remaining = dict(Transaction.objects.filter(pk__in=lots).values_list("pk", "remaining"))
    expected, left = [], debit
    for _ in lots:
        spent = min(5, left)
        expected.append(5 - spent)
        left -= spent
    assert [remaining[pk] for pk in lots] == expected
