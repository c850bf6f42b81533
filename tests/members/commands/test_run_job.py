from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from members.jobs import JOBS, _not_implemented
from members.models import Member
from members.services.orders import order_record


def test_run_job_activates_pending_points_as_of(program):
    # given an order whose points are pending for 14 days
    program.pending_days = 14
    program.save()
    placed_at = timezone.now().replace(microsecond=0)
    order = order_record(
        program=program,
        order_id="1",
        customer_id="c1",
        email="c1@example.com",
        subtotal=Decimal("40.00"),
        currency="USD",
        placed_at=placed_at,
    )
    as_of = (placed_at + timedelta(days=14)).isoformat()
    out = StringIO()
    # when the job runs as of the day they are due, twice
    call_command("run_job", "activate_pending_points", "--as-of", as_of, stdout=out)
    call_command("run_job", "activate_pending_points", "--as-of", as_of, stdout=out)
    # then the first run activated them and the second changed nothing
    assert out.getvalue().splitlines() == [
        f"activate_pending_points as of {as_of}: 1 rows",
        f"activate_pending_points as of {as_of}: 0 rows",
    ]
    assert Member.objects.get(pk=order.member.pk).points_balance == 40


def test_run_job_reads_a_naive_or_z_as_of_as_utc(program):
    out = StringIO()
    call_command("run_job", "activate_pending_points", "--as-of", "2026-12-01T00:00:00Z", stdout=out)
    call_command("run_job", "activate_pending_points", "--as-of", "2026-12-01", stdout=out)
    assert out.getvalue().splitlines() == ["activate_pending_points as of 2026-12-01T00:00:00+00:00: 0 rows"] * 2


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["no_such_job"], "unknown job 'no_such_job'"),
        (["activate_pending_points", "--as-of", "yesterday"], "is not an ISO datetime"),
        (["activate_pending_points", "--as-of", "2026-13-45"], "is not an ISO datetime"),
    ],
)
def test_run_job_bad_input_exits_non_zero_with_one_line(db, args, reason):
    # when the command gets a bad name or date
    with pytest.raises(CommandError) as caught:
        call_command("run_job", *args)
    # then it fails (exit 1) with a one-line reason
    message = str(caught.value)
    assert reason in message and "\n" not in message


def test_run_job_of_a_job_not_implemented_exits_non_zero(db, monkeypatch):
    # given a job name whose job is still the stub (whichever jobs are implemented by now)
    monkeypatch.setitem(JOBS, "expire_points", _not_implemented("expire_points"))
    # when it is run
    with pytest.raises(CommandError) as caught:
        call_command("run_job", "expire_points")
    # then it fails with a one-line reason instead of pretending it ran
    assert str(caught.value) == "job 'expire_points' is not implemented yet"


def test_run_job_exit_status_from_the_command_line(db):
    # when run the way cron or a person runs it, with an unknown job
    with pytest.raises(SystemExit) as caught:
        call_command_from_argv(["manage.py", "run_job", "nope"])
    # then the exit status is non-zero
    assert caught.value.code == 1


def call_command_from_argv(argv):
    from django.core.management import ManagementUtility

    ManagementUtility(argv).execute()
