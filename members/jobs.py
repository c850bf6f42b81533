"""The scheduled jobs, by name. Each is a service `job(as_of) -> rows touched`, called by the beat task
(`members.tasks.run_job_task`) and by `manage.py run_job NAME --as-of`. Running a job twice for the
same `as_of` changes nothing the second time."""

from collections.abc import Callable
from datetime import datetime

from analytics.services.rollups import refresh_analytics
from members.notifications.collect import notify_tier_changes, send_points_digest
from members.notifications.reaper import notifications_reap
from members.services.birthdays import award_birthdays
from members.services.expiry import expire_points, send_expiry_warnings
from members.services.job_runs import job_run_record
from members.services.pending import activate_pending_points
from members.services.rfm import compute_rfm
from members.services.tier_recalculation import tiers_recalculate
from memberships.services.lapse import memberships_lapse
from rewards.notifications import notify_vouchers
from rewards.services.vouchers import voucher_expire_due
from storefront.widget.cleanup import me_answers_forget


class JobNotImplemented(Exception):
    pass


def _not_implemented(name: str) -> Callable[[datetime], int]:
    def job(as_of: datetime) -> int:
        raise JobNotImplemented(f"job {name!r} is not implemented yet")

    return job


JOB_NAMES = (
    "activate_pending_points",
    "expire_points",
    "send_expiry_warnings",
    "award_birthdays",
    "recalculate_tiers",
    "expire_vouchers",
    "notify_tier_changes",
    "send_points_digest",
    "notify_vouchers",
    "reap_notifications",
    "compute_rfm",
    "memberships_lapse",
    "refresh_analytics",
    "forget_widget_answers",
)

JOBS: dict[str, Callable[[datetime], int]] = {name: _not_implemented(name) for name in JOB_NAMES}
JOBS["activate_pending_points"] = activate_pending_points
JOBS["recalculate_tiers"] = lambda as_of: tiers_recalculate(as_of=as_of)
JOBS["expire_vouchers"] = voucher_expire_due
JOBS["expire_points"] = expire_points
JOBS["send_expiry_warnings"] = send_expiry_warnings
JOBS["award_birthdays"] = award_birthdays
JOBS["notify_tier_changes"] = notify_tier_changes
JOBS["send_points_digest"] = send_points_digest
JOBS["notify_vouchers"] = notify_vouchers
JOBS["reap_notifications"] = notifications_reap
JOBS["compute_rfm"] = compute_rfm
JOBS["memberships_lapse"] = memberships_lapse
JOBS["refresh_analytics"] = refresh_analytics
JOBS["forget_widget_answers"] = me_answers_forget


def run_job(name: str, as_of: datetime) -> int:
    """Run the job `name` as of `as_of`, with its `JobRun` record (the admin lists them)."""
    return job_run_record(name=name, as_of=as_of, job=JOBS[name])
