"""The `notify_vouchers` job: an email for each code issued (a redemption's code, or a referral reward's),
once per voucher (key `code_issued:{voucher_id}`), for vouchers created in the day before `as_of`."""

import logging
from datetime import datetime, timedelta

from loyalty.models import Program
from members.job_models import NotificationKind
from members.notifications.queue import notifications_create
from members.services.job_runs import job_progress
from rewards.choices import VoucherSource
from rewards.models import Voucher

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
LOOKBACK = timedelta(days=1)


def notify_vouchers(as_of: datetime, *, chunk_size: int = CHUNK_SIZE) -> int:
    queued, after = 0, 0
    recent = Voucher.objects.filter(created_at__gt=as_of - LOOKBACK, created_at__lte=as_of)
    while True:
        chunk = list(
            recent.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "program_id", "member_id", "source", "code", "name")[:chunk_size]
        )
        if not chunk:
            break
        by_program: dict[tuple[int, str], list] = {}
        for pk, program_id, member_id, source, code, name in chunk:
            kind = (
                NotificationKind.REFERRAL_REWARD if source == VoucherSource.REFERRAL else NotificationKind.CODE_ISSUED
            )
            fact = (member_id, f"code_issued:{pk}", {"code": code, "reward": name})
            by_program.setdefault((program_id, kind), []).append(fact)
        programs = Program.objects.in_bulk({program_id for program_id, _ in by_program})
        count = sum(
            notifications_create(program=programs[program_id], kind=kind, facts=facts)
            for (program_id, kind), facts in by_program.items()
        )
        job_progress(rows=count)
        queued += count
        after = chunk[-1][0]
    logger.info("voucher notifications queued as_of=%s count=%s", as_of.isoformat(), queued)
    return queued
