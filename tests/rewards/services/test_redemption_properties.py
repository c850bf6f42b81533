"""Property: whatever sequence of redemptions, cancellations and checkouts happens, the ledger matches the
balances, stock + live redemptions == the initial stock, the limit holds and no balance goes negative."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.errors import ApplicationError
from members.models import Member
from members.services.ledger import ledger_verify
from rewards.choices import RedemptionStatus, VoucherStatus
from rewards.models import Redemption, Reward, Voucher
from rewards.services.redemptions import redemption_cancel, reward_redeem
from rewards.services.vouchers import voucher_consume
from tests.factories import ProgramFactory, RewardFactory
from tests.factories.rewards import member_with_points

STOCK, LIMIT = 4, 2
operations = st.lists(
    st.tuples(st.sampled_from(["redeem", "cancel", "consume"]), st.integers(0, 2), st.integers(0, 20)),
    max_size=25,
)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],  # too_slow judges the machine
)
@given(ops=operations, balances=st.lists(st.integers(0, 900), min_size=3, max_size=3))
def test_any_sequence_keeps_stock_balances_and_limits_true(ops, balances):
    with transaction.atomic():
        # given
        program = ProgramFactory()
        reward = RewardFactory(program=program, points_cost=150, stock=STOCK, limit_per_member=LIMIT)
        members = [member_with_points(program, points) for points in balances]

        # when
        for op, who, pick in ops:
            member = members[who]
            try:
                if op == "redeem":
                    reward_redeem(member=member, reward=reward)
                    continue
                mine = list(Redemption.objects.filter(member=member).order_by("id"))
                if not mine:
                    continue
                redemption = mine[pick % len(mine)]
                if op == "cancel":
                    redemption_cancel(redemption=redemption)
                else:
                    voucher_consume(voucher=Voucher.objects.get(redemption=redemption))
            except ApplicationError:
                pass  # a refusal is a legal outcome; what it leaves behind is checked below

        # then
        live = Redemption.objects.filter(reward=reward, status=RedemptionStatus.COMPLETED)
        assert Reward.objects.get(pk=reward.pk).stock + live.count() == STOCK
        for member in members:
            assert live.filter(member=member).count() <= LIMIT
            assert Member.objects.get(pk=member.pk).points_balance >= 0
        assert not Voucher.objects.filter(status=VoucherStatus.CANCELLED, used_at__isnull=False).exists()
        assert ledger_verify(program_id=program.pk) == []
        transaction.set_rollback(True)
