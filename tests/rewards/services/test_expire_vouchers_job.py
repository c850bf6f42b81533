from datetime import timedelta

import pytest
from django.core.management import call_command

from rewards.choices import VoucherStatus
from rewards.models import Voucher
from rewards.services.redemptions import reward_redeem
from tests.factories import RewardFactory
from tests.factories.rewards import member_with_points

pytestmark = pytest.mark.django_db


def test_run_job_expire_vouchers_marks_overdue_codes_once(program, capsys):
    # given
    member = member_with_points(program, 1000)
    redemption, _ = reward_redeem(
        member=member, reward=RewardFactory(program=program, points_cost=100, code_expiry_days=7)
    )
    as_of = (redemption.voucher.expires_at + timedelta(minutes=1)).isoformat()

    # when
    call_command("run_job", "expire_vouchers", "--as-of", as_of)
    call_command("run_job", "expire_vouchers", "--as-of", as_of)

    # then
    assert Voucher.objects.get(pk=redemption.voucher.pk).status == VoucherStatus.EXPIRED
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(": 1 rows") and out[1].endswith(": 0 rows")
