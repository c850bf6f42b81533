"""Helpers of the rewards API tests: a second program's client and row counts compared around refusals."""

import pytest

from members.models import Member, Transaction
from rewards.models import Redemption, Reward, Voucher
from tests.conftest import client_for
from tests.factories import ProgramFactory


@pytest.fixture
def other_program(db):
    return ProgramFactory()


@pytest.fixture
def other_api(other_program):
    return client_for(other_program)


def row_state() -> dict:
    """Everything a redemption could write: compared before and after a refused request."""
    return {
        "redemptions": Redemption.objects.count(),
        "vouchers": list(Voucher.objects.order_by("pk").values_list("code", "status")),
        "transactions": Transaction.objects.count(),
        "balances": list(Member.objects.order_by("pk").values_list("points_balance", flat=True)),
        "stock": list(Reward.objects.order_by("pk").values_list("stock", flat=True)),
    }
