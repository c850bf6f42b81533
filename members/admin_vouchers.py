"""Resending a voucher's email from the member page: a new notification of the same kind as the first email
(a redemption's code or a referral reward), sent through Django's email backend by the notification sender, in
the program's language (members read the program in its language: they have none of their own), with its
branding and unsubscribe link. Each resend is its own fact (key `code_resent:{voucher}:{time}`), so it is sent
once and never merged with the first email or another resend."""

from django.utils import timezone

from members.job_models import NotificationKind
from members.notifications.queue import notifications_create
from rewards.choices import VoucherSource, VoucherStatus
from rewards.models import Voucher


class VoucherNotResent(Exception):
    """Why the email was not queued: the merchant sees the reason."""


def voucher_email_resend(*, voucher: Voucher) -> str:
    """Queue the voucher's email again (sent after the request's transaction commits). Returns its key."""
    if voucher.status != VoucherStatus.ACTIVE:
        raise VoucherNotResent(f"the code is {voucher.get_status_display().lower()}, not usable any more.")
    member = voucher.member
    if not member.email or not member.emails_allowed:
        raise VoucherNotResent("the member has no email address or unsubscribed from emails.")
    kind = (
        NotificationKind.REFERRAL_REWARD if voucher.source == VoucherSource.REFERRAL else NotificationKind.CODE_ISSUED
    )
    key = f"code_resent:{voucher.pk}:{timezone.now().isoformat()}"
    facts = [(member.pk, key, {"code": voucher.code, "reward": voucher.name})]
    if not notifications_create(program=voucher.program, kind=kind, facts=facts):
        raise VoucherNotResent("an identical resend was just queued.")
    return key
